package gql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// bigSelection selects enough per reach that 500 reaches cost more than the
// default limit: each edge costs 17 (16 fields and the edges list itself),
// so blastRadius costs 10 + 500 * 17 = 8510 > 5000.
const bigSelection = `{ blastRadius(id: "` + acctAlice + `", first: 500) { reaches { edges { cursor node {
  resource { id name kind } privilege actions witness { length nodes { id } steps { kind to } } } } } } }`

func TestLimits(t *testing.T) {
	tests := []struct {
		name    string
		opt     Options
		query   string
		code    string
		message string
	}{
		{"complexity over default limit", Options{}, bigSelection, CodeComplexityLimit,
			"operation has complexity 8750, which exceeds the limit of 5000"},
		{"many analyses in one operation", Options{}, manyAnalyses(25), CodeComplexityLimit,
			"operation has complexity 6300, which exceeds the limit of 5000"},
		{"paths charged by what they enumerate", Options{},
			`{ paths(from: "` + acctAlice + `", to: "x", maxPaths: 1000, maxDepth: 20, first: 1) { totalCount } }`,
			CodeComplexityLimit, "operation has complexity 10251, which exceeds the limit of 5000"},
		{"complexity over configured limit", Options{ComplexityLimit: 100},
			`{ search(text: "s3", first: 200) { edges { node { id name } } } }`, CodeComplexityLimit,
			"operation has complexity 801, which exceeds the limit of 100"},
		{"depth", Options{MaxDepth: 4},
			`{ blastRadius(id: "` + acctAlice + `") { reaches { edges { node { witness { length } } } } } }`,
			CodeDepthLimit, "operation nests 6 fields deep, which exceeds the limit of 4"},
		{"depth through fragments", Options{MaxDepth: 4},
			`query { blastRadius(id: "` + acctAlice + `") { ...R } }
			 fragment R on BlastRadius { reaches { edges { node { ... on Reach { witness { length } } } } } }`,
			CodeDepthLimit, "operation nests 6 fields deep, which exceeds the limit of 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, fixtureResolver(t), tc.opt)
			r := post(t, srv, tc.query, nil)
			require.Len(t, r.Errors, 1)
			require.Equal(t, tc.message, r.Errors[0].Message)
			require.Equal(t, tc.code, r.Errors[0].Extensions["code"])
		})
	}

	// The same document within limits runs.
	srv := newServer(t, fixtureResolver(t), Options{ComplexityLimit: 10000})
	r := post(t, srv, bigSelection, nil)
	require.Empty(t, r.Errors)
}

