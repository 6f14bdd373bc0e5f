package k8s

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/accessgraph/accessgraph/graph"
)

// Well-known groups the API server puts principals in.
const (
	groupAllSAs          = "system:serviceaccounts"
	groupAuthenticated   = "system:authenticated"
	groupUnauthenticated = "system:unauthenticated"
	userAnonymous        = "system:anonymous"
	saUserPrefix         = "system:serviceaccount:"
)

type saInfo struct {
	ns, name   string
	defined    bool
	automount  *bool
	onBehalfOf string // from an annotation ending in "/on-behalf-of"
}

type roleDef struct {
	obj      object
	ns, name string
	rules    []rbacv1.PolicyRule
}

type clusterRoleDef struct {
	obj       object
	role      rbacv1.ClusterRole
	effective []rule // own rules plus aggregated ones
}

type bindingDef struct {
	obj      object
	ns       string // "" for a ClusterRoleBinding
	name     string
	ref      rbacv1.RoleRef
	subjects []rbacv1.Subject
	what     string // "RoleBinding ns/name"
	via      string // "rolebinding/ns/name"
}

// rule is a policy rule with the role it was written in.
type rule struct {
	rbacv1.PolicyRule
	origin string // "role/ns/name" or "clusterrole/name"
}

// roleInst is one role node: a Role, a ClusterRole at cluster scope, or a
// ClusterRole limited to one namespace by a RoleBinding.
type roleInst struct {
	id      string
	name    string
	subkind string
	scope   string // namespace, or "*" for cluster-wide
	via     string // "role/ns/name" or "clusterrole/name"
	rules   []rule
	stub    bool
	props   map[string]string
}

type builder struct {
	opt       Options
	pre       string // "k8s:<cluster>:"
	b         *graph.Batch
	rep       *Report
	sas       map[string]*saInfo // by "ns/name"
	roles     map[string]*roleDef
	croles    map[string]*clusterRoleDef
	bindings  []*bindingDef
	workloads []*workload
	users     map[string]bool
	groups    map[string]bool
	insts     map[string]*roleInst
	queue     []*roleInst
	frozenSAs []*saInfo // every SA known before escalations, sorted
	anyUser   bool
	resKeys   map[string]resKey // resource node ID -> what it stands for
	urls      map[string]string // non-resource node ID -> its URL pattern
}

func newBuilder(opt Options) *builder {
	return &builder{
		opt: opt, pre: "k8s:" + opt.Cluster + ":", b: graph.NewBatch("k8s:" + opt.Cluster),
		rep: &Report{Kinds: map[string]int{}, Skipped: map[string]int{}},
		sas: map[string]*saInfo{}, roles: map[string]*roleDef{}, croles: map[string]*clusterRoleDef{},
		users: map[string]bool{}, groups: map[string]bool{}, insts: map[string]*roleInst{},
		resKeys: map[string]resKey{}, urls: map[string]string{},
	}
}

// IDs.

func (b *builder) saID(ns, name string) string { return b.pre + "sa:" + ns + "/" + name }
func (b *builder) userID(name string) string   { return b.pre + "user:" + name }
func (b *builder) groupID(name string) string  { return b.pre + "group:" + name }
func (b *builder) anyUserID() string           { return b.pre + "any-user" }

// serviceAccount returns the SA ns/name, registering it if new.
func (b *builder) serviceAccount(ns, name string) *saInfo {
	k := ns + "/" + name
	s, ok := b.sas[k]
	if !ok {
		s = &saInfo{ns: ns, name: name}
		b.sas[k] = s
	}
	return s
}

// userPrincipal returns the node ID for a user name; a service account's user
// name ("system:serviceaccount:ns:name") resolves to that SA.
func (b *builder) userPrincipal(name string) string {
	if rest, ok := strings.CutPrefix(name, saUserPrefix); ok {
		if ns, sa, ok := strings.Cut(rest, ":"); ok && ns != "" && sa != "" {
			b.serviceAccount(ns, sa)
			return b.saID(ns, sa)
		}
	}
	b.users[name] = true
	return b.userID(name)
}

