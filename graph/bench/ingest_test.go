package bench

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/ingest"
)

// BenchmarkIngestCompany10k ingests the 10,000-identity company (about 1.18M
// elements in 15 sync runs) into an empty embedded store through
// ingest.Write, parsing one source at a time as the bench does; only the
// writes are timed.
func BenchmarkIngestCompany10k(b *testing.B) {
	dir := filepath.Join(os.TempDir(), "accessgraph-bench", "company-10000-1")
	m, _, err := GenerateCompany(dir, 10_000, 1)
	require.NoError(b, err)
	quiet := slog.New(slog.DiscardHandler)
	elements := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st, err := embedded.Open(b.TempDir(), embedded.Options{Logger: quiet})
		require.NoError(b, err)
		err = ParseEach(dir, m, nil, func(bt *graph.Batch) error {
			n, e := bt.Len()
			elements += n + e
			b.StartTimer()
			_, err := ingest.Write(context.Background(), st, bt, ingest.WriteOptions{BatchSize: 20000, Logger: quiet})
			b.StopTimer()
			return err
		})
		require.NoError(b, err)
		require.NoError(b, st.Close())
		b.StartTimer()
	}
	b.ReportMetric(float64(elements)/b.Elapsed().Seconds(), "elements/s")
}
