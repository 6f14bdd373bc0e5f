package cypher

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/neo4jstore"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
)

// company is the synthetic company loaded into Neo4j once per process.
type company struct {
	st     *neo4jstore.Store
	snap   *projection.Snapshot
	eng    *Engine
	sample *bench.Sample
	// ingest figures; zero when the database already held the company.
	elements int
	ingest   time.Duration
}

var (
	companyOnce sync.Once
	theCompany  *company
	errCompany  error
)

// benchIdentities is the company size: ACCESSGRAPH_BENCH_IDENTITIES, default 10,000.
func benchIdentities() int {
	if n, err := strconv.Atoi(os.Getenv("ACCESSGRAPH_BENCH_IDENTITIES")); err == nil && n > 0 {
		return n
	}
	return 10_000
}

// loadCompany generates (or reuses) the synthetic company, writes it into
// Neo4j through the real ingest path unless the database already holds
// exactly it, and builds the projection from the store.
func loadCompany(tb testing.TB, sampleSize int) *company {
	tb.Helper()
	cfg := testConfig(tb)
	companyOnce.Do(func() {
		ctx := context.Background()
		n := benchIdentities()
		dir := filepath.Join(os.TempDir(), "accessgraph-bench", "company-"+strconv.Itoa(n)+"-1")
		c, err := bench.LoadCompany(dir, n, 1, nil)
		if err != nil {
			errCompany = err
			return
		}
		want := c.Snapshot().Stats()
		st, err := neo4jstore.Open(ctx, cfg)
		if err != nil {
			errCompany = err
			return
		}
		out := &company{st: st, eng: New(st.Driver(), st.Database())}
		nodes, edges, err := st.Counts(ctx)
		if err != nil {
			errCompany = err
			return
		}
		if nodes != want.Nodes || edges != want.Edges {
			if errCompany = wipe(ctx, st); errCompany != nil {
				return
			}
			start := time.Now()
			for _, b := range c.Batches {
				if _, errCompany = ingest.Write(ctx, st, b, ingest.WriteOptions{Logger: quiet}); errCompany != nil {
					return
				}
			}
			out.ingest, out.elements = time.Since(start), c.Nodes+c.Edges
		}
		if out.snap, errCompany = projection.Build(ctx, st); errCompany != nil {
			return
		}
		if out.sample, errCompany = bench.Draw(out.snap, sampleSize, 1); errCompany != nil {
			return
		}
		theCompany = out
	})
	require.NoError(tb, errCompany)
	return theCompany
}

// TestCompare10k runs Compare on the 10,000-identity synthetic company
// (ACCESSGRAPH_BENCH_IDENTITIES overrides the size) when
// ACCESSGRAPH_CYPHER_COMPARE is set: it replaces the database's contents.
func TestCompare10k(t *testing.T) {
	if os.Getenv("ACCESSGRAPH_CYPHER_COMPARE") == "" {
		t.Skip("set ACCESSGRAPH_CYPHER_COMPARE=1 to ingest the synthetic company into Neo4j and compare the engines")
	}
	n := 50
	if v, err := strconv.Atoi(os.Getenv("ACCESSGRAPH_CYPHER_COMPARE")); err == nil && v > 1 {
		n = v
	}
	c := loadCompany(t, n)
	st := c.snap.Stats()
	t.Logf("company: %d nodes, %d edges in Neo4j", st.Nodes, st.Edges)
	if c.elements > 0 {
		t.Logf("ingest into Neo4j: %d elements in %s = %.0f elements/s", c.elements,
			c.ingest.Round(time.Millisecond), float64(c.elements)/c.ingest.Seconds())
	}
	rep, err := Compare(context.Background(), c.snap, c.eng, c.sample)
	require.NoError(t, err)
	t.Logf("sample of %d principals, %d pairs, %d resources:\n%s", len(c.sample.Principals),
		len(c.sample.Pairs), len(c.sample.Resources), rep)
	for _, q := range rep.Queries {
		require.Zero(t, q.Mismatches, "%s: answers of different sizes", q.Query)
	}
}

// BenchmarkEngines runs the same queries through both engines on the
// synthetic company (loaded into Neo4j on first use), with witnesses for
// the first page of 50 results, as accessgraph bench and the GraphQL API ask.
func BenchmarkEngines(b *testing.B) {
	c := loadCompany(b, 50)
	ctx := context.Background()
	smp := c.sample
	page := projection.Window{Limit: 50}
	type engine struct {
		name string
		br   func(q projection.BlastRadiusQuery) error
		ps   func(q projection.PathsQuery) error
		wr   func(q projection.WhoCanReachQuery) error
	}
	engines := []engine{
		{"projection",
			func(q projection.BlastRadiusQuery) error { _, err := c.snap.BlastRadius(q); return err },
			func(q projection.PathsQuery) error { _, err := c.snap.Paths(q); return err },
			func(q projection.WhoCanReachQuery) error { _, err := c.snap.WhoCanReach(q); return err }},
		{"cypher",
			func(q projection.BlastRadiusQuery) error { _, err := c.eng.BlastRadius(ctx, q); return err },
			func(q projection.PathsQuery) error { _, err := c.eng.Paths(ctx, q); return err },
			func(q projection.WhoCanReachQuery) error { _, err := c.eng.WhoCanReach(ctx, q); return err }},
	}
	for _, e := range engines {
		b.Run("blastRadius/"+e.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				require.NoError(b, e.br(projection.BlastRadiusQuery{From: smp.Principals[i%len(smp.Principals)],
					Witnesses: page}))
				i++
			}
		})
		b.Run("paths/"+e.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				p := smp.Pairs[i%len(smp.Pairs)]
				require.NoError(b, e.ps(projection.PathsQuery{From: p[0], To: p[1], MaxDepth: 6, MaxPaths: 100}))
				i++
			}
		})
		b.Run("whoCanReach/"+e.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				require.NoError(b, e.wr(projection.WhoCanReachQuery{Resource: smp.Resources[i%len(smp.Resources)],
					Witnesses: page}))
				i++
			}
		})
	}
}
