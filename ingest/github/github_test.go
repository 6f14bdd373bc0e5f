package github

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

const (
	pre      = "github:acme-corp:"
	ana      = pre + "user:5001"
	ben      = pre + "user:5002"
	chloe    = pre + "user:5003"
	eve      = pre + "user:5005"
	omar     = pre + "user:5010"
	eng      = pre + "team:301"
	plat     = pre + "team:302"
	sre      = pre + "team:303"
	sec      = pre + "team:304"
	webApp   = pre + "repo:9001"
	infra    = pre + "repo:9002"
	vault    = pre + "repo:9003"
	docsSite = pre + "repo:9004"
	legacy   = pre + "repo:9005"
	renovate = pre + "installation:7001"
	deploy   = pre + "installation:7002"
	oldCI    = pre + "installation:7003"
)

var testOpt = Options{Org: "acme-corp"}

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

func targets(b *graph.Batch, from string, k graph.EdgeKind) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.From == from && e.Kind == k {
			out = append(out, e.To)
		}
	}
	sort.Strings(out)
	return out
}

// reach returns the resources a principal reaches, with the best tier, per
// the projection's blast radius.
func reach(t *testing.T, b *graph.Batch, from string) map[string]graph.Privilege {
	t.Helper()
	snap := projection.FromElements(b.Nodes(), b.Edges())
	res, err := snap.BlastRadius(projection.BlastRadiusQuery{From: from})
	require.NoError(t, err)
	out := map[string]graph.Privilege{}
	for _, r := range res.Reaches {
		if strings.HasPrefix(r.Resource.ID, pre+"repo:") {
			out[r.Resource.ID] = r.Privilege
		}
	}
	return out
}

func TestPeopleTeamsAndNesting(t *testing.T) {
	b := parseFixture(t)
	n, _ := b.Node(ana)
	require.Equal(t, "admin", n.Props["org_role"])
	require.Equal(t, "ana-o", n.Name)
	n, _ = b.Node(omar)
	require.Equal(t, "outside", n.Props["org_role"])
	require.Equal(t, []string{pre + "role:org-admin"}, targets(b, ana, graph.EdgeHasRole))
	require.Empty(t, targets(b, ben, graph.EdgeHasRole))
	require.Empty(t, targets(b, omar, graph.EdgeMemberOf), "outside collaborators are not members")

	require.Equal(t, []string{eng}, targets(b, plat, graph.EdgeMemberOf))
	require.Equal(t, []string{plat}, targets(b, sre, graph.EdgeMemberOf))
	// Eve is listed in sre, platform and engineering (GitHub lists child
	// team members in the parent); she is a direct member of sre only.
	require.Equal(t, []string{pre + "members", sre}, targets(b, eve, graph.EdgeMemberOf))
	// Chloe maintains platform: a direct member there, through it of engineering.
	require.Equal(t, []string{pre + "members", plat}, targets(b, chloe, graph.EdgeMemberOf))
	require.Equal(t, "maintainer", edge(t, b, chloe, graph.EdgeMemberOf, plat).Props["role"])
	require.Equal(t, []string{"member"}, edge(t, b, ben, graph.EdgeMemberOf, eng).Actions)
}

func TestRepositories(t *testing.T) {
	b := parseFixture(t)
	n, _ := b.Node(vault)
	require.Equal(t, graph.SensHigh, n.Sensitivity, "private")
	require.Equal(t, "acme-corp/secrets-vault", n.Name)
	n, _ = b.Node(docsSite)
	require.Equal(t, graph.SensMedium, n.Sensitivity, "public")
	n, _ = b.Node(legacy)
	require.Equal(t, "internal", n.Props["visibility"])
	require.Equal(t, "true", n.Props["archived"])
	require.Equal(t, []string{pre + "org-settings", webApp, infra, vault, docsSite, legacy},
		sortedAs(targets(b, pre+"org", graph.EdgeContains), []string{pre + "org-settings", webApp, infra, vault, docsSite, legacy}))

	e := edge(t, b, plat, graph.EdgeAccess, infra)
	require.Equal(t, graph.PrivAdmin, e.Privilege, "maintain is admin tier")
	require.Equal(t, []string{"maintain", "pull", "push", "role:maintain", "triage"}, e.Actions)
	require.Equal(t, graph.PrivWrite, edge(t, b, eng, graph.EdgeAccess, webApp).Privilege)
	require.Equal(t, graph.PrivWrite, edge(t, b, omar, graph.EdgeAccess, docsSite).Privilege, "triage is write tier")
	require.Equal(t, graph.PrivRead, edge(t, b, pre+"members", graph.EdgeAccess, vault).Privilege, "base permission read")
}