// introspection is the part of GraphiQL's schema query that nests deepest.
const introspection = `query IntrospectionQuery { __schema { queryType { name } types { ...FullType } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) {
  name args { name type { ...TypeRef } } type { ...TypeRef } } enumValues(includeDeprecated: true) { name } }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

func TestIntrospectionWithinLimits(t *testing.T) {
	srv := newServer(t, fixtureResolver(t), Options{})
	var got struct {
		Schema struct {
			QueryType struct {
				Name string `json:"name"`
			} `json:"queryType"`
			Types []struct {
				Name string `json:"name"`
			} `json:"types"`
		} `json:"__schema"`
	}
	data(t, srv, introspection, nil, &got)
	require.Equal(t, "Query", got.Schema.QueryType.Name)
	var names []string
	for _, ty := range got.Schema.Types {
		names = append(names, ty.Name)
	}
	require.Contains(t, names, "BlastRadius")
	require.Contains(t, names, "EdgeKind")
}

func TestPlaygroundAndHealth(t *testing.T) {
	r := fixtureResolver(t)
	srv := newServer(t, r, Options{})

	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, string(body), "graphiql")
	require.Contains(t, string(body), "/graphql")

	resp, err = http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	var health struct {
		Status  string `json:"status"`
		Version uint64 `json:"version"`
		Nodes   int    `json:"nodes"`
		Edges   int    `json:"edges"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", health.Status)
	require.Equal(t, r.Snapshots.Load().Stats().Version, health.Version)
	require.Equal(t, 9, health.Nodes)
	require.Equal(t, 9, health.Edges)

	// Without a snapshot, health says so and queries fail clearly.
	empty := newServer(t, &Resolver{Snapshots: &projection.Holder{}, Logger: r.Logger},
		Options{DisablePlayground: true})
	resp, err = http.Get(empty.URL + "/healthz")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	e := oneError(t, empty, `{ snapshot { version } }`, nil)
	require.Equal(t, CodeUnavailable, e.Extensions["code"])
	require.Equal(t, "no graph snapshot is loaded yet: run a sync first", e.Message)

	resp, err = http.Get(empty.URL + "/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestSnapshotQueryAndGET(t *testing.T) {
	r := fixtureResolver(t)
	srv := newServer(t, r, Options{})
	resp, err := http.Get(srv.URL + "/graphql?query=" +
		"%7B%20snapshot%20%7B%20nodes%20edges%20version%20builtAt%20%7D%20%7D")
	require.NoError(t, err)
	defer resp.Body.Close()
	var got struct {
		Data struct {
			Snapshot struct {
				Nodes   int       `json:"nodes"`
				Edges   int       `json:"edges"`
				Version int       `json:"version"`
				BuiltAt time.Time `json:"builtAt"`
			} `json:"snapshot"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	st := r.Snapshots.Load().Stats()
	require.Equal(t, 9, got.Data.Snapshot.Nodes)
	require.Equal(t, 9, got.Data.Snapshot.Edges)
	require.Equal(t, int(st.Version), got.Data.Snapshot.Version)
	require.WithinDuration(t, st.BuiltAt, got.Data.Snapshot.BuiltAt, time.Second)
}

func TestBodyLimitAndLogging(t *testing.T) {
	var logs bytes.Buffer
	r := fixtureResolver(t)
	r.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	srv := newServer(t, r, Options{MaxBodyBytes: 200})

	big := `{"query":"{ snapshot { nodes } }","variables":{"pad":"` + strings.Repeat("x", 300) + `"}}`
	resp, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(big))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Contains(t, string(body), fmt.Sprintf("request body is %d bytes, more than the limit of 200", len(big)))

	// Without Content-Length (chunked), the limit holds all the same.
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", io.MultiReader(strings.NewReader(big)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Contains(t, string(body), "request body is more than the limit of 200 bytes")

	// A request with a secret in its variables and headers: neither is logged.
	req, err = http.NewRequest(http.MethodPost, srv.URL+"/graphql?token=querysecret", strings.NewReader(
		`{"query":"query($t: String!) { search(text: $t) { totalCount } }","variables":{"t":"varsecret"}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer headersecret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 3)
	var entry struct {
		Msg      string `json:"msg"`
		Method   string `json:"method"`
		Path     string `json:"path"`
		Status   int    `json:"status"`
		Duration int64  `json:"duration"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &entry))
	require.Equal(t, "http request", entry.Msg)
	require.Equal(t, "POST", entry.Method)
	require.Equal(t, "/graphql", entry.Path)
	require.Equal(t, 200, entry.Status)
	require.Positive(t, entry.Duration)
	for _, secret := range []string{"querysecret", "varsecret", "headersecret"} {
		require.NotContains(t, logs.String(), secret)
	}
}

func TestExecute(t *testing.T) {
	r := fixtureResolver(t)
	out, err := Execute(context.Background(), r,
		`query($id: ID!) { node(id: $id) { id kind } }`, map[string]any{"id": roleAdmin})
	require.NoError(t, err)
	require.JSONEq(t, `{"data":{"node":{"id":"aws:role/Admin","kind":"ROLE"}}}`, string(out))

	out, err = Execute(context.Background(), r, `{ node(id: "x") { id } }`, nil)
	require.ErrorContains(t, err, `no node with id "x"`)
	require.Contains(t, string(out), `"code":"NOT_FOUND"`)

	out, err = Execute(context.Background(), r, `{ nodes }`, nil)
	require.ErrorContains(t, err, `Cannot query field "nodes" on type "Query"`)
	require.Contains(t, string(out), "GRAPHQL_VALIDATION_FAILED")
}

func TestSyncRuns(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(t.TempDir(), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })

	ok, err := st.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	require.NoError(t, st.UpsertNodes(ctx, ok.ID, []graph.Node{
		{ID: "a", Kind: graph.KindAccount, Name: "a", Source: "aws:1"},
		{ID: "b", Kind: graph.KindGroup, Name: "b", Source: "aws:1"},
	}))
	_, err = st.FinishRun(ctx, ok.ID)
	require.NoError(t, err)
	bad, err := st.BeginRun(ctx, "k8s:prod")
	require.NoError(t, err)
	_, err = st.FailRun(ctx, bad.ID, context.DeadlineExceeded)
	require.NoError(t, err)

	r := fixtureResolver(t)
	r.Store = st
	srv := newServer(t, r, Options{})
	type runJSON struct {
		ID       string     `json:"id"`
		Source   string     `json:"source"`
		Status   string     `json:"status"`
		Finished *time.Time `json:"finished"`
		Error    *string    `json:"error"`
		Stats    struct {
			NodesUpserted int `json:"nodesUpserted"`
		} `json:"stats"`
	}
	var got struct {
		All []runJSON `json:"all"`
		AWS []runJSON `json:"aws"`
	}
	data(t, srv, `{ all: syncRuns { id source status finished error stats { nodesUpserted } }
	  aws: syncRuns(source: "aws:1", first: 5) { id status stats { nodesUpserted } } }`, nil, &got)
	require.Len(t, got.All, 2)
	// Newest first.
	require.Equal(t, bad.ID, got.All[0].ID)
	require.Equal(t, "FAILED", got.All[0].Status)
	require.NotNil(t, got.All[0].Error)
	require.Contains(t, *got.All[0].Error, "deadline exceeded")
	require.Equal(t, "COMPLETE", got.All[1].Status)
	require.Nil(t, got.All[1].Error)
	require.NotNil(t, got.All[1].Finished)
	require.Len(t, got.AWS, 1)
	require.Equal(t, ok.ID, got.AWS[0].ID)
	require.Equal(t, 2, got.AWS[0].Stats.NodesUpserted)

	var drift struct {
		Runs []struct {
			Stats struct {
				Drift struct {
					NodesAdded int      `json:"nodesAdded"`
					Added      []string `json:"added"`
				} `json:"drift"`
			} `json:"stats"`
		} `json:"syncRuns"`
		Active []any `json:"activeSyncs"`
	}
	data(t, srv, `{ syncRuns(source: "aws:1") { stats { drift { nodesAdded added } } } activeSyncs { source } }`,
		nil, &drift)
	require.Equal(t, 2, drift.Runs[0].Stats.Drift.NodesAdded)
	require.ElementsMatch(t, []string{"a", "b"}, drift.Runs[0].Stats.Drift.Added)
	require.Empty(t, drift.Active)

	e := oneError(t, srv, `{ syncRuns(first: 0) { id } }`, nil)
	require.Equal(t, "first: must be between 1 and 500, got 0", e.Message)
	require.Equal(t, CodeBadUserInput, e.Extensions["code"])
}

// With a token configured, /graphql needs it; without one, queries are
// served but mutations are refused.
func TestAPIToken(t *testing.T) {
	r := fixtureResolver(t)
	srv := newServer(t, r, Options{Token: "s3cret-token"})
	post := func(auth, doc string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql",
			strings.NewReader(`{"query":`+strconv.Quote(doc)+`}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("", `{ snapshot { nodes } }`)
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, body, "UNAUTHENTICATED")
	code, _ = post("Bearer wrong", `{ snapshot { nodes } }`)
	require.Equal(t, http.StatusUnauthorized, code)
	code, body = post("Bearer s3cret-token", `{ snapshot { nodes } }`)
	require.Equal(t, http.StatusOK, code, body)

	open := newServer(t, r, Options{})
	srv = open
	code, body = post("", `mutation { revokeAll(subject: "u") { ended { id } } }`)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "mutations need an API token")
	require.Contains(t, body, `"code":"UNAUTHENTICATED"`)
}

// Without a token, a request addressed to a name other than loopback (a
// DNS-rebinding page) is refused; with a token any Host is served.
func TestHostCheckWithoutToken(t *testing.T) {
	r := fixtureResolver(t)
	post := func(srvURL, host, auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srvURL+"/graphql",
			strings.NewReader(`{"query":"{ snapshot { nodes } }"}`))
		req.Header.Set("Content-Type", "application/json")
		if host != "" {
			req.Host = host
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	open := newServer(t, r, Options{})
	for _, h := range []string{"", "localhost:8080", "LOCALHOST", "127.0.0.1", "127.0.0.2:80", "[::1]:8080"} {
		code, body := post(open.URL, h, "")
		require.Equal(t, http.StatusOK, code, "Host %q: %s", h, body)
	}
	for _, h := range []string{"evil.example", "evil.example:8080", "10.0.0.1", "localhost.evil.example"} {
		code, body := post(open.URL, h, "")
		require.Equal(t, http.StatusForbidden, code, "Host %q", h)
		require.Contains(t, body, "FORBIDDEN_HOST")
	}
	tok := newServer(t, r, Options{Token: "s3cret-token-123456"})
	code, body := post(tok.URL, "accessgraph.example.com", "Bearer s3cret-token-123456")
	require.Equal(t, http.StatusOK, code, body)
}

// manyAnalyses is one operation asking for n blast radii under aliases.
func manyAnalyses(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: blastRadius(id: %q, first: 1) { totals { resources } }", i, acctAlice)
	}
	b.WriteString(" }")
	return b.String()
}
