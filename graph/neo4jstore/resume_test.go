package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/storetest"
)

// stagingLeft counts the staging nodes in the database.
func stagingLeft(t *testing.T, s *Store) int {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(),
		`MATCH (s) WHERE s:StagedNodeChunk OR s:StagedEdgeChunk OR s:StagedNode OR s:StagedEdges RETURN count(s) AS c`, nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	c, _ := res.Records[0].Get("c")
	return int(c.(int64))
}

// phase returns the run's internal phase ("" when none).
func phase(t *testing.T, s *Store, runID string) string {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(),
		`MATCH (r:SyncRun {id: $id}) RETURN coalesce(r.phase, '') AS p`, map[string]any{"id": runID},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	require.Len(t, res.Records, 1)
	p, _ := res.Records[0].Get("p")
	return p.(string)
}

// secondPass is fixture(false) with alice renamed and the admin grant on
// payroll lowered to read: applied over fixture(true) it renames, lowers,
// and sweeps bob and his membership.
func secondPass() *graph.Batch {
	b := graph.NewBatch("aws:1")
	for _, n := range fixture(false).Nodes() {
		if n.ID == "aws:1:user/alice" {
			n.Name = "alice.renamed"
		}
		b.AddNode(n)
	}
	for _, e := range fixture(false).Edges() {
		if e.Kind == graph.EdgeAccess {
			e.Privilege, e.Actions = graph.PrivRead, []string{"s3:GetObject"}
		}
		b.AddEdge(e)
	}
	return b
}

var secondPassEdges = []string{
	"aws:1:group/devs|CAN_ASSUME|aws:1:role/admin@none",
	"aws:1:key/AKIA1|AUTHENTICATES|aws:1:user/alice@none",
	"aws:1:role/admin|ACCESS|aws:1:s3/payroll@read",
	"aws:1:user/alice|MEMBER_OF|aws:1:group/devs@none",
	"aws:2:role/ci|CAN_ASSUME|aws:1:role/admin@none",
}

// A FinishRun stopped at any point leaves the run active in the applying
// phase: it takes no upserts, cannot fail, is not abandoned, and a later
// FinishRun (or ResumeApplying, from Open) completes it with the same
// result and stats as an uninterrupted one.
func TestFinishRunResumes(t *testing.T) {
	crash := errors.New("simulated crash")
	for _, tc := range []struct {
		step   string
		nth    int  // crash at the nth time the step is reached
		reopen bool // resume through Open instead of FinishRun
	}{
		{step: "applying", nth: 1},
		{step: "nodes", nth: 1},
		{step: "nodes", nth: 2, reopen: true},
		{step: "edges", nth: 2},
		{step: "sweep", nth: 1, reopen: true},
		{step: "sweep", nth: 3},
		{step: "complete", nth: 1},
	} {
		t.Run(fmt.Sprintf("%s#%d", tc.step, tc.nth), func(t *testing.T) {
			cfg := testConfig(t)
			cfg.BatchSize = 2 // several batches per step
			s := openCleanWith(t, cfg)
			ctx := context.Background()
			first := storetest.Ingest(t, s, fixture(true))

			r, err := s.BeginRun(ctx, "aws:1")
			require.NoError(t, err)
			b := secondPass()
			require.NoError(t, s.UpsertNodes(ctx, r.ID, b.Nodes()))
			require.NoError(t, s.UpsertEdges(ctx, r.ID, b.Edges()))
			seen := 0
			s.crashAt = func(step string) error {
				if step == tc.step {
					if seen++; seen == tc.nth {
						return crash
					}
				}
				return nil
			}
			_, err = s.FinishRun(ctx, r.ID)
			require.ErrorIs(t, err, crash)
			s.crashAt = nil

			got, err := s.Run(ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, graph.RunActive, got.Status, "never complete before the end")
			require.Equal(t, phaseApplying, phase(t, s, r.ID))
			err = s.UpsertNodes(ctx, r.ID, b.Nodes()[:1])
			require.ErrorIs(t, err, graph.ErrRunNotActive)
			require.ErrorContains(t, err, "is being applied by FinishRun")
			_, err = s.FailRun(ctx, r.ID, errors.New("too late"))
			require.ErrorIs(t, err, graph.ErrRunNotActive)
			time.Sleep(5 * time.Millisecond)
			abandoned, err := s.AbandonStale(ctx, time.Millisecond)
			require.NoError(t, err)
			require.Empty(t, abandoned, "an applying run is rolled forward, not abandoned")
			other := s
			if tc.reopen {
				// A fresh process: Open resumes the run once it made no
				// progress for ResumeAfter.
				cfg.ResumeAfter = time.Millisecond
				other, err = Open(ctx, cfg)
				require.NoError(t, err)
				defer other.Close()
			} else {
				_, err = s.FinishRun(ctx, r.ID)
				require.NoError(t, err)
			}
			done, err := other.Run(ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, graph.RunComplete, done.Status)
			require.Equal(t, graph.RunStats{NodesUpserted: 6, EdgesUpserted: 5, NodesSwept: 1, EdgesSwept: 1},
				done.Stats)
			require.Empty(t, phase(t, s, r.ID))
			require.Zero(t, stagingLeft(t, s))
			nodes, edges := storetest.Dump(t, s)
			require.NotContains(t, nodes, "aws:1:user/bob")
			require.Len(t, nodes, 6)
			require.Equal(t, secondPassEdges, edges)
			alice, err := s.Node(ctx, "aws:1:user/alice")
			require.NoError(t, err)
			require.Equal(t, "alice.renamed", alice.Name)
			require.Equal(t, r.ID, alice.SyncRun)
			runs, err := s.Runs(ctx, "aws:1", 0)
			require.NoError(t, err)
			require.Equal(t, []graph.RunStatus{graph.RunComplete, graph.RunComplete},
				[]graph.RunStatus{runs[0].Status, runs[1].Status})
			require.Equal(t, first.ID, runs[1].ID)
		})
	}
}

