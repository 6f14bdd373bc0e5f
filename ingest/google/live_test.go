package google

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// directoryServer replays the export in testdata/export as the Directory
// API serves it: users in two pages, engineering's members in two pages,
// the rest in one page each, tokens per user id.
type directoryServer struct {
	t      *testing.T
	pages  map[string][]string // path -> bodies; page n is asked for with pageToken "p<n>"
	hook   func(w http.ResponseWriter, r *http.Request) bool
	calls  atomic.Int32
	tokens []string // Authorization headers seen
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "export", name))
	require.NoError(t, err)
	return b
}

// paged splits one list response's array field into pages of n elements.
func paged(t *testing.T, body []byte, field string, n int) []string {
	t.Helper()
	var obj map[string]any
	require.NoError(t, json.Unmarshal(body, &obj))
	list, _ := obj[field].([]any)
	var out []string
	for i := 0; i < len(list) || i == 0; i += n {
		p := map[string]any{}
		for k, v := range obj {
			p[k] = v
		}
		end := min(i+n, len(list))
		p[field] = list[i:end]
		delete(p, "nextPageToken")
		if end < len(list) {
			p["nextPageToken"] = fmt.Sprintf("p%d", len(out)+2)
		}
		b, err := json.Marshal(p)
		require.NoError(t, err)
		out = append(out, string(b))
		if len(list) == 0 {
			break
		}
	}
	return out
}

func newDirectoryServer(t *testing.T) *directoryServer {
	d := &directoryServer{t: t, pages: map[string][]string{}}
	// users.json holds two pages: the first's token is Google-like, so
	// rewrite it to this server's token scheme.
	var userPages []json.RawMessage
	require.NoError(t, json.Unmarshal(readFixture(t, "users.json"), &userPages))
	d.pages["/admin/directory/v1/users"] = []string{
		strings.Replace(string(userPages[0]), `"Q2hsb2UtcGFnZS0y"`, `"p2"`, 1), string(userPages[1])}
	d.pages["/admin/directory/v1/groups"] = []string{string(readFixture(t, "groups.json"))}
	groups := map[string]string{
		"03x8tuzt1abc111": "engineering@acme.example.json", "03x8tuzt1abc222": "03x8tuzt1abc222.json",
		"03x8tuzt1abc333": "itops@acme.example.json", "03x8tuzt1abc444": "all-staff@acme.example.json",
	}
	for id, f := range groups {
		d.pages["/admin/directory/v1/groups/"+id+"/members"] = paged(t, readFixture(t, "members/"+f), "members", 2)
	}
	d.pages["/admin/directory/v1/customer/my_customer/roles"] = []string{string(readFixture(t, "roles.json"))}
	d.pages["/admin/directory/v1/customer/my_customer/roleassignments"] = paged(t, readFixture(t, "roleassignments.json"), "items", 3)
	tokens := map[string]string{"104857392011": "ana@acme.example.json", "104857392022": "104857392022.json",
		"104857392033": "chloe@acme.example.json", "104857392055": "eve@acme.example.json"}
	for _, id := range []string{"104857392011", "104857392022", "104857392033", "104857392044", "104857392055"} {
		body := `{"kind":"admin#directory#tokenList","etag":"\"empty\""}`
		if f, ok := tokens[id]; ok {
			body = string(readFixture(t, "tokens/"+f))
		}
		d.pages["/admin/directory/v1/users/"+id+"/tokens"] = []string{body}
	}
	return d
}

func (d *directoryServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.calls.Add(1)
	d.tokens = append(d.tokens, r.Header.Get("Authorization"))
	if d.hook != nil && d.hook(w, r) {
		return
	}
	pages, ok := d.pages[r.URL.Path]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":404,"message":"Resource Not Found","status":"NOT_FOUND"}}`)
		return
	}
	n := 0
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		fmt.Sscanf(tok, "p%d", &n)
		n--
	}
	require.Less(d.t, n, len(pages), "page of %s", r.URL)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	fmt.Fprint(w, pages[n])
}

