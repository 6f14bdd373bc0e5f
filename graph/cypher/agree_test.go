package cypher

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// agreement counts what checkAgree compared.
type agreement struct {
	blast, reaches     int // blast-radius queries, reached resources compared
	who, reachers      int // who-can-reach queries, reachers compared
	pairs, paths       int // paths queries, paths compared
	witnessTies        int // equal-length witnesses through different nodes
	actionsFromWitness int // differing actions explained by such a tie
}

func (a agreement) String() string {
	return fmt.Sprintf("%d blastRadius (%d reaches), %d whoCanReach (%d reachers), %d paths queries "+
		"(%d paths); %d witness ties (same length, other nodes), %d of them changing actions",
		a.blast, a.reaches, a.who, a.reachers, a.pairs, a.paths, a.witnessTies, a.actionsFromWitness)
}

func allIDs(s *projection.Snapshot) []string {
	var out []string
	for _, n := range s.Search("", nil, 0) {
		out = append(out, n.ID)
	}
	slices.Sort(out)
	return out
}

func idsOfKind(s *projection.Snapshot, resources bool) []string {
	var out []string
	for _, n := range s.Search("", nil, 0) {
		if (n.Kind == graph.KindResource) == resources {
			out = append(out, n.ID)
		}
	}
	slices.Sort(out)
	return out
}

// pathString renders a path as "a>KIND>b>KIND>c".
func pathString(p projection.Path) string {
	var b strings.Builder
	b.WriteString(p.Nodes[0].ID)
	for i, st := range p.Steps {
		b.WriteString(">" + st.Kind.String() + ">" + p.Nodes[i+1].ID)
	}
	return b.String()
}

// slow logs a Cypher query that took more than a second.
func slow(t *testing.T, start time.Time, q any) {
	if d := time.Since(start); d > time.Second {
		t.Logf("slow cypher query (%s): %+v", d.Round(time.Millisecond), q)
	}
}

// checkWitness checks that w is a valid path from `from` to `to` granting pv.
func checkWitness(t *testing.T, w projection.Path, from, to string, pv graph.Privilege, what string) {
	t.Helper()
	require.NotEmpty(t, w.Steps, what)
	require.Equal(t, from, w.Nodes[0].ID, what)
	require.Equal(t, to, w.Nodes[len(w.Nodes)-1].ID, what)
	require.Equal(t, pv, w.Privilege, what)
	for i, st := range w.Steps {
		require.Equal(t, w.Nodes[i].ID, st.From, what)
		require.Equal(t, w.Nodes[i+1].ID, st.To, what)
	}
}

// spread picks k elements of xs evenly spaced (all of them when k >= len(xs)).
func spread(xs [][2]string, k int) [][2]string {
	if k >= len(xs) {
		return xs
	}
	var out [][2]string
	step := float64(len(xs)) / float64(k)
	for i := range k {
		out = append(out, xs[int(float64(i)*step)])
	}
	return out
}

