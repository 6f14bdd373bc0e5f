package embedded

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest"
)

// synthBatch builds n accounts in groups of 50, each with 4 ACCESS edges.
func synthBatch(n int) *graph.Batch {
	b := graph.NewBatch("bench")
	for i := range n / 50 {
		b.AddNode(graph.Node{ID: fmt.Sprintf("g%06d", i), Kind: graph.KindGroup, Name: "g"})
	}
	for i := range n / 10 {
		b.AddNode(graph.Node{ID: fmt.Sprintf("r%06d", i), Kind: graph.KindResource, Name: "r"})
	}
	for i := range n {
		id := fmt.Sprintf("u%06d", i)
		b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Name: id})
		b.AddEdge(graph.Edge{From: id, To: fmt.Sprintf("g%06d", i/50), Kind: graph.EdgeMemberOf})
		for k := range 4 {
			b.AddEdge(graph.Edge{From: id, To: fmt.Sprintf("r%06d", (i*7+k*13)%(n/10)),
				Kind: graph.EdgeAccess, Privilege: graph.PrivRead, Actions: []string{"s3:GetObject"}})
		}
	}
	return b
}

// BenchmarkIngest measures a whole sync run (stage, apply, sweep) of
// 10,000 accounts: 11,200 nodes and 50,000 edges.
func BenchmarkIngest(b *testing.B) {
	batch := synthBatch(10_000)
	nn, ne := batch.Len()
	st, err := Open(b.TempDir(), Options{})
	require.NoError(b, err)
	defer st.Close()
	b.ResetTimer()
	for b.Loop() {
		_, err := ingest.Write(context.Background(), st, batch, ingest.WriteOptions{})
		require.NoError(b, err)
	}
	b.ReportMetric(float64(nn+ne)*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
}
