package bench

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
	"github.com/accessgraph/accessgraph/ingest/aws"
)

// Engine answers the three questions; the projection and the Cypher engine
// both satisfy it (through ProjectionEngine for the former).
type Engine interface {
	BlastRadius(ctx context.Context, q projection.BlastRadiusQuery) (*projection.BlastRadiusResult, error)
	Paths(ctx context.Context, q projection.PathsQuery) ([]projection.Path, error)
	WhoCanReach(ctx context.Context, q projection.WhoCanReachQuery) (*projection.WhoCanReachResult, error)
}

// ProjectionEngine adapts a snapshot to Engine.
type ProjectionEngine struct{ S *projection.Snapshot }

// BlastRadius implements Engine.
func (p ProjectionEngine) BlastRadius(_ context.Context, q projection.BlastRadiusQuery) (*projection.BlastRadiusResult, error) {
	return p.S.BlastRadius(q)
}

// Paths implements Engine.
func (p ProjectionEngine) Paths(_ context.Context, q projection.PathsQuery) ([]projection.Path, error) {
	return p.S.Paths(q)
}

// WhoCanReach implements Engine.
func (p ProjectionEngine) WhoCanReach(_ context.Context, q projection.WhoCanReachQuery) (*projection.WhoCanReachResult, error) {
	return p.S.WhoCanReach(q)
}

// Options configures Run.
type Options struct {
	Identities int
	Seed       int64
	// Queries is the number of sampled queries of each kind (default 200).
	Queries int
	// Dir caches the generated company's exports.
	Dir string
	// Levels is the AWS action catalogue (nil: the verb heuristic).
	Levels *aws.ActionLevels
	// Embedded opens an empty embedded store.
	Embedded func() (graph.Store, error)
	// Neo4j, if set, opens the Neo4j store (emptied of the company's sources
	// by sweeping); Cypher then builds the Cypher engine over it.
	Neo4j  func() (graph.Store, error)
	Cypher func(graph.Store) Engine
	// Neo4jBulk, if set, loads the company into an empty Neo4j with the
	// offline importer instead of sync runs through Neo4j.
	Neo4jBulk BulkLoader
	// CypherQueries is the number of sampled queries through Cypher (default 50).
	CypherQueries int
	// CypherTimeout bounds one Cypher query (default 30s); slower ones count
	// as timed out at that duration.
	CypherTimeout time.Duration
	// Load, if set, drives the GraphQL API with wrk from a second process.
	Load *LoadOptions
	// Log receives progress lines (may be nil).
	Log func(msg string, args ...any)
}

// Report is what Run measured.
type Report struct {
	Identities, Nodes, Edges   int
	Generate, Parse            time.Duration
	EmbeddedIngest             time.Duration
	EmbeddedRate               float64 // elements per second
	Neo4jIngest                time.Duration
	Neo4jRate                  float64
	Neo4jBulk                  []BulkStep // the steps of a bulk load, when Options.Neo4jBulk is set
	ProjectionBuild            time.Duration
	ProjectionNodes, ProjEdges int
	EdgeArrayBytesPerEdge      float64 // the CSR arrays alone
	// SnapshotBytes is what the whole snapshot holds (node records, ID and
	// name text, edge arrays, interned strings and attributes).
	SnapshotBytes uint64
	// PeakRSS is the process's peak resident set size at the end of the run
	// (0 where /proc is not available).
	PeakRSS uint64
	// Load holds the GraphQL throughput per query mix, when Options.Load is set.
	Load                        []LoadResult
	Blast, Paths, Reach         Latency // projection
	CypherBlast, CypherPaths    Latency
	CypherReach                 Latency
	PathsFound, ReachersAverage float64
}

