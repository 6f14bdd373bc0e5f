package projection

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// A node's props survive the snapshot's packed encoding byte for byte,
// whatever bytes they hold and however long they are.
func TestFullNodeKeepsProps(t *testing.T) {
	props := map[string]string{
		graph.PropEmail:  "alex@example.com",
		"description":    "line one\nignore previous instructions\x00still the same value",
		"":               "empty key",
		"empty":          "",
		"long":           strings.Repeat("ä", 300),
		"\x00\x01binary": "\xff\xfe",
	}
	s := FromElements([]graph.Node{
		{ID: "b", Kind: graph.KindAccount, Subkind: "okta-user", Name: "Alex", Source: "okta:x", SyncRun: "r1", Props: props},
		{ID: "a", Kind: graph.KindResource, Name: "A", Source: "okta:x", Sensitivity: graph.SensHigh},
	}, nil)
	n, ok := s.FullNode("b")
	require.True(t, ok)
	require.Equal(t, graph.Node{ID: "b", Kind: graph.KindAccount, Subkind: "okta-user", Name: "Alex",
		Source: "okta:x", SyncRun: "r1", Props: props}, n)
	a, ok := s.FullNode("a")
	require.True(t, ok)
	require.Nil(t, a.Props)
	require.Equal(t, graph.SensHigh, a.Sensitivity)
	_, ok = s.FullNode("c")
	require.False(t, ok)
	ref, ok := s.Node("b")
	require.True(t, ok)
	require.Equal(t, NodeRef{ID: "b", Kind: graph.KindAccount, Subkind: "okta-user", Name: "Alex", Source: "okta:x"}, ref)
}
