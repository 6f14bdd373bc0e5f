package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/storetest"
)

// refStore is the Store contract written as plainly as possible: the
// oracle for TestAgainstReference.
type refStore struct {
	nodes map[string]graph.Node
	edges map[string]graph.Edge
}

func (r *refStore) run(source string, nodes []graph.Node, edges []graph.Edge) (d graph.Drift, nodesSwept, edgesSwept int) {
	wroteN, wroteE := map[string]bool{}, map[string]bool{}
	for _, n := range nodes {
		old, ok := r.nodes[n.ID]
		if ok && old.Source != source && n.Props[graph.PropStub] == "true" && old.Props[graph.PropStub] != "true" {
			continue
		}
		wroteN[n.ID] = true
		switch {
		case !ok:
			d.NodesAdded++
		case fmt.Sprint(old) != fmt.Sprint(n):
			d.NodesChanged++
		}
		r.nodes[n.ID] = n
	}
	for _, e := range edges {
		id := e.ID()
		wroteE[id] = true
		old, ok := r.edges[id]
		switch {
		case !ok:
			d.EdgesAdded++
		case fmt.Sprint(old) != fmt.Sprint(e):
			d.EdgesChanged++
		}
		r.edges[id] = e
	}
	for id, e := range r.edges {
		if e.Source == source && !wroteE[id] {
			delete(r.edges, id)
			edgesSwept++
		}
	}
	for id, n := range r.nodes {
		if n.Source == source && !wroteN[id] {
			delete(r.nodes, id)
			nodesSwept++
			for eid, e := range r.edges {
				if e.From == id || e.To == id {
					delete(r.edges, eid)
					edgesSwept++
				}
			}
		}
	}
	d.NodesRemoved, d.EdgesRemoved = nodesSwept, edgesSwept
	return d, nodesSwept, edgesSwept
}

// TestAgainstReference writes random runs of three sources (stubs,
// takeovers, IDs with '|' that split a From's edges in ID order, duplicate
// and unsorted upserts) and checks every run's stats and drift counts, and
// the whole committed graph, against refStore.
func TestAgainstReference(t *testing.T) {
	t.Run("staging in memory", testAgainstReference)
	// A few bytes in memory, the rest in the file, records across blocks
	// and across the boundary.
	t.Run("staging in the file", func(t *testing.T) {
		smallSpill(t)
		testAgainstReference(t)
	})
}

// smallSpill holds 37 bytes of each spill in memory, in blocks of 16, for
// the rest of the test.
func smallSpill(t *testing.T) {
	mem, block := spillMem, spillBlock
	spillMem, spillBlock = 37, 16
	t.Cleanup(func() { spillMem, spillBlock = mem, block })
}

