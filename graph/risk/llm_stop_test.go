package risk_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph/risk"
)

// ollamaScript returns deploy/ollama/ollama.sh of this repository.
func ollamaScript(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "deploy", "ollama", "ollama.sh")
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test directory")
		dir = parent
	}
}

// A real Ollama (a private one, started from deploy/ollama's cached build on
// its own port, so the shared server keeps serving other tests) is stopped
// while the model is answering: the first item keeps its answer, the item
// in flight and the next one are marked unavailable with the error, and
// every item keeps its deterministic score.
func TestRealOllamaStopsMidRun(t *testing.T) {
	if os.Getenv("ACCESSGRAPH_OLLAMA_URL") == "" {
		t.Skip("ACCESSGRAPH_OLLAMA_URL not set: deploy/ollama/ollama.sh up installs the build this test starts")
	}
	script := ollamaScript(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	listen := l.Addr().String()
	require.NoError(t, l.Close())
	env := append(os.Environ(), "OLLAMA_LISTEN="+listen, "OLLAMA_DATA_DIR="+t.TempDir())
	sh := func(arg string) error {
		cmd := exec.Command(script, arg)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("ollama.sh %s: %s", arg, out)
		}
		return err
	}
	if err := sh("start"); err != nil {
		t.Skipf("a private Ollama did not start (deploy/ollama/ollama.sh up first): %v", err)
	}
	t.Cleanup(func() { _ = sh("stop") })
	adv, err := risk.NewAdvisor(risk.AdvisorOptions{URL: "http://" + listen,
		Model: os.Getenv("ACCESSGRAPH_OLLAMA_MODEL"), Timeout: 8 * time.Minute})
	require.NoError(t, err)
	if err := adv.Ping(context.Background()); err != nil {
		t.Skipf("the private Ollama has no model (deploy/ollama/ollama.sh up creates it): %v", err)
	}

	res := score(t, smallGraph("pat"))
	require.GreaterOrEqual(t, len(res.Assessments), 3)
	ctx := context.Background()
	first := adv.Advise(ctx, &res.Assessments[0])
	t.Logf("first answer: state=%s action=%s rationale=%q err=%s", first.State, first.SuggestedAction,
		first.Rationale, first.Error)
	require.Contains(t, []string{risk.LLMOK, risk.LLMRejected}, first.State, first.Error)

	// The second call is in flight when the server stops.
	done := make(chan risk.Advice, 1)
	go func() { done <- adv.Advise(ctx, &res.Assessments[1]) }()
	time.Sleep(2 * time.Second)
	require.NoError(t, sh("stop"))
	second := <-done
	third := adv.Advise(ctx, &res.Assessments[2])
	for i, got := range []risk.Advice{second, third} {
		a := &res.Assessments[i+1]
		require.Equal(t, risk.LLMUnavailable, got.State, "%s: %+v", a.Item.ID, got)
		require.NotEmpty(t, got.Error)
		require.Equal(t, a.Score, risk.Final(a, &got), "the score survives")
	}
	require.GreaterOrEqual(t, risk.Final(&res.Assessments[0], &first), res.Assessments[0].Score)
	require.Equal(t, int64(2), adv.Failed.Load())
}