func (b *builder) groupPrincipal(name string) string {
	b.groups[name] = true
	return b.groupID(name)
}

// build turns the decoded objects into the batch.
func (b *builder) build() error {
	if err := b.aggregate(); err != nil {
		return err
	}
	b.defineRoles()
	b.bind()
	b.addWorkloads()

	b.frozenSAs = b.sortedSAs()
	for len(b.queue) > 0 {
		in := b.queue[0]
		b.queue = b.queue[1:]
		b.emitRole(in)
	}
	b.contains()

	b.emitPrincipals()
	return nil
}

// aggregate computes the effective rules of every ClusterRole: its own rules
// plus, for an aggregationRule, the effective rules of every other
// ClusterRole whose labels match one of its selectors (transitively, as the
// aggregation controller reaches a fixed point).
func (b *builder) aggregate() error {
	sels := map[string][]labels.Selector{}
	for _, name := range slices.Sorted(maps.Keys(b.croles)) {
		cr := b.croles[name]
		if cr.role.AggregationRule == nil {
			continue
		}
		for i := range cr.role.AggregationRule.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&cr.role.AggregationRule.ClusterRoleSelectors[i])
			if err != nil {
				e := cr.obj.errorf(err, "aggregationRule.clusterRoleSelectors[%d]: %v", i, err)
				e.Object = "ClusterRole " + name
				return e
			}
			sels[name] = append(sels[name], s)
		}
	}
	done := map[string]bool{}
	var resolve func(name string, stack map[string]bool) []rule
	resolve = func(name string, stack map[string]bool) []rule {
		cr := b.croles[name]
		if done[name] || stack[name] {
			return cr.effective
		}
		stack[name] = true
		defer delete(stack, name)
		rules := ownRules("clusterrole/"+name, cr.role.Rules)
		for _, other := range slices.Sorted(maps.Keys(b.croles)) {
			if other == name || !matchesAny(sels[name], b.croles[other].role.Labels) {
				continue
			}
			rules = append(rules, resolve(other, stack)...)
		}
		cr.effective = rules
		done[name] = true
		return rules
	}
	for _, name := range slices.Sorted(maps.Keys(b.croles)) {
		resolve(name, map[string]bool{})
	}
	return nil
}

func matchesAny(sels []labels.Selector, l map[string]string) bool {
	for _, s := range sels {
		if s.Matches(labels.Set(l)) {
			return true
		}
	}
	return false
}

func ownRules(origin string, rs []rbacv1.PolicyRule) []rule {
	out := make([]rule, len(rs))
	for i, r := range rs {
		out[i] = rule{PolicyRule: r, origin: origin}
	}
	return out
}

// instance returns the role node with id, creating it with mk if new.
func (b *builder) instance(id string, mk func() *roleInst) *roleInst {
	if in, ok := b.insts[id]; ok {
		return in
	}
	in := mk()
	in.id = id
	b.insts[id] = in
	b.queue = append(b.queue, in)
	return in
}

func (b *builder) roleInstance(ns, name string) *roleInst {
	return b.instance(b.pre+"role:"+ns+"/"+name, func() *roleInst {
		in := &roleInst{name: ns + "/" + name, subkind: "k8s-role", scope: ns,
			via: "role/" + ns + "/" + name, props: map[string]string{"namespace": ns, "name": name}}
		if r, ok := b.roles[ns+"/"+name]; ok {
			in.rules = ownRules(in.via, r.rules)
		} else {
			in.stub = true
			b.rep.MissingRoles = append(b.rep.MissingRoles, in.via)
		}
		return in
	})
}

