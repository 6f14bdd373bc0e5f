package google

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

const (
	pre     = "google:acme.example:"
	ana     = pre + "user:104857392011"
	ben     = pre + "user:104857392022"
	chloe   = pre + "user:104857392033"
	dev     = pre + "user:104857392044"
	eve     = pre + "user:104857392055"
	eng     = pre + "group:03x8tuzt1abc111"
	plat    = pre + "group:03x8tuzt1abc222"
	itops   = pre + "group:03x8tuzt1abc333"
	all     = pre + "group:03x8tuzt1abc444"
	tenant  = pre + "tenant"
	sync    = "552018364420-acmesync.apps.googleusercontent.com"
	helper  = "660431870023-adminhelper.apps.googleusercontent.com"
	groupsy = "309112847750-groupsync.apps.googleusercontent.com"
	report  = "483920174455-reporting.apps.googleusercontent.com"
)

var testOpt = Options{Tenant: "acme.example"}

func parseFixture(t *testing.T) *graph.Batch {
	t.Helper()
	b, err := ParseExport(testOpt, filepath.Join("testdata", "export"))
	require.NoError(t, err)
	require.NoError(t, b.Validate())
	return b
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
	sort.Strings(out)
	return out
}

func TestUsersAndIdentityKeys(t *testing.T) {
	b := parseFixture(t)
	n, ok := b.Node(ana)
	require.True(t, ok)
	require.Equal(t, graph.KindAccount, n.Kind)
	require.Equal(t, SubkindUser, n.Subkind)
	require.Equal(t, "ana@acme.example", n.Props[graph.PropEmail], "email lower-cased")
	require.Equal(t, "E1001", n.Props[graph.PropEmployeeID])
	require.Equal(t, "Ana Ortiz", n.Props[graph.PropDisplayName])
	require.Equal(t, "active", n.Props[graph.PropStatus])

	n, _ = b.Node(ben)
	require.Equal(t, "E1002", n.Props[graph.PropEmployeeID], "the organization external id, not the cost center")
	n, _ = b.Node(chloe)
	require.Equal(t, "suspended", n.Props[graph.PropStatus])
	require.Equal(t, "ADMIN", n.Props["suspension_reason"])
	n, _ = b.Node(dev)
	require.Equal(t, "deprovisioned", n.Props[graph.PropStatus], "archived")
	require.Equal(t, "never", n.Props["last_login"])
	require.NotContains(t, n.Props, graph.PropEmployeeID)
}

func TestMembershipsAndNesting(t *testing.T) {
	b := parseFixture(t)
	require.Equal(t, []string{pre + "customer", eng, itops}, from(b, ben, graph.EdgeMemberOf))
	require.Equal(t, []string{pre + "customer", plat}, from(b, chloe, graph.EdgeMemberOf))
	require.Equal(t, []string{eng, itops}, from(b, plat, graph.EdgeMemberOf), "platform is nested in engineering and it-ops")
	require.Equal(t, []string{"OWNER"}, edge(t, b, ben, graph.EdgeMemberOf, eng).Actions)
	require.Equal(t, "MANAGER", edge(t, b, chloe, graph.EdgeMemberOf, plat).Props["role"])
	require.Equal(t, "SUSPENDED", edge(t, b, dev, graph.EdgeMemberOf, plat).Props["status"])

	// The contractor is not a user of the tenant: a stub account.
	zoe := pre + "user:117700000000000000001"
	n, ok := b.Node(zoe)
	require.True(t, ok)
	require.Equal(t, "true", n.Props[graph.PropStub])
	require.Equal(t, "zoe@contractor.example", n.Props[graph.PropEmail])
	require.Equal(t, []string{eng}, from(b, zoe, graph.EdgeMemberOf))

	// all-staff has the CUSTOMER member: every user of the tenant, not the contractor.
	require.Equal(t, []string{pre + "customer"}, func() []string {
		var out []string
		for _, e := range b.Edges() {
			if e.To == all && e.Kind == graph.EdgeMemberOf {
				out = append(out, e.From)
			}
		}
		return out
	}())
	var staff []string
	for _, e := range b.Edges() {
		if e.To == pre+"customer" {
			staff = append(staff, e.From)
		}
	}
	sort.Strings(staff)
	require.Equal(t, []string{ana, ben, chloe, dev, eve}, staff)
}

