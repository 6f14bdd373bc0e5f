package projection

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

func node(id string, k graph.Kind, sens graph.Sensitivity) graph.Node {
	return graph.Node{ID: id, Kind: k, Name: id, Source: "test", Sensitivity: sens}
}

func edge(from string, k graph.EdgeKind, to string, p graph.Privilege, actions ...string) graph.Edge {
	return graph.Edge{From: from, To: to, Kind: k, Privilege: p, Actions: actions, Source: "test"}
}

// fixture: alex -> account -> group (nested, with a cycle) -> role -> bucket;
// a credential that authenticates as a service account that can assume an
// admin role; an escalation edge to a second account.
func fixture() *Snapshot {
	nodes := []graph.Node{
		node("alex", graph.KindIdentity, 0),
		node("alex@aws", graph.KindAccount, 0),
		node("eng", graph.KindGroup, 0),
		node("all", graph.KindGroup, 0),
		node("reader", graph.KindRole, 0),
		node("admin", graph.KindRole, 0),
		node("svc", graph.KindAccount, 0),
		node("key1", graph.KindCredential, 0),
		node("bucket", graph.KindResource, graph.SensHigh),
		node("vault", graph.KindResource, graph.SensCritical),
		node("wiki", graph.KindResource, graph.SensLow),
	}
	edges := []graph.Edge{
		edge("alex", graph.EdgeHasAccount, "alex@aws", 0),
		edge("alex@aws", graph.EdgeMemberOf, "eng", 0),
		edge("eng", graph.EdgeMemberOf, "all", 0),
		edge("all", graph.EdgeMemberOf, "eng", 0), // cycle
		edge("eng", graph.EdgeHasRole, "reader", 0),
		edge("reader", graph.EdgeAccess, "bucket", graph.PrivRead, "s3:GetObject"),
		edge("all", graph.EdgeAccess, "wiki", graph.PrivWrite, "edit"),
		edge("alex@aws", graph.EdgeOwns, "key1", 0), // informational: not followed
		edge("key1", graph.EdgeAuthenticates, "svc", 0),
		edge("svc", graph.EdgeCanAssume, "admin", 0),
		edge("admin", graph.EdgeAccess, "bucket", graph.PrivAdmin, "s3:*"),
		edge("admin", graph.EdgeAccess, "vault", graph.PrivAdmin, "kms:*"),
		edge("reader", graph.EdgeEscalates, "svc", graph.PrivAdmin),
		edge("ghost", graph.EdgeAccess, "vault", graph.PrivAdmin), // dangling
	}
	return FromElements(nodes, edges)
}

func pathIDs(p Path) []string {
	out := make([]string, len(p.Nodes))
	for i, n := range p.Nodes {
		out[i] = n.ID
	}
	return out
}

func TestBlastRadius(t *testing.T) {
	s := fixture()
	require.Equal(t, 1, s.Stats().DanglingEdges)

	r, err := s.BlastRadius(BlastRadiusQuery{From: "alex"})
	require.NoError(t, err)
	got := map[string]graph.Privilege{}
	for _, x := range r.Reaches {
		got[x.Resource.ID] = x.Privilege
	}
	// bucket is reached at read through the reader role and at admin through
	// the escalation reader -> svc -> admin: the higher wins.
	require.Equal(t, map[string]graph.Privilege{
		"bucket": graph.PrivAdmin, "vault": graph.PrivAdmin, "wiki": graph.PrivWrite,
	}, got)
	require.Equal(t, "vault", r.Reaches[0].Resource.ID, "critical admin first")
	require.Equal(t, []string{"alex", "alex@aws", "eng", "reader", "svc", "admin", "vault"},
		pathIDs(r.Reaches[0].Witness))
	require.True(t, r.Reaches[0].Witness.Escalation)
	require.Equal(t, []string{"s3:*", "s3:GetObject"}, r.Reaches[1].Actions, "actions union over paths")
	require.Equal(t, 3, r.Totals.Resources)
	require.Equal(t, 2, r.Totals.ByPrivilege[graph.PrivAdmin])
	// alex, alex@aws, eng, all, reader, svc, admin: key1 is only owned.
	require.Equal(t, 7, r.Totals.Principals)

	r, err = s.BlastRadius(BlastRadiusQuery{From: "alex", MinSensitivity: graph.SensHigh,
		MinPrivilege: graph.PrivAdmin})
	require.NoError(t, err)
	require.Len(t, r.Reaches, 2)

	// depth 4: alex -> alex@aws -> eng -> reader -> bucket (read); the admin
	// route needs 6 steps.
	r, err = s.BlastRadius(BlastRadiusQuery{From: "alex", MaxDepth: 4})
	require.NoError(t, err)
	require.Len(t, r.Reaches, 2)
	require.Equal(t, "wiki", r.Reaches[0].Resource.ID, "write before read")
	require.Equal(t, "bucket", r.Reaches[1].Resource.ID)
	require.Equal(t, graph.PrivRead, r.Reaches[1].Privilege)

	// a leaked key: its blast radius is the admin role's.
	r, err = s.BlastRadius(BlastRadiusQuery{From: "key1"})
	require.NoError(t, err)
	require.Len(t, r.Reaches, 2)
	require.Equal(t, []string{"key1", "svc", "admin", "vault"}, pathIDs(r.Reaches[0].Witness))

	_, err = s.BlastRadius(BlastRadiusQuery{From: "nobody"})
	require.ErrorIs(t, err, graph.ErrNotFound)
}

