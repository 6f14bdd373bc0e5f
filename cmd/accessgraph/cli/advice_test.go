package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/risk"
)

// serveExport ingests the cloudsplaining export, serves it with the advice
// flags af and returns the base URL; the server stops when the test ends.
func serveExport(t *testing.T, af adviceFlags) string {
	t.Helper()
	return serveExportWith(t, serveFlags{advice: af})
}

// serveExportWith is serveExport with more of serve's flags (addr,
// complexity and token are set here).
func serveExportWith(t *testing.T, f serveFlags) string {
	t.Helper()
	ds := datasets(t)
	store := filepath.Join(t.TempDir(), "store")
	mustRun(t, store, "ingest", "aws", filepath.Join(ds, "aws", gaadName))
	st, err := embedded.Open(store, embedded.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	g := &globals{log: slog.New(slog.DiscardHandler), stdout: io.Discard, stderr: io.Discard, storeDir: store}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		f.addr, f.complexity, f.token = fmt.Sprintf("127.0.0.1:%d", port), 5000, testAPIToken
		done <- g.serveWith(ctx, st, f, nil, func(string) { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

const queueDoc = `{ reviewQueue(first: 50) { totalCount edges { node { id score deterministicScore llmRaise
  rationale advice { state rationale suggestedAction model promptVersion error } } } } }`

// waitQueue polls reviewQueue until ok accepts its items or the time is up.
func waitQueue(t *testing.T, base string, within time.Duration, ok func(items []map[string]any) bool) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		data := gqlPost(t, base, queueDoc)
		var items []map[string]any
		for _, e := range dig(data, "reviewQueue", "edges").([]any) {
			items = append(items, e.(map[string]any)["node"].(map[string]any))
		}
		if len(items) > 0 && ok(items) {
			return items
		}
		require.True(t, time.Now().Before(deadline), "the review queue did not reach the expected state: %v", items)
		time.Sleep(100 * time.Millisecond)
	}
}

// Without an Ollama URL the queue still fills, and every item says advice
// is unavailable and why.
func TestServeQueueWithoutAdvisor(t *testing.T) {
	base := serveExport(t, adviceFlags{})
	items := waitQueue(t, base, 30*time.Second, func([]map[string]any) bool { return true })
	for _, it := range items {
		adv := it["advice"].(map[string]any)
		require.Equal(t, risk.LLMUnavailable, adv["state"], it["id"])
		require.Contains(t, adv["error"], "no LLM advisor configured", it["id"])
		require.Nil(t, it["rationale"])
		require.Equal(t, it["deterministicScore"], it["score"])
	}
}

// With an Ollama URL, serve asks the model about the top of the queue (a
// bounded sample) after scoring, the items show its rationale, a raise
// stays within the policy bound, and items past the sample say so.
func TestServeQueueWithAdvice(t *testing.T) {
	var calls atomic.Int64
	ollama := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/chat":
			calls.Add(1)
			_ = json.NewEncoder(w).Encode(map[string]any{"model": "m", "done": true, "message": map[string]any{
				"role": "assistant", "content": `{"rationale":"standing admin: confirm it is needed",` +
					`"suggested_action":"review","raise_attention":true}`}})
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{})
		}
	}))
	defer ollama.Close()
	const sample = 2
	base := serveExport(t, adviceFlags{url: ollama.URL, model: "m", sample: sample, budget: time.Minute,
		call: 10 * time.Second})
	items := waitQueue(t, base, 30*time.Second, func(items []map[string]any) bool {
		n := 0
		for _, it := range items {
			if it["advice"].(map[string]any)["state"] == risk.LLMOK {
				n++
			}
		}
		return n == sample
	})
	require.Greater(t, len(items), sample)
	pol, err := risk.DefaultPolicy()
	require.NoError(t, err)
	for i, it := range items {
		adv := it["advice"].(map[string]any)
		if adv["state"] == risk.LLMOK {
			require.Equal(t, "standing admin: confirm it is needed", it["rationale"])
			require.Equal(t, "review", adv["suggestedAction"])
			require.Equal(t, "m", adv["model"])
			require.Equal(t, risk.PromptVersion, adv["promptVersion"])
			require.InDelta(t, pol.LLM.MaxRaise, it["llmRaise"].(float64), 0.001)
			require.InDelta(t, it["deterministicScore"].(float64)+pol.LLM.MaxRaise, it["score"].(float64), 0.01)
			continue
		}
		require.Equal(t, risk.LLMSkipped, adv["state"], "item #%d %s", i+1, it["id"])
		require.Contains(t, adv["error"], "outside the advice sample")
		require.Equal(t, it["deterministicScore"], it["score"], "no advice, no raise")
	}
	require.Equal(t, int64(sample), calls.Load(), "one model call per sampled item")
}

