package synth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readJSON decodes a JSON file into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), path)
}

func oktaList(t *testing.T, path string) []map[string]any {
	t.Helper()
	var v []map[string]any
	readJSON(t, path, &v)
	return v
}

// googleList returns the elements of key in a Directory API list response
// (a page object, or an array of pages).
func googleList(t *testing.T, path, key string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var pages []map[string]any
	if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
		require.NoError(t, json.Unmarshal(b, &pages), path)
	} else {
		var p map[string]any
		require.NoError(t, json.Unmarshal(b, &p), path)
		pages = []map[string]any{p}
	}
	var out []map[string]any
	for _, p := range pages {
		items, _ := p[key].([]any)
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
	}
	return out
}

func keySet(items []map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, it := range items {
		for k := range it {
			out[k] = true
		}
	}
	return out
}

func firstFile(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	require.NoError(t, err)
	require.NotEmpty(t, m, pattern)
	sort.Strings(m)
	return m[0]
}

// TestSaaSExportShapes checks that every field the generator writes in the
// Okta and Google exports is a field of the same object in the connectors'
// fixtures, which follow the APIs' reference responses.
func TestSaaSExportShapes(t *testing.T) {
	o := shared(t)
	okRef := filepath.Join("..", "okta", "testdata", "export")
	okGen := filepath.Join(o.dir, "okta")
	for _, tc := range []struct{ name, ref, gen string }{
		{"users", filepath.Join(okRef, "users.json"), filepath.Join(okGen, "users.json")},
		{"groups", filepath.Join(okRef, "groups.json"), filepath.Join(okGen, "groups.json")},
		{"group members", firstFile(t, filepath.Join(okRef, "groups", "*", "users.json")),
			firstFile(t, filepath.Join(okGen, "groups", "*", "users.json"))},
		{"group roles", firstFile(t, filepath.Join(okRef, "groups", "*", "roles.json")),
			firstFile(t, filepath.Join(okGen, "groups", "*", "roles.json"))},
		{"apps", filepath.Join(okRef, "apps.json"), filepath.Join(okGen, "apps.json")},
		{"app users", firstFile(t, filepath.Join(okRef, "apps", "*", "users.json")),
			firstFile(t, filepath.Join(okGen, "apps", "*", "users.json"))},
		{"user roles", firstFile(t, filepath.Join(okRef, "users", "*", "roles.json")),
			firstFile(t, filepath.Join(okGen, "users", "*", "roles.json"))},
		{"grants", firstFile(t, filepath.Join(okRef, "users", "*", "grants.json")),
			firstFile(t, filepath.Join(okGen, "users", "*", "grants.json"))},
		{"api tokens", filepath.Join(okRef, "api-tokens.json"), filepath.Join(okGen, "api-tokens.json")},
	} {
		t.Run("okta "+tc.name, func(t *testing.T) {
			ref, gen := keySet(oktaList(t, tc.ref)), oktaList(t, tc.gen)
			require.NotEmpty(t, gen)
			for k := range keySet(gen) {
				require.True(t, ref[k], "%s: field %q is not in the API's %s", tc.gen, k, tc.name)
			}
		})
	}
	gRef := filepath.Join("..", "google", "testdata", "export")
	gGen := filepath.Join(o.dir, "google")
	for _, tc := range []struct{ name, key, ref, gen string }{
		{"users", "users", filepath.Join(gRef, "users.json"), filepath.Join(gGen, "users.json")},
		{"groups", "groups", filepath.Join(gRef, "groups.json"), filepath.Join(gGen, "groups.json")},
		{"members", "members", filepath.Join(gRef, "members", "engineering@acme.example.json"),
			firstFile(t, filepath.Join(gGen, "members", "*.json"))},
		{"tokens", "items", filepath.Join(gRef, "tokens", "ana@acme.example.json"),
			firstFile(t, filepath.Join(gGen, "tokens", "*.json"))},
		{"roles", "items", filepath.Join(gRef, "roles.json"), filepath.Join(gGen, "roles.json")},
		{"role assignments", "items", filepath.Join(gRef, "roleassignments.json"),
			filepath.Join(gGen, "roleassignments.json")},
	} {
		t.Run("google "+tc.name, func(t *testing.T) {
			ref, gen := keySet(googleList(t, tc.ref, tc.key)), googleList(t, tc.gen, tc.key)
			require.NotEmpty(t, gen)
			for k := range keySet(gen) {
				require.True(t, ref[k], "%s: field %q is not in the API's %s", tc.gen, k, tc.name)
			}
		})
	}
}

