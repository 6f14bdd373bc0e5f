package gql

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/projection"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// Fixture IDs.
const (
	idAlex    = "okta:user/alex"
	acctAlice = "aws:user/alice"
	grpAdmins = "aws:group/admins"
	roleAdmin = "aws:role/Admin"
	bktPay    = "s3:payroll"
	bktLogs   = "s3:logs"
	bktA      = "s3:a-builds"
	bktB      = "s3:b-builds"
	bktC      = "s3:c-builds"
)

func testNode(id string, k graph.Kind, sens graph.Sensitivity) graph.Node {
	return graph.Node{ID: id, Kind: k, Name: id, Source: "test", Sensitivity: sens, SyncRun: "run-1"}
}

// fixtureElements is a small graph:
//
//	okta:user/alex -HAS_ACCOUNT-> aws:user/alice -MEMBER_OF-> aws:group/admins
//	  -HAS_ROLE-> aws:role/Admin -ACCESS(admin, s3:*)-> s3:payroll (critical)
//	aws:role/Admin -ACCESS(write)-> s3:a-builds, s3:b-builds, s3:c-builds (medium)
//	aws:user/alice -ACCESS(read, s3:GetObject)-> s3:payroll
//	aws:user/alice -ACCESS(read, s3:GetObject s3:ListBucket)-> s3:logs (low)
func fixtureElements() ([]graph.Node, []graph.Edge) {
	alex := testNode(idAlex, graph.KindIdentity, 0)
	alex.Subkind = "human"
	alex.Name = "Alex Doe"
	alex.Props = map[string]string{"email": "alex@example.com", "department": "finance"}
	nodes := []graph.Node{
		alex,
		testNode(acctAlice, graph.KindAccount, 0),
		testNode(grpAdmins, graph.KindGroup, 0),
		testNode(roleAdmin, graph.KindRole, 0),
		testNode(bktPay, graph.KindResource, graph.SensCritical),
		testNode(bktLogs, graph.KindResource, graph.SensLow),
		testNode(bktA, graph.KindResource, graph.SensMedium),
		testNode(bktB, graph.KindResource, graph.SensMedium),
		testNode(bktC, graph.KindResource, graph.SensMedium),
	}
	e := func(from string, k graph.EdgeKind, to string, p graph.Privilege, actions ...string) graph.Edge {
		return graph.Edge{From: from, To: to, Kind: k, Privilege: p, Actions: actions, Source: "test"}
	}
	admin := e(roleAdmin, graph.EdgeAccess, bktPay, graph.PrivAdmin, "s3:*")
	admin.Via = []string{"policy/AdministratorAccess via group/admins"}
	edges := []graph.Edge{
		e(idAlex, graph.EdgeHasAccount, acctAlice, 0),
		e(acctAlice, graph.EdgeMemberOf, grpAdmins, 0),
		e(grpAdmins, graph.EdgeHasRole, roleAdmin, 0),
		admin,
		e(roleAdmin, graph.EdgeAccess, bktA, graph.PrivWrite, "s3:PutObject"),
		e(roleAdmin, graph.EdgeAccess, bktB, graph.PrivWrite, "s3:PutObject"),
		e(roleAdmin, graph.EdgeAccess, bktC, graph.PrivWrite, "s3:PutObject"),
		e(acctAlice, graph.EdgeAccess, bktPay, graph.PrivRead, "s3:GetObject"),
		e(acctAlice, graph.EdgeAccess, bktLogs, graph.PrivRead, "s3:GetObject", "s3:ListBucket"),
	}
	return nodes, edges
}

func fixtureResolver(t *testing.T) *Resolver {
	t.Helper()
	nodes, edges := fixtureElements()
	h := &projection.Holder{}
	h.Store(projection.FromElements(nodes, edges))
	return &Resolver{Snapshots: h, Logger: slog.New(slog.DiscardHandler)}
}

// withStore gives r an embedded store holding the fixture (one complete sync
// run of its source, "test"), for what the snapshot does not keep (props).
func withStore(t *testing.T, r *Resolver) *Resolver {
	t.Helper()
	ctx := t.Context()
	st, err := embedded.Open(t.TempDir(), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	nodes, edges := fixtureElements()
	run, err := st.BeginRun(ctx, "test")
	require.NoError(t, err)
	require.NoError(t, st.UpsertNodes(ctx, run.ID, nodes))
	require.NoError(t, st.UpsertEdges(ctx, run.ID, edges))
	_, err = st.FinishRun(ctx, run.ID)
	require.NoError(t, err)
	r.Store = st
	return r
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// gqlResponse is a GraphQL response with its data left raw.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// post sends a GraphQL document to /graphql on srv and decodes the reply.
func post(t *testing.T, srv *httptest.Server, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	var out gqlResponse
	require.NoError(t, json.Unmarshal(raw, &out), "response: %s", raw)
	return out
}

// data posts query, requires no error and decodes data into v.
func data(t *testing.T, srv *httptest.Server, query string, vars map[string]any, v any) {
	t.Helper()
	r := post(t, srv, query, vars)
	require.Empty(t, r.Errors, "query errors")
	require.NoError(t, json.Unmarshal(r.Data, v))
}

// oneError posts query and requires exactly one error, which it returns.
func oneError(t *testing.T, srv *httptest.Server, query string, vars map[string]any) gqlError {
	t.Helper()
	r := post(t, srv, query, vars)
	require.Len(t, r.Errors, 1, "data: %s", r.Data)
	return r.Errors[0]
}

func newServer(t *testing.T, r *Resolver, opt Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewRouter(r, opt))
	t.Cleanup(srv.Close)
	return srv
}