// clusterRoleInstance returns the node of ClusterRole name at scope: "*" for
// cluster-wide, or a namespace for a ClusterRole bound by a RoleBinding there.
func (b *builder) clusterRoleInstance(name, scope string) *roleInst {
	id, display := b.pre+"clusterrole:"+name, name
	if scope != "*" {
		id, display = id+"@"+scope, name+"@"+scope
	}
	return b.instance(id, func() *roleInst {
		in := &roleInst{name: display, subkind: "k8s-clusterrole", scope: scope,
			via: "clusterrole/" + name, props: map[string]string{"name": name, "scope": scope}}
		if scope != "*" {
			in.props["namespace"] = scope
		}
		cr, ok := b.croles[name]
		if !ok {
			in.stub = true
			if !slices.Contains(b.rep.MissingRoles, in.via) {
				b.rep.MissingRoles = append(b.rep.MissingRoles, in.via)
			}
			return in
		}
		in.rules = cr.effective
		if cr.role.AggregationRule != nil {
			in.props["aggregated"] = "true"
		}
		return in
	})
}

// defineRoles creates a node for every defined Role and for every defined
// ClusterRole at cluster scope (what it grants wherever it is bound
// cluster-wide; an unbound ClusterRole is reached by no one).
func (b *builder) defineRoles() {
	for _, k := range slices.Sorted(maps.Keys(b.roles)) {
		r := b.roles[k]
		b.roleInstance(r.ns, r.name)
	}
	for _, name := range slices.Sorted(maps.Keys(b.croles)) {
		b.clusterRoleInstance(name, "*")
	}
}

// bind adds a HAS_ROLE edge from every subject of every binding to the role
// node the binding grants.
func (b *builder) bind() {
	for _, d := range b.bindings {
		var in *roleInst
		switch {
		case d.ref.Kind == "Role":
			in = b.roleInstance(d.ns, d.ref.Name)
		case d.ns == "":
			in = b.clusterRoleInstance(d.ref.Name, "*")
		default:
			in = b.clusterRoleInstance(d.ref.Name, d.ns)
		}
		for _, s := range d.subjects {
			b.b.AddEdge(graph.Edge{From: b.subject(d, s), To: in.id, Kind: graph.EdgeHasRole,
				Via: []string{d.via}})
		}
	}
}

// subject returns the node ID of a binding subject, registering it.
func (b *builder) subject(d *bindingDef, s rbacv1.Subject) string {
	switch s.Kind {
	case "ServiceAccount":
		ns := s.Namespace
		if ns == "" {
			ns = d.ns // a RoleBinding's SA subject defaults to its namespace
		}
		b.serviceAccount(ns, s.Name)
		return b.saID(ns, s.Name)
	case "User":
		return b.userPrincipal(s.Name)
	}
	return b.groupPrincipal(s.Name)
}

// addWorkloads adds a node per workload and an AUTHENTICATES edge to the SA
// its pods run as, unless no token is mounted: pod spec
// automountServiceAccountToken false, or unset on the pod and false on a
// defined SA.
func (b *builder) addWorkloads() {
	for _, w := range b.workloads {
		sa := b.serviceAccount(w.ns, w.sa)
		id := b.pre + "workload:" + w.ns + "/" + w.kind + "/" + w.name
		props := map[string]string{"namespace": w.ns, "kind": w.kind, "name": w.name,
			"serviceAccount": w.sa}
		if !w.explicit {
			props["serviceAccountDefaulted"] = "true"
		}
		mount := true
		switch {
		case w.automount != nil:
			mount = *w.automount
		case sa.automount != nil:
			mount = *sa.automount
		}
		w.mounts = mount
		props["automountServiceAccountToken"] = strconv.FormatBool(mount)
		b.b.AddNode(graph.Node{ID: id, Kind: graph.KindApplication, Subkind: "k8s-workload",
			Name: w.ns + "/" + w.kind + "/" + w.name, Props: props})
		if mount {
			b.b.AddEdge(graph.Edge{From: id, To: b.saID(w.ns, w.sa), Kind: graph.EdgeAuthenticates,
				Via: []string{"workload/" + w.ns + "/" + w.kind + "/" + w.name}})
		}
	}
}

func (b *builder) sortedSAs() []*saInfo {
	out := make([]*saInfo, 0, len(b.sas))
	for _, k := range slices.Sorted(maps.Keys(b.sas)) {
		out = append(out, b.sas[k])
	}
	return out
}

