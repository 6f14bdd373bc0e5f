package graph

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sortedBatch() *Batch {
	b := NewBatch("s")
	// Edge ID order is not From order: "u10|" < "u1|".
	for _, id := range []string{"u2", "u10", "u1", "g", "r"} {
		b.AddNode(Node{ID: id, Kind: KindAccount})
	}
	for _, from := range []string{"u2", "u10", "u1"} {
		b.AddEdge(Edge{From: from, To: "g", Kind: EdgeMemberOf})
		b.AddEdge(Edge{From: from, To: "r", Kind: EdgeAccess, Privilege: PrivRead, Actions: []string{"get"}})
	}
	return b
}

// Sorted hands out the elements Nodes and Edges return, in the same order,
// in chunks appended to a reused slice.
func TestSortedMatchesNodesAndEdges(t *testing.T) {
	b := sortedBatch()
	s, err := b.Sorted()
	require.NoError(t, err)
	nn, ne := s.Len()
	require.Equal(t, 5, nn)
	require.Equal(t, 6, ne)
	var nodes []Node
	buf := make([]Node, 0, 2)
	for i := 0; i < nn; i += 2 {
		buf = s.AppendNodes(buf[:0], i, min(i+2, nn))
		nodes = append(nodes, buf...)
	}
	require.Equal(t, b.Nodes(), nodes)
	var edges []Edge
	ebuf := make([]Edge, 0, 4)
	for i := 0; i < ne; i += 4 {
		ebuf = s.AppendEdges(ebuf[:0], i, min(i+4, ne))
		edges = append(edges, ebuf...)
	}
	require.Equal(t, b.Edges(), edges)
	require.True(t, slices.IsSortedFunc(edges, func(x, y Edge) int { return strings.Compare(x.ID(), y.ID()) }))
}

// Many edges are sorted in two halves and merged: the order is the same.
func TestSortedManyEdges(t *testing.T) {
	b := NewBatch("s")
	b.AddNode(Node{ID: "g", Kind: KindGroup})
	for i := range parallelSort + 1001 {
		id := fmt.Sprintf("u%d", (i*7919)%(parallelSort+1001))
		b.AddNode(Node{ID: id, Kind: KindAccount})
		b.AddEdge(Edge{From: id, To: "g", Kind: EdgeMemberOf})
	}
	s, err := b.Sorted()
	require.NoError(t, err)
	_, ne := s.Len()
	require.Equal(t, b.Edges(), s.AppendEdges(nil, 0, ne))
}

// Sorted refuses what Validate refuses, with the same message.
func TestSortedValidates(t *testing.T) {
	cases := map[string]func(b *Batch){
		"edge to a node not in the batch": func(b *Batch) {
			b.AddEdge(Edge{From: "u1", To: "ghost", Kind: EdgeMemberOf})
		},
		"edge from a node not in the batch": func(b *Batch) {
			b.AddEdge(Edge{From: "ghost", To: "g", Kind: EdgeMemberOf})
		},
		"node without a kind":    func(b *Batch) { b.AddNode(Node{ID: "x"}) },
		"edge without a kind":    func(b *Batch) { b.AddEdge(Edge{From: "u1", To: "r"}) },
		"edge with a bad tier":   func(b *Batch) { b.AddEdge(Edge{From: "u1", To: "r", Kind: EdgeAccess, Privilege: 99}) },
		"node with an empty id":  func(b *Batch) { b.AddNode(Node{Kind: KindGroup, Name: "nameless"}) },
		"edge with an empty end": func(b *Batch) { b.AddEdge(Edge{From: "u1", Kind: EdgeMemberOf}) },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			b := sortedBatch()
			spoil(b)
			want := b.Validate()
			require.Error(t, want)
			s, err := b.Sorted()
			require.Nil(t, s)
			require.EqualError(t, err, want.Error())
		})
	}
	b := sortedBatch()
	b.Source = ""
	_, err := b.Sorted()
	require.EqualError(t, err, "batch: empty source")
}

