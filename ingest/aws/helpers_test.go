package aws

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/datasets"

	"github.com/accessgraph/accessgraph/graph"
)

// datasetsDir returns the shared datasets folder (repo root + /../shared/datasets),
// skipping the test if it is absent.
func datasetsDir(t *testing.T) string {
	return datasets.Dir(t, "aws", "these tests need the public AWS exports")
}

var (
	levelsOnce sync.Once
	levels     *ActionLevels
	errLevels  error
)

// catalogue loads the real action catalogue once.
func catalogue(t *testing.T) *ActionLevels {
	t.Helper()
	path := filepath.Join(datasetsDir(t), "aws", actionLevelsFile)
	levelsOnce.Do(func() { levels, errLevels = LoadActionLevels(path) })
	require.NoError(t, errLevels)
	return levels
}

func parseFile(t *testing.T, path string, opt Options) *graph.Batch {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	b, err := ParseAuthorizationDetails(path, f, opt)
	require.NoError(t, err)
	return b
}

func edge(t *testing.T, b *graph.Batch, from string, k graph.EdgeKind, to string) *graph.Edge {
	t.Helper()
	e, ok := b.Edge(from, k, to)
	require.True(t, ok, "missing edge %s", graph.EdgeID(from, k, to))
	return e
}

func noEdge(t *testing.T, b *graph.Batch, from string, k graph.EdgeKind, to string) {
	t.Helper()
	_, ok := b.Edge(from, k, to)
	require.False(t, ok, "unexpected edge %s", graph.EdgeID(from, k, to))
}

// edgesTo returns the sources of the edges of kind k into to, sorted.
func edgesTo(b *graph.Batch, k graph.EdgeKind, to string) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.Kind == k && e.To == to {
			out = append(out, e.From)
		}
	}
	return out
}

// edgesFrom returns the targets of the edges of kind k out of from, sorted.
func edgesFrom(b *graph.Batch, from string, k graph.EdgeKind) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.Kind == k && e.From == from {
			out = append(out, e.To)
		}
	}
	return out
}
