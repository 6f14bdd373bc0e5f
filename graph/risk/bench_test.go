package risk_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/ingest/resolve"
)

// companyInput generates (or reuses, in $ACCESSGRAPH_BENCH_DIR) a synthetic
// company, parses it and resolves identities in memory.
func companyInput(b *testing.B, identities int) *risk.Input {
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

// BenchmarkScore scores a synthetic company, rules only. Size from
// $ACCESSGRAPH_BENCH_IDENTITIES (default 1000), e.g.
//
//	ACCESSGRAPH_BENCH_IDENTITIES=100000 go test ./graph/risk -run '^$' -bench Score -benchtime 1x
//
// With $ACCESSGRAPH_OLLAMA_URL set, it also asks the model about a sample of
// $ACCESSGRAPH_BENCH_LLM_SAMPLE (default 20) top assessments.
func BenchmarkScore(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("ACCESSGRAPH_BENCH_IDENTITIES")); err == nil && v > 0 {
		n = v
	}
	in := companyInput(b, n)
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
