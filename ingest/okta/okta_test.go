package okta

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

const p = "okta:example.okta.com:"

const (
	isaac  = p + "user:00ub0oNGTSWTBKOLGLNR"
	amy    = p + "user:00u1f96ECLNVOKVMUSEA"
	john   = p + "user:00u2ab3cDEFghIJK4l5m"
	west   = p + "group:00g1emaKYZTWRYYRRTSK"
	admins = p + "group:00g1ems6Q3G3k6XyQ9eT"
	saml   = p + "appaccess:0oa1gjh63g214q0Hq0g4"
	exp    = p + "appaccess:0oa5b2c3d4OIDCapp7x8"
)

func parseFixture(t *testing.T) *graph.Batch {
	t.Helper()
	b, err := ParseExport(Options{Org: "example.okta.com"}, filepath.Join("testdata", "export"))
	require.NoError(t, err)
	require.NoError(t, b.Validate())
	return b
}

func node(t *testing.T, b *graph.Batch, id string) *graph.Node {
	t.Helper()
	n, ok := b.Node(id)
	require.Truef(t, ok, "missing node %s", id)
	return n
}

func edge(t *testing.T, b *graph.Batch, from string, k graph.EdgeKind, to string) *graph.Edge {
	t.Helper()
	e, ok := b.Edge(from, k, to)
	require.Truef(t, ok, "missing edge %s", graph.EdgeID(from, k, to))
	return e
}

func from(b *graph.Batch, id string, k graph.EdgeKind) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.From == id && e.Kind == k {
			out = append(out, e.To)
		}
	}
	return out
}

// reaches lists the resources id reaches over traversal edges then one
// ACCESS edge, with the first hop of each path.
func reaches(b *graph.Batch, id string) map[string]string {
	out := map[string]string{}
	type item struct{ n, first string }
	queue, seen := []item{{id, ""}}, map[string]bool{id: true}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, e := range b.Edges() {
			if e.From != it.n {
				continue
			}
			first := it.first
			if first == "" {
				first = e.To
			}
			if e.Kind.Terminal() {
				if _, ok := out[e.To]; !ok {
					out[e.To] = first
				}
			} else if e.Kind.Traversal() && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, item{e.To, first})
			}
		}
	}
	return out
}

