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
	if err := b.Validate(); err != nil {
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
	if err := upsertAll(ctx, st, run.ID, b, opt); err != nil {
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
	nn, ne := b.Len()
	el := time.Since(start)
	log.Info("sync run finished", "nodes", nn, "edges", ne, "nodes_swept", done.Stats.NodesSwept,
		"edges_swept", done.Stats.EdgesSwept, "duration", el.Round(time.Millisecond),
		"elements_per_sec", int(float64(nn+ne)/max(el.Seconds(), 1e-9)))
	return done, nil
}

func upsertAll(ctx context.Context, st graph.Store, runID string, b *graph.Batch, opt WriteOptions) error {
	nodes, edges := b.Nodes(), b.Edges()
	total, done := len(nodes)+len(edges), 0
	for i := 0; i < len(nodes); i += opt.BatchSize {
		chunk := nodes[i:min(i+opt.BatchSize, len(nodes))]
		if err := st.UpsertNodes(ctx, runID, chunk); err != nil {
			return fmt.Errorf("upsert nodes %d-%d of %d: %w", i, i+len(chunk), len(nodes), err)
		}
		done += len(chunk)
		if opt.Progress != nil {
			opt.Progress(b.Source, done, total)
		}
	}
	for i := 0; i < len(edges); i += opt.BatchSize {
		chunk := edges[i:min(i+opt.BatchSize, len(edges))]
		if err := st.UpsertEdges(ctx, runID, chunk); err != nil {
			return fmt.Errorf("upsert edges %d-%d of %d: %w", i, i+len(chunk), len(edges), err)
		}
		done += len(chunk)
		if opt.Progress != nil {
			opt.Progress(b.Source, done, total)
		}
	}
	return nil
}
