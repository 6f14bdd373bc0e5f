package k8s

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// datasetPath returns a file of the shared datasets (repo root + "/../shared/datasets"),
// skipping the test if the folder is absent.
func datasetPath(t *testing.T, parts ...string) string {
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
	return filepath.Join(append([]string{base}, parts...)...)
}

// parseTestdata parses files of testdata/ with cluster "test".
func parseTestdata(t *testing.T, opt Options, names ...string) (*graph.Batch, *Report) {
	t.Helper()
	if opt.Cluster == "" {
		opt.Cluster = "test"
	}
	var files []File
	for _, n := range names {
		f, err := os.Open(filepath.Join("testdata", n))
		require.NoError(t, err)
		t.Cleanup(func() { _ = f.Close() })
		files = append(files, File{Name: n, R: f})
	}
	b, rep, err := ParseWithReport(opt, files...)
	require.NoError(t, err)
	require.NoError(t, b.Validate())
	return b, rep
}

// edge returns the edge from -kind-> to, failing the test if it is absent.
func edge(t *testing.T, b *graph.Batch, from string, k graph.EdgeKind, to string) *graph.Edge {
	t.Helper()
	e, ok := b.Edge(from, k, to)
	require.Truef(t, ok, "missing edge %s", graph.EdgeID(from, k, to))
	return e
}

func hasEdge(b *graph.Batch, from string, k graph.EdgeKind, to string) bool {
	_, ok := b.Edge(from, k, to)
	return ok
}

// targets lists the targets of from's edges of kind k, sorted.
func targets(b *graph.Batch, from string, k graph.EdgeKind) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.From == from && e.Kind == k {
			out = append(out, e.To)
		}
	}
	return out
}

// heldAccess returns the ACCESS edges a principal holds by binding alone:
// following MEMBER_OF and HAS_ROLE, not escalations.
func heldAccess(b *graph.Batch, principal string) []graph.Edge {
	seen := map[string]bool{principal: true}
	queue := []string{principal}
	var out []graph.Edge
	edges := b.Edges()
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range edges {
			if e.From != cur {
				continue
			}
			switch e.Kind {
			case graph.EdgeAccess:
				out = append(out, e)
			case graph.EdgeMemberOf, graph.EdgeHasRole:
				if !seen[e.To] {
					seen[e.To] = true
					queue = append(queue, e.To)
				}
			}
		}
	}
	return out
}

// reachable returns every node reachable from start along traversal edges.
func reachable(b *graph.Batch, start string) map[string]bool {
	seen := map[string]bool{start: true}
	queue := []string{start}
	edges := b.Edges()
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range edges {
			if e.From == cur && e.Kind.Traversal() && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	return seen
}

func nodeIDs(b *graph.Batch, subkind string) []string {
	var out []string
	for _, n := range b.Nodes() {
		if n.Subkind == subkind {
			out = append(out, n.ID)
		}
	}
	return out
}

func sortedUnion(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func fileOf(t *testing.T, path string) File {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return File{Name: path, R: f}
}
