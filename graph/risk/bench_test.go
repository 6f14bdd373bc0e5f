package risk_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/ingest"
	"github.com/accessgraph/accessgraph/ingest/resolve"
)

// companyInput generates (or reuses, in $ACCESSGRAPH_BENCH_DIR) a synthetic
// company, parses it and resolves identities in memory.
func companyInput(b testing.TB, identities int) *risk.Input {
	dir := os.Getenv("ACCESSGRAPH_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	c, err := bench.LoadCompany(filepath.Join(dir, "company-"+strconv.Itoa(identities)), identities, 7, nil)
	if err != nil {
		b.Fatal(err)
	}
	nodes := map[string]graph.Node{}
	var edges []graph.Edge
	for _, bt := range c.Batches {
		for _, n := range bt.Nodes() {
			if old, ok := nodes[n.ID]; ok && n.Props[graph.PropStub] == "true" && old.Props[graph.PropStub] != "true" {
				continue
			}
			nodes[n.ID] = n
		}
		edges = append(edges, bt.Edges()...)
	}
	var accts []resolve.Account
	for _, n := range nodes {
		if n.Kind == graph.KindAccount && n.Props[graph.PropStub] != "true" {
			accts = append(accts, resolve.FromNode(&n))
		}
	}
	slices.SortFunc(accts, func(x, y resolve.Account) int { return strings.Compare(x.ID, y.ID) })
	res := resolve.Resolve(accts)
	for _, n := range res.Batch.Nodes() {
		if _, ok := nodes[n.ID]; !ok {
			nodes[n.ID] = n
		}
	}
	edges = append(edges, res.Batch.Edges()...)
	ns := make([]graph.Node, 0, len(nodes))
	for _, n := range nodes {
		ns = append(ns, n)
	}
	return risk.NewInput(ns, edges)
}

// storeInput loads the company as `accessgraph ingest` and `review` do:
// each source's batch is parsed, written to an embedded store and dropped
// (one source's batch in memory at a time), identities are resolved in the
// store, and risk.LoadInput reads the store back. The store is kept beside
// the exports (company-N-store in $ACCESSGRAPH_BENCH_DIR) and reused when an
// earlier run completed it for the same generator version.
func storeInput(b testing.TB, identities int) *risk.Input {
	dir := os.Getenv("ACCESSGRAPH_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ctx := context.Background()
	cdir := filepath.Join(dir, "company-"+strconv.Itoa(identities))
	m, gen, err := bench.GenerateCompany(cdir, identities, 7)
	if err != nil {
		b.Fatal(err)
	}
	if gen > 0 {
		b.Logf("generated %d identities in %s", identities, gen.Round(time.Second))
	}
	sdir := cdir + "-store"
	marker := filepath.Join(sdir, "complete")
	want := m.Generator + " " + strconv.Itoa(identities) + " 7\n"
	if raw, err := os.ReadFile(marker); err != nil || string(raw) != want {
		if err := os.RemoveAll(sdir); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		st, err := embedded.Open(sdir, embedded.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		err = bench.ParseEach(cdir, m, nil, func(bt *graph.Batch) error {
			_, err := ingest.Write(ctx, st, bt, ingest.WriteOptions{BatchSize: 20000,
				Logger: slog.New(slog.DiscardHandler)})
			return err
		})
		if err == nil {
			_, err = resolve.Run(ctx, st, func(ctx context.Context, bt *graph.Batch) error {
				_, err := ingest.Write(ctx, st, bt, ingest.WriteOptions{AllowShrink: true,
					Logger: slog.New(slog.DiscardHandler)})
				return err
			})
		}
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(marker, []byte(want), 0o600); err != nil {
			b.Fatal(err)
		}
		b.Logf("parsed and ingested into %s in %s", sdir, time.Since(start).Round(time.Second))
	}
	if os.Getenv("ACCESSGRAPH_BENCH_PREPARE_ONLY") == "1" {
		b.Skip("prepared " + sdir)
	}
	st, err := embedded.Open(sdir, embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	in, err := risk.LoadInput(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("LoadInput: %d nodes, %d edges in the projection, in %s", len(in.Nodes), in.Snapshot.Stats().Edges,
		time.Since(start).Round(time.Millisecond))
	return in
}

// BenchmarkScore scores a synthetic company, rules only, loaded through an
// embedded store (see storeInput). Size from $ACCESSGRAPH_BENCH_IDENTITIES
// (default 1000), e.g.
//
//	ACCESSGRAPH_BENCH_IDENTITIES=100000 go test ./graph/risk -run '^$' -bench Score -benchtime 1x
//
// With $ACCESSGRAPH_OLLAMA_URL set, it also asks the model about a sample of
// $ACCESSGRAPH_BENCH_LLM_SAMPLE (default 20) top assessments. With
// $ACCESSGRAPH_BENCH_PREPARE_ONLY=1 it only generates and ingests the
// company into $ACCESSGRAPH_BENCH_DIR, so that a later run's peak RSS is
// that of loading and scoring.
func BenchmarkScore(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("ACCESSGRAPH_BENCH_IDENTITIES")); err == nil && v > 0 {
		n = v
	}
	in := storeInput(b, n)
	pol, err := risk.DefaultPolicy()
	if err != nil {
		b.Fatal(err)
	}
	sc, err := risk.NewScorer(pol)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var res *risk.Result
	for i := 0; i < b.N; i++ {
		if res, err = sc.Score(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(res.Assessments))/res.Duration.Seconds(), "items/s")
	b.ReportMetric(float64(len(res.Assessments)), "items")
	url := os.Getenv("ACCESSGRAPH_OLLAMA_URL")
	if url == "" {
		return
	}
	sample := 20
	if v, err := strconv.Atoi(os.Getenv("ACCESSGRAPH_BENCH_LLM_SAMPLE")); err == nil && v > 0 {
		sample = v
	}
	adv, err := risk.NewAdvisor(risk.AdvisorOptions{URL: url, Model: os.Getenv("ACCESSGRAPH_OLLAMA_MODEL")})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	out := adv.AdviseAll(context.Background(), res, sample)
	el := time.Since(start)
	ok := 0
	for _, a := range out[:min(sample, len(out))] {
		if a.State == risk.LLMOK {
			ok++
		}
	}
	b.ReportMetric(el.Seconds()/float64(sample), "s/llm-call")
	b.ReportMetric(float64(ok), "llm-ok")
}
