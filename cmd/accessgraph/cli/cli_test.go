package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// datasets returns ../shared/datasets beside the repository, or skips.
func datasets(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "datasets")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("public datasets not found at %s: %v", dir, err)
	}
	return dir
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, store string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	if store == "" {
		store = t.TempDir()
	}
	if !slices.Contains(args, "--neo4j") {
		t.Setenv("NEO4J_URI", "") // the embedded store, whatever the environment says
	}
	code := Main(append([]string{"--store", store, "--log-level", "warn"}, args...), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func mustRun(t *testing.T, store string, args ...string) string {
	t.Helper()
	r := run(t, store, args...)
	require.Zero(t, r.code, "accessgraph %v failed: %s", args, r.stderr)
	return r.stdout
}

// query runs a GraphQL document and decodes its data.
func query(t *testing.T, store, doc string, flags ...string) map[string]any {
	t.Helper()
	var resp struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, store, append(flags, "query", doc)...)), &resp))
	require.Empty(t, resp.Errors)
	return resp.Data
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// reacherIDs lists whoCanReach's principals with their privilege.
func reacherIDs(data map[string]any) map[string]string {
	out := map[string]string{}
	for _, e := range dig(data, "whoCanReach", "reachers", "edges").([]any) {
		n := dig(e, "node")
		out[dig(n, "principal", "id").(string)] = dig(n, "privilege").(string)
	}
	return out
}

const gaadName = "cloudsplaining-test-account-authorization-details.json"

// The main job end to end on the public AWS export: ingest, the three
// questions over GraphQL, idempotent re-ingest, and a sweep.
func TestAWSEndToEnd(t *testing.T) {
	ds := datasets(t)
	store := t.TempDir()
	gaad := filepath.Join(ds, "aws", gaadName)
	levels := filepath.Join(ds, "aws", "policy-sentry-iam-action-access-levels-2020.csv")
	out := mustRun(t, store, "ingest", "aws", "--action-levels", levels, gaad)
	require.Contains(t, out, "aws:012345678901: run ")

	// Who can do anything to anything in the account: the root user, and
	// the two members of group admin (AdministratorAccess). biden cannot:
	// his group and policies grant RDS, Lambda and S3 but nothing that takes
	// over an admin.
	data := query(t, store, `{ whoCanReach(resource: "aws:012345678901:*:*", kinds: [ACCOUNT]) {
		reachers { edges { node { principal { id } privilege witness { length } } } } } }`)
	require.Equal(t, map[string]string{
		"arn:aws:iam::012345678901:root":                           "ADMIN",
		"arn:aws:iam::012345678901:user/obama":                     "ADMIN",
		"arn:aws:iam::012345678901:user/userwithlotsofpermissions": "ADMIN",
	}, reacherIDs(data))

	// obama's blast radius: admin over the whole account through group admin.
	data = query(t, store, `{ blastRadius(id: "arn:aws:iam::012345678901:user/obama", first: 1) {
		totals { resources } reaches { edges { node { resource { id } privilege
		witness { steps { kind via } } } } } } }`)
	first := dig(data, "blastRadius", "reaches", "edges", 0, "node")
	require.Equal(t, "aws:012345678901:*:*", dig(first, "resource", "id"))
	require.Equal(t, "ADMIN", dig(first, "privilege"))
	require.Equal(t, []any{"policy/AdministratorAccess", "policy/AdministratorAccess via group/admin"},
		dig(first, "witness", "steps", 0, "via"))

	// Role OverprivilegedEC2 can mint access keys for any user (iam:CreateAccessKey
	// on *, inline policy SupYo), so it reaches the account through either
	// admin, directly (2 steps) or by way of the other admin (3 steps).
	data = query(t, store, `{ paths(from: "arn:aws:iam::012345678901:role/OverprivilegedEC2",
		to: "aws:012345678901:*:*", maxDepth: 3) { totalCount edges { node { length privilege escalation
		nodes { id } steps { via } } } } }`)
	require.EqualValues(t, 4, dig(data, "paths", "totalCount"))
	var lengths []float64
	for _, e := range dig(data, "paths", "edges").([]any) {
		lengths = append(lengths, dig(e, "node", "length").(float64))
		require.Equal(t, "ADMIN", dig(e, "node", "privilege"))
		require.Equal(t, true, dig(e, "node", "escalation"))
	}
	require.Equal(t, []float64{2, 2, 3, 3}, lengths, "shortest first")
	p := dig(data, "paths", "edges", 0, "node")
	require.Equal(t, "arn:aws:iam::012345678901:user/obama", dig(p, "nodes", 1, "id"))
	require.Equal(t, []any{"inline/SupYo"}, dig(p, "steps", 0, "via"))

	// Re-ingesting the same file changes nothing.
	out = mustRun(t, store, "ingest", "aws", "--action-levels", levels, gaad)
	require.Contains(t, out, "; 0 nodes, 0 edges swept")
	again := query(t, store, `{ whoCanReach(resource: "aws:012345678901:*:*", kinds: [ACCOUNT]) {
		reachers { edges { node { principal { id } privilege witness { length } } } } } }`)
	require.Len(t, reacherIDs(again), 3)

	// An export that no longer lists obama sweeps him and his edges.
	raw, err := os.ReadFile(gaad)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	users := doc["UserDetailList"].([]any)
	doc["UserDetailList"] = slices.DeleteFunc(users, func(u any) bool {
		return u.(map[string]any)["UserName"] == "obama"
	})
	smaller := filepath.Join(t.TempDir(), "gaad-without-obama.json")
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(smaller, b, 0o600))
	out = mustRun(t, store, "ingest", "aws", "--action-levels", levels, smaller)
	require.Regexp(t, `; [1-9]\d* nodes, [1-9]\d* edges swept`, out)
	r := run(t, store, "query", `{ node(id: "arn:aws:iam::012345678901:user/obama") { id } }`)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stdout, `"code": "NOT_FOUND"`)
}

