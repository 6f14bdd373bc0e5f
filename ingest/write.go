package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/accessgraph/accessgraph/graph"
)

// Progress reports how many of total elements a run has written.
type Progress func(source string, done, total int)

// WriteOptions tunes Write.
type WriteOptions struct {
	// BatchSize is the number of elements per store call (default 5000).
	BatchSize int
	// Progress, if set, is called after each store call.
	Progress Progress
	// Logger receives lifecycle messages (default slog.Default()).
	Logger *slog.Logger
	// AllowShrink lets a run report less than half of what the source's last
	// complete run did (see ErrShrink).
	AllowShrink bool
	// Consume releases the batch (graph.Batch.Release) once every element
	// is handed to the store and before the run is applied, so a big
	// source's parsed elements and the store's apply of them are not in
	// memory at once. The batch is empty after Write returns, whatever the
	// outcome (a refused batch too); a caller that needs its counts reads
	// them before.
	Consume bool
}

// ErrShrink is returned, before anything is written, when a source reports
// less than half of what its last complete run did: finishing such a run
// would sweep most of the source, and the usual cause is a narrowed token, a
// wrong file or a partial export rather than a real change.
var ErrShrink = errors.New("the source shrank by more than half since its last complete run")

// shrinkFloor is the size below which a previous run is too small for the
// shrink guard to mean anything.
const shrinkFloor = 100

// checkShrink compares b with the source's last complete run.
func checkShrink(ctx context.Context, st graph.Store, b *graph.Batch) error {
	runs, err := st.Runs(ctx, b.Source, 50)
	if err != nil {
		return fmt.Errorf("ingest %s: read previous runs: %w", b.Source, err)
	}
	for _, r := range runs {
		if r.Status != graph.RunComplete {
			continue
		}
		prev := r.Stats.NodesUpserted + r.Stats.EdgesUpserted
		n, e := b.Len()
		if prev >= shrinkFloor && n+e < prev/2 {
			return fmt.Errorf("ingest %s: %w: it now reports %d nodes and edges, run %s reported %d; "+
				"nothing was written. If the source really lost that much, run again with --allow-shrink "+
				"(allowShrink: true in the configuration)", b.Source, ErrShrink, n+e, r.ID, prev)
		}
		return nil
	}
	return nil
}

// Write stores b as one sync run of b.Source: it validates the batch, begins
// a run, upserts every node and edge in chunks, and finishes the run, which
// sweeps what the source no longer reports. If anything fails the run is
// marked failed, nothing is swept, and the returned error says why.
func Write(ctx context.Context, st graph.Store, b *graph.Batch, opt WriteOptions) (*graph.SyncRun, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Consume {
		defer b.Release() // also when Write returns early; the release below frees it sooner
	}
	// One pass that validates and sorts, before anything is written; the
	// chunks below are copied from it into one reused slice each.
	sorted, err := b.Sorted()
	if err != nil {
		return nil, fmt.Errorf("ingest %s: invalid batch: %w", b.Source, err)
	}
	if !opt.AllowShrink {
		if err := checkShrink(ctx, st, b); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	run, err := st.BeginRun(ctx, b.Source)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", b.Source, err)
	}
	log := opt.Logger.With("source", b.Source, "run", run.ID)
	log.Info("sync run started")
	nn, ne := b.Len()
	err = upsertAll(ctx, st, run.ID, sorted, opt)
	if opt.Consume {
		b.Release()
	}
	if err != nil {
		// The run's own context may be cancelled: record the failure anyway.
		failed, ferr := st.FailRun(context.WithoutCancel(ctx), run.ID, err)
		if ferr != nil {
			return nil, fmt.Errorf("ingest %s: %w (and marking run %s failed also failed: %w)",
				b.Source, err, run.ID, ferr)
		}
		log.Error("sync run failed; nothing was swept", "err", err)
		return failed, fmt.Errorf("ingest %s: run %s failed, previous state kept: %w", b.Source, run.ID, err)
	}
	done, err := st.FinishRun(ctx, run.ID)
	if err != nil {
		if _, ferr := st.FailRun(context.WithoutCancel(ctx), run.ID, err); ferr != nil &&
			!errors.Is(ferr, graph.ErrRunNotActive) {
			log.Error("marking run failed", "err", ferr)
		}
		return nil, fmt.Errorf("ingest %s: finish run %s: %w", b.Source, run.ID, err)
	}
	el := time.Since(start)
	log.Info("sync run finished", "nodes", nn, "edges", ne, "nodes_swept", done.Stats.NodesSwept,
		"edges_swept", done.Stats.EdgesSwept, "duration", el.Round(time.Millisecond),
		"elements_per_sec", int(float64(nn+ne)/max(el.Seconds(), 1e-9)))
	return done, nil
}

func upsertAll(ctx context.Context, st graph.Store, runID string, s *graph.Sorted, opt WriteOptions) error {
	nn, ne := s.Len()
	total, done := nn+ne, 0
	// A Store does not keep the slices it is handed (see graph.Store).
	nodes := make([]graph.Node, 0, min(opt.BatchSize, nn))
	for i := 0; i < nn; i += opt.BatchSize {
		j := min(i+opt.BatchSize, nn)
		nodes = s.AppendNodes(nodes[:0], i, j)
		if err := st.UpsertNodes(ctx, runID, nodes); err != nil {
			return fmt.Errorf("upsert nodes %d-%d of %d: %w", i, j, nn, err)
		}
		done += len(nodes)
		if opt.Progress != nil {
			opt.Progress(s.Source, done, total)
		}
	}
	edges := make([]graph.Edge, 0, min(opt.BatchSize, ne))
	for i := 0; i < ne; i += opt.BatchSize {
		j := min(i+opt.BatchSize, ne)
		edges = s.AppendEdges(edges[:0], i, j)
		if err := st.UpsertEdges(ctx, runID, edges); err != nil {
			return fmt.Errorf("upsert edges %d-%d of %d: %w", i, j, ne, err)
		}
		done += len(edges)
		if opt.Progress != nil {
			opt.Progress(s.Source, done, total)
		}
	}
	return nil
}