// emitRole adds a role node, its ACCESS edges and its ESCALATES edges.
func (b *builder) emitRole(in *roleInst) {
	props := maps.Clone(in.props)
	props["rules"] = strconv.Itoa(len(in.rules))
	if in.stub {
		props[graph.PropStub] = "true"
	}
	b.b.AddNode(graph.Node{ID: in.id, Kind: graph.KindRole, Subkind: in.subkind, Name: in.name,
		Props: props})
	for _, r := range in.rules {
		b.access(in, r)
		b.escalations(in, r)
	}
}

// ruleVia says where an edge of in derived from rule r came from.
func ruleVia(in *roleInst, r rule) string {
	if r.origin == in.via {
		return in.via
	}
	return fmt.Sprintf("%s (aggregated from %s)", in.via, r.origin)
}

// access adds the ACCESS edges of one rule of in.
func (b *builder) access(in *roleInst, r rule) {
	verbs := slices.Sorted(slices.Values(r.Verbs))
	via := []string{ruleVia(in, r)}
	if len(r.NonResourceURLs) > 0 {
		if in.scope != "*" {
			b.ignore(in, r, "nonResourceURLs have no effect through a RoleBinding")
			return
		}
		for _, u := range r.NonResourceURLs {
			id := b.pre + "nonresource:" + u
			b.urls[id] = u
			b.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: "k8s-nonresource",
				Name: "nonresource:" + u, Sensitivity: nonResourceSensitivity(u),
				Props: map[string]string{"url": u}})
			b.b.AddEdge(graph.Edge{From: in.id, To: id, Kind: graph.EdgeAccess, Actions: verbs,
				Privilege: nonResourcePrivilege(r.Verbs), Via: via})
		}
		return
	}
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			if in.scope != "*" && isClusterScoped(res) {
				b.ignore(in, r, fmt.Sprintf("%s is cluster-scoped", res))
				continue
			}
			names := r.ResourceNames
			if len(names) == 0 {
				names = []string{""}
			}
			for _, n := range names {
				id := b.resourceNode(in.scope, g, res, n)
				b.b.AddEdge(graph.Edge{From: in.id, To: id, Kind: graph.EdgeAccess, Actions: verbs,
					Privilege: resourcePrivilege(g, res, r.Verbs), Via: via})
			}
		}
	}
}

func (b *builder) ignore(in *roleInst, r rule, why string) {
	msg := fmt.Sprintf("%s: rule %s ignored: %s", in.name, ruleString(r.PolicyRule), why)
	if !slices.Contains(b.rep.IgnoredRules, msg) {
		b.rep.IgnoredRules = append(b.rep.IgnoredRules, msg)
	}
}

func ruleString(r rbacv1.PolicyRule) string {
	verbs := strings.Join(r.Verbs, ",")
	if len(r.NonResourceURLs) > 0 {
		return verbs + " on " + strings.Join(r.NonResourceURLs, " ")
	}
	var on []string
	for _, g := range r.APIGroups {
		if g == "" {
			g = "core"
		}
		for _, res := range r.Resources {
			on = append(on, g+"/"+res)
		}
	}
	return verbs + " on " + strings.Join(on, " ")
}

// resourceNode adds (or finds) the resource node for scope, API group,
// resource (maybe "res/sub") and optional resource name, and returns its ID.
func (b *builder) resourceNode(scope, group, res, name string) string {
	local := resourceLocal(scope, group, res, name)
	base, sub, _ := strings.Cut(res, "/")
	props := map[string]string{"scope": scope, "apiGroup": group, "resource": base}
	if sub != "" {
		props["subresource"] = sub
	}
	if name != "" {
		props["resourceName"] = name
	}
	id := b.pre + local
	if _, ok := b.resKeys[id]; !ok {
		// The first rule to name the ID defines it ("pods/log" and the pod
		// named "log" share one ID).
		b.resKeys[id] = resKey{scope: scope, group: group, res: res, name: name}
	}
	b.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: "k8s-resource",
		Name: local, Sensitivity: resourceSensitivity(res), Props: props})
	return id
}