func TestExportRealAnswers(t *testing.T) {
	b := parseFixture(t)

	u := node(t, b, isaac)
	require.Equal(t, "isaac.brock@example.com", u.Props[graph.PropEmail], "lower-cased")
	require.Equal(t, "E1001", u.Props[graph.PropEmployeeID])
	require.Equal(t, "active", u.Props[graph.PropStatus])
	require.Equal(t, "Isaac Brock", u.Props[graph.PropDisplayName])
	require.Equal(t, "2013-06-24T17:39:19.000Z", u.Props["last_login"])
	require.Equal(t, "deprovisioned", node(t, b, john).Props[graph.PropStatus])

	// Memberships.
	require.Equal(t, []string{west}, from(b, isaac, graph.EdgeMemberOf))
	require.Equal(t, []string{west, admins}, from(b, amy, graph.EdgeMemberOf))
	require.Empty(t, from(b, john, graph.EdgeMemberOf))

	// Who reaches which app: Isaac through West Coast Users (no direct
	// edge: his assignment has scope GROUP), John directly.
	require.Equal(t, west, reaches(b, isaac)[saml])
	_, direct := b.Edge(isaac, graph.EdgeAccess, saml)
	require.False(t, direct)
	require.Equal(t, "Custom Saml 2.0 App", node(t, b, saml).Name)
	e := edge(t, b, john, graph.EdgeAccess, exp)
	require.Equal(t, "USER", e.Props["scope"])
	require.Equal(t, exp, reaches(b, john)[exp])
	require.Equal(t, graph.SensCritical, node(t, b, p+"appaccess:0oa1admconsole0x0h7").Sensitivity)

	// Admin roles: Amy holds APP_ADMIN herself and SUPER_ADMIN through Okta Admins.
	require.Equal(t, []string{p + "role:APP_ADMIN"}, from(b, amy, graph.EdgeHasRole))
	require.Equal(t, []string{p + "role:SUPER_ADMIN"}, from(b, admins, graph.EdgeHasRole))
	require.Equal(t, graph.PrivAdmin, edge(t, b, p+"role:SUPER_ADMIN", graph.EdgeAccess, p+"org").Privilege)
	require.Equal(t, graph.PrivRead, edge(t, b, p+"role:READ_ONLY_ADMIN", graph.EdgeAccess, p+"org").Privilege)
	require.Equal(t, "Super Administrator", node(t, b, p+"role:SUPER_ADMIN").Name)

	// Grants Isaac gave Expense Reports: the two active scopes, not the revoked one.
	g := p + "grant:00ub0oNGTSWTBKOLGLNR:0oa5b2c3d4OIDCapp7x8"
	require.Equal(t, "okta.groups.manage okta.users.read", node(t, b, g).Props["scopes"])
	client := p + "app:0oa5b2c3d4OIDCapp7x8"
	require.Equal(t, []string{"okta.groups.manage", "okta.users.read"}, edge(t, b, client, graph.EdgeDelegates, g).Actions)
	edge(t, b, g, graph.EdgeOnBehalfOf, isaac)
	edge(t, b, isaac, graph.EdgeOwns, g)
	acc := edge(t, b, g, graph.EdgeAccess, p+"org")
	require.Equal(t, graph.PrivAdmin, acc.Privilege, "okta.groups.manage")
	require.NotContains(t, acc.Actions, "okta.users.manage")

	// The API token: owner and age.
	tok := node(t, b, p+"token:00Tabcdefg1234567890")
	require.Equal(t, graph.KindCredential, tok.Kind)
	edge(t, b, tok.ID, graph.EdgeAuthenticates, amy)
	edge(t, b, amy, graph.EdgeOwns, tok.ID)
	created, err := time.Parse(time.RFC3339, tok.Props["created"])
	require.NoError(t, err)
	expires, err := time.Parse(time.RFC3339, tok.Props["expires"])
	require.NoError(t, err)
	require.Equal(t, 32*24*time.Hour, expires.Sub(created))
	require.Equal(t, "2021-11-11T20:38:10.000Z", tok.Props["last_updated"])
	// Whoever holds the token acts as Amy, so reaches what Amy's roles reach.
	require.Contains(t, reaches(b, tok.ID), p+"org")

	var ids []string
	for _, n := range b.Nodes() {
		if n.Props[graph.PropStub] == "true" {
			ids = append(ids, n.ID)
		}
	}
	sort.Strings(ids)
	require.Empty(t, ids, "the fixture references nothing it does not define")
}

func TestExportErrors(t *testing.T) {
	tests := []struct{ name, file, body, want string }{
		{"user without id", "users.json", `[{"status":"ACTIVE","profile":{"login":"a"}}]`,
			"users.json: [0].id: missing: expected the user's id"},
		{"unknown status", "users.json", `[{"id":"00u1","status":"GONE"}]`,
			`users.json: [0].status: expected one of STAGED, PROVISIONED, ACTIVE, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED, DEPROVISIONED, got "GONE"`},
		{"not an array", "groups.json", `{"id":"00g1"}`, `groups.json: expected a JSON array as the Okta API returns it`},
		{"truncated", "apps.json", `[{"id":"0oa1"`, "apps.json: truncated JSON: input ends at byte 13 (line 1, column 14)"},
		{"malformed", "apps.json", `[{"id":"0oa1",,}]`, "apps.json: malformed JSON at byte 15 (line 1, column 15)"},
		{"bad app user scope", "apps/0oa1/users.json", `[{"id":"00u1","scope":"TEAM"}]`,
			`users.json: [0].scope: expected USER or GROUP, got "TEAM"`},
		{"grant without client", "users/00u1/grants.json", `[{"id":"oag1","scopeId":"scp1"}]`,
			"grants.json: [0].clientId: missing: expected the client application's id"},
		{"token without user", "api-tokens.json", `[{"id":"00T1","name":"t"}]`,
			"api-tokens.json: [0].userId: missing: expected the id of the user the token acts as"},
		{"custom role without id", "users/00u1/roles.json", `[{"id":"r","type":"CUSTOM"}]`,
			"roles.json: [0].role: missing: expected the custom role's id"},
		{"unexpected file", "people.json", `[]`, "people.json: unexpected file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, tc.file)
			require.NoError(t, os.MkdirAll(filepath.Dir(f), 0o755))
			require.NoError(t, os.WriteFile(f, []byte(tc.body), 0o600))
			b, err := ParseExport(Options{Org: "x.okta.com"}, dir)
			require.Nil(t, b)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := ParseExport(Options{}, "testdata/export")
	require.ErrorContains(t, err, "Options.Org is empty")
}
