package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/ingest"
)

// BenchmarkIngestCompany10k ingests the 10,000-identity company (about 1.18M
// elements in 15 sync runs) into an empty embedded store through
// ingest.Write, parsing one source at a time as the bench does; only the
// writes are timed. ACCESSGRAPH_BENCH_INGEST_IDENTITIES sets another size
// (for example 100000); each source's rate is logged, and with
// ACCESSGRAPH_BENCH_LOG=1 the store's own log (apply and commit per run).
func BenchmarkIngestCompany10k(b *testing.B) {
	identities := 10_000
	if v := os.Getenv("ACCESSGRAPH_BENCH_INGEST_IDENTITIES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "ACCESSGRAPH_BENCH_INGEST_IDENTITIES")
		identities = n
	}
	dir := filepath.Join(os.TempDir(), "accessgraph-bench", fmt.Sprintf("company-%d-1", identities))
	m, _, err := GenerateCompany(dir, identities, 1)
	require.NoError(b, err)
	quiet := slog.New(slog.DiscardHandler)
	if os.Getenv("ACCESSGRAPH_BENCH_LOG") != "" { // the store's apply and commit times per run
		quiet = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	elements := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st, err := embedded.Open(b.TempDir(), embedded.Options{Logger: quiet})
		require.NoError(b, err)
		err = ParseEach(dir, m, nil, func(bt *graph.Batch) error {
			n, e := bt.Len()
			elements += n + e
			start := time.Now()
			b.StartTimer()
			_, err := ingest.Write(context.Background(), st, bt,
				ingest.WriteOptions{BatchSize: 20000, Logger: quiet, Consume: true})
			b.StopTimer()
			took := time.Since(start)
			b.Logf("%s: %d elements in %v, %.0f elements/s", bt.Source, n+e, took.Round(time.Millisecond),
				float64(n+e)/took.Seconds())
			return err
		})
		require.NoError(b, err)
		require.NoError(b, st.Close())
		b.StartTimer()
	}
	b.ReportMetric(float64(elements)/b.Elapsed().Seconds(), "elements/s")
}