func liveClient(t *testing.T, url string) *httpapi.Client {
	t.Helper()
	c, err := httpapi.New(httpapi.Options{BaseURL: url + "/", MinWait: 5 * time.Millisecond,
		MaxWait: 2 * time.Second, MaxRetries: 3,
		Authorize: BearerAuth(func() (string, error) { return "ya29.test-token", nil })})
	require.NoError(t, err)
	return c
}

func TestFetchMatchesExport(t *testing.T) {
	d := newDirectoryServer(t)
	var limited, failed atomic.Bool
	var retryGap time.Duration
	var last time.Time
	d.hook = func(w http.ResponseWriter, r *http.Request) bool {
		// The second users page is rate limited once (Retry-After: 1), and
		// a members page fails once with 503.
		if r.URL.Path == "/admin/directory/v1/users" && r.URL.Query().Get("pageToken") == "p2" {
			if !limited.Swap(true) {
				last = time.Now()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`)
				return true
			}
			retryGap = time.Since(last)
		}
		if r.URL.Path == "/admin/directory/v1/groups/03x8tuzt1abc111/members" && !failed.Swap(true) {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`)
			return true
		}
		return false
	}
	srv := httptest.NewServer(d)
	defer srv.Close()

	got, err := Fetch(context.Background(), liveClient(t, srv.URL), testOpt)
	require.NoError(t, err)
	require.GreaterOrEqual(t, retryGap, 900*time.Millisecond, "Retry-After was honoured")
	require.True(t, failed.Load())
	for _, h := range d.tokens {
		require.Equal(t, "Bearer ya29.test-token", h)
	}
	want := parseFixture(t)
	require.Equal(t, want.Nodes(), got.Nodes())
	require.Equal(t, want.Edges(), got.Edges())
}

func TestFetchUnauthorized(t *testing.T) {
	d := newDirectoryServer(t)
	d.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/admin/directory/v1/groups" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials. `+
				`Expected OAuth 2 access token, login cookie or other valid authentication credential.",`+
				`"errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError",`+
				`"location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}`)
			return true
		}
		return false
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	b, err := Fetch(context.Background(), liveClient(t, srv.URL), testOpt)
	require.Nil(t, b)
	require.ErrorIs(t, err, httpapi.ErrUnauthorized)
	require.ErrorContains(t, err, "UNAUTHENTICATED: Request had invalid authentication credentials")
	require.NotContains(t, err.Error(), "ya29")
}

func TestFetchMalformedPage(t *testing.T) {
	d := newDirectoryServer(t)
	d.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/admin/directory/v1/users" && r.URL.Query().Get("pageToken") == "p2" {
			fmt.Fprint(w, `{"kind":"admin#directory#users","users":[{"id":"104857392044","primaryEmail":`)
			return true
		}
		return false
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	b, err := Fetch(context.Background(), liveClient(t, srv.URL), testOpt)
	require.Nil(t, b)
	require.ErrorContains(t, err, "GET admin/directory/v1/users page 2: truncated JSON")
}

func TestFetchInvalidElement(t *testing.T) {
	d := newDirectoryServer(t)
	d.pages["/admin/directory/v1/customer/my_customer/roleassignments"] = []string{
		`{"kind":"admin#directory#roleAssignments","items":[{"roleAssignmentId":"1","roleId":"91447453409034240","assignedTo":"104857392011","scopeType":"DOMAIN"}]}`}
	srv := httptest.NewServer(d)
	defer srv.Close()
	b, err := Fetch(context.Background(), liveClient(t, srv.URL), testOpt)
	require.Nil(t, b)
	require.ErrorContains(t, err, `GET admin/directory/v1/customer/my_customer/roleassignments page 1: items[0]: scopeType "DOMAIN", expected CUSTOMER or ORG_UNIT`)
}
