package sources

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/config"
)

func repo(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func datasets(t *testing.T) string {
	t.Helper()
	d := filepath.Join(repo(t), "..", "shared", "datasets")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("public datasets not found at %s", d)
	}
	return d
}

// Every kind a configuration may name reaches its connector, in export mode,
// on the public datasets or the connectors' documented-shape fixtures.
func TestExportKinds(t *testing.T) {
	ds, r := datasets(t), repo(t)
	fetch := Fetch(Options{})
	for _, tc := range []struct {
		src    config.Source
		source string
	}{
		{config.Source{Name: "a", Kind: "aws", Paths: []string{filepath.Join(ds, "aws",
			"cloudsplaining-test-account-authorization-details.json")}}, "aws:012345678901"},
		{config.Source{Name: "k", Kind: "k8s", Paths: []string{filepath.Join(ds, "k8s", "argo-cd-install.yaml")},
			Options: map[string]string{"cluster": "argo", "namespace": "argocd"}}, "k8s:argo"},
		{config.Source{Name: "d", Kind: "ad", Paths: []string{filepath.Join(ds, "ad")}}, "ad:PHANTOM.CORP"},
		{config.Source{Name: "s", Kind: "scim", Paths: []string{filepath.Join(ds, "scim",
			"rfc7643-8.4-group.json")}, Options: map[string]string{"host": "scim.example.com"}}, "scim:scim.example.com"},
		{config.Source{Name: "e", Kind: "entra", Paths: []string{filepath.Join(r, "ingest", "entra", "testdata",
			"bundle.json")}, Options: map[string]string{"tenant": "contoso"}}, "entra:contoso"},
		{config.Source{Name: "o", Kind: "okta", Paths: []string{filepath.Join(r, "ingest", "okta", "testdata",
			"export")}, Options: map[string]string{"org": "example.okta.com"}}, "okta:example.okta.com"},
		{config.Source{Name: "g", Kind: "google", Paths: []string{filepath.Join(r, "ingest", "google", "testdata",
			"export")}, Options: map[string]string{"tenant": "acme.example"}}, "google:acme.example"},
		{config.Source{Name: "h", Kind: "github", Paths: []string{filepath.Join(r, "ingest", "github", "testdata",
			"export")}, Options: map[string]string{"org": "acme"}}, "github:acme"},
	} {
		t.Run(tc.src.Kind, func(t *testing.T) {
			bs, err := fetch(context.Background(), &tc.src)
			require.NoError(t, err)
			require.Len(t, bs, 1)
			require.Equal(t, tc.source, bs[0].Source)
			n, e := bs[0].Len()
			require.Positive(t, n)
			require.Positive(t, e)
			require.NoError(t, bs[0].Validate())
		})
	}
}

// A live source's token comes from the environment, goes to the API as a
// bearer token, and a missing one fails before any request.
func TestLiveTokenFromEnv(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/scim+json")
		fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
			"totalResults":0,"itemsPerPage":0,"startIndex":1,"Resources":[]}`)
	}))
	defer srv.Close()
	src := config.Source{Name: "idp", Kind: "scim", URL: srv.URL + "/scim/v2/",
		Token: config.Secret{Env: "ACCESSGRAPH_TEST_SCIM_TOKEN"}, Options: map[string]string{"host": "idp"}}
	fetch := Fetch(Options{})
	_, err := fetch(context.Background(), &src)
	require.ErrorContains(t, err, "ACCESSGRAPH_TEST_SCIM_TOKEN is empty or unset")
	require.Empty(t, auth, "no request without a token")

	t.Setenv("ACCESSGRAPH_TEST_SCIM_TOKEN", "tok-123")
	bs, err := fetch(context.Background(), &src)
	require.NoError(t, err)
	require.Equal(t, "Bearer tok-123", auth)
	require.Equal(t, "scim:idp", bs[0].Source)
}

// A source named after its kind (as on the command line) is named once in
// an error, not "source ad: ad: ...", and the cause is still unwrapped.
func TestErrorNamesSourceOnce(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"data":[`), 0o600))
	fetch := Fetch(Options{})
	_, err := fetch(context.Background(), &config.Source{Name: "ad", Kind: "ad", Paths: []string{p}})
	require.ErrorContains(t, err, "source ad: "+p+": truncated JSON: input ends at byte 9 (line 1, column 10)")
	require.NotContains(t, err.Error(), "ad: ad:")
	_, err = fetch(context.Background(), &config.Source{Name: "corp", Kind: "ad", Paths: []string{p}})
	require.ErrorContains(t, err, "source corp: ad: "+p+": truncated JSON")
	_, err = fetch(context.Background(), &config.Source{Name: "scim", Kind: "scim", Paths: []string{p + ".absent"}})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NotContains(t, err.Error(), "scim: scim:")
}
