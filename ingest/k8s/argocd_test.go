package k8s

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

const argo = "k8s:default:"

// Answers worked out by reading argo-cd-install.yaml by hand.
var argoSAs = []string{
	"argocd-application-controller", "argocd-applicationset-controller", "argocd-dex-server",
	"argocd-notifications-controller", "argocd-redis", "argocd-repo-server", "argocd-server",
}

type argoResult struct {
	b   *graph.Batch
	rep *Report
}

// argoCache holds the parse per default namespace: the manifest is 1.9 MB and
// every test only reads the batch.
var (
	argoMu    sync.Mutex
	argoCache = map[string]argoResult{}
)

func parseArgo(t *testing.T, ns string) (*graph.Batch, *Report) {
	t.Helper()
	p := datasetPath(t, "k8s", "argo-cd-install.yaml")
	argoMu.Lock()
	defer argoMu.Unlock()
	if r, ok := argoCache[ns]; ok {
		return r.b, r.rep
	}
	b, rep, err := ParseWithReport(Options{DefaultNamespace: ns}, fileOf(t, p))
	require.NoError(t, err)
	require.NoError(t, b.Validate())
	argoCache[ns] = argoResult{b, rep}
	return b, rep
}

func argoSAIDs() []string {
	out := make([]string, len(argoSAs))
	for i, n := range argoSAs {
		out[i] = argo + "sa:argocd/" + n
	}
	return out
}

func TestArgoCDInventory(t *testing.T) {
	b, rep := parseArgo(t, "argocd")
	require.Equal(t, "k8s:default", b.Source)

	require.Equal(t, argoSAIDs(), nodeIDs(b, "k8s-serviceaccount"))
	for _, id := range argoSAIDs() {
		n, _ := b.Node(id)
		require.Empty(t, n.Props[graph.PropStub], id)
		require.Equal(t, []string{
			argo + "group:system:authenticated", argo + "group:system:serviceaccounts",
			argo + "group:system:serviceaccounts:argocd",
		}, targets(b, id, graph.EdgeMemberOf))
	}
	require.Len(t, nodeIDs(b, "k8s-role"), 6)
	require.Equal(t, []string{
		argo + "clusterrole:argocd-application-controller",
		argo + "clusterrole:argocd-applicationset-controller",
		argo + "clusterrole:argocd-server",
	}, nodeIDs(b, "k8s-clusterrole"))

	require.Equal(t, 59, rep.Objects)
	require.Equal(t, map[string]int{"ServiceAccount": 7, "Role": 6, "RoleBinding": 6,
		"ClusterRole": 3, "ClusterRoleBinding": 3, "Deployment": 6, "StatefulSet": 1}, rep.Kinds)
	require.Equal(t, map[string]int{"CustomResourceDefinition": 3, "ConfigMap": 7, "Secret": 2,
		"Service": 8, "NetworkPolicy": 7}, rep.Skipped)
	require.Equal(t, 27, rep.SkippedTotal())
	require.Empty(t, rep.MissingRoles)
	require.Empty(t, rep.MissingServiceAccounts)
	require.Empty(t, rep.IgnoredRules)
}