// checkAgree runs blastRadius from every id of froms, whoCanReach on every id
// of tos, and paths on up to maxPairs reachable (from, to) pairs (every pair
// when maxPairs is 0) through both engines, at depth bound depth, and fails
// on the first difference.
func checkAgree(t *testing.T, ctx context.Context, snap *projection.Snapshot, eng *Engine,
	froms, tos []string, maxPairs int, depths ...int) agreement {
	t.Helper()
	if len(depths) == 0 {
		depths = []int{0}
	}
	var a agreement
	var pairs, far [][2]string // reachable within 6 steps or not
	for _, depth := range depths {
		for _, from := range froms {
			q := projection.BlastRadiusQuery{From: from, MaxDepth: depth}
			want, err := snap.BlastRadius(q)
			require.NoError(t, err)
			start := time.Now()
			got, err := eng.BlastRadius(ctx, q)
			require.NoError(t, err, "cypher %+v", q)
			slow(t, start, q)
			a.blast++
			require.Equal(t, want.From, got.From, "%+v", q)
			require.Equal(t, want.Totals, got.Totals, "blastRadius %+v totals", q)
			for i := range max(len(want.Reaches), len(got.Reaches)) {
				require.Less(t, i, len(got.Reaches), "blastRadius %+v: cypher lacks reach %d %s %s (len %d)",
					q, i, want.Reaches[min(i, len(want.Reaches)-1)].Resource.ID,
					want.Reaches[min(i, len(want.Reaches)-1)].Privilege, len(want.Reaches[min(i, len(want.Reaches)-1)].Witness.Steps))
				require.Less(t, i, len(want.Reaches), "blastRadius %+v: cypher has extra reach %d %s %s",
					q, i, got.Reaches[i].Resource.ID, got.Reaches[i].Privilege)
				w, g := want.Reaches[i], got.Reaches[i]
				wk := fmt.Sprintf("%s %s len %d", w.Resource.ID, w.Privilege, w.Witness.Len())
				gk := fmt.Sprintf("%s %s len %d", g.Resource.ID, g.Privilege, g.Witness.Len())
				require.Equal(t, wk, gk, "blastRadius %+v: reach %d (projection witness %s, cypher %s)",
					q, i, pathString(w.Witness), pathString(g.Witness))
				require.Equal(t, w.Resource, g.Resource)
				checkWitness(t, g.Witness, from, g.Resource.ID, g.Privilege, "cypher witness "+wk)
				// The projection's actions are the union over every path,
				// containers included (checked against brute force in
				// graph/projection); the Cypher engine reports those of the
				// direct ACCESS edges and of its witness, a subset of them.
				require.Subset(t, w.Actions, g.Actions, "blastRadius %+v: %s actions", q, wk)
				if !slices.Equal(w.Actions, g.Actions) {
					a.actionsFromWitness++
				}
				if pathString(w.Witness) != pathString(g.Witness) {
					a.witnessTies++
				} else {
					require.Equal(t, w.Witness, g.Witness, "blastRadius %+v: %s witness", q, wk)
				}
				a.reaches++
				if depth == 0 && w.Witness.Len() <= 6 {
					pairs = append(pairs, [2]string{from, w.Resource.ID})
				} else if depth == 0 {
					far = append(far, [2]string{from, w.Resource.ID})
				}
			}
		}
		for _, to := range tos {
			q := projection.WhoCanReachQuery{Resource: to, MaxDepth: depth}
			want, err := snap.WhoCanReach(q)
			require.NoError(t, err)
			start := time.Now()
			got, err := eng.WhoCanReach(ctx, q)
			require.NoError(t, err, "cypher %+v", q)
			slow(t, start, q)
			a.who++
			require.Equal(t, want.Resource, got.Resource)
			key := func(r projection.Reacher) string {
				return fmt.Sprintf("%s %s len %d", r.Principal.ID, r.Privilege, r.Witness.Len())
			}
			for i := range max(len(want.Reachers), len(got.Reachers)) {
				require.Less(t, i, len(got.Reachers), "whoCanReach %+v: cypher lacks reacher %d: %s", q, i,
					key(want.Reachers[min(i, len(want.Reachers)-1)]))
				require.Less(t, i, len(want.Reachers), "whoCanReach %+v: cypher has extra reacher %d: %s (%s)",
					q, i, key(got.Reachers[i]), pathString(got.Reachers[i].Witness))
				w, g := want.Reachers[i], got.Reachers[i]
				require.Equal(t, key(w), key(g), "whoCanReach %+v: reacher %d (projection witness %s, cypher %s)",
					q, i, pathString(w.Witness), pathString(g.Witness))
				require.Equal(t, w.Principal, g.Principal)
				checkWitness(t, g.Witness, g.Principal.ID, to, g.Privilege, "cypher witness "+key(g))
				if pathString(w.Witness) == pathString(g.Witness) {
					require.Equal(t, w, g, "whoCanReach %+v: reacher %s", q, key(w))
				} else {
					a.witnessTies++
				}
				a.reachers++
			}
			require.Equal(t, want.ByPrivilege, got.ByPrivilege, "whoCanReach %+v", q)
		}
	}
	// A sample takes three quarters of its pairs among those reachable
	// within the paths' depth bound, the rest among the others (no path).
	if maxPairs > 0 {
		near := min(len(pairs), max(maxPairs*3/4, maxPairs-len(far)))
		pairs = append(spread(pairs, near), spread(far, maxPairs-near)...)
	} else {
		pairs = append(pairs, far...)
	}
	for _, p := range pairs {
		q := projection.PathsQuery{From: p[0], To: p[1], MaxDepth: 6, MaxPaths: 100}
		want, err := snap.PathsDetailed(q)
		require.NoError(t, err)
		require.False(t, want.Truncated, "projection truncated %+v", q)
		start := time.Now()
		got, err := eng.Paths(ctx, q)
		require.NoError(t, err, "cypher %+v", q)
		slow(t, start, q)
		a.pairs++
		for i := range max(len(want.Paths), len(got)) {
			require.Less(t, i, len(got), "paths %+v: cypher lacks path %d: %s", q, i,
				pathString(want.Paths[min(i, len(want.Paths)-1)]))
			require.Less(t, i, len(want.Paths), "paths %+v: cypher has extra path %d: %s", q, i,
				pathString(got[i]))
			require.Equal(t, pathString(want.Paths[i]), pathString(got[i]), "paths %+v: path %d", q, i)
			require.Equal(t, want.Paths[i], got[i], "paths %+v: path %d", q, i)
			a.paths++
		}
	}
	return a
}
