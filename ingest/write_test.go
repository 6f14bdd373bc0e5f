package ingest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/storetest"
)

func batch(n int) *graph.Batch {
	b := graph.NewBatch("src")
	b.AddNode(graph.Node{ID: "g", Kind: graph.KindGroup, Name: "g"})
	for i := range n {
		id := fmt.Sprintf("u%04d", i)
		b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Name: id})
		b.AddEdge(graph.Edge{From: id, To: "g", Kind: graph.EdgeMemberOf})
	}
	return b
}

// openStore opens an empty embedded store, closed when the test ends.
func openStore(t *testing.T) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// An ingest interrupted half-way (here: its context is cancelled after the
// first chunk, as when the process is told to stop) records a failed run,
// sweeps nothing and leaves the previous state; the next run succeeds.
func TestWriteInterruptedKeepsPreviousState(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	_, err := Write(ctx, st, batch(300), WriteOptions{})
	require.NoError(t, err)
	before, beforeEdges := storetest.Dump(t, st)

	cctx, cancel := context.WithCancel(ctx)
	smaller := batch(10) // would sweep 290 accounts if it completed
	run, err := Write(cctx, st, smaller, WriteOptions{BatchSize: 4, AllowShrink: true,
		Progress: func(string, int, int) { cancel() }})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "previous state kept")
	require.Equal(t, graph.RunFailed, run.Status)
	after, afterEdges := storetest.Dump(t, st)
	require.Equal(t, before, after)
	require.Equal(t, beforeEdges, afterEdges)

	done, err := Write(ctx, st, smaller, WriteOptions{AllowShrink: true})
	require.NoError(t, err)
	require.Equal(t, 290, done.Stats.NodesSwept)
	runs, err := st.Runs(ctx, "src", 0)
	require.NoError(t, err)
	require.Equal(t, []graph.RunStatus{graph.RunComplete, graph.RunFailed, graph.RunComplete},
		[]graph.RunStatus{runs[0].Status, runs[1].Status, runs[2].Status})
}

// An invalid batch (an edge to a node nobody reported) is refused before a
// run starts.
func TestWriteRejectsInvalidBatch(t *testing.T) {
	st := openStore(t)
	b := batch(1)
	b.AddEdge(graph.Edge{From: "u0000", To: "ghost", Kind: graph.EdgeMemberOf})
	_, err := Write(context.Background(), st, b, WriteOptions{})
	require.ErrorContains(t, err, `target node "ghost" is not in the batch`)
	runs, err := st.Runs(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, runs)
}

// A source that suddenly reports less than half of what it did is refused
// before anything is written, unless the caller says the shrink is real.
func TestWriteRefusesLargeShrink(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	_, err := Write(ctx, st, batch(300), WriteOptions{})
	require.NoError(t, err)
	before, _ := storetest.Dump(t, st)

	_, err = Write(ctx, st, batch(100), WriteOptions{})
	require.ErrorIs(t, err, ErrShrink)
	require.ErrorContains(t, err, "it now reports 201 nodes and edges")
	require.ErrorContains(t, err, "reported 601")
	after, _ := storetest.Dump(t, st)
	require.Equal(t, before, after)

	_, err = Write(ctx, st, graph.NewBatch("src"), WriteOptions{})
	require.ErrorIs(t, err, ErrShrink, "an empty export sweeps nothing")

	done, err := Write(ctx, st, batch(100), WriteOptions{AllowShrink: true})
	require.NoError(t, err)
	require.Equal(t, 200, done.Stats.NodesSwept)
}

// Consume empties the batch once it is staged; the run still writes every
// element, and so does a failed one's record: nothing is lost with it.
func TestWriteConsumeReleasesTheBatch(t *testing.T) {
	st := openStore(t)
	b := batch(250)
	run, err := Write(context.Background(), st, b, WriteOptions{BatchSize: 100, Consume: true})
	require.NoError(t, err)
	n, e := b.Len()
	require.Zero(t, n+e, "the batch is released")
	require.Equal(t, "src", b.Source)
	require.Equal(t, 251, run.Stats.NodesUpserted)
	require.Equal(t, 250, run.Stats.EdgesUpserted)
	nodes, edges := storetest.Dump(t, st)
	require.Len(t, nodes, 251)
	require.Len(t, edges, 250)
}

// Consume releases a batch whose run failed too, and the failed run keeps
// the previous state: the record of it is the run, not the batch.
func TestWriteConsumeFailedRun(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	_, err := Write(ctx, st, batch(30), WriteOptions{})
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	b := batch(40)
	_, err = Write(cctx, st, b, WriteOptions{BatchSize: 10, Consume: true})
	require.Error(t, err)
	n, e := b.Len()
	require.Zero(t, n+e)
	nodes, _ := storetest.Dump(t, st)
	require.Len(t, nodes, 31, "the previous state")
}