func TestArgoCDApplicationControllerIsClusterAdmin(t *testing.T) {
	b, _ := parseArgo(t, "argocd")
	sa := argo + "sa:argocd/argocd-application-controller"
	cr := argo + "clusterrole:argocd-application-controller"

	hr := edge(t, b, sa, graph.EdgeHasRole, cr)
	require.Equal(t, []string{"clusterrolebinding/argocd-application-controller"}, hr.Via)
	hr = edge(t, b, sa, graph.EdgeHasRole, argo+"role:argocd/argocd-application-controller")
	require.Equal(t, []string{"rolebinding/argocd/argocd-application-controller"}, hr.Via)

	all := edge(t, b, cr, graph.EdgeAccess, argo+"*:*/*")
	require.Equal(t, graph.PrivAdmin, all.Privilege)
	require.Equal(t, []string{"*"}, all.Actions)
	n, _ := b.Node(argo + "*:*/*")
	require.Equal(t, graph.SensCritical, n.Sensitivity)
	require.Equal(t, "*", n.Props["scope"])
	nr := edge(t, b, cr, graph.EdgeAccess, argo+"nonresource:*")
	require.Equal(t, graph.PrivAdmin, nr.Privilege)

	// Beyond plain binding: "*" on "*" includes impersonate on users and
	// groups, so the role escalates to the any-user node, and from there to
	// every SA of the cluster.
	esc := edge(t, b, cr, graph.EdgeEscalates, argo+"any-user")
	require.Equal(t, graph.PrivAdmin, esc.Privilege)
	require.Equal(t, []string{
		"impersonate groups: clusterrole/argocd-application-controller",
		"impersonate users: clusterrole/argocd-application-controller",
	}, esc.Via)
	for _, id := range argoSAIDs() {
		require.True(t, hasEdge(b, argo+"any-user", graph.EdgeEscalates, id), id)
	}
	// bind/escalate on "*": every other role node.
	for _, r := range []string{"clusterrole:argocd-server", "role:argocd/argocd-redis"} {
		e := edge(t, b, cr, graph.EdgeEscalates, argo+r)
		require.Equal(t, []string{"bind or escalate roles: clusterrole/argocd-application-controller"}, e.Via)
	}
}

// TestArgoCDSecretReaders answers: which SAs can read secrets in argocd by
// their bindings, and with which verbs (on all secrets, not named ones).
func TestArgoCDSecretReaders(t *testing.T) {
	b, _ := parseArgo(t, "argocd")
	covers := map[string]bool{
		argo + "argocd:core/secrets": true, argo + "*:core/secrets": true, argo + "*:*/*": true,
	}
	want := map[string][]string{
		"argocd-application-controller":    {"*", "get", "list", "watch"},
		"argocd-applicationset-controller": {"get", "list", "watch"},
		"argocd-dex-server":                {"get", "list", "watch"},
		"argocd-notifications-controller":  {"list", "watch"},
		"argocd-redis":                     {"create"},
		"argocd-server":                    {"create", "delete", "get", "list", "patch", "update", "watch"},
		"argocd-repo-server":               nil,
	}
	for sa, verbs := range want {
		var got []string
		for _, e := range heldAccess(b, argo+"sa:argocd/"+sa) {
			if covers[e.To] {
				got = sortedUnion(got, e.Actions)
			}
		}
		require.Equal(t, verbs, got, sa)
	}
	// Named secrets only.
	e := edge(t, b, argo+"role:argocd/argocd-redis", graph.EdgeAccess, argo+"argocd:core/secrets/argocd-redis")
	require.Equal(t, []string{"get"}, e.Actions)
	require.Equal(t, graph.PrivRead, e.Privilege)
	e = edge(t, b, argo+"role:argocd/argocd-notifications-controller", graph.EdgeAccess,
		argo+"argocd:core/secrets/argocd-notifications-secret")
	require.Equal(t, []string{"get"}, e.Actions)
	n, _ := b.Node(argo + "argocd:core/secrets")
	require.Equal(t, graph.SensCritical, n.Sensitivity)
	n, _ = b.Node(argo + "argocd:core/events")
	require.Equal(t, graph.SensLow, n.Sensitivity)
}