func sortedAs(got, want []string) []string {
	sort.Strings(got)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if strings.Join(got, ",") == strings.Join(w, ",") {
		return want
	}
	return got
}

func TestWhoReachesWhat(t *testing.T) {
	b := parseFixture(t)
	// Eve: admin on infra through sre -> platform, write on web-app through
	// sre -> platform -> engineering, read elsewhere by the base permission.
	require.Equal(t, map[string]graph.Privilege{infra: graph.PrivAdmin, webApp: graph.PrivWrite,
		vault: graph.PrivRead, docsSite: graph.PrivRead, legacy: graph.PrivRead}, reach(t, b, eve))
	// Ana owns the organization: admin everywhere.
	require.Equal(t, map[string]graph.Privilege{infra: graph.PrivAdmin, webApp: graph.PrivAdmin,
		vault: graph.PrivAdmin, docsSite: graph.PrivAdmin, legacy: graph.PrivAdmin}, reach(t, b, ana))
	// Ben: write on web-app by engineering, admin on legacy-api as a collaborator.
	require.Equal(t, map[string]graph.Privilege{infra: graph.PrivRead, webApp: graph.PrivWrite,
		vault: graph.PrivRead, docsSite: graph.PrivRead, legacy: graph.PrivAdmin}, reach(t, b, ben))
	// Omar, an outside collaborator, reaches only docs-site.
	require.Equal(t, map[string]graph.Privilege{docsSite: graph.PrivWrite}, reach(t, b, omar))

	// Who holds infra at admin: the owner, platform's maintainer, eve via
	// sre, and the deploy-bot app (administration:write).
	snap := projection.FromElements(b.Nodes(), b.Edges())
	res, err := snap.WhoCanReach(projection.WhoCanReachQuery{Resource: infra, MinPrivilege: graph.PrivAdmin,
		Kinds: []graph.Kind{graph.KindAccount, graph.KindApplication, graph.KindCredential}})
	require.NoError(t, err)
	var who []string
	for _, r := range res.Reachers {
		who = append(who, r.Principal.ID)
	}
	sort.Strings(who)
	require.Equal(t, []string{deploy, ana, chloe, eve}, who)
}

func TestAppInstallations(t *testing.T) {
	b := parseFixture(t)
	n, _ := b.Node(renovate)
	require.Equal(t, graph.KindApplication, n.Kind)
	require.Equal(t, "renovate", n.Name)
	require.Equal(t, "contents:write issues:write metadata:read pull_requests:write workflows:write", n.Props["permissions"])
	// renovate is installed on all repositories, with write.
	require.Equal(t, map[string]graph.Privilege{infra: graph.PrivWrite, webApp: graph.PrivWrite,
		vault: graph.PrivWrite, docsSite: graph.PrivWrite, legacy: graph.PrivWrite}, reach(t, b, renovate))
	// deploy-bot on two selected repositories, admin by administration:write,
	// and reads the org's members.
	require.Equal(t, map[string]graph.Privilege{infra: graph.PrivAdmin, webApp: graph.PrivAdmin}, reach(t, b, deploy))
	e := edge(t, b, deploy, graph.EdgeAccess, pre+"org-settings")
	require.Equal(t, graph.PrivRead, e.Privilege)
	require.Equal(t, []string{"members:read"}, e.Actions)
	require.Equal(t, []string{"administration:write", "contents:read", "deployments:write", "metadata:read"},
		edge(t, b, deploy, graph.EdgeAccess, infra).Actions)
	// old-ci is suspended: it reaches nothing.
	require.Empty(t, targets(b, oldCI, graph.EdgeAccess))
	n, _ = b.Node(oldCI)
	require.Equal(t, "2025-08-01T12:00:00.000Z", n.Props["suspended_at"])
}