// Ollama goes away after its first answer: the first sampled item keeps
// its advice, the others are marked unavailable with the error, and every
// item keeps its deterministic score: nothing is lost.
func TestServeQueueOllamaStopsMidRun(t *testing.T) {
	var calls atomic.Int64
	ollama := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat" {
			_ = json.NewEncoder(w).Encode(map[string]any{})
			return
		}
		if calls.Add(1) > 1 { // gone: drop the connection without an answer
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"model": "m", "done": true, "message": map[string]any{
			"role": "assistant", "content": `{"rationale":"r","suggested_action":"keep","raise_attention":false}`}})
	}))
	defer ollama.Close()
	const sample = 3
	base := serveExport(t, adviceFlags{url: ollama.URL, model: "m", sample: sample, budget: time.Minute,
		call: 5 * time.Second})
	items := waitQueue(t, base, 60*time.Second, func(items []map[string]any) bool {
		for _, it := range items[:sample] {
			adv := it["advice"].(map[string]any)
			if adv["state"] == risk.LLMUnavailable && adv["error"] == "advice pending: the model has not answered yet" {
				return false
			}
		}
		return true
	})
	states := map[any]int{}
	for _, it := range items[:sample] {
		adv := it["advice"].(map[string]any)
		states[adv["state"]]++
		if adv["state"] == risk.LLMUnavailable {
			require.NotEmpty(t, adv["error"])
		}
		require.Equal(t, it["deterministicScore"], it["score"], "raise_attention false and failures add nothing")
	}
	require.Equal(t, map[any]int{risk.LLMOK: 1, risk.LLMUnavailable: sample - 1}, states)
	require.Equal(t, 7, int(gqlPost(t, base, queueDoc)["reviewQueue"].(map[string]any)["totalCount"].(float64)),
		"the whole queue is still there")
}

// With the real model (deploy/ollama; CI exports ACCESSGRAPH_OLLAMA_URL),
// serve's advice pass answers for the top item: a schema-valid answer or a
// recorded rejection, never a lower score.
func TestServeQueueWithRealModel(t *testing.T) {
	url := os.Getenv(EnvOllamaURL)
	if url == "" {
		t.Skip(EnvOllamaURL + " not set: run deploy/ollama/ollama.sh up and export " + EnvOllamaURL +
			"=$(deploy/ollama/ollama.sh url)")
	}
	adv, err := risk.NewAdvisor(risk.AdvisorOptions{URL: url, Model: os.Getenv(EnvOllamaModel)})
	require.NoError(t, err)
	if err := adv.Ping(context.Background()); err != nil {
		t.Skipf("ollama not ready (deploy/ollama/ollama.sh up): %v", err)
	}
	base := serveExport(t, adviceFlags{url: url, model: os.Getenv(EnvOllamaModel), sample: 1,
		budget: 10 * time.Minute, call: 8 * time.Minute})
	items := waitQueue(t, base, 10*time.Minute, func(items []map[string]any) bool {
		s := items[0]["advice"].(map[string]any)["state"]
		return s == risk.LLMOK || s == risk.LLMRejected
	})
	top := items[0]
	t.Logf("top item %s: score %v (rules %v) advice %v", top["id"], top["score"], top["deterministicScore"],
		top["advice"])
	require.GreaterOrEqual(t, top["score"].(float64), top["deterministicScore"].(float64))
	if top["advice"].(map[string]any)["state"] == risk.LLMOK {
		require.NotEmpty(t, top["rationale"])
	}
}

// serve --policy scores with the user's policy: a policy with one rule
// puts exactly what that rule flags in the queue, with that rule as the
// reason. A policy whose rule does not compile stops serve at start with
// the file's name and the rule's id, before anything listens.
func TestServePolicy(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "own.yaml")
	require.NoError(t, os.WriteFile(own, []byte(`version: 1
name: only-obama
rules:
  - id: watch-obama
    title: Watch obama
    severity: high
    weight: 40
    when: item.id.endsWith(':user/obama')
    evidence: "[item.id]"
`), 0o600))
	base := serveExportWith(t, serveFlags{policy: own})
	items := waitQueue(t, base, 30*time.Second, func([]map[string]any) bool { return true })
	require.Equal(t, "arn:aws:iam::012345678901:user/obama", items[0]["id"])
	data := gqlPost(t, base, `{ riskScore(id: "arn:aws:iam::012345678901:user/obama") { reasons { rule } } }`)
	require.Equal(t, []any{map[string]any{"rule": "watch-obama"}}, dig(data, "riskScore", "reasons"))

	broken := filepath.Join(dir, "broken.yaml")
	require.NoError(t, os.WriteFile(broken, []byte(`version: 1
rules:
  - id: typo
    title: Typo
    severity: high
    weight: 40
    when: item.no_such_fact >
`), 0o600))
	r := run(t, "", "serve", "--addr", "127.0.0.1:0", "--policy", broken)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "broken.yaml")
	require.Contains(t, r.stderr, "typo")
}

// The advice sample is the top undecided items, one assessment per subject:
// a decided item is out of the queue, so the model is not asked about it.
func TestSampleOfSkipsDecided(t *testing.T) {
	hit := []risk.Hit{{Rule: "r"}}
	res := &risk.Result{Assessments: []risk.Assessment{
		{Subject: "alice", Hits: hit}, {Subject: "alice", Hits: hit}, {Subject: "bob", Hits: hit},
		{Subject: "carol"}, {Subject: "dave", Hits: hit}, {Subject: "erin", Hits: hit},
	}}
	require.Equal(t, []int{0, 2, 4}, sampleOf(res, 3, nil))
	require.Equal(t, []int{2, 4, 5}, sampleOf(res, 3, map[string]bool{"alice": true}))
}
