package synth

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/datasets"
)

func TestOptionsDefaults(t *testing.T) {
	for _, tc := range []struct {
		name              string
		in                Options
		accounts, cluster int
		wantErr           string
	}{
		{name: "zero", in: Options{}, accounts: 1, cluster: 1},
		{name: "10k", in: Options{Identities: 10_000}, accounts: 5, cluster: 2},
		{name: "100k", in: Options{Identities: 100_000}, accounts: 50, cluster: 20},
		{name: "1M", in: Options{Identities: 1_000_000}, accounts: 50, cluster: 100},
		{name: "explicit", in: Options{Identities: 500, AWSAccounts: 3, Clusters: 4}, accounts: 3, cluster: 4},
		{name: "too small", in: Options{Identities: 10}, wantErr: "identities 10 out of range"},
		{name: "too many accounts", in: Options{AWSAccounts: 51}, wantErr: "aws accounts 51 out of range"},
		{name: "negative clusters", in: Options{Clusters: -1}, wantErr: "clusters -1 out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.withDefaults()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.accounts, got.AWSAccounts)
			require.Equal(t, tc.cluster, got.Clusters)
			require.Equal(t, DefaultNow, got.Now)
		})
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	require.NoError(t, err)
	return out
}

func TestGenerateDeterministic(t *testing.T) {
	opt := Options{Identities: 1500, Seed: 42, AWSAccounts: 3, Clusters: 2}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	var steps []int
	_, err := Generate(a, opt, func(done, total int) {
		require.Equal(t, 3+3+2+2, total)
		steps = append(steps, done)
	})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, steps)
	_, err = Generate(b, opt, nil)
	require.NoError(t, err)
	opt.Seed = 43
	_, err = Generate(c, opt, nil)
	require.NoError(t, err)

	ta, tb, tc := readTree(t, a), readTree(t, b), readTree(t, c)
	require.Equal(t, len(ta), len(tb))
	for name, data := range ta {
		require.True(t, bytes.Equal(data, tb[name]), "%s differs between two runs with the same options", name)
	}
	top, saas, differ, saasDiffer := 0, 0, 0, 0
	for name, data := range ta {
		d := !bytes.Equal(data, tc[name])
		if strings.HasPrefix(name, "okta"+string(filepath.Separator)) || strings.HasPrefix(name, "google"+string(filepath.Separator)) {
			saas++
			if d {
				saasDiffer++
			}
			continue
		}
		top++
		if d {
			differ++
		}
	}
	require.Equal(t, 3*2+2+2, top) // 3 accounts x 2, 2 clusters, hr, manifest
	require.Equal(t, top, differ, "a different seed must change every file")
	// Okta and Google write one file per group, app and user; a few small
	// ones (a role list) may coincide, most must change.
	require.Greater(t, saas, 1000)
	require.Greater(t, saasDiffer, saas*9/10, "a different seed must change the SaaS exports")
}

