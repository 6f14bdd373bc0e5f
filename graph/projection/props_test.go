package projection

import (
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
