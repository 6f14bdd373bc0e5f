// Package storetest is the conformance suite that every graph.Store passes.
// A backend's test calls Run with a function that opens an empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// Opener returns an empty store; the suite closes it.
type Opener func(t *testing.T) graph.Store

// Run runs every conformance check against stores from open.
func Run(t *testing.T, open Opener) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, st graph.Store)
	}{
		{"RunLifecycle", testRunLifecycle},
		{"IdempotentUpsert", testIdempotent},
		{"SweepStale", testSweep},
		{"SweepOnlyOwnSource", testSweepOwnSource},
		{"SweepDanglingEdges", testSweepDangling},
		{"FailedRunSweepsNothing", testFailedRun},
		{"FailedRunChangesNothing", testFailedRunInvisible},
		{"ActiveRunInvisible", testActiveRunInvisible},
		{"StubNeverOverwritesOwner", testStub},
		{"RejectsWrongSource", testWrongSource},
		{"RoundTripFields", testRoundTrip},
		{"WritesAfterFinishRejected", testAfterFinish},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			t.Cleanup(func() { _ = st.Close() })
			tc.fn(t, st)
		})
	}
}

// Ingest writes a whole batch in one run and finishes it.
func Ingest(t *testing.T, st graph.Store, b *graph.Batch) *graph.SyncRun {
	t.Helper()
	ctx := context.Background()
	r, err := st.BeginRun(ctx, b.Source)
	require.NoError(t, err)
	require.Equal(t, graph.RunActive, r.Status)
	require.NoError(t, st.UpsertNodes(ctx, r.ID, b.Nodes()))
	require.NoError(t, st.UpsertEdges(ctx, r.ID, b.Edges()))
	done, err := st.FinishRun(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, graph.RunComplete, done.Status)
	return done
}

// Dump returns every committed node and edge ID, sorted, with the privilege
// of each edge, so two states can be compared.
func Dump(t *testing.T, st graph.Store) (nodes, edges []string) {
	t.Helper()
	err := st.Scan(context.Background(),
		func(n *graph.Node) error { nodes = append(nodes, n.ID); return nil },
		func(e *graph.Edge) error {
			edges = append(edges, fmt.Sprintf("%s@%s", e.ID(), e.Privilege))
			return nil
		})
	require.NoError(t, err)
	slices.Sort(nodes)
	slices.Sort(edges)
	return nodes, edges
}

// sample builds a small batch for source: alice in eng, eng holds a role
// with admin on a bucket; a key of alice's; plus n extra users.
func sample(source string, extra int) *graph.Batch {
	b := graph.NewBatch(source)
	p := source + ":"
	b.AddNode(graph.Node{ID: p + "alice", Kind: graph.KindAccount, Subkind: "user", Name: "alice",
		Props: map[string]string{"email": "alice@example.com"}})
	b.AddNode(graph.Node{ID: p + "eng", Kind: graph.KindGroup, Name: "eng"})
	b.AddNode(graph.Node{ID: p + "admin", Kind: graph.KindRole, Name: "admin"})
	b.AddNode(graph.Node{ID: p + "bucket", Kind: graph.KindResource, Name: "bucket",
		Sensitivity: graph.SensCritical})
	b.AddNode(graph.Node{ID: p + "key", Kind: graph.KindCredential, Name: "key"})
	b.AddEdge(graph.Edge{From: p + "alice", To: p + "eng", Kind: graph.EdgeMemberOf})
	b.AddEdge(graph.Edge{From: p + "eng", To: p + "admin", Kind: graph.EdgeHasRole, Via: []string{"binding/x"}})
	b.AddEdge(graph.Edge{From: p + "admin", To: p + "bucket", Kind: graph.EdgeAccess,
		Privilege: graph.PrivAdmin, Actions: []string{"s3:*"}, Conditions: []string{`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`}})
	b.AddEdge(graph.Edge{From: p + "key", To: p + "alice", Kind: graph.EdgeAuthenticates})
	for i := range extra {
		id := fmt.Sprintf("%suser%03d", p, i)
		b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Name: id})
		b.AddEdge(graph.Edge{From: id, To: p + "eng", Kind: graph.EdgeMemberOf})
	}
	return b
}

