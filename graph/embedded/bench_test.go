package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest"
)

// synthBatch builds n accounts in groups of 50, each with 4 ACCESS edges:
// 1.12n nodes and 5n edges. Variant 1 is a later pass of the same source
// in which about 4% of the elements moved: every 50th account renamed,
// every 100th (offset 1) gone, every 100th (offset 2) with write instead
// of read access, and n/100 accounts new.
func synthBatch(n, variant int) *graph.Batch {
	b := graph.NewBatch("bench")
	for i := range n / 50 {
		b.AddNode(graph.Node{ID: fmt.Sprintf("g%07d", i), Kind: graph.KindGroup, Name: "g"})
	}
	for i := range n / 10 {
		b.AddNode(graph.Node{ID: fmt.Sprintf("r%07d", i), Kind: graph.KindResource, Name: "r"})
	}
	accounts := n
	if variant == 1 {
		accounts += n / 100
	}
	for i := range accounts {
		if variant == 1 && i%100 == 1 {
			continue
		}
		id := fmt.Sprintf("u%07d", i)
		name := id
		if variant == 1 && i%50 == 0 {
			name += " (renamed)"
		}
		priv, act := graph.PrivRead, "s3:GetObject"
		if variant == 1 && i%100 == 2 {
			priv, act = graph.PrivWrite, "s3:PutObject"
		}
		b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Name: name})
		b.AddEdge(graph.Edge{From: id, To: fmt.Sprintf("g%07d", (i%n)/50), Kind: graph.EdgeMemberOf})
		for k := range 4 {
			b.AddEdge(graph.Edge{From: id, To: fmt.Sprintf("r%07d", (i*7+k*13)%(n/10)),
				Kind: graph.EdgeAccess, Privilege: priv, Actions: []string{act}})
		}
	}
	return b
}

// peakRSS returns the process's peak resident set in MiB (Linux), or 0.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkIngest measures whole sync runs (stage, apply, sweep, fsync) of
// synthBatch at several sizes, in three states of the store:
//
//   - initial: into an empty store;
//   - same: the same data again (the steady state: nothing changed);
//   - changed: alternating two passes that differ in about 4% of elements.
//
// elements=61k is 10,000 accounts; elements=1M is 163,400 accounts; 10M
// (1,634,000 accounts) runs only with ACCESSGRAPH_BENCH_10M=1, as it needs
// several GiB for the batch alone. Use -benchtime 1x for the large sizes.
func BenchmarkIngest(b *testing.B) {
	sizes := []struct {
		name     string
		accounts int
	}{{"61k", 10_000}, {"1M", 163_400}}
	if os.Getenv("ACCESSGRAPH_BENCH_10M") == "1" {
		sizes = append(sizes, struct {
			name     string
			accounts int
		}{"10M", 1_634_000})
	}
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	opt := ingest.WriteOptions{Logger: quiet, AllowShrink: true}
	for _, sz := range sizes {
		var base, other *graph.Batch
		load := func() {
			if base == nil {
				base, other = synthBatch(sz.accounts, 0), synthBatch(sz.accounts, 1)
			}
		}
		report := func(b *testing.B, elements int) {
			b.ReportMetric(float64(elements)/b.Elapsed().Seconds(), "elements/s")
			b.ReportMetric(peakRSS(), "peakRSS-MiB")
		}
		b.Run("elements="+sz.name+"/initial", func(b *testing.B) {
			load()
			nn, ne := base.Len()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				st, err := Open(b.TempDir(), Options{Logger: quiet})
				require.NoError(b, err)
				b.StartTimer()
				_, err = ingest.Write(ctx, st, base, opt)
				require.NoError(b, err)
				b.StopTimer()
				require.NoError(b, st.Close())
				b.StartTimer()
			}
			report(b, (nn+ne)*b.N)
		})
		b.Run("elements="+sz.name+"/same", func(b *testing.B) {
			load()
			nn, ne := base.Len()
			st, err := Open(b.TempDir(), Options{Logger: quiet})
			require.NoError(b, err)
			defer st.Close()
			_, err = ingest.Write(ctx, st, base, opt)
			require.NoError(b, err)
			runtime.GC()
			b.ResetTimer()
			for range b.N {
				r, err := ingest.Write(ctx, st, base, opt)
				require.NoError(b, err)
				require.True(b, r.Stats.Drift.Empty())
			}
			report(b, (nn+ne)*b.N)
		})
		b.Run("elements="+sz.name+"/changed", func(b *testing.B) {
			load()
			st, err := Open(b.TempDir(), Options{Logger: quiet})
			require.NoError(b, err)
			defer st.Close()
			_, err = ingest.Write(ctx, st, base, opt)
			require.NoError(b, err)
			runtime.GC()
			elements, moved := 0, 0
			b.ResetTimer()
			for i := range b.N {
				next := other
				if i%2 == 1 {
					next = base
				}
				r, err := ingest.Write(ctx, st, next, opt)
				require.NoError(b, err)
				d := r.Stats.Drift
				require.False(b, d.Empty())
				nn, ne := next.Len()
				elements += nn + ne
				moved += d.NodesAdded + d.NodesChanged + d.NodesRemoved + d.EdgesAdded + d.EdgesChanged + d.EdgesRemoved
			}
			report(b, elements)
			b.ReportMetric(100*float64(moved)/float64(elements), "%moved")
		})
	}
}