func testAgainstReference(t *testing.T) {
	ctx := context.Background()
	st, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	ref := &refStore{nodes: map[string]graph.Node{}, edges: map[string]graph.Edge{}}
	rng := rand.New(rand.NewPCG(7, 11))
	// Edge ID order is not From order: "ab|" < "a|" and "u10|" < "u1|".
	idSets := [][]string{{"a", "a|B", "a|ACCESS", "ab", "b", "c", "g", "g|x", "r1", "r2"},
		{"a", "ab", "u1", "u10", "u100", "u2", "g", "r1"}}
	kinds := []graph.EdgeKind{graph.EdgeMemberOf, graph.EdgeAccess, graph.EdgeHasRole}
	sources := []string{"s1", "s2", "s3"}
	for round := range 120 {
		src := sources[rng.IntN(len(sources))]
		ids := idSets[round%2]
		var nodes []graph.Node
		for _, id := range ids {
			if rng.IntN(3) == 0 {
				continue
			}
			n := graph.Node{ID: id, Kind: graph.KindAccount, Name: fmt.Sprintf("%s-%d", id, rng.IntN(2)), Source: src}
			if rng.IntN(3) == 0 {
				n.Props = map[string]string{graph.PropStub: "true"}
			}
			nodes = append(nodes, n)
		}
		edgeMap := map[string]graph.Edge{}
		for range rng.IntN(14) {
			e := graph.Edge{From: ids[rng.IntN(len(ids))], To: ids[rng.IntN(len(ids))],
				Kind: kinds[rng.IntN(len(kinds))], Privilege: graph.Privilege(rng.IntN(4)), Source: src}
			if rng.IntN(2) == 0 {
				e.Actions = []string{"x", fmt.Sprint(rng.IntN(2))}
			}
			edgeMap[e.ID()] = e
		}
		var edges []graph.Edge
		for _, e := range edgeMap {
			edges = append(edges, e)
		}
		rng.Shuffle(len(edges), func(i, j int) { edges[i], edges[j] = edges[j], edges[i] })

		r, err := st.BeginRun(ctx, src)
		require.NoError(t, err)
		// Write in chunks of random size, some twice.
		for i := 0; i < len(nodes); {
			j := min(len(nodes), i+1+rng.IntN(4))
			require.NoError(t, st.UpsertNodes(ctx, r.ID, nodes[i:j]))
			if rng.IntN(3) == 0 {
				require.NoError(t, st.UpsertNodes(ctx, r.ID, nodes[i:j]))
			}
			i = j
		}
		for i := 0; i < len(edges); {
			j := min(len(edges), i+1+rng.IntN(4))
			require.NoError(t, st.UpsertEdges(ctx, r.ID, edges[i:j]))
			i = j
		}
		done, err := st.FinishRun(ctx, r.ID)
		require.NoError(t, err)
		wantDrift, ns, es := ref.run(src, nodes, edges)
		got := *done.Stats.Drift
		got.Added, got.Changed, got.Removed = nil, nil, nil
		require.Equal(t, wantDrift, got, "round %d (%s)", round, src)
		require.Equal(t, ns, done.Stats.NodesSwept, "round %d", round)
		require.Equal(t, es, done.Stats.EdgesSwept, "round %d", round)
		require.Equal(t, len(edges), done.Stats.EdgesUpserted)

		var gotN, wantN, gotE, wantE []string
		require.NoError(t, st.Scan(ctx, func(n *graph.Node) error {
			gotN = append(gotN, fmt.Sprintf("%s %s %s %v", n.ID, n.Name, n.Source, n.Props))
			return nil
		}, func(e *graph.Edge) error {
			gotE = append(gotE, fmt.Sprintf("%s %s %s %v", e.ID(), e.Privilege, e.Source, e.Actions))
			return nil
		}))
		for _, n := range ref.nodes {
			wantN = append(wantN, fmt.Sprintf("%s %s %s %v", n.ID, n.Name, n.Source, n.Props))
		}
		for _, e := range ref.edges {
			wantE = append(wantE, fmt.Sprintf("%s %s %s %v", e.ID(), e.Privilege, e.Source, e.Actions))
		}
		slices.Sort(gotN)
		slices.Sort(wantN)
		slices.Sort(gotE)
		slices.Sort(wantE)
		require.Equal(t, wantN, gotN, "round %d", round)
		require.Equal(t, wantE, gotE, "round %d", round)
		n, e, err := st.Counts(ctx)
		require.NoError(t, err)
		require.Equal(t, [2]int{len(wantN), len(wantE)}, [2]int{n, e}, "round %d", round)
	}
}

// Every element carries the latest complete run of its source.
func TestSyncRunIsTheSourcesLatestRun(t *testing.T) {
	ctx := context.Background()
	st, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	b1 := graph.NewBatch("s1")
	b1.AddNode(graph.Node{ID: "a", Kind: graph.KindAccount, Name: "a"})
	b1.AddNode(graph.Node{ID: "g", Kind: graph.KindGroup, Name: "g"})
	b1.AddEdge(graph.Edge{From: "a", To: "g", Kind: graph.EdgeMemberOf})
	b2 := graph.NewBatch("s2")
	b2.AddNode(graph.Node{ID: "x", Kind: graph.KindAccount, Name: "x"})
	storetest.Ingest(t, st, b1)
	r2 := storetest.Ingest(t, st, b2)
	again := storetest.Ingest(t, st, b1)
	require.True(t, again.Stats.Drift.Empty())
	a, err := st.Node(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, again.ID, a.SyncRun)
	x, err := st.Node(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, r2.ID, x.SyncRun)
	require.NoError(t, st.Scan(ctx, func(*graph.Node) error { return nil }, func(e *graph.Edge) error {
		require.Equal(t, again.ID, e.SyncRun)
		return nil
	}))
}

// A store written by schema 1 gets a clear error, not a misread.
func TestSchemaOneRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte("schema"), []byte("1"))
	}))
	require.NoError(t, db.Close())
	_, err = Open(dir, Options{})
	require.ErrorContains(t, err, "store schema version 1")
	require.ErrorContains(t, err, "ingest the sources again")
}

// Spill files of a run whose process died are deleted on the next open.
func TestStaleSpillFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, Options{})
	require.NoError(t, err)
	require.NoError(t, st.Close())
	left := filepath.Join(dir, stagePrefix+"20260101T000000.000000Z-00000000-edges.spill")
	require.NoError(t, os.WriteFile(left, []byte("junk"), 0o600))
	st, err = Open(dir, Options{})
	require.NoError(t, err)
	defer st.Close()
	_, err = os.Stat(left)
	require.ErrorIs(t, err, os.ErrNotExist)
}
