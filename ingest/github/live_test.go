package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// restServer replays testdata/export as the REST API serves it: arrays in
// pages of two with Link headers (rel="next" and rel="last").
type restServer struct {
	t    *testing.T
	srv  *httptest.Server
	hook func(w http.ResponseWriter, r *http.Request) bool
	mu   sync.Mutex
	seen []string // "METHOD path?query" of each request
}

func (s *restServer) file(r *http.Request) (string, bool) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	q := r.URL.Query()
	parts := strings.Split(p, "/")
	switch {
	case p == "orgs/acme-corp":
		return "org.json", true
	case p == "orgs/acme-corp/members" && q.Get("role") == "all":
		return "members.json", true
	case p == "orgs/acme-corp/members" && q.Get("role") == "admin":
		return "admins.json", true
	case p == "orgs/acme-corp/outside_collaborators":
		return "outside_collaborators.json", true
	case p == "orgs/acme-corp/teams":
		return "teams.json", true
	case len(parts) == 5 && parts[2] == "teams" && parts[4] == "members" && q.Get("role") == "all":
		return "teams/" + parts[3] + "/members.json", true
	case len(parts) == 5 && parts[2] == "teams" && parts[4] == "members" && q.Get("role") == "maintainer":
		return "teams/" + parts[3] + "/maintainers.json", true
	case len(parts) == 5 && parts[2] == "teams" && parts[4] == "repos":
		return "teams/" + parts[3] + "/repos.json", true
	case p == "orgs/acme-corp/repos":
		return "repos.json", true
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "collaborators" && q.Get("affiliation") == "direct":
		return "repos/" + parts[2] + "/collaborators.json", true
	case p == "orgs/acme-corp/installations":
		return "installations.json", true
	case len(parts) == 4 && parts[0] == "user" && parts[1] == "installations" && parts[3] == "repositories":
		return "installations/" + parts[2] + "/repositories.json", true
	case p == "orgs/acme-corp/personal-access-tokens":
		return "personal-access-tokens.json", true
	case len(parts) == 5 && parts[2] == "personal-access-tokens" && parts[4] == "repositories":
		return "personal-access-tokens/" + parts[3] + "/repositories.json", true
	}
	return "", false
}

func (s *restServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, r.URL.RequestURI())
	s.mu.Unlock()
	require.Equal(s.t, "2022-11-28", r.Header.Get("X-GitHub-Api-Version"))
	require.Equal(s.t, "Bearer ghs_testtoken", r.Header.Get("Authorization"))
	if s.hook != nil && s.hook(w, r) {
		return
	}
	name, ok := s.file(r)
	data, err := os.ReadFile(filepath.Join("testdata", "export", filepath.FromSlash(name)))
	if !ok || err != nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if data[0] != '[' {
		w.Write(data)
		return
	}
	var items []json.RawMessage
	require.NoError(s.t, json.Unmarshal(data, &items))
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		page, _ = strconv.Atoi(p)
	}
	const per = 2
	last := max((len(items)+per-1)/per, 1)
	from, to := min((page-1)*per, len(items)), min(page*per, len(items))
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return fmt.Sprintf("<%s%s?%s>", s.srv.URL, r.URL.Path, q.Encode())
	}
	if page < last {
		w.Header().Set("Link", link(page+1)+`; rel="next", `+link(last)+`; rel="last"`)
	}
	out, _ := json.Marshal(items[from:to])
	w.Write(out)
}