func TestManifestCountsMatchFiles(t *testing.T) {
	o := shared(t)
	m := o.m
	var want Counts
	want.AWSAccounts = len(o.gaad)
	want.Clusters = len(o.k8s)
	for _, r := range o.hr {
		want.People++
		if r["status"] == statusOffboarded {
			want.OffboardedPeople++
			require.NotEmpty(t, r["termination_date"])
		}
	}
	teams, services, agents := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range o.hr {
		if r["team"] != "" {
			teams[r["team"]] = true
		}
	}
	for acct, g := range o.gaad {
		want.IAMUsers += len(g.UserDetailList)
		want.IAMGroups += len(g.GroupDetailList)
		want.IAMRoles += len(g.RoleDetailList)
		want.IAMPolicies += len(g.Policies)
		for _, u := range g.UserDetailList {
			switch u.Path {
			case "/":
				want.IAMHumanUsers++
				require.Contains(t, o.hr, tagValue(u.Tags, "email"), "user %s has no person", u.Arn)
			case "/service/":
				want.IAMServiceUsers++
			case "/agents/":
				want.IAMAgentUsers++
				agents[u.UserName] = true
			}
		}
		for _, ro := range g.RoleDetailList {
			if a := tagValue(ro.Tags, "app"); a != "" {
				services[a] = true
			}
		}
		for _, p := range g.Policies {
			if !strings.HasPrefix(p.Arn, "arn:aws:iam::aws:") {
				want.CustomerManagedPolicies++
			}
		}
		rows := o.cred[acct]
		want.CredentialReportRows += len(rows)
		require.Equal(t, "<root_account>", rows[0]["user"])
		for _, r := range rows[1:] {
			if r["password_enabled"] == "true" && r["mfa_active"] == "false" {
				want.UsersWithoutMFA++
			}
			hasCred := r["password_enabled"] == "true"
			var latest time.Time
			if r["password_enabled"] == "true" && r["password_last_used"] != "no_information" {
				latest = mustTime(t, r["password_last_used"])
			}
			for _, k := range []string{"access_key_1", "access_key_2"} {
				if r[k+"_active"] != "true" {
					continue
				}
				want.ActiveAccessKeys++
				hasCred = true
				if u := r[k+"_last_used_date"]; u != "N/A" {
					latest = later(latest, mustTime(t, u))
				}
			}
			age := m.Options.Now.Sub(latest)
			if latest.IsZero() {
				age = m.Options.Now.Sub(mustTime(t, r["user_creation_time"]))
			}
			if hasCred && age > 180*24*time.Hour {
				want.StaleUsers++
			}
		}
		// Every user in the GAAD has one credential report row, in order.
		require.Len(t, rows, len(g.UserDetailList)+1)
		for i, u := range g.UserDetailList {
			require.Equal(t, u.UserName, rows[i+1]["user"])
			require.Equal(t, u.Arn, rows[i+1]["arn"])
		}
	}
	kinds := map[string]*int{"Namespace": &want.Namespaces, "ServiceAccount": &want.K8sServiceAccounts,
		"Role": &want.K8sRoles, "ClusterRole": &want.K8sClusterRoles, "RoleBinding": &want.K8sRoleBindings,
		"ClusterRoleBinding": &want.K8sClusterRoleBindings, "Deployment": &want.K8sDeployments}
	for _, idx := range o.k8s {
		for _, ob := range idx {
			*kinds[ob.kind]++
		}
	}
	want.Teams = len(teams)
	saasCountsFromFiles(t, o, &want)
	want.Agents = m.Counts.Agents
	want.Services = m.Counts.Services
	require.Equal(t, want, m.Counts)

	// Figures that follow from Options{Identities: 1000}: 6% services, 2% agents.
	require.Equal(t, 60, m.Counts.Services)
	require.Equal(t, 20, m.Counts.Agents)
	require.Equal(t, 920, m.Counts.People)
	require.Len(t, agents, 20, "every agent has an IAM user")
	require.Greater(t, len(services), 20)
	require.Greater(t, m.Counts.StaleUsers, 0)
	require.Greater(t, m.Counts.UsersWithoutMFA, 0)
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err, "timestamp %q", s)
	return v
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func TestEmailsConsistentAcrossFiles(t *testing.T) {
	o := shared(t)
	domain := "@" + o.m.Domain
	seen := 0
	for _, g := range o.gaad {
		for _, u := range g.UserDetailList {
			for _, key := range []string{"email", "on-behalf-of", "owner"} {
				if e := tagValue(u.Tags, key); e != "" {
					require.Contains(t, o.hr, e, "%s tag %s of %s", key, e, u.Arn)
					seen++
				}
			}
			if e := tagValue(u.Tags, "email"); e != "" {
				require.Equal(t, u.UserName+domain, e, "IAM user name is the email's local part")
			}
		}
	}
	for cl, idx := range o.k8s {
		for key, ob := range idx {
			subs, _ := ob.raw["subjects"].([]any)
			for _, s := range subs {
				sm := s.(map[string]any)
				if sm["kind"] == "User" {
					require.Contains(t, o.hr, sm["name"], "cluster %s %s binds unknown user", cl, key)
					seen++
				}
			}
		}
	}
	require.Greater(t, seen, 500)
}

