package k8s

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

const tp = "k8s:test:"

func TestAggregation(t *testing.T) {
	b, rep := parseTestdata(t, Options{}, "aggregation.yaml")
	require.Equal(t, map[string]int{"ClusterRole": 5, "ClusterRoleBinding": 2}, rep.Kinds)

	mon := tp + "clusterrole:monitoring"
	n, _ := b.Node(mon)
	require.Equal(t, "true", n.Props["aggregated"])
	require.Equal(t, "2", n.Props["rules"])
	// matchLabels selects pod-reader, matchExpressions (In) selects log-shipper;
	// secret-admin has the label with another value and is left out.
	require.Equal(t, []string{
		tp + "*:core/nodes/proxy", tp + "*:core/pods", tp + "*:core/pods/log",
	}, targets(b, mon, graph.EdgeAccess))
	e := edge(t, b, mon, graph.EdgeAccess, tp+"*:core/pods")
	require.Equal(t, []string{"get", "list", "watch"}, e.Actions)
	require.Equal(t, graph.PrivRead, e.Privilege)
	require.Equal(t, []string{"clusterrole/monitoring (aggregated from clusterrole/pod-reader)"}, e.Via)
	px, _ := b.Node(tp + "*:core/nodes/proxy")
	require.Equal(t, graph.SensCritical, px.Sensitivity)

	// The group sre holds monitoring by a ClusterRoleBinding.
	var got []string
	for _, a := range heldAccess(b, tp+"group:sre") {
		got = append(got, a.To)
	}
	require.ElementsMatch(t, targets(b, mon, graph.EdgeAccess), got)

	// Nested: platform-admin selects monitoring (Exists), whose aggregated
	// rules come along, plus its own rule.
	pa := tp + "clusterrole:platform-admin"
	require.Equal(t, []string{
		tp + "*:apps/deployments", tp + "*:core/nodes/proxy", tp + "*:core/pods", tp + "*:core/pods/log",
	}, targets(b, pa, graph.EdgeAccess))
	e = edge(t, b, pa, graph.EdgeAccess, tp+"*:core/pods/log")
	require.Equal(t, []string{"clusterrole/platform-admin (aggregated from clusterrole/pod-reader)"}, e.Via)
	e = edge(t, b, pa, graph.EdgeAccess, tp+"*:apps/deployments")
	require.Equal(t, []string{"clusterrole/platform-admin"}, e.Via)
	require.Equal(t, graph.PrivWrite, e.Privilege)
	// update on deployments lets carol run pods as any SA (none are known here).
	require.Empty(t, targets(b, pa, graph.EdgeEscalates))
	require.True(t, hasEdge(b, tp+"user:carol@example.com", graph.EdgeHasRole, pa))
}

func TestClusterRoleBoundInNamespace(t *testing.T) {
	b, rep := parseTestdata(t, Options{}, "scoped.yaml")
	scoped := tp + "clusterrole:secret-reader@team-a"
	n, ok := b.Node(scoped)
	require.True(t, ok)
	require.Equal(t, graph.KindRole, n.Kind)
	require.Equal(t, "k8s-clusterrole", n.Subkind)
	require.Equal(t, "team-a", n.Props["scope"])

	// Inside team-a only: no nodes (cluster-scoped), no non-resource URLs.
	require.Equal(t, []string{tp + "team-a:core/secrets"}, targets(b, scoped, graph.EdgeAccess))
	e := edge(t, b, scoped, graph.EdgeAccess, tp+"team-a:core/secrets")
	require.Equal(t, []string{"get", "list"}, e.Actions)
	require.Equal(t, []string{"clusterrole/secret-reader"}, e.Via)
	require.Equal(t, []string{
		"secret-reader@team-a: rule get on /healthz /metrics ignored: nonResourceURLs have no effect through a RoleBinding",
		"secret-reader@team-a: rule get on core/nodes ignored: nodes is cluster-scoped",
	}, rep.IgnoredRules)
	require.Equal(t, []string{tp + "sa:team-a/builder"}, targets(b, scoped, graph.EdgeEscalates))

	// The same ClusterRole bound cluster-wide.
	cluster := tp + "clusterrole:secret-reader"
	require.Equal(t, []string{
		tp + "*:core/nodes", tp + "*:core/secrets", tp + "nonresource:/healthz", tp + "nonresource:/metrics",
	}, targets(b, cluster, graph.EdgeAccess))
	require.Equal(t, []string{tp + "sa:team-a/builder", tp + "sa:team-b/builder", tp + "sa:team-b/runner"},
		targets(b, cluster, graph.EdgeEscalates))

	hr := edge(t, b, tp+"user:alice", graph.EdgeHasRole, scoped)
	require.Equal(t, []string{"rolebinding/team-a/read-secrets"}, hr.Via)
	require.True(t, hasEdge(b, tp+"sa:team-a/builder", graph.EdgeHasRole, scoped))
	require.False(t, hasEdge(b, tp+"sa:team-b/builder", graph.EdgeHasRole, scoped))
	require.True(t, hasEdge(b, tp+"user:auditor", graph.EdgeHasRole, cluster))

	// Bindings to roles that are not defined.
	require.Equal(t, []string{"clusterrole/view", "role/team-b/ghost-role"}, rep.MissingRoles)
	require.Equal(t, []string{"team-b/runner"}, rep.MissingServiceAccounts)
	for _, id := range []string{tp + "role:team-b/ghost-role", tp + "clusterrole:view@team-b", tp + "sa:team-b/runner"} {
		n, ok := b.Node(id)
		require.True(t, ok, id)
		require.Equal(t, "true", n.Props[graph.PropStub], id)
	}
	hr = edge(t, b, tp+"group:team-b-devs", graph.EdgeHasRole, tp+"clusterrole:view@team-b")
	require.Equal(t, []string{"rolebinding/team-b/view"}, hr.Via)
}