func TestPersonalAccessTokens(t *testing.T) {
	b := parseFixture(t)
	tok := pre + "pat:4101"
	n, ok := b.Node(tok)
	require.True(t, ok)
	require.Equal(t, graph.KindCredential, n.Kind)
	require.Equal(t, "infra-deploy of eve-n", n.Name)
	require.Equal(t, "2026-02-28T18:22:10.000-08:00", n.Props["last_used"])
	require.Equal(t, "2026-06-10T09:00:00.000-07:00", n.Props["expires"])
	edge(t, b, eve, graph.EdgeOwns, tok)
	require.Empty(t, targets(b, tok, graph.EdgeAuthenticates), "the token does not carry its owner's full power")
	// Its reach: its two repositories, capped by eve's own access (admin on
	// infra, read on secrets-vault) and by its permissions (contents:write).
	require.Equal(t, map[string]graph.Privilege{infra: graph.PrivWrite, vault: graph.PrivRead}, reach(t, b, tok))
	require.Equal(t, graph.PrivRead, edge(t, b, tok, graph.EdgeAccess, pre+"org-settings").Privilege)
	// On secrets-vault, where eve only reads, contents:write is lowered.
	require.Equal(t, []string{"contents:write", "metadata:read"}, edge(t, b, tok, graph.EdgeAccess, infra).Actions)
	require.Equal(t, []string{"contents:read", "metadata:read"}, edge(t, b, tok, graph.EdgeAccess, vault).Actions)
	require.Equal(t, []string{"members:read"}, edge(t, b, tok, graph.EdgeAccess, pre+"org-settings").Actions)
	// Its age: approved 2025-06-10 16:00 UTC.
	granted, err := time.Parse(time.RFC3339, n.Props["created"])
	require.NoError(t, err)
	require.Equal(t, 263, int(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Sub(granted).Hours()/24))

	// Ben's token covers all repositories with administration:write, but
	// only as far as ben himself reaches.
	ben := pre + "pat:4102"
	require.Equal(t, map[string]graph.Privilege{infra: graph.PrivRead, webApp: graph.PrivWrite,
		vault: graph.PrivRead, docsSite: graph.PrivRead, legacy: graph.PrivAdmin}, reach(t, b, ben))
	// Its Actions stay within each edge's tier: administration:write (admin
	// tier) remains only on legacy, where ben is admin; elsewhere it is
	// lowered to administration:read.
	for _, tc := range []struct {
		repo string
		acts []string
	}{
		{infra, []string{"administration:read", "contents:read", "metadata:read"}},
		{webApp, []string{"administration:read", "contents:read", "metadata:read"}},
		{vault, []string{"administration:read", "contents:read", "metadata:read"}},
		{docsSite, []string{"administration:read", "contents:read", "metadata:read"}},
		{legacy, []string{"administration:write", "contents:read", "metadata:read"}},
	} {
		require.Equal(t, tc.acts, edge(t, b, ben, graph.EdgeAccess, tc.repo).Actions, tc.repo)
	}
	n, _ = b.Node(ben)
	require.Equal(t, "administration:write contents:read metadata:read", n.Props["repository_permissions"],
		"the node keeps the token's full permissions")
	require.Equal(t, "never", n.Props["last_used"])
	require.Equal(t, "never", n.Props["expires"])

	// Chloe's token expired: it reaches nothing.
	require.Empty(t, targets(b, pre+"pat:4103", graph.EdgeAccess))
	n, _ = b.Node(pre + "pat:4103")
	require.Equal(t, "true", n.Props["expired"])
}