// Bad input gets a clear error and the store keeps what it had.
func TestBadInputChangesNothing(t *testing.T) {
	ds := datasets(t)
	store := t.TempDir()
	gaad := filepath.Join(ds, "aws", gaadName)
	mustRun(t, store, "ingest", "aws", gaad)
	runsBefore := mustRun(t, store, "runs")

	raw, err := os.ReadFile(gaad)
	require.NoError(t, err)
	truncated := filepath.Join(t.TempDir(), "truncated.json")
	require.NoError(t, os.WriteFile(truncated, raw[:len(raw)/2], 0o600))
	r := run(t, store, "ingest", "aws", truncated)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, truncated)

	r = run(t, store, "ingest", "aws", filepath.Join(ds, "k8s", "argo-cd-install.yaml"))
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "argo-cd-install.yaml")

	r = run(t, store, "ingest", "k8s", gaad)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "expected Kubernetes objects with apiVersion and kind")

	require.Equal(t, runsBefore, mustRun(t, store, "runs"), "no run was even started")
	data := query(t, store, `{ node(id: "arn:aws:iam::012345678901:user/obama") { id } }`)
	require.Equal(t, "arn:aws:iam::012345678901:user/obama", dig(data, "node", "id"))
}

// Kubernetes: who can read the secrets of namespace argocd. The
// application controller's ClusterRole grants * on * cluster-wide, which
// contains the namespace's secrets; argocd-server's Role names them.
func TestK8sEndToEnd(t *testing.T) {
	ds := datasets(t)
	store := t.TempDir()
	out := mustRun(t, store, "ingest", "k8s", "--cluster", "argo", "--namespace", "argocd",
		filepath.Join(ds, "k8s", "argo-cd-install.yaml"))
	require.Contains(t, out, "k8s:argo: run ")
	data := query(t, store, `{ whoCanReach(resource: "k8s:argo:argocd:core/secrets", kinds: [ACCOUNT],
		first: 100) { reachers { edges { node { principal { id } privilege witness { length } } } } } }`)
	got := reacherIDs(data)
	require.Equal(t, "ADMIN", got["k8s:argo:sa:argocd/argocd-application-controller"])
	// argocd-server's Role reads secrets in argocd, which hold service
	// account tokens: it escalates to the application controller and so
	// reaches the secrets as an admin too.
	require.Equal(t, "ADMIN", got["k8s:argo:sa:argocd/argocd-server"])
	// argocd-repo-server's Role grants nothing on secrets and no escalation.
	require.NotContains(t, got, "k8s:argo:sa:argocd/argocd-repo-server")

	data = query(t, store, `{ paths(from: "k8s:argo:sa:argocd/argocd-server",
		to: "k8s:argo:argocd:core/secrets", maxDepth: 2) { edges { node { privilege actions
		nodes { id } } } } }`)
	direct := dig(data, "paths", "edges", 0, "node")
	require.Equal(t, "WRITE", dig(direct, "privilege"), "its own Role: create delete get list patch update watch")
	require.Equal(t, []any{
		map[string]any{"id": "k8s:argo:sa:argocd/argocd-server"},
		map[string]any{"id": "k8s:argo:role:argocd/argocd-server"},
		map[string]any{"id": "k8s:argo:argocd:core/secrets"},
	}, dig(direct, "nodes"))
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"ingest", "--help"}, {"ingest", "aws", "--help"},
		{"ingest", "k8s", "--help"}, {"ingest", "credential-report", "--help"}, {"serve", "--help"},
		{"query", "--help"}, {"demo", "--help"}, {"gen", "--help"}, {"runs", "--help"},
		{"sync", "--help"}, {"bench", "--help"}, {"review", "--help"}, {"idp", "--help"}} {
		r := run(t, t.TempDir(), args...)
		require.Zero(t, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stdout, "Usage:", "%v", args)
	}
}

