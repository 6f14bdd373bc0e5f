package bench

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/ingest"
)

// BenchmarkIngestCompany10k ingests the 10,000-identity company (about 1.18M
// elements in 15 sync runs) into an empty embedded store through
// ingest.Write, one source at a time, as the bench does; parsing is not timed.
func BenchmarkIngestCompany10k(b *testing.B) {
	dir := filepath.Join(os.TempDir(), "accessgraph-bench", "company-10000-1")
	c, err := LoadCompany(dir, 10_000, 1, nil)
	require.NoError(b, err)
	quiet := slog.New(slog.DiscardHandler)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st, err := embedded.Open(b.TempDir(), embedded.Options{Logger: quiet})
		require.NoError(b, err)
		b.StartTimer()
		for _, bt := range c.Batches {
			_, err = ingest.Write(context.Background(), st, bt, ingest.WriteOptions{BatchSize: 20000, Logger: quiet})
			require.NoError(b, err)
		}
		b.StopTimer()
		require.NoError(b, st.Close())
		b.StartTimer()
	}
	b.ReportMetric(float64((c.Nodes+c.Edges)*b.N)/b.Elapsed().Seconds(), "elements/s")
}