// Sorted allocates nothing per element: a few slices, and the rank map's
// tables (one per about a thousand nodes).
func TestSortedAllocations(t *testing.T) {
	build := func(n int) *Batch {
		b := NewBatch("s")
		for i := range n {
			id := fmt.Sprintf("u%05d", i)
			b.AddNode(Node{ID: id, Kind: KindAccount})
			if i > 0 {
				b.AddEdge(Edge{From: id, To: "u00000", Kind: EdgeMemberOf})
			}
		}
		return b
	}
	small, big := build(1000), build(20000)
	allocs := func(b *Batch) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := b.Sorted(); err != nil {
				t.Fatal(err)
			}
		})
	}
	require.LessOrEqual(t, allocs(small), 24.0)
	require.Less(t, allocs(big)/40000, 0.005, "allocations per element")
	require.NoError(t, small.Validate())
	require.Zero(t, testing.AllocsPerRun(5, func() { _ = small.Validate() }))
}

// xorshift returns a seeded generator of numbers in [0, n).
func xorshift(seed uint64) func(n int) int {
	return func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
}

// CompareEdgeIDs orders edges exactly as strings.Compare orders their IDs,
// which is the order stores and earlier releases saw: random IDs drawn from
// a small alphabet that includes '|' and the letters and digits around it,
// with shared prefixes, empty-looking tails and every edge kind.
func TestCompareEdgeIDsMatchesIDOrder(t *testing.T) {
	alphabet := []string{"u", "1", "10", "|", "|M", "A", "MEMBER_OF", "_", "~", "0", "a|b"}
	next := xorshift(42)
	word := func() string {
		var sb strings.Builder
		for range 1 + next(4) {
			sb.WriteString(alphabet[next(len(alphabet))])
		}
		return sb.String()
	}
	kinds := []EdgeKind{EdgeMemberOf, EdgeHasAccount, EdgeAccess, EdgeContains, EdgeCanAssume, EdgeOnBehalfOf}
	edges := make([]*Edge, 3000)
	for i := range edges {
		edges[i] = &Edge{From: word(), To: word(), Kind: kinds[next(len(kinds))]}
	}
	sign := func(c int) int { return max(-1, min(1, c)) }
	for i := range edges {
		for j := range 40 {
			x, y := edges[i], edges[(i*31+j*17)%len(edges)]
			require.Equal(t, sign(strings.Compare(x.ID(), y.ID())), sign(CompareEdgeIDs(x, y)),
				"%q vs %q", x.ID(), y.ID())
		}
	}
	// Prefix cases by hand: "u1" < "u10" as strings, but "u10|..." < "u1|...".
	a, b := &Edge{From: "u1", Kind: EdgeMemberOf, To: "g"}, &Edge{From: "u10", Kind: EdgeMemberOf, To: "g"}
	require.Equal(t, 1, CompareEdgeIDs(a, b))
	require.Equal(t, -1, CompareEdgeIDs(b, a))
	require.Zero(t, CompareEdgeIDs(a, a))
}

// Edges are looked up by their parts.
func TestBatchEdgeLookup(t *testing.T) {
	b := sortedBatch()
	e, ok := b.Edge("u10", EdgeAccess, "r")
	require.True(t, ok)
	require.Equal(t, []string{"get"}, e.Actions)
	_, ok = b.Edge("u10", EdgeMemberOf, "r")
	require.False(t, ok)
}