func TestEscalationFixture(t *testing.T) {
	b, _ := parseTestdata(t, Options{}, "escalation.yaml")
	deployer, backup := tp+"sa:ops/deployer", tp+"sa:ops/backup"

	// Impersonation: named users (one is an SA's user name) and any group.
	imp := tp + "clusterrole:impersonator"
	require.Equal(t, []string{tp + "any-user", deployer, tp + "user:bob"},
		targets(b, imp, graph.EdgeEscalates))
	e := edge(t, b, imp, graph.EdgeEscalates, tp+"user:bob")
	require.Equal(t, []string{"impersonate"}, e.Actions)
	require.Equal(t, []string{"impersonate users: clusterrole/impersonator"}, e.Via)
	e = edge(t, b, imp, graph.EdgeEscalates, tp+"any-user")
	require.Equal(t, []string{"impersonate groups: clusterrole/impersonator"}, e.Via)
	require.Equal(t, []string{
		tp + "group:support", tp + "group:system:authenticated", tp + "group:system:serviceaccounts",
		tp + "group:system:serviceaccounts:ops", tp + "group:system:serviceaccounts:shop",
		backup, deployer, tp + "sa:shop/web", tp + "user:bob", tp + "user:ci-bot",
	}, targets(b, tp+"any-user", graph.EdgeEscalates))
	require.True(t, reachable(b, tp+"group:support")[tp+"sa:shop/web"])

	// bind on one named ClusterRole in ops: its node limited to ops.
	binder := tp + "role:ops/binder"
	caOps := tp + "clusterrole:cluster-admin-ish@ops"
	e = edge(t, b, binder, graph.EdgeEscalates, caOps)
	require.Equal(t, []string{"bind"}, e.Actions)
	require.Equal(t, []string{"bind or escalate roles: role/ops/binder"}, e.Via)
	// escalate on roles in ops: every other Role of ops.
	require.Equal(t, []string{caOps, tp + "role:ops/named-secret", tp + "role:ops/pod-creator",
		tp + "role:ops/token-minter"}, targets(b, binder, graph.EdgeEscalates))
	require.Equal(t, graph.PrivAdmin, edge(t, b, binder, graph.EdgeAccess,
		tp+"ops:rbac.authorization.k8s.io/roles").Privilege)
	require.Equal(t, graph.PrivAdmin, edge(t, b, binder, graph.EdgeAccess,
		tp+"ops:rbac.authorization.k8s.io/rolebindings").Privilege)
	// ci-bot holds binder, so reaches "*" in ops but not cluster-wide.
	r := reachable(b, tp+"user:ci-bot")
	require.True(t, r[caOps])
	require.False(t, r[tp+"clusterrole:cluster-admin-ish"])
	require.Equal(t, graph.PrivAdmin, edge(t, b, caOps, graph.EdgeAccess, tp+"ops:*/*").Privilege)
	// At namespace scope, impersonating users and groups grants nothing.
	require.False(t, hasEdge(b, caOps, graph.EdgeEscalates, tp+"any-user"))
	require.True(t, hasEdge(b, tp+"clusterrole:cluster-admin-ish", graph.EdgeEscalates, tp+"any-user"))

	// Creating pods reaches every SA of ops; exec only the SA of a pod that
	// mounts its token (the backup CronJob's SA opts out).
	pc := tp + "role:ops/pod-creator"
	require.Equal(t, []string{backup, deployer}, targets(b, pc, graph.EdgeEscalates))
	e = edge(t, b, pc, graph.EdgeEscalates, deployer)
	require.Equal(t, []string{
		"exec into pods: role/ops/pod-creator", "run pods as any service account: role/ops/pod-creator",
	}, e.Via)
	e = edge(t, b, pc, graph.EdgeEscalates, backup)
	require.Equal(t, []string{"run pods as any service account: role/ops/pod-creator"}, e.Via)
	require.Equal(t, []string{"create"}, e.Actions)

	// Token minting for one named SA; impersonating any SA of ops.
	tm := tp + "role:ops/token-minter"
	e = edge(t, b, tm, graph.EdgeEscalates, deployer)
	require.Equal(t, []string{"create", "impersonate"}, e.Actions)
	require.Equal(t, []string{
		"create serviceaccounts/token: role/ops/token-minter",
		"impersonate serviceaccounts: role/ops/token-minter",
	}, e.Via)
	e = edge(t, b, tm, graph.EdgeEscalates, backup)
	require.Equal(t, []string{"impersonate serviceaccounts: role/ops/token-minter"}, e.Via)

	// Reading one named secret is not an escalation.
	require.Empty(t, targets(b, tp+"role:ops/named-secret", graph.EdgeEscalates))
	require.Equal(t, []string{tp + "ops:core/secrets/backup-key"},
		targets(b, tp+"role:ops/named-secret", graph.EdgeAccess))

	// Workloads: the CronJob's SA disables token automounting.
	require.Equal(t, []string{deployer}, targets(b, tp+"workload:ops/Deployment/deployer", graph.EdgeAuthenticates))
	cj := tp + "workload:ops/CronJob/nightly-backup"
	require.Empty(t, targets(b, cj, graph.EdgeAuthenticates))
	n, _ := b.Node(cj)
	require.Equal(t, "backup", n.Props["serviceAccount"])
	require.Equal(t, "false", n.Props["automountServiceAccountToken"])
}

