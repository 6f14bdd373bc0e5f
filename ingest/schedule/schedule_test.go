package schedule

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest/config"
)

// fileFetcher reads a tiny line-per-member export: each line "user group".
func fileFetcher(_ context.Context, src *config.Source) ([]*graph.Batch, error) {
	raw, err := os.ReadFile(src.Paths[0])
	if err != nil {
		return nil, err
	}
	b := graph.NewBatch("test:" + src.Name)
	var user, group string
	for _, line := range splitLines(string(raw)) {
		if _, err := fmt.Sscan(line, &user, &group); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", src.Paths[0], line, err)
		}
		b.AddNode(graph.Node{ID: user, Kind: graph.KindAccount, Name: user,
			Props: map[string]string{graph.PropEmail: user + "@example.com"}})
		b.AddNode(graph.Node{ID: group, Kind: graph.KindGroup, Name: group})
		b.AddEdge(graph.Edge{From: user, To: group, Kind: graph.EdgeMemberOf})
	}
	return []*graph.Batch{b}, nil
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i, c := range s {
		if c == '\n' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// A short schedule runs twice; the second run reports what changed.
func TestScheduledRunsReportDrift(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "members.txt")
	require.NoError(t, os.WriteFile(export, []byte("alice eng\nbob eng\n"), 0o600))
	st, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	cfg := &config.Config{Workers: 2, Sources: []config.Source{
		{Name: "hr", Kind: "aws", Schedule: "@every 1s", Paths: []string{export}},
	}}
	var holder projection.Holder
	s := New(cfg, st, fileFetcher, &holder, nil)
	var mu sync.Mutex
	var results []Result
	two := make(chan struct{})
	s.OnResult = func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r)
		if len(results) == 1 {
			// Between the runs, bob leaves and carol joins.
			require.NoError(t, os.WriteFile(export, []byte("alice eng\ncarol eng\n"), 0o600))
		}
		if len(results) == 2 {
			close(two)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx))
	select {
	case <-two:
	case <-time.After(10 * time.Second):
		t.Fatal("two scheduled runs did not happen within 10s")
	}
	cancel()
	s.Stop()

	mu.Lock()
	defer mu.Unlock()
	require.NoError(t, results[0].Err)
	require.NoError(t, results[1].Err)
	first, second := results[0].Runs[0].Stats.Drift, results[1].Runs[0].Stats.Drift
	require.Equal(t, 3, first.NodesAdded)
	require.ElementsMatch(t, []string{"carol", "carol|MEMBER_OF|eng"}, second.Added)
	// bob goes, with his membership and the identity link that pointed at him.
	require.ElementsMatch(t, []string{"bob", "bob|MEMBER_OF|eng", "identity:bob@example.com|HAS_ACCOUNT|bob"},
		second.Removed)
	snap := holder.Load()
	require.NotNil(t, snap, "a projection was published")
	_, ok := snap.Node("identity:carol@example.com")
	require.True(t, ok, "identity resolution ran after the sync")
	_, ok = snap.Node("bob")
	require.False(t, ok)
}

// A source already running is not started twice; a failing fetch writes
// nothing and says why.
func TestOneRunPerSourceAndFailures(t *testing.T) {
	dir := t.TempDir()
	st, err := embedded.Open(dir, embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	release := make(chan struct{})
	started := make(chan struct{})
	slow := func(ctx context.Context, src *config.Source) ([]*graph.Batch, error) {
		if src.Name == "broken" {
			return nil, fmt.Errorf("page 3 of https://x.okta.com/api/v1/users: malformed JSON")
		}
		close(started)
		<-release
		return []*graph.Batch{graph.NewBatch("test:slow")}, nil
	}
	cfg := &config.Config{Workers: 2, Sources: []config.Source{
		{Name: "slow", Kind: "aws", Paths: []string{"x"}},
		{Name: "broken", Kind: "aws", Paths: []string{"x"}},
	}}
	s := New(cfg, st, slow, nil, nil)
	done := make(chan Result)
	go func() { done <- s.RunNow(context.Background(), "slow") }()
	<-started
	require.Equal(t, "fetching", s.Active()[0].Phase)
	busy := s.RunNow(context.Background(), "slow")
	require.ErrorIs(t, busy.Err, ErrBusy)
	close(release)
	require.NoError(t, (<-done).Err)

	bad := s.RunNow(context.Background(), "broken")
	require.ErrorContains(t, bad.Err, "broken: page 3 of https://x.okta.com/api/v1/users: malformed JSON")
	runs, err := st.Runs(context.Background(), "", 0)
	require.NoError(t, err)
	for _, r := range runs {
		require.NotEqual(t, "test:broken", r.Source, "a failed fetch starts no run")
	}
	require.Empty(t, s.Active())
	require.ErrorContains(t, s.RunNow(context.Background(), "nope").Err, `no source named "nope"`)
}