// Configured sources sync on demand, and a second run reports no drift.
func TestSyncFromConfig(t *testing.T) {
	t.Setenv("NEO4J_URI", "")
	ds := datasets(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "accessgraph.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`store:
  dir: `+filepath.Join(dir, "store")+`
sources:
  - name: cloudsplaining
    kind: aws
    schedule: "@hourly"
    paths: [`+filepath.Join(ds, "aws", gaadName)+`]
  - name: argo
    kind: k8s
    paths: [`+filepath.Join(ds, "k8s", "argo-cd-install.yaml")+`]
    options: {cluster: argo, namespace: argocd}
`), 0o600))
	var out, errb bytes.Buffer
	code := Main([]string{"--log-level", "warn", "sync", "--config", cfg, "cloudsplaining", "argo"}, &out, &errb)
	require.Zero(t, code, errb.String())
	require.Regexp(t, `cloudsplaining: aws:012345678901 run \S+ complete: \+\d+ ~0 -0 nodes`, out.String())
	require.Regexp(t, `argo: k8s:argo run \S+ complete: \+58 ~0 -0 nodes`, out.String())

	out.Reset()
	code = Main([]string{"--log-level", "warn", "sync", "--config", cfg, "argo"}, &out, &errb)
	require.Zero(t, code, errb.String())
	require.Contains(t, out.String(), "complete: +0 ~0 -0 nodes, +0 ~0 -0 edges")

	code = Main([]string{"sync", "--config", cfg, "nope"}, &out, &errb)
	require.Equal(t, 1, code)
	require.Contains(t, errb.String(), `no source named "nope"`)
}

// The review command scores a real export and ranks what the rules flag:
// on cloudsplaining, the admins (standing admin) come before biden.
func TestReviewOnRealExport(t *testing.T) {
	ds := datasets(t)
	store := t.TempDir()
	mustRun(t, store, "ingest", "aws", filepath.Join(ds, "aws", gaadName))
	out := mustRun(t, store, "review", "--first", "50")
	require.Contains(t, out, "items in the queue")
	require.Regexp(t, `(?m)^\d+\.\d\s+\w+\s+arn:aws:iam::012345678901:user/obama\s+.*standing`, out)
}

// A rule whose when reads a field no item has fails on every item and never
// fires: review says so in a warning naming the policy and the rule.
func TestReviewWarnsOfFailingRule(t *testing.T) {
	ds := datasets(t)
	store := t.TempDir()
	mustRun(t, store, "ingest", "aws", filepath.Join(ds, "aws", gaadName))
	pol := filepath.Join(t.TempDir(), "typo.yaml")
	require.NoError(t, os.WriteFile(pol, []byte(`version: 1
name: typo
rules:
  - id: misspelt-field
    title: Misspelt field
    severity: high
    weight: 40
    when: item.agentt
`), 0o600))
	r := run(t, store, "review", "--policy", pol)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "some risk rules failed to evaluate and did not fire")
	require.Contains(t, r.stderr, "typo.yaml")
	require.Contains(t, r.stderr, "misspelt-field")
}

// Commands that only read refuse a store that does not exist (a mistyped
// --store) instead of creating it empty and answering nothing.
func TestReadCommandsNeedAStore(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nostore")
	for _, args := range [][]string{{"review"}, {"runs"}, {"query", `{ stats { nodes } }`}} {
		r := run(t, missing, args...)
		require.NotZero(t, r.code, "%v", args)
		require.Contains(t, r.stderr, "no store at "+missing, "%v", args)
		_, err := os.Stat(missing)
		require.ErrorIs(t, err, os.ErrNotExist, "%v created the store", args)
	}
}
