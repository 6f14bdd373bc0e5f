package k8s

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// containsEdges lists the batch's CONTAINS edges as "from -> to", with the
// cluster prefix pre removed, sorted.
func containsEdges(b *graph.Batch, pre string) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.Kind == graph.EdgeContains {
			out = append(out, e.From[len(pre):]+" -> "+e.To[len(pre):])
		}
	}
	slices.Sort(out)
	return out
}

// contained returns every node reachable from id along CONTAINS edges.
func contained(b *graph.Batch, id string) map[string]bool {
	seen := map[string]bool{}
	queue := []string{id}
	edges := b.Edges()
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range edges {
			if e.From == cur && e.Kind == graph.EdgeContains && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	return seen
}

func TestContainsFixture(t *testing.T) {
	b, _ := parseTestdata(t, Options{}, "contains.yaml")
	const pre = "k8s:test:"
	// Worked out from contains.yaml: only covering pairs, no edge that a
	// chain already implies.
	require.Equal(t, []string{
		"*:*/* -> *:apps/*/scale",                         // any group, any resource
		"*:*/* -> team-a:apps/deployments",                // no team-a:apps/* node in between
		"*:*/* -> team-a:core/*",                          // cluster-wide scope, any group
		"*:*/* -> team-b:core/secrets",                    // ditto
		"*:apps/*/scale -> team-a:apps/deployments/scale", // */scale covers every scale subresource
		"nonresource:/api/* -> nonresource:/api/v1",       // prefix pattern
		"team-a:core/* -> team-a:core/secrets/db",         // any core resource, any name
	}, containsEdges(b, pre))

	// deployments does not include deployments/scale (RBAC matches
	// subresources only by name or "*"), /healthz is under no pattern.
	require.False(t, hasEdge(b, pre+"team-a:apps/deployments", graph.EdgeContains, pre+"team-a:apps/deployments/scale"))
	require.Empty(t, targets(b, pre+"nonresource:/healthz", graph.EdgeContains))

	in := contained(b, pre+"*:*/*")
	for _, id := range []string{"team-a:apps/deployments/scale", "team-a:core/secrets/db", "team-b:core/secrets"} {
		require.True(t, in[pre+id], id)
	}
	require.False(t, in[pre+"nonresource:/api/v1"], "resources and URLs are separate")

	e := edge(t, b, pre+"*:apps/*/scale", graph.EdgeContains, pre+"team-a:apps/deployments/scale")
	require.Equal(t, []string{"wildcard resource */scale", "wildcard scope (cluster-wide)"}, e.Via)
	require.Equal(t, graph.PrivNone, e.Privilege)
	require.Empty(t, e.Actions)
	e = edge(t, b, pre+"team-a:core/*", graph.EdgeContains, pre+"team-a:core/secrets/db")
	require.Equal(t, []string{"every resource name", "wildcard resource *"}, e.Via)
}

func TestContainsWider(t *testing.T) {
	for _, tc := range []struct {
		k    resKey
		want int
	}{
		{resKey{"*", "*", "*", ""}, 0},
		{resKey{"ns", "", "secrets", ""}, 2*2*2 - 1},
		{resKey{"ns", "", "secrets", "db"}, 2*2*2*2 - 1},
		{resKey{"ns", "apps", "deployments/scale", "x"}, 2*2*3*2 - 1},
		{resKey{"*", "apps", "*/scale", ""}, 1*2*2*1 - 1},
	} {
		w := tc.k.wider()
		require.Len(t, w, tc.want, "%+v: %v", tc.k, w)
		require.NotContains(t, w, tc.k)
	}
	require.Equal(t, []string{"*", "/*", "/a*", "/a/*"}, nonResourceWider("/a/b*"))
	require.Equal(t, []string{"*", "/*", "/a*"}, nonResourceWider("/a"))
	require.Equal(t, []string{"*"}, nonResourceWider("/*"))
	require.Empty(t, nonResourceWider("*"))
}

func TestArgoCDContains(t *testing.T) {
	b, _ := parseArgo(t, "argocd")
	all := argo + "*:*/*"
	// argocd-application-controller's ClusterRole allows * on * cluster-wide:
	// it includes the namespace's secrets, through *:core/secrets.
	in := contained(b, all)
	for _, id := range []string{"argocd:core/secrets", "argocd:core/secrets/argocd-redis",
		"argocd:core/secrets/argocd-notifications-secret", "argocd:apps/deployments",
		"*:coordination.k8s.io/leases/58ac56fa.applicationsets.argoproj.io"} {
		require.True(t, in[argo+id], id)
	}
	require.False(t, in[argo+"nonresource:*"])
	require.Len(t, in, 29, "every other resource node of the manifest (31 less *:*/* and nonresource:*)")
	require.Equal(t, []string{argo + "*:core/secrets"}, sources(b, graph.EdgeContains, argo+"argocd:core/secrets"))
	require.False(t, hasEdge(b, all, graph.EdgeContains, argo+"argocd:core/secrets"), "implied by *:core/secrets")

	// argocd-server's Role reads argocd secrets without names: it includes
	// the named ones a narrower Role grants.
	require.Equal(t, []string{argo + "argocd:core/secrets/argocd-notifications-secret", argo + "argocd:core/secrets/argocd-redis"},
		targets(b, argo+"argocd:core/secrets", graph.EdgeContains))
	// pods does not include pods/log.
	require.False(t, hasEdge(b, argo+"*:core/pods", graph.EdgeContains, argo+"*:core/pods/log"))
	require.Equal(t, []string{all}, sources(b, graph.EdgeContains, argo+"*:core/pods/log"))
}

// sources lists the sources of the edges of kind k into to, sorted.
func sources(b *graph.Batch, k graph.EdgeKind, to string) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.To == to && e.Kind == k {
			out = append(out, e.From)
		}
	}
	return out
}