// emitPrincipals adds the service accounts, users and groups, and the
// memberships the API server gives them.
func (b *builder) emitPrincipals() {
	for _, s := range b.sortedSAs() {
		id := b.saID(s.ns, s.name)
		props := map[string]string{"namespace": s.ns, "name": s.name,
			"username": saUserPrefix + s.ns + ":" + s.name}
		if !s.defined {
			props[graph.PropStub] = "true"
			b.rep.MissingServiceAccounts = append(b.rep.MissingServiceAccounts, s.ns+"/"+s.name)
		}
		if s.automount != nil {
			props["automountServiceAccountToken"] = strconv.FormatBool(*s.automount)
		}
		if s.onBehalfOf != "" {
			props[graph.PropOnBehalfOf] = s.onBehalfOf
		}
		b.b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Subkind: "k8s-serviceaccount",
			Name: s.ns + "/" + s.name, Props: props})
		for _, g := range []string{groupAllSAs, groupAllSAs + ":" + s.ns, groupAuthenticated} {
			b.b.AddEdge(graph.Edge{From: id, To: b.groupPrincipal(g), Kind: graph.EdgeMemberOf,
				Via: []string{"implicit"}})
		}
	}
	if b.groups[groupUnauthenticated] {
		b.users[userAnonymous] = true // who binding system:unauthenticated lets in
	}
	for _, u := range slices.Sorted(maps.Keys(b.users)) {
		g := groupAuthenticated
		if u == userAnonymous {
			g = groupUnauthenticated
		}
		props := map[string]string{"name": u}
		// OIDC-authenticated clusters name users by email: that is the key
		// identity resolution links them by.
		if looksLikeEmail(u) {
			props[graph.PropEmail] = strings.ToLower(u)
		}
		b.b.AddNode(graph.Node{ID: b.userID(u), Kind: graph.KindAccount, Subkind: "k8s-user",
			Name: u, Props: props})
		b.b.AddEdge(graph.Edge{From: b.userID(u), To: b.groupPrincipal(g), Kind: graph.EdgeMemberOf,
			Via: []string{"implicit"}})
	}
	for _, g := range slices.Sorted(maps.Keys(b.groups)) {
		props := map[string]string{"name": g}
		switch g {
		case groupUnauthenticated:
			props["public"] = "true" // anyone who can reach the API server
		case groupAuthenticated:
			props["public"] = "authenticated"
		}
		b.b.AddNode(graph.Node{ID: b.groupID(g), Kind: graph.KindGroup, Subkind: "k8s-group",
			Name: g, Props: props})
	}
	if b.anyUser {
		b.emitAnyUser()
	}
	sort.Strings(b.rep.MissingRoles)
	sort.Strings(b.rep.MissingServiceAccounts)
	sort.Strings(b.rep.IgnoredRules)
}

// emitAnyUser adds the node standing for "any user or group, by
// impersonation" with an ESCALATES edge to every user, group and SA.
//
// Limitation: only principals present in the input are targets. Impersonating
// the group system:masters (which bypasses RBAC) is not modelled unless a
// binding names that group.
func (b *builder) emitAnyUser() {
	id := b.anyUserID()
	b.b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Subkind: "k8s-any-user",
		Name: "any user or group (impersonation)"})
	esc := func(to string) {
		b.b.AddEdge(graph.Edge{From: id, To: to, Kind: graph.EdgeEscalates,
			Privilege: graph.PrivAdmin, Actions: []string{"impersonate"},
			Via: []string{"impersonate any user or group"}})
	}
	for _, s := range b.sortedSAs() {
		esc(b.saID(s.ns, s.name))
	}
	for _, u := range slices.Sorted(maps.Keys(b.users)) {
		esc(b.userID(u))
	}
	for _, g := range slices.Sorted(maps.Keys(b.groups)) {
		esc(b.groupID(g))
	}
}

// looksLikeEmail reports whether a user name is an email address.
func looksLikeEmail(u string) bool {
	at := strings.IndexByte(u, '@')
	return at > 0 && at < len(u)-1 && strings.Contains(u[at:], ".") && !strings.ContainsAny(u, " :/")
}