func TestArgoCDEscalations(t *testing.T) {
	b, _ := parseArgo(t, "argocd")
	// Listing secrets in argocd reaches every SA of argocd (token secrets).
	notif := argo + "role:argocd/argocd-notifications-controller"
	require.Equal(t, argoSAIDs(), targets(b, notif, graph.EdgeEscalates))
	e := edge(t, b, notif, graph.EdgeEscalates, argo+"sa:argocd/argocd-server")
	require.Equal(t, []string{"list", "watch"}, e.Actions)
	require.Equal(t, []string{
		"read secrets (service-account token secrets): role/argocd/argocd-notifications-controller",
	}, e.Via)
	// argocd-redis reads one named secret and creates secrets: no escalation.
	require.Empty(t, targets(b, argo+"role:argocd/argocd-redis", graph.EdgeEscalates))
	// argocd-server's ClusterRole: get/patch on "*" (secrets, deployments) and
	// create on batch jobs.
	e = edge(t, b, argo+"clusterrole:argocd-server", graph.EdgeEscalates, argo+"sa:argocd/argocd-redis")
	require.Equal(t, []string{"create", "get", "patch"}, e.Actions)
	require.Equal(t, []string{
		"read secrets (service-account token secrets): clusterrole/argocd-server",
		"run pods as any service account: clusterrole/argocd-server",
	}, e.Via)

	// Whoever holds argocd-dex-server's SA reaches, by escalation, the
	// application controller's SA and so cluster admin.
	r := reachable(b, argo+"sa:argocd/argocd-dex-server")
	require.True(t, r[argo+"sa:argocd/argocd-application-controller"])
	require.True(t, r[argo+"clusterrole:argocd-application-controller"])
	// repo-server's SA has no binding: it reaches nothing but its groups.
	r = reachable(b, argo+"sa:argocd/argocd-repo-server")
	require.Len(t, r, 4)
}

func TestArgoCDWorkloads(t *testing.T) {
	b, _ := parseArgo(t, "argocd")
	want := map[string]string{
		"StatefulSet/argocd-application-controller":   "argocd-application-controller",
		"Deployment/argocd-applicationset-controller": "argocd-applicationset-controller",
		"Deployment/argocd-dex-server":                "argocd-dex-server",
		"Deployment/argocd-notifications-controller":  "argocd-notifications-controller",
		"Deployment/argocd-redis":                     "argocd-redis",
		"Deployment/argocd-server":                    "argocd-server",
	}
	require.Len(t, nodeIDs(b, "k8s-workload"), 7)
	for w, sa := range want {
		id := argo + "workload:argocd/" + w
		require.Equal(t, []string{argo + "sa:argocd/" + sa}, targets(b, id, graph.EdgeAuthenticates), w)
	}
	// argocd-repo-server sets automountServiceAccountToken: false.
	id := argo + "workload:argocd/Deployment/argocd-repo-server"
	require.Empty(t, targets(b, id, graph.EdgeAuthenticates))
	n, ok := b.Node(id)
	require.True(t, ok)
	require.Equal(t, graph.KindApplication, n.Kind)
	require.Equal(t, "false", n.Props["automountServiceAccountToken"])
	require.Equal(t, "argocd-repo-server", n.Props["serviceAccount"])
}

// With the default namespace, the manifest's SAs land in "default" while its
// ClusterRoleBindings name SAs in argocd: those become stubs.
func TestArgoCDDefaultNamespace(t *testing.T) {
	b, rep := parseArgo(t, "")
	require.Equal(t, []string{
		"argocd/argocd-application-controller", "argocd/argocd-applicationset-controller",
		"argocd/argocd-server",
	}, rep.MissingServiceAccounts)
	n, ok := b.Node(argo + "sa:argocd/argocd-server")
	require.True(t, ok)
	require.Equal(t, "true", n.Props[graph.PropStub])
	n, _ = b.Node(argo + "sa:default/argocd-server")
	require.Empty(t, n.Props[graph.PropStub])
	require.True(t, hasEdge(b, argo+"sa:default/argocd-server", graph.EdgeHasRole,
		argo+"role:default/argocd-server"))
}

// ParseFiles on the same file gives the same batch as Parse, every time.
func TestArgoCDDeterministic(t *testing.T) {
	b1, _ := parseArgo(t, "argocd")
	b2, err := ParseFiles(Options{DefaultNamespace: "argocd"}, datasetPath(t, "k8s", "argo-cd-install.yaml"))
	require.NoError(t, err)
	require.Equal(t, b1.Nodes(), b2.Nodes())
	require.Equal(t, b1.Edges(), b2.Edges())
}