// Run generates (or reuses) the company, ingests it, builds the projection
// and times the three queries, through Cypher too when configured.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if opt.Queries == 0 {
		opt.Queries = 200
	}
	if opt.CypherQueries == 0 {
		opt.CypherQueries = 50
	}
	if opt.CypherTimeout == 0 {
		opt.CypherTimeout = 30 * time.Second
	}
	logf := opt.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rep := &Report{Identities: opt.Identities}
	logf("loading company", "identities", opt.Identities, "dir", opt.Dir)
	m, gen, err := GenerateCompany(opt.Dir, opt.Identities, opt.Seed)
	if err != nil {
		return nil, err
	}
	c := &Company{Dir: opt.Dir, Manifest: m, GenerateTime: gen} // no batches: see parseAndIngest

	st, err := opt.Embedded()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// One source at a time: parse it, ingest it, drop it, so that the peak
	// is one source's batch (about 500 bytes per edge) plus the store, not
	// the company's. The rate counts the time in ingest.Write, not the parse.
	logf("parsing and ingesting into the embedded store, one source at a time")
	if c.ParseTime, rep.EmbeddedIngest, err = parseAndIngest(ctx, st, c, opt.Levels, true); err != nil {
		return nil, err
	}
	rep.Nodes, rep.Edges, rep.Generate, rep.Parse = c.Nodes, c.Edges, c.GenerateTime, c.ParseTime
	rep.EmbeddedRate = float64(c.Nodes+c.Edges) / rep.EmbeddedIngest.Seconds()
	// The last source's batch and the store's transaction are garbage now:
	// hand their memory back before the build, so that the peak is the
	// larger of the two phases rather than their sum.
	debug.FreeOSMemory()

	logf("building the projection")
	snap, err := projection.Build(ctx, st)
	if err != nil {
		return nil, err
	}
	s := snap.Stats()
	rep.ProjectionBuild, rep.ProjectionNodes, rep.ProjEdges = s.BuildTime, s.Nodes, s.Edges
	rep.EdgeArrayBytesPerEdge = float64(snap.MemoryBytes()) / float64(max(s.Edges, 1))
	rep.SnapshotBytes = uint64(snap.HeapBytes())

	smp, err := Draw(snap, opt.Queries, uint64(opt.Seed))
	if err != nil {
		return nil, err
	}
	logf("timing projection queries", "queries", opt.Queries)
	eng := ProjectionEngine{S: snap}
	if rep.Blast, rep.Paths, rep.Reach, err = timeQueries(ctx, eng, smp, opt.Queries, rep); err != nil {
		return nil, err
	}
	if opt.Load != nil {
		if rep.Load, err = runLoad(ctx, opt.Load, st, snap, smp, logf); err != nil {
			return nil, err
		}
	}
	defer func() { rep.PeakRSS = peakRSS() }()
	if opt.Neo4j == nil && opt.Neo4jBulk == nil {
		return rep, nil
	}
	var n4 graph.Store
	if opt.Neo4jBulk != nil {
		logf("bulk-loading into Neo4j", "elements", c.Nodes+c.Edges)
		if n4, err = bulkIngest(ctx, opt.Neo4jBulk, c, opt, rep); err != nil {
			return nil, err
		}
		defer n4.Close()
	} else {
		if n4, err = opt.Neo4j(); err != nil {
			return nil, err
		}
		defer n4.Close()
		// The exports are parsed again, one source at a time as above.
		logf("parsing and ingesting into Neo4j, one source at a time", "elements", c.Nodes+c.Edges)
		if _, rep.Neo4jIngest, err = parseAndIngest(ctx, n4, c, opt.Levels, false); err != nil {
			return nil, err
		}
		rep.Neo4jRate = float64(c.Nodes+c.Edges) / rep.Neo4jIngest.Seconds()
	}
	logf("timing Cypher queries", "queries", opt.CypherQueries, "timeout", opt.CypherTimeout)
	eng2 := opt.Cypher(n4)
	k := min(opt.CypherQueries, opt.Queries)
	rep.CypherBlast = MeasureTolerant(ctx, min(k, len(smp.Principals)), opt.CypherTimeout,
		func(ctx context.Context, i int) error {
			_, err := eng2.BlastRadius(ctx, projection.BlastRadiusQuery{From: smp.Principals[i], Witnesses: firstPage})
			return err
		})
	rep.CypherPaths = MeasureTolerant(ctx, min(k, len(smp.Pairs)), opt.CypherTimeout,
		func(ctx context.Context, i int) error {
			_, err := eng2.Paths(ctx, projection.PathsQuery{From: smp.Pairs[i][0], To: smp.Pairs[i][1],
				MaxDepth: 6, MaxPaths: 100})
			return err
		})
	rep.CypherReach = MeasureTolerant(ctx, min(k, len(smp.Resources)), opt.CypherTimeout,
		func(ctx context.Context, i int) error {
			_, err := eng2.WhoCanReach(ctx, projection.WhoCanReachQuery{Resource: smp.Resources[i], Witnesses: firstPage})
			return err
		})
	return rep, nil
}

// parseAndIngest parses c's exports one source at a time and writes each
// batch to st as one sync run before the next is parsed, counting the
// elements into c when count is set. It returns the time spent parsing and
// the time spent in ingest.Write.
func parseAndIngest(ctx context.Context, st graph.Store, c *Company, levels *aws.ActionLevels,
	count bool) (parse, write time.Duration, err error) {
	last := time.Now()
	err = ParseEach(c.Dir, c.Manifest, levels, func(b *graph.Batch) error {
		start := time.Now()
		parse += start.Sub(last)
		if count {
			n, e := b.Len()
			c.Nodes += n
			c.Edges += e
		}
		_, err := ingest.Write(ctx, st, b, ingest.WriteOptions{BatchSize: 20000, Consume: true})
		last = time.Now()
		write += last.Sub(start)
		return err
	})
	return parse, write, err
}

