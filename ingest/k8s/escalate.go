package k8s

import (
	"maps"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// Workload resources by API group: creating one runs a pod, and a pod may run
// as any service account of its namespace.
var workloadResources = []struct {
	group, resource string
	controller      bool // its pod template can be changed by update/patch
}{
	{"", "pods", false},
	{"", "replicationcontrollers", true},
	{"apps", "deployments", true},
	{"apps", "statefulsets", true},
	{"apps", "daemonsets", true},
	{"apps", "replicasets", true},
	{"batch", "jobs", false}, // a Job's pod template is immutable
	{"batch", "cronjobs", true},
}

// escalations adds the ESCALATES edges (privilege admin) that one rule of in
// implies, next to its ACCESS edges. Each edge's Via says which rule of this
// list produced it and which role it came from. The rules, applied per
// (role node, rule) and in sorted order:
//
//  1. impersonate on users or groups (cluster-wide only: they are
//     cluster-scoped) escalates to the named users and groups, or without
//     resourceNames to the "any-user" node, which escalates to every user,
//     group and service account; impersonate on serviceaccounts escalates
//     to the named SAs in scope, or to every SA in scope.
//  2. bind or escalate on roles / clusterroles escalates to those role nodes
//     in scope: the named ones or every defined one. At namespace scope,
//     binding a ClusterRole yields its node limited to that namespace.
//     (The companion permission to create the binding or update the role is
//     not required: this over-approximates.)
//  3. create on pods or workload controllers (no resourceNames: create cannot
//     be limited by name), and update/patch on controllers whose pod
//     template is mutable, escalates to every SA in scope.
//  4. get, list or watch on secrets without resourceNames escalates to every
//     SA in scope (legacy service-account token secrets).
//  5. create on serviceaccounts/token escalates to the named SAs in scope, or
//     every SA in scope.
//  6. create on pods/exec or pods/attach without resourceNames escalates to
//     the SAs that workloads in scope run as with a mounted token.
//
// "Every SA in scope" means every SA of the namespace (every SA for a
// cluster-wide role) that the input defines or references through bindings
// and workloads. "*" in verbs, apiGroups or resources matches as the API
// server matches it. No edge is added from a role to itself.
func (b *builder) escalations(in *roleInst, r rule) {
	if len(r.NonResourceURLs) > 0 {
		return
	}
	via := ruleVia(in, r)
	esc := func(to string, verbs []string, why string) {
		if to == in.id {
			return
		}
		b.b.AddEdge(graph.Edge{From: in.id, To: to, Kind: graph.EdgeEscalates,
			Privilege: graph.PrivAdmin, Actions: verbs, Via: []string{why + ": " + via}})
	}
	toSAs := func(names []string, verbs []string, why string) {
		for _, id := range b.sasInScope(in.scope, names) {
			esc(id, verbs, why)
		}
	}
	core := groupMatch(r.APIGroups, "")
	named := len(r.ResourceNames) > 0

	// 1. Impersonation.
	if v := verbsMatching(r.Verbs, "impersonate"); len(v) > 0 && core {
		if in.scope == "*" {
			if resourceMatch(r.Resources, "users") {
				b.impersonate(r.ResourceNames, b.userPrincipal, v, "impersonate users", esc)
			}
			if resourceMatch(r.Resources, "groups") {
				b.impersonate(r.ResourceNames, b.groupPrincipal, v, "impersonate groups", esc)
			}
		}
		if resourceMatch(r.Resources, "serviceaccounts") {
			toSAs(r.ResourceNames, v, "impersonate serviceaccounts")
		}
	}

	// 2. bind / escalate.
	if v := verbsMatching(r.Verbs, "bind", "escalate"); len(v) > 0 && groupMatch(r.APIGroups, rbacGroup) {
		why := "bind or escalate roles"
		if resourceMatch(r.Resources, "roles") {
			for _, k := range slices.Sorted(maps.Keys(b.roles)) {
				rd := b.roles[k]
				if (in.scope == "*" || rd.ns == in.scope) && nameOK(r.ResourceNames, rd.name) {
					esc(b.roleInstance(rd.ns, rd.name).id, v, why)
				}
			}
		}
		if resourceMatch(r.Resources, "clusterroles") {
			for _, name := range slices.Sorted(maps.Keys(b.croles)) {
				if nameOK(r.ResourceNames, name) {
					esc(b.clusterRoleInstance(name, in.scope).id, v, why)
				}
			}
		}
	}

	// 3. Running pods.
	var runVerbs []string
	for _, w := range workloadResources {
		if !groupMatch(r.APIGroups, w.group) || !resourceMatch(r.Resources, w.resource) {
			continue
		}
		if !named {
			runVerbs = append(runVerbs, verbsMatching(r.Verbs, "create")...)
		}
		if w.controller {
			runVerbs = append(runVerbs, verbsMatching(r.Verbs, "update", "patch")...)
		}
	}
	if len(runVerbs) > 0 {
		toSAs(nil, dedupe(runVerbs), "run pods as any service account")
	}

	// 4. Reading secrets.
	if v := verbsMatching(r.Verbs, "get", "list", "watch"); len(v) > 0 && core && !named &&
		resourceMatch(r.Resources, "secrets") {
		toSAs(nil, v, "read secrets (service-account token secrets)")
	}

	// 5. Minting tokens.
	if v := verbsMatching(r.Verbs, "create"); len(v) > 0 && core &&
		resourceMatch(r.Resources, "serviceaccounts/token") {
		toSAs(r.ResourceNames, v, "create serviceaccounts/token")
	}

	// 6. Exec into running pods.
	if v := verbsMatching(r.Verbs, "create"); len(v) > 0 && core && !named &&
		(resourceMatch(r.Resources, "pods/exec") || resourceMatch(r.Resources, "pods/attach")) {
		for _, w := range b.workloads {
			if w.mounts && (in.scope == "*" || w.ns == in.scope) {
				esc(b.saID(w.ns, w.sa), v, "exec into pods")
			}
		}
	}
}

// impersonate adds the escalations of impersonating the named users or groups,
// or any of them.
func (b *builder) impersonate(names []string, principal func(string) string, verbs []string,
	why string, esc func(string, []string, string)) {
	if len(names) == 0 {
		b.anyUser = true
		esc(b.anyUserID(), verbs, why)
		return
	}
	for _, n := range slices.Sorted(slices.Values(names)) {
		esc(principal(n), verbs, why)
	}
}

// sasInScope returns the IDs of the SAs named (or all, if names is empty) in
// scope. Named SAs in a namespace are registered if new; at cluster scope a
// name matches that SA in every known namespace.
func (b *builder) sasInScope(scope string, names []string) []string {
	var out []string
	if len(names) > 0 && scope != "*" {
		for _, n := range slices.Sorted(slices.Values(names)) {
			b.serviceAccount(scope, n)
			out = append(out, b.saID(scope, n))
		}
		return out
	}
	for _, s := range b.frozenSAs {
		if (scope == "*" || s.ns == scope) && nameOK(names, s.name) {
			out = append(out, b.saID(s.ns, s.name))
		}
	}
	return out
}

func nameOK(names []string, n string) bool {
	return len(names) == 0 || slices.Contains(names, n)
}

// groupMatch reports whether a rule's apiGroups cover group.
func groupMatch(groups []string, group string) bool {
	return slices.Contains(groups, "*") || slices.Contains(groups, group)
}

// resourceMatch reports whether a rule's resources cover target ("res" or
// "res/sub"), as the API server matches: "*" covers everything, "*/sub"
// covers sub of any resource.
func resourceMatch(resources []string, target string) bool {
	_, sub, hasSub := strings.Cut(target, "/")
	for _, r := range resources {
		if r == "*" || r == target || (hasSub && r == "*/"+sub) {
			return true
		}
	}
	return false
}

// verbsMatching returns the verbs of a rule that grant one of want: the
// wanted verbs themselves or "*".
func verbsMatching(verbs []string, want ...string) []string {
	var out []string
	for _, v := range verbs {
		if v == "*" || slices.Contains(want, strings.ToLower(v)) {
			out = append(out, v)
		}
	}
	return dedupe(out)
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