func TestAdminRoles(t *testing.T) {
	b := parseFixture(t)
	seed := pre + "role:91447453409034240"
	groupsAdmin := pre + "role:91447453409034241"
	reader := pre + "role:91447453409034243"
	helpDeskOU := pre + "role:91447453409034242@orgunit:03ph8a2z1xk7n3r"

	// Ana is super admin by assignment and by isAdmin: one edge with both reasons.
	require.Equal(t, []string{"roleassignment/9144745340903500001", "user.isAdmin"},
		edge(t, b, ana, graph.EdgeHasRole, seed).Via)
	require.Equal(t, graph.PrivAdmin, edge(t, b, seed, graph.EdgeAccess, tenant).Privilege)
	require.Equal(t, graph.PrivAdmin, edge(t, b, groupsAdmin, graph.EdgeAccess, tenant).Privilege)
	require.Equal(t, graph.PrivRead, edge(t, b, reader, graph.EdgeAccess, tenant).Privilege)
	require.Equal(t, []string{"GROUPS_RETRIEVE", "USERS_RETRIEVE"}, edge(t, b, reader, graph.EdgeAccess, tenant).Actions)
	edge(t, b, itops, graph.EdgeHasRole, reader)
	// The help desk role is limited to one org unit.
	ou := pre + "orgunit:03ph8a2z1xk7n3r"
	edge(t, b, chloe, graph.EdgeHasRole, helpDeskOU)
	require.Equal(t, graph.PrivAdmin, edge(t, b, helpDeskOU, graph.EdgeAccess, ou).Privilege)
	edge(t, b, tenant, graph.EdgeContains, ou)
	_, ok := b.Edge(helpDeskOU, graph.EdgeAccess, tenant)
	require.False(t, ok)
	// Super admins can take over any account.
	require.Len(t, from(b, seed, graph.EdgeEscalates), 5)

	// Who holds the tenant, through roles and nested groups (accounts only).
	snap := projection.FromElements(b.Nodes(), b.Edges())
	res, err := snap.WhoCanReach(projection.WhoCanReachQuery{Resource: tenant, Kinds: []graph.Kind{graph.KindAccount}})
	require.NoError(t, err)
	got := map[string]graph.Privilege{}
	for _, r := range res.Reachers {
		got[r.Principal.ID] = r.Privilege
	}
	require.Equal(t, map[string]graph.Privilege{
		ana: graph.PrivAdmin, ben: graph.PrivAdmin,
		chloe: graph.PrivRead, dev: graph.PrivRead, // platform -> it-ops -> Directory Reader
	}, got)
}