// Open leaves alone a run that another process is applying right now (it
// made progress within ResumeAfter), and ResumeApplying with nothing left
// applying does nothing.
func TestResumeApplyingWaitsForProgress(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	storetest.Ingest(t, s, fixture(true))
	r, err := s.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	require.NoError(t, s.UpsertNodes(ctx, r.ID, secondPass().Nodes()))
	s.crashAt = func(step string) error {
		if step == "nodes" {
			return errors.New("stop")
		}
		return nil
	}
	_, err = s.FinishRun(ctx, r.ID)
	require.Error(t, err)
	s.crashAt = nil
	resumed, err := s.ResumeApplying(ctx) // ResumeAfter is 1m: too recent
	require.NoError(t, err)
	require.Empty(t, resumed)
	require.Equal(t, phaseApplying, phase(t, s, r.ID))

	s.cfg.ResumeAfter = -1
	resumed, err = s.ResumeApplying(ctx)
	require.NoError(t, err)
	require.Len(t, resumed, 1)
	require.Equal(t, r.ID, resumed[0].ID)
	require.Equal(t, graph.RunComplete, resumed[0].Status)
	// The run staged no edges: every edge of aws:1 is swept, and the
	// nodes it staged are there.
	require.Equal(t, 6, resumed[0].Stats.EdgesSwept)
	n, e, err := s.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, [2]int{6, 0}, [2]int{n, e})
	resumed, err = s.ResumeApplying(ctx)
	require.NoError(t, err)
	require.Empty(t, resumed)
}

// FailRun and AbandonStale delete the run's staging, and Open deletes what
// an interrupted FailRun left.
func TestStagingDeleted(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	storetest.Ingest(t, s, fixture(true))
	before, _ := storetest.Dump(t, s)
	r, err := s.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	b := secondPass()
	require.NoError(t, s.UpsertNodes(ctx, r.ID, b.Nodes()))
	require.NoError(t, s.UpsertEdges(ctx, r.ID, b.Edges()))
	require.Equal(t, 9, stagingLeft(t, s), "6 nodes of 5 kinds and 5 edges of 4 kinds: a chunk per kind")
	_, err = s.FailRun(ctx, r.ID, errors.New("boom"))
	require.NoError(t, err)
	require.Zero(t, stagingLeft(t, s))
	require.Empty(t, phase(t, s, r.ID))

	r2, err := s.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	require.NoError(t, s.UpsertNodes(ctx, r2.ID, b.Nodes()))
	time.Sleep(5 * time.Millisecond)
	abandoned, err := s.AbandonStale(ctx, time.Millisecond)
	require.NoError(t, err)
	require.Len(t, abandoned, 1)
	require.Zero(t, stagingLeft(t, s))

	// A FailRun that died between marking the run failed and deleting its
	// staging: the run is failed with phase purge, its staging still there.
	r3, err := s.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	require.NoError(t, s.UpsertNodes(ctx, r3.ID, b.Nodes()))
	_, err = neo4j.ExecuteQuery(ctx, s.Driver(), `MATCH (r:SyncRun {id: $id})
		SET r.status = 'failed', r.phase = 'purge'`, map[string]any{"id": r3.ID},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	require.Equal(t, 5, stagingLeft(t, s))
	s2, err := Open(ctx, testConfig(t))
	require.NoError(t, err)
	require.NoError(t, s2.Close())
	require.Zero(t, stagingLeft(t, s))
	require.Empty(t, phase(t, s, r3.ID))
	after, _ := storetest.Dump(t, s)
	require.Equal(t, before, after)
}