func testRunLifecycle(t *testing.T, st graph.Store) {
	ctx := context.Background()
	done := Ingest(t, st, sample("s1", 3))
	require.Equal(t, 8, done.Stats.NodesUpserted)
	require.Equal(t, 7, done.Stats.EdgesUpserted)
	got, err := st.Run(ctx, done.ID)
	require.NoError(t, err)
	require.Equal(t, graph.RunComplete, got.Status)
	require.False(t, got.Finished.IsZero())
	runs, err := st.Runs(ctx, "s1", 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	n, e, err := st.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, 8, n)
	require.Equal(t, 7, e)
	node, err := st.Node(ctx, "s1:alice")
	require.NoError(t, err)
	require.Equal(t, done.ID, node.SyncRun)
	_, err = st.Node(ctx, "s1:nobody")
	require.ErrorIs(t, err, graph.ErrNotFound)
	_, err = st.Run(ctx, "no-such-run")
	require.ErrorIs(t, err, graph.ErrNotFound)
}

func testIdempotent(t *testing.T, st graph.Store) {
	ctx := context.Background()
	b := sample("s1", 2)
	r, err := st.BeginRun(ctx, "s1")
	require.NoError(t, err)
	// Twice within a run, then again in a second run.
	require.NoError(t, st.UpsertNodes(ctx, r.ID, b.Nodes()))
	require.NoError(t, st.UpsertNodes(ctx, r.ID, b.Nodes()))
	require.NoError(t, st.UpsertEdges(ctx, r.ID, b.Edges()))
	require.NoError(t, st.UpsertEdges(ctx, r.ID, b.Edges()))
	_, err = st.FinishRun(ctx, r.ID)
	require.NoError(t, err)
	n1, e1 := Dump(t, st)
	second := Ingest(t, st, b)
	n2, e2 := Dump(t, st)
	require.Equal(t, n1, n2)
	require.Equal(t, e1, e2)
	require.Zero(t, second.Stats.NodesSwept)
	require.Zero(t, second.Stats.EdgesSwept)
}

func testSweep(t *testing.T, st graph.Store) {
	Ingest(t, st, sample("s1", 3))
	smaller := sample("s1", 1) // user001 and user002 are gone
	done := Ingest(t, st, smaller)
	require.Equal(t, 2, done.Stats.NodesSwept)
	require.Equal(t, 2, done.Stats.EdgesSwept)
	nodes, _ := Dump(t, st)
	require.Contains(t, nodes, "s1:user000")
	require.NotContains(t, nodes, "s1:user001")
	require.NotContains(t, nodes, "s1:user002")
}

func testSweepOwnSource(t *testing.T, st graph.Store) {
	Ingest(t, st, sample("s1", 2))
	Ingest(t, st, sample("s2", 2))
	empty := graph.NewBatch("s2")
	done := Ingest(t, st, empty)
	require.Equal(t, 7, done.Stats.NodesSwept)
	nodes, edges := Dump(t, st)
	require.Len(t, nodes, 7, "s1 untouched")
	require.Len(t, edges, 6)
	for _, n := range nodes {
		require.Regexp(t, `^s1:`, n)
	}
}

func testSweepDangling(t *testing.T, st graph.Store) {
	// s2 links to a node that s1 owns; when s1 stops reporting it, the
	// cross-source edge goes too.
	Ingest(t, st, sample("s1", 1))
	b := graph.NewBatch("s2")
	b.AddNode(graph.Node{ID: "s2:okta-alice", Kind: graph.KindIdentity, Name: "alice"})
	b.AddNode(graph.Node{ID: "s1:user000", Kind: graph.KindAccount, Name: "user000",
		Props: map[string]string{graph.PropStub: "true"}})
	b.AddEdge(graph.Edge{From: "s2:okta-alice", To: "s1:user000", Kind: graph.EdgeHasAccount})
	Ingest(t, st, b)
	_, edges := Dump(t, st)
	require.Contains(t, edges, "s2:okta-alice|HAS_ACCOUNT|s1:user000@none")
	Ingest(t, st, sample("s1", 0))
	nodes, edges := Dump(t, st)
	require.NotContains(t, nodes, "s1:user000")
	require.NotContains(t, edges, "s2:okta-alice|HAS_ACCOUNT|s1:user000@none")
	require.Contains(t, nodes, "s2:okta-alice")
}

func testFailedRun(t *testing.T, st graph.Store) {
	ctx := context.Background()
	Ingest(t, st, sample("s1", 3))
	n1, e1 := Dump(t, st)
	r, err := st.BeginRun(ctx, "s1")
	require.NoError(t, err)
	part := sample("s1", 0)
	require.NoError(t, st.UpsertNodes(ctx, r.ID, part.Nodes()[:2]))
	failed, err := st.FailRun(ctx, r.ID, errors.New("connector: page 3 malformed"))
	require.NoError(t, err)
	require.Equal(t, graph.RunFailed, failed.Status)
	require.Equal(t, "connector: page 3 malformed", failed.Error)
	n2, e2 := Dump(t, st)
	require.Equal(t, n1, n2, "a failed run sweeps nothing")
	require.Equal(t, e1, e2)
	got, err := st.Run(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, graph.RunFailed, got.Status)
	_, err = st.FinishRun(ctx, r.ID)
	require.ErrorIs(t, err, graph.ErrRunNotActive, "a failed run never completes")
	// The next run succeeds.
	done := Ingest(t, st, sample("s1", 1))
	require.Equal(t, 2, done.Stats.NodesSwept)
}