func TestGrantsAndScopes(t *testing.T) {
	b := parseFixture(t)
	// Which grants eve gave, with which scopes.
	grants := from(b, eve, graph.EdgeOwns)
	require.Equal(t, []string{pre + "grant:104857392055:" + sync, pre + "grant:104857392055:" + helper}, grants)
	g, _ := b.Node(grants[0])
	require.Equal(t, graph.KindGrant, g.Kind)
	require.Equal(t, "https://mail.google.com/ https://www.googleapis.com/auth/drive", g.Props["scopes"])
	require.Equal(t, "critical", g.Props["scope_risk"])
	edge(t, b, pre+"client:"+sync, graph.EdgeDelegates, grants[0])
	require.Equal(t, graph.PrivAdmin, edge(t, b, grants[0], graph.EdgeOnBehalfOf, eve).Privilege)

	// The grant's reach is the scoped service of eve's own data.
	mail := edge(t, b, grants[0], graph.EdgeAccess, pre+"user:104857392055/gmail")
	require.Equal(t, graph.PrivAdmin, mail.Privilege)
	require.Equal(t, []string{"https://mail.google.com/"}, mail.Actions)
	require.Equal(t, graph.PrivAdmin, edge(t, b, grants[0], graph.EdgeAccess, pre+"user:104857392055/drive").Privilege)
	require.Equal(t, []string{pre + "user:104857392055/drive", pre + "user:104857392055/gmail"},
		from(b, grants[0], graph.EdgeAccess))
	n, _ := b.Node(pre + "user:104857392055/gmail")
	require.Equal(t, graph.SensHigh, n.Sensitivity)

	// Admin Helper asked for admin.directory.user, but eve holds no admin
	// role: the Directory gives it what any user reads; audit reports nothing.
	h := pre + "grant:104857392055:" + helper
	require.Equal(t, graph.PrivRead, edge(t, b, h, graph.EdgeAccess, pre+"service:directory").Privilege)
	hn, _ := b.Node(h)
	require.Equal(t, "https://www.googleapis.com/auth/admin.reports.audit.readonly", hn.Props["ineffective_scopes"])
	require.Equal(t, "critical", hn.Props["scope_risk"])
	require.Equal(t, []string{pre + "service:directory", pre + "user:104857392055/identity"}, from(b, h, graph.EdgeAccess))

	// Ben holds the Groups Admin role: the same kind of scope is effective for him.
	gs := pre + "grant:104857392022:" + groupsy
	require.Equal(t, graph.PrivAdmin, edge(t, b, gs, graph.EdgeAccess, pre+"service:directory").Privilege)
	require.Equal(t, graph.PrivRead, edge(t, b, gs, graph.EdgeAccess, pre+"service:reports").Privilege)
	cal, _ := b.Node(pre + "grant:104857392022:771005239981-calpal.apps.googleusercontent.com")
	require.Equal(t, "medium", cal.Props["scope_risk"])
	require.Equal(t, "email https://www.googleapis.com/auth/calendar.readonly openid profile", cal.Props["scopes"])

	// The Acme Sync client holds two grants: eve's (full mail and drive) and chloe's (drive read).
	require.Equal(t, []string{pre + "grant:104857392033:" + sync, pre + "grant:104857392055:" + sync},
		from(b, pre+"client:"+sync, graph.EdgeDelegates))
	require.Equal(t, graph.PrivRead,
		edge(t, b, pre+"grant:104857392033:"+sync, graph.EdgeAccess, pre+"user:104857392033/drive").Privilege)
	app, _ := b.Node(pre + "client:" + sync)
	require.Equal(t, "Acme Sync", app.Name)

	// A grant is bounded by its scopes, not by its user's power: ana is a
	// super admin, but Acme Reporting, which she let read some of her data,
	// reaches only what its scopes name, never the tenant.
	snap := projection.FromElements(b.Nodes(), b.Edges())
	br, err := snap.BlastRadius(projection.BlastRadiusQuery{From: pre + "client:483920174455-reporting.apps.googleusercontent.com"})
	require.NoError(t, err)
	require.NotEmpty(t, br.Reaches)
	for _, r := range br.Reaches {
		require.NotEqual(t, tenant, r.Resource.ID, "a scoped grant must not reach the tenant")
		require.NotEqual(t, graph.PrivAdmin, r.Privilege, "%s: read-only scopes", r.Resource.ID)
	}
	require.Equal(t, graph.KindApplication, app.Kind)
}

func TestClassifyScope(t *testing.T) {
	for _, tc := range []struct {
		scope string
		svc   string
		priv  graph.Privilege
		risk  graph.Sensitivity
		known bool
	}{
		{"https://mail.google.com/", SvcGmail, graph.PrivAdmin, graph.SensCritical, true},
		{"https://www.googleapis.com/auth/drive", SvcDrive, graph.PrivAdmin, graph.SensCritical, true},
		{"https://www.googleapis.com/auth/drive.file", SvcDrive, graph.PrivWrite, graph.SensLow, true},
		{"openid", SvcIdentity, graph.PrivRead, graph.SensLow, true},
		{"https://www.googleapis.com/auth/admin.directory.device.chromeos", SvcDirectory, graph.PrivAdmin, graph.SensCritical, false},
		{"https://www.googleapis.com/auth/admin.directory.device.chromeos.readonly", SvcDirectory, graph.PrivRead, graph.SensHigh, false},
		{"https://www.googleapis.com/auth/gmail.addons.current.message.readonly", SvcGmail, graph.PrivRead, graph.SensMedium, false},
		{"https://www.googleapis.com/auth/youtube.readonly", "youtube", graph.PrivRead, graph.SensMedium, false},
	} {
		c := ClassifyScope(tc.scope)
		require.Equal(t, tc.svc, c.Service, tc.scope)
		require.Equal(t, tc.priv, c.Privilege, tc.scope)
		require.Equal(t, tc.risk, c.Risk, tc.scope)
		require.Equal(t, tc.known, c.Known, tc.scope)
	}
}

func TestExportErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"no users", map[string]string{"groups.json": `{"groups":[]}`}, []string{"users.json", "no such file"}},
		{"malformed", map[string]string{"users.json": "{\"users\": [\n {\"id\": \"1\",, }]}"},
			[]string{"users.json: malformed JSON", "line 2"}},
		// Positions count from the file's first byte, leading blank lines
		// included; a page of an array of pages names its field instead.
		{"malformed page array", map[string]string{"users.json": "\n\n\n[\n{\"users\": []},\n x]"},
			[]string{"users.json: malformed JSON at byte 22 (line 6, column 2)"}},
		{"wrong type in a page", map[string]string{"users.json": "[{\"users\": []},\n{\"users\": [\n\n{\"id\": \"1\", \"isAdmin\": \"yes\"}]}]"},
			[]string{"users.json: page[1]: users.isAdmin: found a JSON string, expected true or false"}},
		{"wrong kind", map[string]string{"users.json": `{"kind":"admin#directory#groups","groups":[]}`},
			[]string{`users.json: kind is "admin#directory#groups", expected "admin#directory#users"`}},
		{"missing email", map[string]string{"users.json": `{"users":[{"id":"1","primaryEmail":"a@x"},{"id":"2"}]}`},
			[]string{"users.json: users[1] (id 2): primaryEmail", "not an email address"}},
		{"bad member type", map[string]string{
			"users.json":      `{"users":[]}`,
			"groups.json":     `{"groups":[{"id":"g1","email":"g@x"}]}`,
			"members/g1.json": `{"members":[{"id":"u1","type":"ROBOT"}]}`},
			[]string{"members/g1.json: members[0]: type \"ROBOT\", expected one of USER, GROUP, CUSTOMER, EXTERNAL"}},
		{"unknown group file", map[string]string{
			"users.json":        `{"users":[]}`,
			"groups.json":       `{"groups":[]}`,
			"members/nope.json": `{"members":[]}`},
			[]string{"members/nope.json: group key \"nope\""}},
		{"org unit without id", map[string]string{
			"users.json":           `{"users":[]}`,
			"roles.json":           `{"items":[{"roleId":"1","roleName":"x"}]}`,
			"roleassignments.json": `{"items":[{"roleId":"1","assignedTo":"u","scopeType":"ORG_UNIT"}]}`},
			[]string{"roleassignments.json: items[0]: scopeType ORG_UNIT without orgUnitId"}},
		{"unknown role", map[string]string{
			"users.json":           `{"users":[]}`,
			"roles.json":           `{"items":[]}`,
			"roleassignments.json": `{"items":[{"roleId":"7","assignedTo":"u","scopeType":"CUSTOMER"}]}`},
			[]string{"roleassignments.json: items[0]: roleId 7 is not in the roles list"}},
		{"token user mismatch", map[string]string{
			"users.json":      `{"users":[{"id":"1","primaryEmail":"a@x"}]}`,
			"tokens/a@x.json": `{"items":[{"clientId":"c","userKey":"2","scopes":["openid"]}]}`},
			[]string{"tokens/a@x.json: items[0]: userKey 2, expected 1"}},
		{"stray file", map[string]string{"users.json": `{"users":[]}`, "user.json": `{}`},
			[]string{"unexpected file user.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				writeFile(t, filepath.Join(dir, name), body)
			}
			b, err := ParseExport(testOpt, dir)
			require.Nil(t, b)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""), w)
			}
		})
	}
}
