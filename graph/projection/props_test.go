package projection

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// Node IDs and names survive the snapshot's packed text byte for byte,
// whatever bytes they hold and however long they are, and lookups by ID
// find every node and only those.
func TestNodeTextRoundTrip(t *testing.T) {
	long := strings.Repeat("ä", 300)
	nodes := []graph.Node{
		{ID: "b", Kind: graph.KindAccount, Subkind: "okta-user", Name: "Alex", Source: "okta:x", SyncRun: "r1",
			Props: map[string]string{graph.PropEmail: "alex@example.com"}},
		{ID: "a", Kind: graph.KindResource, Name: "a", Source: "okta:x", Sensitivity: graph.SensHigh},
		{ID: "z\x00nul", Kind: graph.KindGroup, Name: "", Source: "s"},
		{ID: long, Kind: graph.KindGroup, Name: long + "!", Source: "s", SyncRun: "r2"},
		{ID: "b", Kind: graph.KindAccount, Name: "duplicate, dropped", Source: "okta:x"},
	}
	s := FromElements(nodes, nil)
	require.Equal(t, 4, s.Stats().Nodes)
	for _, n := range nodes[:4] {
		ref, ok := s.Node(n.ID)
		require.True(t, ok, n.ID)
		require.Equal(t, NodeRef{ID: n.ID, Kind: n.Kind, Subkind: n.Subkind, Name: n.Name, Source: n.Source,
			Sensitivity: n.Sensitivity}, ref)
		run, ok := s.SyncRun(n.ID)
		require.True(t, ok)
		require.Equal(t, n.SyncRun, run)
	}
	for _, missing := range []string{"", "c", "b\x00", long + "x", "z"} {
		_, ok := s.Node(missing)
		require.False(t, ok, "%q", missing)
	}
}

// HeapBytes grows by exactly the edge arrays' 18 bytes per edge (target,
// source, edge id, attribute index: 4 bytes each; kind and privilege: 1
// each) when edges are added between the same nodes, and counts the node
// records and text on top of the edge arrays.
func TestHeapBytesPerEdge(t *testing.T) {
	var nodes []graph.Node
	for i := range 100 {
		nodes = append(nodes, graph.Node{ID: fmt.Sprintf("node-%03d", i), Kind: graph.KindGroup, Name: "group", Source: "s"})
	}
	edges := func(m int) []graph.Edge {
		var out []graph.Edge
		for k := range m {
			out = append(out, graph.Edge{From: nodes[k%100].ID, To: nodes[(k/100+k%100+1)%100].ID, Kind: graph.EdgeMemberOf})
		}
		return out
	}
	small, big := FromElements(nodes, edges(1000)), FromElements(nodes, edges(3000))
	require.Equal(t, 1000, small.Stats().Edges)
	require.Equal(t, 3000, big.Stats().Edges)
	require.Equal(t, 2000*18, big.HeapBytes()-small.HeapBytes())
	// 100 records of 24 bytes, and each ID (8 bytes and a length byte) and
	// the shared name "group" (6 bytes) in the text.
	require.GreaterOrEqual(t, small.HeapBytes()-small.MemoryBytes(), 100*24+100*(9+6))
}