func TestPaths(t *testing.T) {
	s := fixture()
	ps, err := s.Paths(PathsQuery{From: "alex", To: "bucket"})
	require.NoError(t, err)
	var got [][]string
	for _, p := range ps {
		got = append(got, pathIDs(p))
	}
	require.Equal(t, [][]string{
		{"alex", "alex@aws", "eng", "reader", "bucket"},
		{"alex", "alex@aws", "eng", "reader", "svc", "admin", "bucket"},
	}, got)
	require.Equal(t, graph.PrivRead, ps[0].Privilege)
	require.Equal(t, graph.PrivAdmin, ps[1].Privilege)
	require.True(t, ps[1].Escalation)

	ps, err = s.Paths(PathsQuery{From: "alex", To: "bucket", MaxPaths: 1})
	require.NoError(t, err)
	require.Len(t, ps, 1)
	ps, err = s.Paths(PathsQuery{From: "alex", To: "bucket", MaxDepth: 3})
	require.NoError(t, err)
	require.Empty(t, ps)
	// OWNS is not followed: no path from alex@aws to key1.
	ps, err = s.Paths(PathsQuery{From: "alex@aws", To: "key1"})
	require.NoError(t, err)
	require.Empty(t, ps)
	_, err = s.Paths(PathsQuery{From: "alex", To: "nowhere"})
	require.ErrorIs(t, err, graph.ErrNotFound)
}

func TestWhoCanReach(t *testing.T) {
	s := fixture()
	r, err := s.WhoCanReach(WhoCanReachQuery{Resource: "bucket"})
	require.NoError(t, err)
	got := map[string]graph.Privilege{}
	for _, x := range r.Reachers {
		got[x.Principal.ID] = x.Privilege
	}
	require.Equal(t, map[string]graph.Privilege{
		"admin": graph.PrivAdmin, "svc": graph.PrivAdmin, "key1": graph.PrivAdmin,
		"reader": graph.PrivAdmin, "eng": graph.PrivAdmin, "all": graph.PrivAdmin,
		"alex@aws": graph.PrivAdmin, "alex": graph.PrivAdmin,
	}, got)
	require.Equal(t, "admin", r.Reachers[0].Principal.ID)
	require.Equal(t, 8, r.ByPrivilege[graph.PrivAdmin])

	r, err = s.WhoCanReach(WhoCanReachQuery{Resource: "bucket", Kinds: []graph.Kind{graph.KindIdentity}})
	require.NoError(t, err)
	require.Len(t, r.Reachers, 1)
	require.Equal(t, []string{"alex", "alex@aws", "eng", "reader", "svc", "admin", "bucket"},
		pathIDs(r.Reachers[0].Witness))

	// Depth 4 cuts the escalation route: alex only reads.
	r, err = s.WhoCanReach(WhoCanReachQuery{Resource: "bucket", MaxDepth: 4,
		Kinds: []graph.Kind{graph.KindIdentity}})
	require.NoError(t, err)
	require.Len(t, r.Reachers, 1)
	require.Equal(t, graph.PrivRead, r.Reachers[0].Privilege)
}

// naive is the oracle: it enumerates every simple path by brute force.
type naive struct {
	nodes map[string]graph.Node
	out   map[string][]graph.Edge
}

