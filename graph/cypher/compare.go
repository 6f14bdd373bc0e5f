package cypher

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// QueryReport is the latency of one query kind through both engines.
type QueryReport struct {
	// Query names the query kind: blastRadius, paths or whoCanReach.
	Query      string
	Projection bench.Latency
	Cypher     bench.Latency
	// Mismatches counts sample inputs whose answers differ in size
	// (reaches, paths or reachers) between the engines.
	Mismatches int
}

// RatioP50 is how many times slower Cypher is at the median.
func (q QueryReport) RatioP50() float64 { return ratio(q.Cypher.P50, q.Projection.P50) }

// RatioP99 is how many times slower Cypher is at the 99th percentile.
func (q QueryReport) RatioP99() float64 { return ratio(q.Cypher.P99, q.Projection.P99) }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Report is the outcome of Compare.
type Report struct {
	Queries []QueryReport
}

// String formats r as a table.
func (r Report) String() string {
	var b strings.Builder
	for _, q := range r.Queries {
		fmt.Fprintf(&b, "%-12s projection %s\n%-12s cypher     %s\n%-12s cypher/projection p50 x%.0f  p99 x%.0f  mismatches %d\n",
			q.Query, q.Projection, "", q.Cypher, "", q.RatioP50(), q.RatioP99(), q.Mismatches)
	}
	return b.String()
}

// Compare runs the same sample of blastRadius, paths (depth 6, 100 paths)
// and whoCanReach queries through the projection snapshot and the Cypher
// engine, in one run, and reports the latency of each and their ratio.
// snap and the database behind eng should hold the same graph.
func Compare(ctx context.Context, snap *projection.Snapshot, eng *Engine, sample *bench.Sample) (Report, error) {
	var rep Report
	type counted func(i int) (int, error)
	run := func(name string, n int, proj, cy counted) error {
		sizes := make([]int, n)
		q := QueryReport{Query: name}
		var err error
		q.Projection, err = bench.Measure(n, func(i int) error {
			c, err := proj(i)
			sizes[i] = c
			return err
		})
		if err != nil {
			return fmt.Errorf("compare %s: projection: %w", name, err)
		}
		q.Cypher, err = bench.Measure(n, func(i int) error {
			c, err := cy(i)
			if err == nil && c != sizes[i] {
				q.Mismatches++
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("compare %s: cypher: %w", name, err)
		}
		rep.Queries = append(rep.Queries, q)
		return nil
	}
	err := run("blastRadius", len(sample.Principals),
		func(i int) (int, error) {
			r, err := snap.BlastRadius(projection.BlastRadiusQuery{From: sample.Principals[i]})
			if err != nil {
				return 0, err
			}
			return len(r.Reaches), nil
		},
		func(i int) (int, error) {
			r, err := eng.BlastRadius(ctx, projection.BlastRadiusQuery{From: sample.Principals[i]})
			if err != nil {
				return 0, err
			}
			return len(r.Reaches), nil
		})
	if err != nil {
		return rep, err
	}
	pq := func(i int) projection.PathsQuery {
		p := sample.Pairs[i]
		return projection.PathsQuery{From: p[0], To: p[1], MaxDepth: 6, MaxPaths: 100}
	}
	err = run("paths", len(sample.Pairs),
		func(i int) (int, error) {
			r, err := snap.Paths(pq(i))
			return len(r), err
		},
		func(i int) (int, error) {
			r, err := eng.Paths(ctx, pq(i))
			return len(r), err
		})
	if err != nil {
		return rep, err
	}
	err = run("whoCanReach", len(sample.Resources),
		func(i int) (int, error) {
			r, err := snap.WhoCanReach(projection.WhoCanReachQuery{Resource: sample.Resources[i]})
			if err != nil {
				return 0, err
			}
			return len(r.Reachers), nil
		},
		func(i int) (int, error) {
			r, err := eng.WhoCanReach(ctx, projection.WhoCanReachQuery{Resource: sample.Resources[i]})
			if err != nil {
				return 0, err
			}
			return len(r.Reachers), nil
		})
	return rep, err
}
