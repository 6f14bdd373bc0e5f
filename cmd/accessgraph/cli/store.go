package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
	"github.com/accessgraph/accessgraph/ingest/resolve"
)

// openStore opens the store the flags choose: Neo4j when --neo4j (or
// NEO4J_URI) is set, else the embedded store in --store.
func (g *globals) openStore(ctx context.Context) (graph.Store, error) {
	if g.neo4j.uri != "" {
		return g.neo4j.open(ctx, g.log)
	}
	st, err := embedded.Open(g.storeDir, embedded.Options{Logger: g.log})
	if err != nil {
		return nil, err
	}
	return st, ctx.Err()
}

// openExistingStore is openStore for commands that only read: an embedded
// store that does not exist yet is an error (a mistyped --store would
// otherwise be created empty and answer "nothing"), not a new store.
func (g *globals) openExistingStore(ctx context.Context) (graph.Store, error) {
	if g.neo4j.uri == "" {
		if _, err := os.Stat(filepath.Join(g.storeDir, embedded.FileName)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no store at %s: ingest something first (accessgraph ingest ..., or demo), "+
				"or point --store (env %s) at an existing store", g.storeDir, EnvStore)
		}
	}
	return g.openStore(ctx)
}

// buildSnapshot builds a projection of st and logs its size.
func (g *globals) buildSnapshot(ctx context.Context, st graph.Store) (*projection.Snapshot, error) {
	snap, err := projection.Build(ctx, st)
	if err != nil {
		return nil, err
	}
	s := snap.Stats()
	g.log.Info("projection built", "nodes", s.Nodes, "edges", s.Edges, "version", s.Version,
		"dangling_edges", s.DanglingEdges, "duration", s.BuildTime.Round(time.Millisecond))
	return snap, nil
}

// progress returns an ingest.Progress that logs at most every 10% and once
// at the end, so long runs show they are alive without flooding the log.
func (g *globals) progress() ingest.Progress {
	var mu sync.Mutex
	last := map[string]int{}
	return func(source string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		pct := 100
		if total > 0 {
			pct = done * 100 / total
		}
		if pct/10 == last[source]/10 && done != total {
			return
		}
		last[source] = pct
		g.log.Info("writing", "source", source, "done", done, "total", total, "percent", pct)
	}
}

// writeBatches stores each batch as its own sync run, stopping at the first
// failure (earlier runs stay committed; the failed one sweeps nothing).
func (g *globals) writeBatches(ctx context.Context, st graph.Store, out io.Writer,
	batches []*graph.Batch) error {
	for _, b := range batches {
		// Each batch is released once staged: its elements and the apply of
		// the biggest source are then not in memory at once.
		n, e := b.Len()
		run, err := ingest.Write(ctx, st, b, ingest.WriteOptions{Progress: g.progress(), Logger: g.log,
			AllowShrink: g.allowShrink, Consume: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: run %s complete: %d nodes, %d edges written; %d nodes, %d edges swept\n",
			b.Source, run.ID, n, e, run.Stats.NodesSwept, run.Stats.EdgesSwept)
	}
	return g.resolveIdentities(ctx, st, out)
}

// resolveIdentities links accounts of every source to identities, as its own
// sync run, and reports conflicts it refused to merge.
func (g *globals) resolveIdentities(ctx context.Context, st graph.Store, out io.Writer) error {
	res, err := resolve.Run(ctx, st, func(ctx context.Context, b *graph.Batch) error {
		_, err := ingest.Write(ctx, st, b, ingest.WriteOptions{Logger: g.log, AllowShrink: true})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "identities: %d resolved from %d accounts (%d conflicts)\n", res.Identities, res.Linked,
		len(res.Conflicts))
	for _, c := range res.Conflicts {
		g.log.Warn("identity conflict: accounts kept apart", "key", c.Key, "reason", c.Reason,
			"left", c.Left, "right", c.Right)
	}
	return nil
}