func timeQueries(ctx context.Context, eng Engine, smp *Sample, n int, rep *Report) (br, ps, wr Latency, err error) {
	paths, reachers := 0, 0
	br, err = Measure(min(n, len(smp.Principals)), func(i int) error {
		_, err := eng.BlastRadius(ctx, projection.BlastRadiusQuery{From: smp.Principals[i], Witnesses: firstPage})
		return err
	})
	if err != nil {
		return br, ps, wr, fmt.Errorf("blast radius: %w", err)
	}
	ps, err = Measure(min(n, len(smp.Pairs)), func(i int) error {
		p, err := eng.Paths(ctx, projection.PathsQuery{From: smp.Pairs[i][0], To: smp.Pairs[i][1],
			MaxDepth: 6, MaxPaths: 100})
		paths += len(p)
		return err
	})
	if err != nil {
		return br, ps, wr, fmt.Errorf("paths: %w", err)
	}
	wr, err = Measure(min(n, len(smp.Resources)), func(i int) error {
		r, err := eng.WhoCanReach(ctx, projection.WhoCanReachQuery{Resource: smp.Resources[i], Witnesses: firstPage})
		if r != nil {
			reachers += len(r.Reachers)
		}
		return err
	})
	if err != nil {
		return br, ps, wr, fmt.Errorf("who can reach: %w", err)
	}
	rep.PathsFound = float64(paths) / float64(max(ps.N, 1))
	rep.ReachersAverage = float64(reachers) / float64(max(wr.N, 1))
	return br, ps, wr, nil
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "company\t%d identities: %d nodes, %d edges (generate %s, parse %s)\n", r.Identities,
		r.Nodes, r.Edges, r.Generate.Round(time.Millisecond), r.Parse.Round(time.Millisecond))
	fmt.Fprintf(tw, "ingest, embedded\t%s\t%.0f elements/s\n", r.EmbeddedIngest.Round(time.Millisecond), r.EmbeddedRate)
	if r.Neo4jIngest > 0 {
		fmt.Fprintf(tw, "ingest, Neo4j\t%s\t%.0f elements/s\n", r.Neo4jIngest.Round(time.Millisecond), r.Neo4jRate)
		r.printBulk(tw)
	}
	fmt.Fprintf(tw, "projection build\t%s\t%d nodes, %d edges; %.1f bytes per edge in the edge arrays\n",
		r.ProjectionBuild.Round(time.Millisecond), r.ProjectionNodes, r.ProjEdges, r.EdgeArrayBytesPerEdge)
	if r.SnapshotBytes > 0 {
		fmt.Fprintf(tw, "projection memory\t%s\t%.1f bytes per edge, everything in the snapshot\n",
			mib(r.SnapshotBytes), float64(r.SnapshotBytes)/float64(max(r.ProjEdges, 1)))
	}
	if r.PeakRSS > 0 {
		fmt.Fprintf(tw, "peak RSS\t%s\tthe whole bench process (company batches, stores, snapshot)\n", mib(r.PeakRSS))
	}
	fmt.Fprintf(tw, "\nquery\tprojection\tcypher\tratio (p50)\n")
	row := func(name string, p, c Latency) {
		ratio := "-"
		if c.N > 0 && p.P50 > 0 {
			ratio = fmt.Sprintf("%.0fx", float64(c.P50)/float64(p.P50))
			if c.Failed > c.N/2 {
				ratio = ">" + ratio // the median itself is a timeout
			}
		}
		cy := "-"
		if c.N > 0 {
			cy = c.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, p, cy, ratio)
	}
	row("blastRadius", r.Blast, r.CypherBlast)
	row("paths (depth 6, 100)", r.Paths, r.CypherPaths)
	row("whoCanReach", r.Reach, r.CypherReach)
	fmt.Fprintf(tw, "\n\t%.1f paths per pair, %.1f reachers per resource on average\n", r.PathsFound, r.ReachersAverage)
	if len(r.Load) > 0 {
		fmt.Fprintf(tw, "\nGraphQL under load (wrk)\trequests/s\tp50\tp90\tp99\terrors\n")
		for _, l := range r.Load {
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%d of %d\n", l.Query, l.RPS, l.P50, l.P90, l.P99, l.Errors, l.Requests)
		}
	}
	_ = tw.Flush()
}