// TestSaaSPopulation checks who is where in the Okta and Google exports of
// the shared company, against the HR roster.
func TestSaaSPopulation(t *testing.T) {
	o := shared(t)
	okGen := filepath.Join(o.dir, "okta")
	users := oktaList(t, filepath.Join(okGen, "users.json"))
	byEmail := map[string]map[string]any{}
	status := map[string]string{}
	orphans, orphansActive := 0, 0
	for _, u := range users {
		p := u["profile"].(map[string]any)
		email := p["email"].(string)
		require.NotContains(t, byEmail, email, "one Okta user per email")
		byEmail[email] = u
		status[u["id"].(string)] = u["status"].(string)
		hr, ok := o.hr[email]
		if !ok {
			orphans++
			if u["status"] != "DEPROVISIONED" {
				orphansActive++
			}
			continue
		}
		require.Equal(t, hr["employee_id"], p["employeeNumber"], email)
	}
	// Every HR person has an Okta user; one former employee per 80 people
	// (920 people: 11) plus the planted admin are missing from HR.
	require.Len(t, o.hr, 920)
	for e := range o.hr {
		require.Contains(t, byEmail, e)
	}
	require.Equal(t, 920/80+1, orphans)
	require.Equal(t, o.m.Counts.OktaOrphanUsers, orphans)
	require.GreaterOrEqual(t, orphansActive, 1, "the planted orphan is ACTIVE")

	// Terminated people: mostly deprovisioned in Okta, never all.
	term, deprov := 0, 0
	for e, r := range o.hr {
		if r["status"] == statusOffboarded {
			term++
			if byEmail[e]["status"] == "DEPROVISIONED" {
				deprov++
			}
		}
	}
	require.Equal(t, 30, term)
	require.Greater(t, deprov, term/2)

	// Group sizes are heavy-tailed: the largest project group is many times
	// the median, and Everyone holds every user.
	var sizes []int
	for _, g := range oktaList(t, filepath.Join(okGen, "groups.json")) {
		members := oktaList(t, filepath.Join(okGen, "groups", g["id"].(string), "users.json"))
		name := g["profile"].(map[string]any)["name"].(string)
		if name == "Everyone" {
			require.Len(t, members, len(users))
		}
		if strings.HasPrefix(name, "prj-") {
			sizes = append(sizes, len(members))
		}
		for _, m := range members {
			id := m["id"].(string)
			require.Contains(t, status, id)
			require.Equal(t, status[id], m["status"])
		}
	}
	slices.Sort(sizes)
	require.Greater(t, sizes[len(sizes)-1], 8*sizes[len(sizes)/2])

	// Each agent is an OpenID Connect app its person consented to, and a
	// Google OAuth client holding a token on its person's account.
	labels := map[string]string{}
	for _, a := range oktaList(t, filepath.Join(okGen, "apps.json")) {
		labels[a["label"].(string)] = a["id"].(string)
	}
	require.Contains(t, labels, "Okta Admin Console")
	gUsers := googleList(t, filepath.Join(o.dir, "google", "users.json"), "users")
	gID := map[string]string{}
	for _, u := range gUsers {
		gID[u["primaryEmail"].(string)] = u["id"].(string)
	}
	agents := 0
	for _, g := range o.gaad {
		for _, u := range g.UserDetailList {
			if u.Path != "/agents/" {
				continue
			}
			agents++
			person := tagValue(u.Tags, "on-behalf-of")
			appID, ok := labels[u.UserName]
			require.True(t, ok, "no Okta app for agent %s", u.UserName)
			uid := byEmail[person]["id"].(string)
			var clients []string
			for _, gr := range oktaList(t, filepath.Join(okGen, "users", uid, "grants.json")) {
				clients = append(clients, gr["clientId"].(string))
			}
			require.Contains(t, clients, appID, "agent %s has no consent from %s", u.UserName, person)
			var names []string
			for _, tok := range googleList(t, filepath.Join(o.dir, "google", "tokens", person+".json"), "items") {
				names = append(names, tok["displayText"].(string))
				require.Equal(t, gID[person], tok["userKey"])
			}
			require.Contains(t, names, u.UserName)
		}
	}
	require.Equal(t, o.m.Counts.Agents, agents)

	// OAuth scopes: mostly narrow, few full-mailbox or full-Drive grants.
	tokens, signInOnly, full := 0, 0, 0
	files, err := filepath.Glob(filepath.Join(o.dir, "google", "tokens", "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		for _, tok := range googleList(t, f, "items") {
			tokens++
			var sc []string
			for _, s := range tok["scopes"].([]any) {
				sc = append(sc, s.(string))
			}
			if slices.Contains(sc, "https://mail.google.com/") || slices.Contains(sc, "https://www.googleapis.com/auth/drive") {
				full++
			}
			narrow := true
			for _, s := range sc {
				narrow = narrow && (s == "openid" || strings.HasSuffix(s, "/userinfo.email") || strings.HasSuffix(s, "/userinfo.profile"))
			}
			if narrow {
				signInOnly++
			}
		}
	}
	t.Logf("tokens %d, sign-in only %d, full %d, orphans %d, deprovisioned %d of %d, project sizes median %d max %d", tokens, signInOnly, full, orphans, deprov, term, sizes[len(sizes)/2], sizes[len(sizes)-1])
	require.Equal(t, o.m.Counts.GoogleTokens, tokens)
	require.Greater(t, signInOnly*100, tokens*30, "sign-in only tokens: %d of %d", signInOnly, tokens)
	require.Less(t, full*100, tokens, "full mail or Drive tokens: %d of %d", full, tokens)
	require.Positive(t, full)
}