func newRESTServer(t *testing.T) *restServer {
	s := &restServer{t: t}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func restClient(t *testing.T, url string) *httpapi.Client {
	t.Helper()
	c, err := httpapi.New(httpapi.Options{BaseURL: url + "/", MinWait: 5 * time.Millisecond, MaxWait: 2 * time.Second,
		MaxRetries: 3, Authorize: BearerAuth(func() (string, error) { return "ghs_testtoken", nil })})
	require.NoError(t, err)
	return c
}

var liveOpt = Options{Org: "acme-corp", PersonalAccessTokens: true, MaxRateLimitWait: 5 * time.Second}

func TestFetchMatchesExport(t *testing.T) {
	s := newRESTServer(t)
	var secondary, primary, flaky atomic.Bool
	var gap time.Duration
	var first time.Time
	s.hook = func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		// A secondary rate limit on the second page of teams: 403 with Retry-After.
		case r.URL.Path == "/orgs/acme-corp/teams" && r.URL.Query().Get("page") == "2":
			if !secondary.Swap(true) {
				first = time.Now()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",`+
					`"documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}`)
				return true
			}
			gap = time.Since(first)
		// The primary limit on the repositories: 403 with x-ratelimit-reset.
		case r.URL.Path == "/orgs/acme-corp/repos" && !primary.Swap(true):
			w.Header().Set("X-Ratelimit-Limit", "5000")
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Used", "5000")
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Unix(), 10))
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"API rate limit exceeded for user ID 5001.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}`)
			return true
		case r.URL.Path == "/orgs/acme-corp/outside_collaborators" && !flaky.Swap(true):
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `{"message":"Server Error"}`)
			return true
		}
		return false
	}
	got, err := Fetch(context.Background(), restClient(t, s.srv.URL), liveOpt)
	require.NoError(t, err)
	require.True(t, primary.Load())
	require.True(t, flaky.Load())
	require.GreaterOrEqual(t, gap, 900*time.Millisecond, "Retry-After on a 403 was honoured")
	want := parseFixture(t)
	require.Equal(t, want.Nodes(), got.Nodes())
	require.Equal(t, want.Edges(), got.Edges())
	// Paging followed the Link headers: members has two pages.
	require.Contains(t, s.seen, "/orgs/acme-corp/members?page=2&per_page=100&role=all")
}

func TestFetchBadCredentials(t *testing.T) {
	s := newRESTServer(t)
	s.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/orgs/acme-corp/teams" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`)
			return true
		}
		return false
	}
	b, err := Fetch(context.Background(), restClient(t, s.srv.URL), liveOpt)
	require.Nil(t, b)
	require.ErrorIs(t, err, httpapi.ErrUnauthorized)
	require.ErrorContains(t, err, `GET orgs/acme-corp/teams page 1`)
	require.ErrorContains(t, err, `GitHub says "Bad credentials"`)
	require.NotContains(t, err.Error(), "ghs_testtoken")
}

func TestFetchForbiddenTokens(t *testing.T) {
	s := newRESTServer(t)
	s.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/orgs/acme-corp/personal-access-tokens" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/orgs/personal-access-tokens","status":"403"}`)
			return true
		}
		return false
	}
	b, err := Fetch(context.Background(), restClient(t, s.srv.URL), liveOpt)
	require.Nil(t, b)
	require.ErrorIs(t, err, httpapi.ErrForbidden)
	require.ErrorContains(t, err, "Resource not accessible by personal access token")
}

func TestFetchMalformedPage(t *testing.T) {
	s := newRESTServer(t)
	s.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/orgs/acme-corp/repos" && r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, `[{"id":9003,"name":"secrets-vault","private":tru`)
			return true
		}
		return false
	}
	b, err := Fetch(context.Background(), restClient(t, s.srv.URL), liveOpt)
	require.Nil(t, b)
	require.ErrorContains(t, err, "github: GET orgs/acme-corp/repos page 2: malformed JSON")
}

func TestFetchRateLimitTooLong(t *testing.T) {
	s := newRESTServer(t)
	s.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/orgs/acme-corp/teams" {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com"}`)
			return true
		}
		return false
	}
	start := time.Now()
	b, err := Fetch(context.Background(), restClient(t, s.srv.URL), liveOpt)
	require.Nil(t, b)
	require.ErrorContains(t, err, "rate limited for 1h0m0s, more than the 5s allowed")
	require.Less(t, time.Since(start), 3*time.Second)
}