func testStub(t *testing.T, st graph.Store) {
	ctx := context.Background()
	Ingest(t, st, sample("s1", 0))
	b := graph.NewBatch("s2")
	b.AddNode(graph.Node{ID: "s1:alice", Kind: graph.KindAccount, Name: "stub of alice",
		Props: map[string]string{graph.PropStub: "true"}})
	b.AddNode(graph.Node{ID: "s2:bob", Kind: graph.KindIdentity, Name: "bob"})
	b.AddEdge(graph.Edge{From: "s2:bob", To: "s1:alice", Kind: graph.EdgeEscalates, Privilege: graph.PrivAdmin})
	Ingest(t, st, b)
	n, err := st.Node(ctx, "s1:alice")
	require.NoError(t, err)
	require.Equal(t, "alice", n.Name)
	require.Equal(t, "s1", n.Source)
	// s2 going away does not take s1's alice with it.
	Ingest(t, st, graph.NewBatch("s2"))
	n, err = st.Node(ctx, "s1:alice")
	require.NoError(t, err)
	require.Equal(t, "s1", n.Source)
}

func testWrongSource(t *testing.T, st graph.Store) {
	ctx := context.Background()
	r, err := st.BeginRun(ctx, "s1")
	require.NoError(t, err)
	err = st.UpsertNodes(ctx, r.ID, sample("s2", 0).Nodes())
	require.Error(t, err)
	require.Contains(t, err.Error(), "s2")
	_, err = st.FailRun(ctx, r.ID, err)
	require.NoError(t, err)
}

func testRoundTrip(t *testing.T, st graph.Store) {
	ctx := context.Background()
	Ingest(t, st, sample("s1", 0))
	n, err := st.Node(ctx, "s1:alice")
	require.NoError(t, err)
	require.Equal(t, graph.KindAccount, n.Kind)
	require.Equal(t, "user", n.Subkind)
	require.Equal(t, "alice@example.com", n.Props["email"])
	b, err := st.Node(ctx, "s1:bucket")
	require.NoError(t, err)
	require.Equal(t, graph.SensCritical, b.Sensitivity)
	var access *graph.Edge
	require.NoError(t, st.Scan(ctx, func(*graph.Node) error { return nil }, func(e *graph.Edge) error {
		if e.Kind == graph.EdgeAccess {
			c := *e
			access = &c
		}
		return nil
	}))
	require.NotNil(t, access)
	require.Equal(t, graph.PrivAdmin, access.Privilege)
	require.Equal(t, []string{"s3:*"}, access.Actions)
	require.Equal(t, []string{`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`}, access.Conditions)
	require.Equal(t, "s1", access.Source)
	require.NotEmpty(t, access.SyncRun)
}

func testAfterFinish(t *testing.T, st graph.Store) {
	ctx := context.Background()
	done := Ingest(t, st, sample("s1", 0))
	err := st.UpsertNodes(ctx, done.ID, sample("s1", 0).Nodes())
	require.ErrorIs(t, err, graph.ErrRunNotActive)
}

// changed is what a second pass of sample(source, 1) reports when alice
// was renamed, the role's access to the bucket dropped to read, user000
// left and carol joined eng.
func changed(source string) *graph.Batch {
	b := graph.NewBatch(source)
	p := source + ":"
	for _, n := range sample(source, 0).Nodes() {
		if n.ID == p+"alice" {
			n.Name = "alice.renamed"
		}
		b.AddNode(n)
	}
	b.AddNode(graph.Node{ID: p + "carol", Kind: graph.KindAccount, Name: "carol"})
	for _, e := range sample(source, 0).Edges() {
		if e.Kind == graph.EdgeAccess {
			e.Privilege, e.Actions = graph.PrivRead, []string{"s3:GetObject"}
		}
		b.AddEdge(e)
	}
	b.AddEdge(graph.Edge{From: p + "carol", To: p + "eng", Kind: graph.EdgeMemberOf})
	return b
}

// state is what readers see of sample(s1, 1) and its changes: every node
// and edge (Dump), the counts, and alice's name, her run and the access
// edge's privilege as Node and Scan report them.
type state struct {
	nodes, edges []string
	n, e         int
	alice        string
	aliceRun     string
	access       graph.Privilege
	carolErr     error
}

