package bench

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph/projection"
)

var (
	once10k sync.Once
	snap10k *projection.Snapshot
	smp10k  *Sample
	err10k  error
)

// company10k generates (once per machine, cached under the temp dir) and
// loads the 10,000-identity demo company.
func company10k(b *testing.B) (*projection.Snapshot, *Sample) {
	b.Helper()
	once10k.Do(func() {
		dir := filepath.Join(os.TempDir(), "accessgraph-bench", "company-10000-1")
		c, err := LoadCompany(dir, 10_000, 1, nil)
		if err != nil {
			err10k = err
			return
		}
		snap10k = c.Snapshot()
		smp10k, err10k = Draw(snap10k, 200, 1)
	})
	require.NoError(b, err10k)
	return snap10k, smp10k
}

func BenchmarkBlastRadius10k(b *testing.B) {
	s, smp := company10k(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		_, err := s.BlastRadius(projection.BlastRadiusQuery{From: smp.Principals[i%len(smp.Principals)], Witnesses: firstPage})
		require.NoError(b, err)
		i++
	}
}

func BenchmarkPaths10k(b *testing.B) {
	s, smp := company10k(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		p := smp.Pairs[i%len(smp.Pairs)]
		_, err := s.Paths(projection.PathsQuery{From: p[0], To: p[1], MaxDepth: 6, MaxPaths: 100})
		require.NoError(b, err)
		i++
	}
}

func BenchmarkWhoCanReach10k(b *testing.B) {
	s, smp := company10k(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		_, err := s.WhoCanReach(projection.WhoCanReachQuery{Resource: smp.Resources[i%len(smp.Resources)], Witnesses: firstPage})
		require.NoError(b, err)
		i++
	}
}
