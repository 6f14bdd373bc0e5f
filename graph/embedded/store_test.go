package embedded

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/storetest"
)

func TestConformance(t *testing.T) {
	open := func(t *testing.T) graph.Store {
		st, err := Open(t.TempDir(), Options{})
		require.NoError(t, err)
		return st
	}
	t.Run("staging in memory", func(t *testing.T) { storetest.Run(t, open) })
	t.Run("staging in the file", func(t *testing.T) {
		smallSpill(t)
		storetest.Run(t, open)
	})
}

// A run whose process dies is abandoned on the next open and nothing it
// staged becomes visible.
func TestAbandonedRunOnReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(dir, Options{})
	require.NoError(t, err)
	b := graph.NewBatch("s1")
	b.AddNode(graph.Node{ID: "a", Kind: graph.KindAccount, Name: "a"})
	storetest.Ingest(t, st, b)
	r, err := st.BeginRun(ctx, "s1")
	require.NoError(t, err)
	require.NoError(t, st.UpsertNodes(ctx, r.ID, []graph.Node{{ID: "b", Kind: graph.KindAccount,
		Name: "b", Source: "s1"}}))
	require.NoError(t, st.Close()) // the "crash": the run never finishes

	st, err = Open(dir, Options{})
	require.NoError(t, err)
	defer st.Close()
	got, err := st.Run(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, graph.RunAbandoned, got.Status)
	nodes, _ := storetest.Dump(t, st)
	require.Equal(t, []string{"a"}, nodes)
	_, err = st.FinishRun(ctx, r.ID)
	require.ErrorIs(t, err, graph.ErrRunNotActive)
}

func TestLockedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, Options{})
	require.NoError(t, err)
	defer st.Close()
	_, err = Open(dir, Options{LockTimeout: 50e6})
	require.ErrorContains(t, err, "another accessgraph process holds it")
}

// A run reports what changed since the source's previous complete run.
func TestDrift(t *testing.T) {
	st, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer st.Close()
	b := graph.NewBatch("s1")
	b.AddNode(graph.Node{ID: "a", Kind: graph.KindAccount, Name: "a"})
	b.AddNode(graph.Node{ID: "b", Kind: graph.KindAccount, Name: "b"})
	b.AddNode(graph.Node{ID: "g", Kind: graph.KindGroup, Name: "g"})
	b.AddEdge(graph.Edge{From: "a", To: "g", Kind: graph.EdgeMemberOf})
	first := storetest.Ingest(t, st, b)
	require.Equal(t, 3, first.Stats.Drift.NodesAdded)
	require.Equal(t, 1, first.Stats.Drift.EdgesAdded)

	same := storetest.Ingest(t, st, b)
	require.True(t, same.Stats.Drift.Empty(), "re-ingesting the same data drifts nothing")

	c := graph.NewBatch("s1")
	c.AddNode(graph.Node{ID: "a", Kind: graph.KindAccount, Name: "a (renamed)"})
	c.AddNode(graph.Node{ID: "g", Kind: graph.KindGroup, Name: "g"})
	c.AddNode(graph.Node{ID: "n", Kind: graph.KindAccount, Name: "n"})
	c.AddEdge(graph.Edge{From: "n", To: "g", Kind: graph.EdgeMemberOf})
	r := storetest.Ingest(t, st, c)
	d := r.Stats.Drift
	require.ElementsMatch(t, []string{"n", "n|MEMBER_OF|g"}, d.Added)
	require.Equal(t, []string{"a"}, d.Changed)
	require.ElementsMatch(t, []string{"b", "a|MEMBER_OF|g"}, d.Removed)
	require.Equal(t, 1, d.NodesRemoved)
	require.Equal(t, 1, d.EdgesRemoved)
}