func newNaive(nodes []graph.Node, edges []graph.Edge) *naive {
	n := &naive{nodes: map[string]graph.Node{}, out: map[string][]graph.Edge{}}
	for _, x := range nodes {
		n.nodes[x.ID] = x
	}
	for _, e := range edges {
		if _, ok := n.nodes[e.From]; !ok {
			continue
		}
		if _, ok := n.nodes[e.To]; !ok {
			continue
		}
		n.out[e.From] = append(n.out[e.From], e)
	}
	return n
}

// paths lists every simple path from -> to with at most maxDepth steps that
// follows traversal edges, then at most one ACCESS edge, then CONTAINS edges.
func (n *naive) paths(from, to string, maxDepth int) [][]graph.Edge {
	var out [][]graph.Edge
	onPath := map[string]bool{from: true}
	var cur []graph.Edge
	var rec func(u string, afterAccess bool)
	rec = func(u string, afterAccess bool) {
		if len(cur) >= maxDepth {
			return
		}
		for _, e := range n.out[u] {
			if onPath[e.To] {
				continue
			}
			var next bool
			switch {
			case afterAccess && e.Kind.Containment(), !afterAccess && e.Kind.Terminal():
				next = true
			case !afterAccess && e.Kind.Traversal():
			default:
				continue
			}
			if e.To == to {
				out = append(out, append(slices.Clone(cur), e))
				continue
			}
			onPath[e.To] = true
			cur = append(cur, e)
			rec(e.To, next)
			cur = cur[:len(cur)-1]
			onPath[e.To] = false
		}
	}
	rec(from, false)
	return out
}

func randomGraph(rng *rand.Rand, nPrincipals, nResources, nEdges int) ([]graph.Node, []graph.Edge) {
	var nodes []graph.Node
	kinds := []graph.Kind{graph.KindIdentity, graph.KindAccount, graph.KindGroup, graph.KindRole,
		graph.KindCredential}
	for i := range nPrincipals {
		nodes = append(nodes, node(fmt.Sprintf("p%02d", i), kinds[rng.IntN(len(kinds))], 0))
	}
	for i := range nResources {
		nodes = append(nodes, node(fmt.Sprintf("r%02d", i), graph.KindResource,
			graph.Sensitivity(1+rng.IntN(4))))
	}
	trav := []graph.EdgeKind{graph.EdgeMemberOf, graph.EdgeHasRole, graph.EdgeCanAssume,
		graph.EdgeEscalates, graph.EdgeOwns}
	var edges []graph.Edge
	seen := map[string]int{}
	add := func(e graph.Edge) {
		if i, ok := seen[e.ID()]; ok {
			edges[i].Privilege = max(edges[i].Privilege, e.Privilege)
			return
		}
		seen[e.ID()] = len(edges)
		edges = append(edges, e)
	}
	for range nEdges / 6 {
		a, b := rng.IntN(nResources), rng.IntN(nResources)
		if a != b {
			add(edge(fmt.Sprintf("r%02d", a), graph.EdgeContains, fmt.Sprintf("r%02d", b), 0))
		}
	}
	for range nEdges {
		from := fmt.Sprintf("p%02d", rng.IntN(nPrincipals))
		if rng.IntN(3) == 0 {
			to := fmt.Sprintf("r%02d", rng.IntN(nResources))
			add(edge(from, graph.EdgeAccess, to, graph.Privilege(1+rng.IntN(3)), fmt.Sprintf("act%d", rng.IntN(3))))
			continue
		}
		to := fmt.Sprintf("p%02d", rng.IntN(nPrincipals))
		if to == from {
			continue
		}
		add(edge(from, trav[rng.IntN(len(trav))], to, 0))
	}
	return nodes, edges
}

// best is the oracle's answer for one (start, target) pair: the highest
// privilege over all paths (that of the path's ACCESS step) and the shortest
// length among those granting it.
func best(ps [][]graph.Edge) (graph.Privilege, int) {
	bp, bl := graph.PrivNone, -1
	for _, p := range ps {
		pv := graph.PrivNone
		for _, e := range p {
			if e.Kind == graph.EdgeAccess {
				pv = e.Privilege
			}
		}
		if pv == graph.PrivNone {
			continue
		}
		if pv > bp || (pv == bp && len(p) < bl) {
			bp, bl = pv, len(p)
		}
	}
	return bp, bl
}

// TestAgainstBruteForce checks all three algorithms against exhaustive
// enumeration on random graphs with cycles.
func TestAgainstBruteForce(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			nodes, edges := randomGraph(rng, 12, 5, 45)
			s := FromElements(nodes, edges)
			nv := newNaive(nodes, edges)
			for _, limit := range []int{0, 2, 3} {
				checkOracle(t, s, nv, nodes, limit)
			}
		})
	}
}