func TestExportErrors(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{"members.json": `[{"login":"a","id":1}]`, "admins.json": `[]`, "repos.json": `[]`}
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"no repos", func(m map[string]string) { delete(m, "repos.json") }, "repos.json: no such file"},
		{"object not array", func(m map[string]string) { m["members.json"] = `{"login":"a"}` },
			"members.json: not a JSON array"},
		{"truncated", func(m map[string]string) { m["repos.json"] = `[{"id":1,"name":"x"`[:12] },
			"repos.json: truncated JSON"},
		{"user without id", func(m map[string]string) { m["members.json"] = `[{"login":"a","id":1},{"login":"b"}]` },
			`members.json: [1]: expected a user with login and id (got login "b", id 0)`},
		{"admin not member", func(m map[string]string) { m["admins.json"] = `[{"login":"z","id":9}]` },
			"admins.json lists z, who is not in members.json"},
		{"bad installation permission", func(m map[string]string) {
			m["installations.json"] = `{"total_count":1,"installations":[{"id":5,"app_slug":"x","repository_selection":"all","permissions":{"contents":"full"}}]}`
		}, `installations.json: installations[0].permissions: permission contents is "full", expected read, write or admin`},
		{"selected without repositories", func(m map[string]string) {
			m["installations.json"] = `{"total_count":1,"installations":[{"id":5,"app_slug":"x","repository_selection":"selected","permissions":{}}]}`
		}, "installations/5/repositories.json: no such file"},
		{"bad token selection", func(m map[string]string) {
			m["personal-access-tokens.json"] = `[{"id":3,"owner":{"login":"a","id":1},"repository_selection":"some","permissions":{}}]`
		}, `personal-access-tokens.json: [0] (id 3): repository_selection "some", expected none, all or subset`},
		{"team folder without team", func(m map[string]string) { m["teams/ghost/members.json"] = `[]` },
			"folders [ghost] are not teams of teams.json"},
		{"unknown parent", func(m map[string]string) {
			m["teams.json"] = `[{"id":2,"slug":"child","name":"Child","parent":{"id":7,"slug":"gone"}}]`
		}, "team child: parent team 7 (gone) is not in the teams list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := base()
			tc.edit(files)
			dir := t.TempDir()
			for name, body := range files {
				p := filepath.Join(dir, name)
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
			}
			b, err := ParseExport(testOpt, dir)
			require.Nil(t, b)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestActionsWithin(t *testing.T) {
	repo := perms(map[string]string{"administration": "write", "contents": "write", "issues": "read",
		"metadata": "read", "workflows": "admin", "members": "write", "email_addresses": "read"}, false)
	org := perms(map[string]string{"members": "write", "organization_administration": "write",
		"organization_secrets": "read", "contents": "write"}, true)
	for _, tc := range []struct {
		name  string
		ps    []perm
		limit graph.Privilege
		want  []string
	}{
		{"repo admin keeps all", repo, graph.PrivAdmin,
			[]string{"administration:write", "contents:write", "issues:read", "metadata:read", "workflows:admin"}},
		{"repo write lowers admin tier", repo, graph.PrivWrite,
			[]string{"administration:read", "contents:write", "issues:read", "metadata:read", "workflows:write"}},
		{"repo read", repo, graph.PrivRead,
			[]string{"administration:read", "contents:read", "issues:read", "metadata:read", "workflows:read"}},
		{"none drops everything", repo, graph.PrivNone, nil},
		{"org write: members and organization_administration are admin tier", org, graph.PrivWrite,
			[]string{"members:read", "organization_administration:read", "organization_secrets:read"}},
		{"org admin", org, graph.PrivAdmin,
			[]string{"members:write", "organization_administration:write", "organization_secrets:read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, actionsWithin(tc.ps, tc.limit))
			for _, a := range tc.want {
				k, l, _ := strings.Cut(a, ":")
				require.LessOrEqual(t, perm{key: k, level: l}.tier(), tc.limit, a)
			}
		})
	}
	require.Equal(t, graph.PrivAdmin, topTier(repo))
	require.Equal(t, graph.PrivRead, topTier(perms(map[string]string{"contents": "read"}, false)))
}