func observe(t *testing.T, st graph.Store) state {
	t.Helper()
	ctx := context.Background()
	var s state
	s.nodes, s.edges = Dump(t, st)
	var err error
	s.n, s.e, err = st.Counts(ctx)
	require.NoError(t, err)
	alice, err := st.Node(ctx, "s1:alice")
	require.NoError(t, err)
	s.alice, s.aliceRun = alice.Name, alice.SyncRun
	_, s.carolErr = st.Node(ctx, "s1:carol")
	require.NoError(t, st.Scan(ctx, func(*graph.Node) error { return nil }, func(e *graph.Edge) error {
		if e.Kind == graph.EdgeAccess && e.From == "s1:admin" {
			s.access = e.Privilege
		}
		return nil
	}))
	return s
}

// stageChanged begins a run of s1 and upserts changed("s1") in it.
func stageChanged(t *testing.T, st graph.Store) *graph.SyncRun {
	t.Helper()
	ctx := context.Background()
	r, err := st.BeginRun(ctx, "s1")
	require.NoError(t, err)
	b := changed("s1")
	require.NoError(t, st.UpsertNodes(ctx, r.ID, b.Nodes()))
	require.NoError(t, st.UpsertEdges(ctx, r.ID, b.Edges()))
	return r
}

// A failed run's upserts of changed values (a rename, a lower privilege, a
// new node and edge) never become visible, and nothing is swept.
func testFailedRunInvisible(t *testing.T, st graph.Store) {
	ctx := context.Background()
	first := Ingest(t, st, sample("s1", 1))
	before := observe(t, st)
	require.Equal(t, state{
		nodes: []string{"s1:admin", "s1:alice", "s1:bucket", "s1:eng", "s1:key", "s1:user000"},
		edges: []string{
			"s1:admin|ACCESS|s1:bucket@admin",
			"s1:alice|MEMBER_OF|s1:eng@none",
			"s1:eng|HAS_ROLE|s1:admin@none",
			"s1:key|AUTHENTICATES|s1:alice@none",
			"s1:user000|MEMBER_OF|s1:eng@none",
		},
		n: 6, e: 5, alice: "alice", aliceRun: first.ID, access: graph.PrivAdmin, carolErr: before.carolErr,
	}, before)
	require.ErrorIs(t, before.carolErr, graph.ErrNotFound)

	r := stageChanged(t, st)
	_, err := st.FailRun(ctx, r.ID, errors.New("connector: token expired"))
	require.NoError(t, err)
	after := observe(t, st)
	require.Equal(t, before, after, "a failed run changes nothing readers see")

	// The next complete run applies the same changes.
	done := Ingest(t, st, changed("s1"))
	require.Equal(t, 1, done.Stats.NodesSwept, "user000")
	require.Equal(t, 1, done.Stats.EdgesSwept, "user000's membership")
	got := observe(t, st)
	require.Equal(t, "alice.renamed", got.alice)
	require.Equal(t, done.ID, got.aliceRun)
	require.Equal(t, graph.PrivRead, got.access)
	require.NoError(t, got.carolErr)
	require.Equal(t, [2]int{6, 5}, [2]int{got.n, got.e})
}

// What an active run upserts is invisible to Node, Scan and Counts until
// FinishRun; then all of it is visible at once.
func testActiveRunInvisible(t *testing.T, st graph.Store) {
	ctx := context.Background()
	Ingest(t, st, sample("s1", 1))
	before := observe(t, st)
	r := stageChanged(t, st)
	require.Equal(t, before, observe(t, st), "an active run's writes are not visible")
	// A run of another source that begins and upserts is invisible too.
	other, err := st.BeginRun(ctx, "s2")
	require.NoError(t, err)
	require.NoError(t, st.UpsertNodes(ctx, other.ID, sample("s2", 0).Nodes()))
	require.Equal(t, before, observe(t, st))
	_, err = st.Node(ctx, "s2:alice")
	require.ErrorIs(t, err, graph.ErrNotFound)

	done, err := st.FinishRun(ctx, r.ID)
	require.NoError(t, err)
	got := observe(t, st)
	require.Equal(t, "alice.renamed", got.alice)
	require.Equal(t, done.ID, got.aliceRun)
	require.Equal(t, graph.PrivRead, got.access)
	require.NoError(t, got.carolErr)
	require.Equal(t, []string{"s1:admin", "s1:alice", "s1:bucket", "s1:carol", "s1:eng", "s1:key"}, got.nodes)
	require.Equal(t, [2]int{6, 5}, [2]int{got.n, got.e})
	_, err = st.FailRun(ctx, other.ID, errors.New("not needed"))
	require.NoError(t, err)
	require.Equal(t, got, observe(t, st))
}