// checkOracle compares the three algorithms with brute force at one depth
// bound (0: unbounded).
func checkOracle(t *testing.T, s *Snapshot, nv *naive, nodes []graph.Node, limit int) {
	depth := limit
	if depth == 0 {
		depth = 20 // longer than any simple path here
	}
	{
		{
			for _, from := range nodes[:12] {
				br, err := s.BlastRadius(BlastRadiusQuery{From: from.ID, MaxDepth: limit})
				require.NoError(t, err)
				got := map[string]Reach{}
				for _, r := range br.Reaches {
					got[r.Resource.ID] = r
				}
				for _, to := range nodes[12:] {
					all := nv.paths(from.ID, to.ID, depth)
					bp, bl := best(all)
					r, ok := got[to.ID]
					if bl < 0 {
						require.False(t, ok, "%s should not reach %s", from.ID, to.ID)
						continue
					}
					require.True(t, ok, "%s should reach %s", from.ID, to.ID)
					require.Equal(t, bp, r.Privilege, "%s -> %s", from.ID, to.ID)
					if limit == 0 {
						require.Equal(t, pathActions(all), r.Actions, "%s -> %s actions", from.ID, to.ID)
					}
					require.Equal(t, bl, r.Witness.Len(), "%s -> %s witness", from.ID, to.ID)
					require.Equal(t, from.ID, r.Witness.Nodes[0].ID)

					ps, err := s.Paths(PathsQuery{From: from.ID, To: to.ID, MaxDepth: depth,
						MaxPaths: 100000})
					require.NoError(t, err)
					require.Equal(t, edgeSeqs(all, from.ID), pathSeqs(ps), "%s -> %s paths, depth %d",
						from.ID, to.ID, depth)
					for i := 1; i < len(ps); i++ {
						require.LessOrEqual(t, ps[i-1].Len(), ps[i].Len(), "shortest first")
					}
				}
			}
			for _, to := range nodes[12:] {
				wr, err := s.WhoCanReach(WhoCanReachQuery{Resource: to.ID, MaxDepth: limit})
				require.NoError(t, err)
				got := map[string]Reacher{}
				for _, r := range wr.Reachers {
					got[r.Principal.ID] = r
				}
				for _, from := range nodes[:12] {
					bp, bl := best(nv.paths(from.ID, to.ID, depth))
					r, ok := got[from.ID]
					if bl < 0 {
						require.False(t, ok, "%s should not be a reacher of %s", from.ID, to.ID)
						continue
					}
					require.True(t, ok, "%s should reach %s", from.ID, to.ID)
					require.Equal(t, bp, r.Privilege)
					require.Equal(t, bl, r.Witness.Len())
				}
			}
		}
	}
}

func TestSearch(t *testing.T) {
	s := fixture()
	got := s.Search("ALEX", nil, 10)
	require.Len(t, got, 2)
	require.Equal(t, "alex", got[0].ID, "exact match first")
	got = s.Search("a", []graph.Kind{graph.KindRole}, 10)
	require.Equal(t, []string{"admin", "reader"}, []string{got[0].ID, got[1].ID})
	require.True(t, errors.Is(fmt.Errorf("x: %w", graph.ErrNotFound), graph.ErrNotFound))
}

// edgeSeqs renders oracle paths as sorted "a>b>c" strings.
func edgeSeqs(all [][]graph.Edge, from string) []string {
	out := make([]string, 0, len(all))
	for _, p := range all {
		ids := []string{from}
		for _, e := range p {
			ids = append(ids, e.Kind.String()+">"+e.To)
		}
		out = append(out, strings.Join(ids, ">"))
	}
	slices.Sort(out)
	return out
}

// pathSeqs renders projection paths the same way.
func pathSeqs(ps []Path) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		ids := []string{p.Nodes[0].ID}
		for i, st := range p.Steps {
			ids = append(ids, st.Kind.String()+">"+p.Nodes[i+1].ID)
		}
		out = append(out, strings.Join(ids, ">"))
	}
	slices.Sort(out)
	return out
}