func TestGAADShapeMatchesRealExport(t *testing.T) {
	ref := readReference(t)
	o := shared(t)
	var raw map[string]any
	b, err := os.ReadFile(filepath.Join(o.dir, o.m.Files.AWSAuthorizationDetails[0].Path))
	require.NoError(t, err)
	require.NoError(t, jsonUnmarshal(b, &raw))

	require.ElementsMatch(t, keys(ref), keys(raw), "top-level keys")
	optional := []string{"PermissionsBoundary"}
	for _, list := range keys(ref) {
		rk, gk := entityKeys(ref[list]), entityKeys(raw[list])
		require.NotEmpty(t, gk, list)
		for k := range rk {
			require.Contains(t, gk, k, "%s entries lack key %s", list, k)
		}
		for k := range gk {
			if _, ok := rk[k]; !ok {
				require.Contains(t, optional, k, "%s entries have key %s that the real export lacks", list, k)
			}
		}
	}
	// Nested shapes.
	for _, path := range [][]string{
		{"Policies", "PolicyVersionList"},
		{"UserDetailList", "AttachedManagedPolicies"},
		{"RoleDetailList", "InstanceProfileList"},
		{"GroupDetailList", "GroupPolicyList"},
	} {
		require.Equal(t, nestedKeys(ref[path[0]], path[1]), nestedKeys(raw[path[0]], path[1]), "%v", path)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func entityKeys(v any) map[string]bool {
	out := map[string]bool{}
	for _, e := range v.([]any) {
		for k := range e.(map[string]any) {
			out[k] = true
		}
	}
	return out
}

func nestedKeys(v any, field string) map[string]bool {
	out := map[string]bool{}
	for _, e := range v.([]any) {
		items, _ := e.(map[string]any)[field].([]any)
		for _, it := range items {
			for k := range it.(map[string]any) {
				out[k] = true
			}
		}
	}
	return out
}

// datasetsDir returns the shared datasets folder (repo root + /../shared/datasets).
func datasetsDir(t *testing.T) string {
	return datasets.Dir(t, "aws", "the shape test compares with the public AWS export")
}

func readReference(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(datasetsDir(t), "aws", "cloudsplaining-test-account-authorization-details.json"))
	require.NoError(t, err)
	var ref map[string]any
	require.NoError(t, jsonUnmarshal(b, &ref))
	return ref
}

func BenchmarkGenerate10k(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Generate(dir, Options{Identities: 10_000, Seed: 1}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGenerateSmallCompanies checks that the smallest companies and odd
// account and cluster counts still carry every plant and parse back.
func TestGenerateSmallCompanies(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"minimum", Options{Identities: MinIdentities}},
		{"minimum other seed", Options{Identities: MinIdentities, Seed: 99}},
		{"more accounts than teams", Options{Identities: 80, AWSAccounts: 12, Clusters: 5, Seed: 3}},
		{"custom now", Options{Identities: 200, Seed: -5, Now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m, err := Generate(dir, tc.opt, nil)
			require.NoError(t, err)
			require.Equal(t, 25, patterns(m))
			o, err := readOutput(dir, m)
			require.NoError(t, err)
			require.Len(t, o.gaad, m.Options.AWSAccounts)
			require.Len(t, o.k8s, m.Options.Clusters)
			require.Equal(t, m.Options.Identities, m.Counts.People+m.Counts.Services+m.Counts.Agents)
		})
	}
}

// saasCountsFromFiles counts what the Okta and Google exports hold.
func saasCountsFromFiles(t *testing.T, o *output, c *Counts) {
	t.Helper()
	list := func(path string) []map[string]any {
		var v []map[string]any
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &v), path)
		return v
	}
	glob := func(pattern string) []string {
		m, err := filepath.Glob(filepath.Join(o.dir, pattern))
		require.NoError(t, err)
		return m
	}
	for _, u := range list(filepath.Join(o.dir, "okta", "users.json")) {
		c.OktaUsers++
		if _, ok := o.hr[u["profile"].(map[string]any)["email"].(string)]; !ok {
			c.OktaOrphanUsers++
		}
	}
	c.OktaGroups = len(list(filepath.Join(o.dir, "okta", "groups.json")))
	for _, f := range glob("okta/groups/*/users.json") {
		c.OktaMemberships += len(list(f))
	}
	for _, a := range list(filepath.Join(o.dir, "okta", "apps.json")) {
		if a["name"] != "oidc_client" {
			c.OktaApps++
		}
	}
	for _, f := range glob("okta/apps/*/users.json") {
		for _, au := range list(f) {
			if au["scope"] == "USER" {
				c.OktaDirectAssignments++
			}
		}
	}
	for _, f := range append(glob("okta/users/*/roles.json"), glob("okta/groups/*/roles.json")...) {
		c.OktaAdminRoles += len(list(f))
	}
	for _, f := range glob("okta/users/*/grants.json") {
		c.OktaGrants += len(list(f))
	}
	c.OktaAPITokens = len(list(filepath.Join(o.dir, "okta", "api-tokens.json")))

	obj := func(path string) map[string]any {
		var v map[string]any
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &v), path)
		return v
	}
	c.GoogleUsers = len(obj(filepath.Join(o.dir, "google", "users.json"))["users"].([]any))
	c.GoogleGroups = len(obj(filepath.Join(o.dir, "google", "groups.json"))["groups"].([]any))
	for _, f := range glob("google/members/*.json") {
		c.GoogleMemberships += len(obj(f)["members"].([]any))
	}
	clients := map[string]bool{}
	for _, f := range glob("google/tokens/*.json") {
		for _, it := range obj(f)["items"].([]any) {
			c.GoogleTokens++
			clients[it.(map[string]any)["clientId"].(string)] = true
		}
	}
	c.GoogleClients = len(clients)
}