func TestKubectlListJSON(t *testing.T) {
	b, rep := parseTestdata(t, Options{Cluster: "prod"}, "list.json")
	const p = "k8s:prod:"
	require.Equal(t, "k8s:prod", b.Source)
	require.Equal(t, 5, rep.Objects)
	require.Equal(t, map[string]int{"Service": 1}, rep.Skipped)
	require.Equal(t, map[string]int{"ServiceAccount": 1, "ClusterRole": 1, "ClusterRoleBinding": 1,
		"Pod": 1}, rep.Kinds)

	// system:unauthenticated: anonymous requests hold public-info.
	g, ok := b.Node(p + "group:system:unauthenticated")
	require.True(t, ok)
	require.Equal(t, "true", g.Props["public"])
	require.True(t, hasEdge(b, p+"user:system:anonymous", graph.EdgeMemberOf, p+"group:system:unauthenticated"))
	var got []string
	for _, a := range heldAccess(b, p+"user:system:anonymous") {
		got = append(got, a.To+" "+a.Privilege.String())
	}
	require.ElementsMatch(t, []string{
		p + "nonresource:/version read", p + "nonresource:/version/* read",
		p + "*:core/configmaps/cluster-info read",
	}, got)
	// Every SA is authenticated, so holds it too.
	require.True(t, reachable(b, p+"sa:web/api")[p+"clusterrole:public-info"])

	// A pod without serviceAccountName runs as the namespace's default SA.
	w := p + "workload:web/Pod/debug"
	require.Equal(t, []string{p + "sa:web/default"}, targets(b, w, graph.EdgeAuthenticates))
	n, _ := b.Node(w)
	require.Equal(t, "true", n.Props["serviceAccountDefaulted"])
	require.Equal(t, []string{"web/default"}, rep.MissingServiceAccounts)
}

func TestMultipleFilesOneCluster(t *testing.T) {
	b, rep := parseTestdata(t, Options{}, "scoped.yaml", "escalation.yaml")
	require.Equal(t, 20, rep.Objects)
	// scoped.yaml's cluster-wide secret reader now reaches the SAs of ops too.
	require.True(t, hasEdge(b, tp+"clusterrole:secret-reader", graph.EdgeEscalates, tp+"sa:ops/deployer"))
}