// A wildcard scope contains a concrete resource: access to the scope is
// access to the resource, and the witness says so.
func TestContainment(t *testing.T) {
	s := FromElements([]graph.Node{
		node("ops", graph.KindAccount, 0),
		node("dev", graph.KindAccount, 0),
		node("all", graph.KindResource, graph.SensCritical),
		node("ns", graph.KindResource, graph.SensHigh),
		node("secrets", graph.KindResource, graph.SensCritical),
	}, []graph.Edge{
		edge("ops", graph.EdgeAccess, "all", graph.PrivAdmin, "*"),
		edge("dev", graph.EdgeAccess, "secrets", graph.PrivRead, "get"),
		edge("all", graph.EdgeContains, "ns", 0),
		edge("ns", graph.EdgeContains, "secrets", 0),
	})
	wr, err := s.WhoCanReach(WhoCanReachQuery{Resource: "secrets"})
	require.NoError(t, err)
	require.Len(t, wr.Reachers, 2)
	require.Equal(t, "ops", wr.Reachers[0].Principal.ID)
	require.Equal(t, graph.PrivAdmin, wr.Reachers[0].Privilege)
	require.Equal(t, []string{"*"}, wr.Reachers[0].Actions)
	require.Equal(t, []string{"ops", "all", "ns", "secrets"}, pathIDs(wr.Reachers[0].Witness))
	require.Equal(t, graph.PrivRead, wr.Reachers[1].Privilege)

	br, err := s.BlastRadius(BlastRadiusQuery{From: "ops"})
	require.NoError(t, err)
	require.Equal(t, 3, br.Totals.Resources)
	for _, r := range br.Reaches {
		require.Equal(t, graph.PrivAdmin, r.Privilege, r.Resource.ID)
		require.Equal(t, []string{"*"}, r.Actions, r.Resource.ID)
	}
	ps, err := s.Paths(PathsQuery{From: "ops", To: "secrets"})
	require.NoError(t, err)
	require.Len(t, ps, 1)
	require.Equal(t, graph.PrivAdmin, ps[0].Privilege)
	// Depth 2 is too short for the chain.
	br, err = s.BlastRadius(BlastRadiusQuery{From: "ops", MaxDepth: 2})
	require.NoError(t, err)
	require.Equal(t, 2, br.Totals.Resources)
}

// Asking for a window of witnesses changes nothing but which witnesses (and,
// for blast radius, which action unions) are built: order and privileges
// are those of the full answer.
func TestWitnessWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	nodes, edges := randomGraph(rng, 30, 12, 160)
	s := FromElements(nodes, edges)
	for _, n := range nodes[:30] {
		full, err := s.BlastRadius(BlastRadiusQuery{From: n.ID})
		require.NoError(t, err)
		win, err := s.BlastRadius(BlastRadiusQuery{From: n.ID, Witnesses: Window{Offset: 2, Limit: 3}})
		require.NoError(t, err)
		require.Len(t, win.Reaches, len(full.Reaches))
		for i := range full.Reaches {
			require.Equal(t, full.Reaches[i].Resource, win.Reaches[i].Resource)
			require.Equal(t, full.Reaches[i].Privilege, win.Reaches[i].Privilege)
			if i >= 2 && i < 5 {
				require.Equal(t, full.Reaches[i].Actions, win.Reaches[i].Actions)
				require.Equal(t, full.Reaches[i].Witness, win.Reaches[i].Witness)
			} else {
				require.Nil(t, win.Reaches[i].Actions)
				require.Empty(t, win.Reaches[i].Witness.Steps)
			}
		}
	}
	for _, n := range nodes[30:] {
		full, err := s.WhoCanReach(WhoCanReachQuery{Resource: n.ID})
		require.NoError(t, err)
		win, err := s.WhoCanReach(WhoCanReachQuery{Resource: n.ID, Witnesses: Window{Offset: 1, Limit: 2}})
		require.NoError(t, err)
		require.Len(t, win.Reachers, len(full.Reachers))
		for i := range full.Reachers {
			require.Equal(t, full.Reachers[i].Principal, win.Reachers[i].Principal)
			require.Equal(t, full.Reachers[i].Privilege, win.Reachers[i].Privilege)
			require.Equal(t, full.Reachers[i].Actions, win.Reachers[i].Actions)
			if i >= 1 && i < 3 {
				require.Equal(t, full.Reachers[i].Witness, win.Reachers[i].Witness)
			}
		}
	}
}

// pathActions is the union of the ACCESS actions over a set of paths.
func pathActions(ps [][]graph.Edge) []string {
	set := map[string]bool{}
	for _, p := range ps {
		for _, e := range p {
			if e.Kind == graph.EdgeAccess {
				for _, a := range e.Actions {
					set[a] = true
				}
			}
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