// Sorted's edges come in exactly the order of their ID strings, whether the
// integer ranks sort them (no From holds '|') or ID comparison does (some
// From holds '|'): random batches over an alphabet of prefixes, '|' and the
// bytes around it, with every edge kind, many edges for the two-half sort.
func TestSortedEdgesInIDOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // the parallel ranking and merge
	alphabet := []string{"u", "1", "10", "|", "{", "{|", "A", "M", "_", "~", "0", "z"}
	kinds := EdgeKinds()
	for _, pipes := range []bool{false, true} {
		next := xorshift(7)
		var ids []string
		seen := map[string]bool{}
		for len(ids) < 400 {
			var sb strings.Builder
			for range 1 + next(4) {
				sb.WriteString(alphabet[next(len(alphabet))])
			}
			id := sb.String()
			if seen[id] {
				continue
			}
			seen[id] = true
			ids = append(ids, id)
		}
		b := NewBatch("s")
		for _, id := range ids {
			b.AddNode(Node{ID: id, Kind: KindAccount})
		}
		hasPipe := false
		for {
			if _, ne := b.Len(); ne > parallelSort+5000 {
				break
			}
			from := ids[next(len(ids))]
			if !pipes && strings.Contains(from, "|") {
				continue
			}
			hasPipe = hasPipe || strings.Contains(from, "|")
			b.AddEdge(Edge{From: from, To: ids[next(len(ids))], Kind: kinds[next(len(kinds))]})
		}
		require.Equal(t, pipes, hasPipe)
		s, err := b.Sorted()
		require.NoError(t, err)
		_, ne := s.Len()
		require.Greater(t, ne, parallelSort)
		got := s.AppendEdges(nil, 0, ne)
		ids = ids[:0]
		for i := range got {
			ids = append(ids, got[i].ID())
		}
		require.True(t, slices.IsSorted(ids), "pipes in From: %v", pipes)
		require.Len(t, slices.Compact(ids), ne, "no edge lost or doubled")
	}
}

// An invalid batch is refused with the first invalid edge in ID order, as
// before the ranks (the ranks give up and ID comparison finds it).
func TestSortedReportsFirstInvalidEdge(t *testing.T) {
	b := sortedBatch()
	b.AddEdge(Edge{From: "u2", To: "nowhere", Kind: EdgeMemberOf})
	b.AddEdge(Edge{From: "u10", To: "nowhere", Kind: EdgeMemberOf})
	_, err := b.Sorted()
	require.EqualError(t, err, `edge u10|MEMBER_OF|nowhere: target node "nowhere" is not in the batch`)
}

// The ranks themselves: they sort a valid batch (the fallback is not what
// made the order right), give up on a From with '|' or a missing endpoint
// without touching the slice, and comparePiped is a strict order.
func TestRankSortEdges(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // the parallel ranking and merge
	b := NewBatch("s")
	var ids []string
	for i := range 3000 {
		id := fmt.Sprintf("u%d", i) // "u1" is a prefix of "u10": ID order is not plain order
		ids = append(ids, id)
		b.AddNode(Node{ID: id, Kind: KindAccount})
	}
	for i := range parallelSort + 100 {
		b.AddEdge(Edge{From: ids[(i*7919)%len(ids)], To: ids[(i*104729+13)%len(ids)], Kind: EdgeMemberOf,
			Source: "s"})
	}
	s, err := b.Sorted()
	require.NoError(t, err)
	refs := slices.Clone(s.edges)
	slices.Reverse(refs)
	require.True(t, rankSortEdges(s.nodes, refs))
	require.Equal(t, s.edges, refs)
	got := make([]string, len(refs))
	for i, e := range refs {
		got[i] = e.ID()
	}
	require.True(t, slices.IsSorted(got))

	bad := []*Edge{{From: "u1", To: "u2", Kind: EdgeMemberOf, Source: "s"},
		{From: "u1", To: "nowhere", Kind: EdgeMemberOf, Source: "s"}}
	before := slices.Clone(bad)
	require.False(t, rankSortEdges(s.nodes, bad))
	require.Equal(t, before, bad)
	b.AddNode(Node{ID: "a|b", Kind: KindAccount})
	s2, err := b.Sorted()
	require.NoError(t, err)
	require.False(t, rankSortEdges(s2.nodes, []*Edge{{From: "a|b", To: "u1", Kind: EdgeMemberOf, Source: "s"}}))

	for _, c := range []struct {
		a, b string
		want int
	}{{"x", "x|a", -1}, {"x|a", "x", 1}, {"x", "x", 0}, {"u1", "u10", 1}, {"u10", "u1", -1}, {"x", "x}", -1},
		{"x", "x{", 1}, {"", "|", -1}} {
		require.Equal(t, c.want, comparePiped(c.a, c.b), "%q vs %q", c.a, c.b)
		require.Equal(t, max(-1, min(1, strings.Compare(c.a+"|", c.b+"|"))), comparePiped(c.a, c.b))
	}
}
