package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/accessgraph/accessgraph/graph"
)

// BulkStep is one timed step of a bulk initial load into Neo4j (CSV write,
// stop, import, start, index build).
type BulkStep struct {
	Name     string
	Duration time.Duration
}

// BulkLoader loads batches into an empty Neo4j with its offline importer
// (neo4jstore.BulkLoad) and returns the open store and each step's time.
type BulkLoader func(ctx context.Context, batches []*graph.Batch) (graph.Store, []BulkStep, error)

// bulkIngest parses the company's exports and bulk-loads them; the total
// goes to Report.Neo4jIngest and Neo4jRate, the steps to Neo4jBulk.
func bulkIngest(ctx context.Context, load BulkLoader, c *Company, opt Options, rep *Report) (graph.Store, error) {
	batches, err := Parse(c.Dir, c.Manifest, opt.Levels)
	if err != nil {
		return nil, err
	}
	st, steps, err := load(ctx, batches)
	if err != nil {
		return nil, err
	}
	rep.Neo4jBulk = steps
	for _, s := range steps {
		rep.Neo4jIngest += s.Duration
	}
	rep.Neo4jRate = float64(c.Nodes+c.Edges) / rep.Neo4jIngest.Seconds()
	return st, nil
}

// printBulk writes one line per step of a bulk load, with the elements per
// second that step alone would allow.
func (r *Report) printBulk(w io.Writer) {
	for _, s := range r.Neo4jBulk {
		fmt.Fprintf(w, "  bulk: %s\t%s\t%.0f elements/s\n", s.Name, s.Duration.Round(time.Millisecond),
			float64(r.Nodes+r.Edges)/max(s.Duration.Seconds(), 1e-9))
	}
}