// cpuSeconds returns the user and system CPU time the process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// writeRun writes nodes and edges as one run, 5000 elements per call, as
// ingest.Write does, without the batch's validation and sorting.
func writeRun(b *testing.B, st *Store, nodes []graph.Node, edges []graph.Edge) *graph.SyncRun {
	ctx := context.Background()
	r, err := st.BeginRun(ctx, "bench")
	require.NoError(b, err)
	for i := 0; i < len(nodes); i += 5000 {
		require.NoError(b, st.UpsertNodes(ctx, r.ID, nodes[i:min(i+5000, len(nodes))]))
	}
	for i := 0; i < len(edges); i += 5000 {
		require.NoError(b, st.UpsertEdges(ctx, r.ID, edges[i:min(i+5000, len(edges))]))
	}
	done, err := st.FinishRun(ctx, r.ID)
	require.NoError(b, err)
	return done
}

// BenchmarkStore is BenchmarkIngest without ingest.Write's validation and
// sorting of the batch: what the store itself costs. cpu-elements/s divides
// by the process's CPU time, which is steadier than wall time on a shared
// machine.
func BenchmarkStore(b *testing.B) {
	sizes := []struct {
		name     string
		accounts int
	}{{"61k", 10_000}, {"1M", 163_400}}
	if os.Getenv("ACCESSGRAPH_BENCH_10M") == "1" {
		sizes = append(sizes, struct {
			name     string
			accounts int
		}{"10M", 1_634_000})
	}
	quiet := slog.New(slog.DiscardHandler)
	for _, sz := range sizes {
		type pass struct {
			nodes []graph.Node
			edges []graph.Edge
		}
		var base, other *pass
		load := func() {
			if base == nil {
				a := synthBatch(sz.accounts, 0)
				base = &pass{a.Nodes(), a.Edges()}
				runtime.GC()
			}
		}
		loadOther := func() {
			load()
			if other == nil {
				c := synthBatch(sz.accounts, 1)
				other = &pass{c.Nodes(), c.Edges()}
				runtime.GC()
			}
		}
		var cpu0 float64
		start := func(b *testing.B) { b.ResetTimer(); cpu0 = cpuSeconds() }
		report := func(b *testing.B, elements int) {
			cpu := cpuSeconds() - cpu0
			b.ReportMetric(float64(elements)/b.Elapsed().Seconds(), "elements/s")
			b.ReportMetric(float64(elements)/cpu, "cpu-elements/s")
			b.ReportMetric(peakRSS(), "peakRSS-MiB")
		}
		b.Run("elements="+sz.name+"/initial", func(b *testing.B) {
			load()
			start(b)
			for range b.N {
				b.StopTimer()
				st, err := Open(b.TempDir(), Options{Logger: quiet})
				require.NoError(b, err)
				b.StartTimer()
				writeRun(b, st, base.nodes, base.edges)
				b.StopTimer()
				require.NoError(b, st.Close())
				b.StartTimer()
			}
			report(b, (len(base.nodes)+len(base.edges))*b.N)
		})
		b.Run("elements="+sz.name+"/same", func(b *testing.B) {
			load()
			st, err := Open(b.TempDir(), Options{Logger: quiet})
			require.NoError(b, err)
			defer st.Close()
			writeRun(b, st, base.nodes, base.edges)
			start(b)
			for range b.N {
				r := writeRun(b, st, base.nodes, base.edges)
				require.True(b, r.Stats.Drift.Empty())
			}
			report(b, (len(base.nodes)+len(base.edges))*b.N)
		})
		b.Run("elements="+sz.name+"/changed", func(b *testing.B) {
			loadOther()
			st, err := Open(b.TempDir(), Options{Logger: quiet})
			require.NoError(b, err)
			defer st.Close()
			writeRun(b, st, base.nodes, base.edges)
			elements := 0
			start(b)
			for i := range b.N {
				next := other
				if i%2 == 1 {
					next = base
				}
				r := writeRun(b, st, next.nodes, next.edges)
				require.False(b, r.Stats.Drift.Empty())
				elements += len(next.nodes) + len(next.edges)
			}
			report(b, elements)
		})
	}
}
