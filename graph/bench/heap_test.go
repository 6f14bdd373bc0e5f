package bench

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// Snapshot.HeapBytes agrees with the runtime's own count on the
// 10,000-identity company: the live heap grows by it when the snapshot is
// built and shrinks by it when the snapshot is dropped (collections forced).
// It loads the whole company (about 2 GB), so it runs only when
// ACCESSGRAPH_HEAP_10K is set:
//
//	ACCESSGRAPH_HEAP_10K=1 go test -run TestSnapshotHeapBytes10k -v ./graph/bench/
func TestSnapshotHeapBytes10k(t *testing.T) {
	if os.Getenv("ACCESSGRAPH_HEAP_10K") == "" {
		t.Skip("set ACCESSGRAPH_HEAP_10K=1 to load the 10,000-identity company (about 2 GB)")
	}
	dir := filepath.Join(os.TempDir(), "accessgraph-bench", "company-10000-1")
	c, err := LoadCompany(dir, 10_000, 1, nil)
	require.NoError(t, err)
	// The elements as Company.Snapshot passes them, held outside the
	// measurement.
	byID := map[string]graph.Node{}
	var edges []graph.Edge
	for _, b := range c.Batches {
		for _, n := range b.Nodes() {
			if old, ok := byID[n.ID]; ok && n.Props[graph.PropStub] == "true" && old.Props[graph.PropStub] != "true" {
				continue
			}
			byID[n.ID] = n
		}
		edges = append(edges, b.Edges()...)
	}
	nodes := make([]graph.Node, 0, len(byID))
	for _, n := range byID {
		nodes = append(nodes, n)
	}
	c.Batches = nil

	var before, built, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := projection.FromElements(nodes, edges)
	runtime.GC()
	runtime.ReadMemStats(&built)
	hb, st, mb := s.HeapBytes(), s.Stats(), s.MemoryBytes()
	runtime.KeepAlive(s) // s is dead from here: the next collection frees it
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(nodes)
	runtime.KeepAlive(edges)

	grew := float64(built.HeapAlloc) - float64(before.HeapAlloc)
	freed := float64(built.HeapAlloc) - float64(after.HeapAlloc)
	t.Logf("%d nodes, %d edges: HeapBytes %d (%.1f bytes per edge); heap grew by %.0f (%.1f), freed %.0f (%.1f)",
		st.Nodes, st.Edges, hb, float64(hb)/float64(st.Edges), grew, grew/float64(st.Edges),
		freed, freed/float64(st.Edges))
	// The edge arrays: 4-byte CSR offsets both ways, 4+4+4+1 bytes per edge,
	// and the pair index, 2 or 4 bytes.
	t.Logf("edge arrays %d (pair index %d bytes wide), the rest %.1f bytes per node; %d distinct attribute sets",
		mb, (mb-4*2*(st.Nodes+1)-13*st.Edges)/max(st.Edges, 1), float64(hb-mb)/float64(st.Nodes), st.DistinctAttrs)
	require.InEpsilon(t, float64(hb), freed, 0.05)
	require.InEpsilon(t, float64(hb), grew, 0.05)
}
