package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/ingest/config"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

const testAPIToken = "test-api-token-0123456789"

func gqlPost(t *testing.T, base, doc string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": doc})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Empty(t, out.Errors)
	return out.Data
}

// `serve --config` with an idp section runs the OIDC provider beside the
// API: discovery and the token endpoint answer under the issuer's path, the
// provider's users are in the graph, and revokeAll over GraphQL returns a
// verified result.
func TestServeWithIdP(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	t.Setenv("AG_TEST_ALICE_PASSWORD", "correct horse battery staple")
	t.Setenv("AG_TEST_SVC_SECRET", "a-long-enough-client-secret")
	cfgPath := filepath.Join(dir, "accessgraph.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`idp:
  issuer: `+base+`/idp
  dataDir: `+filepath.Join(dir, "idp")+`
  insecure: true
  users:
    - {subject: u-alice, username: alice, email: alice@example.org, passwordEnv: AG_TEST_ALICE_PASSWORD}
  clients:
    - {id: reporter, secretEnv: AG_TEST_SVC_SECRET, grantTypes: [client_credentials]}
`), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	st, err := embedded.Open(filepath.Join(dir, "store"), embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	g := &globals{log: slog.New(slog.DiscardHandler), stdout: io.Discard, stderr: io.Discard,
		storeDir: filepath.Join(dir, "store")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- g.serveWith(ctx, st, serveFlags{addr: fmt.Sprintf("127.0.0.1:%d", port), complexity: 5000,
			token: testAPIToken}, cfg,
			func(string) { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	resp, err := http.Get(base + "/idp/.well-known/openid-configuration")
	require.NoError(t, err)
	var disc map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&disc))
	resp.Body.Close()
	require.Equal(t, base+"/idp", disc["issuer"])

	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest(http.MethodPost, disc["token_endpoint"].(string), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("reporter", "a-long-enough-client-secret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	data := gqlPost(t, base, `{ search(text: "alice", kinds: [ACCOUNT]) { edges { node { id source } } } }`)
	hits := dig(data, "search", "edges").([]any)
	require.NotEmpty(t, hits, "the provider's user is in the graph")
	require.Equal(t, "idp:"+fmt.Sprintf("127.0.0.1:%d", port), dig(hits[0], "node", "source"))

	data = gqlPost(t, base, `{ identitySessions(subject: "u-alice") { status sessions { id } grants { id } } }`)
	require.Equal(t, "active", dig(data, "identitySessions", "status"))
	data = gqlPost(t, base, `mutation { revokeAll(subject: "u-alice") { ended { kind } verification { ok remaining { id } } } }`)
	require.Equal(t, true, dig(data, "revokeAll", "verification", "ok"))

	// While the server holds the provider's store, the CLI says so.
	r := run(t, "", "idp", "sessions", "--config", cfgPath, "u-alice")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "held by a running 'accessgraph serve'")
}

func TestServeRefusesOpenNonLoopback(t *testing.T) {
	t.Setenv(EnvAPIToken, "")
	r := run(t, "", "serve", "--addr", "0.0.0.0:0")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "refusing to serve the access graph on 0.0.0.0:0 without an API token")
	t.Setenv(EnvAPIToken, "short")
	r = run(t, "", "serve", "--addr", "0.0.0.0:0")
	require.Contains(t, r.stderr, "use at least 16")

	// The demo serves the same API: the same rule, before it generates or
	// ingests anything.
	t.Setenv(EnvAPIToken, "")
	store := t.TempDir()
	r = run(t, store, "demo", "--store", store, "--addr", "0.0.0.0:0")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "refusing to serve the access graph on 0.0.0.0:0 without an API token")
	entries, err := os.ReadDir(store)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing was generated or ingested")
}
