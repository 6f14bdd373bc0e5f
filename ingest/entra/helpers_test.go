package entra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// mocksFile returns the shared Microsoft Graph mocks file (repo root +
// "/../shared/datasets"), skipping the test if the folder is absent.
func mocksFile(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found above the test directory")
		dir = parent
	}
	base := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(base); err != nil {
		t.Skipf("shared datasets folder %s is absent: skipping the real-data test", base)
	}
	return filepath.Join(base, "msgraph", "graph-v1_0-docs-examples-dev-proxy-mocks.json")
}

// edge returns the edge from -kind-> to, failing the test if it is absent.
func edge(t *testing.T, b *graph.Batch, from string, k graph.EdgeKind, to string) *graph.Edge {
	t.Helper()
	e, ok := b.Edge(from, k, to)
	require.Truef(t, ok, "missing edge %s", graph.EdgeID(from, k, to))
	return e
}

// node returns the node id, failing the test if it is absent.
func node(t *testing.T, b *graph.Batch, id string) *graph.Node {
	t.Helper()
	n, ok := b.Node(id)
	require.Truef(t, ok, "missing node %s", id)
	return n
}

// edgesFrom lists the targets of from's edges of kind k, sorted.
func edgesFrom(b *graph.Batch, from string, k graph.EdgeKind) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.From == from && e.Kind == k {
			out = append(out, e.To)
		}
	}
	return out
}

// edgesTo lists the sources of edges of kind k into to, sorted.
func edgesTo(b *graph.Batch, k graph.EdgeKind, to string) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.To == to && e.Kind == k {
			out = append(out, e.From)
		}
	}
	return out
}
