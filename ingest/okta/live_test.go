package okta

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
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// server replays testdata/export as the Management API: each file at its
// path under /api/v1, two elements per page with Link rel="next" (as Okta
// pages with limit and after), [] for a sub-collection without a file (an
// empty list), and X-Rate-Limit headers on every answer.
type server struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	fault func(w http.ResponseWriter, r *http.Request, hit int) bool
}

func newServer(t *testing.T) *server {
	s := &server{t: t, hits: map[string]int{}}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "SSWS 00abc-token" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae1","errorCauses":[]}`)
		return
	}
	s.mu.Lock()
	s.hits[r.URL.Path]++
	hit := s.hits[r.URL.Path]
	s.mu.Unlock()
	w.Header().Set("X-Rate-Limit-Limit", "600")
	w.Header().Set("X-Rate-Limit-Remaining", "599")
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	if s.fault != nil && s.fault(w, r, hit) {
		return
	}
	rel := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	raw, err := os.ReadFile(filepath.Join("testdata", "export", filepath.FromSlash(rel)+".json"))
	if os.IsNotExist(err) && strings.Count(rel, "/") == 2 {
		raw = []byte("[]")
	} else if err != nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: x (User)"}`)
		return
	}
	var list []json.RawMessage
	require.NoError(s.t, json.Unmarshal(raw, &list))
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	end := min(after+2, len(list))
	self := fmt.Sprintf("%s%s", s.srv.URL, r.URL.RequestURI())
	w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="self"`, self))
	if end < len(list) {
		q := r.URL.Query()
		q.Set("after", strconv.Itoa(end))
		w.Header().Add("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, s.srv.URL, r.URL.Path, q.Encode()))
	}
	require.NoError(s.t, json.NewEncoder(w).Encode(list[after:end]))
}

func (s *server) client(t *testing.T, token string) *httpapi.Client {
	c, err := httpapi.New(httpapi.Options{BaseURL: s.srv.URL + "/api/v1/", MinWait: 5 * time.Millisecond,
		MaxWait: 2 * time.Second, MaxRetries: 3,
		Authorize: SSWS(func() (string, error) { return token, nil })})
	require.NoError(t, err)
	return c
}

func TestFetchEqualsExport(t *testing.T) {
	s := newServer(t)
	var gap, resetGap time.Duration
	var last, spent time.Time
	s.fault = func(w http.ResponseWriter, r *http.Request, hit int) bool {
		switch {
		case r.URL.Path == "/api/v1/users" && hit == 1:
			last = time.Now()
			w.Header().Set("X-Rate-Limit-Remaining", "0")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}`)
			return true
		case r.URL.Path == "/api/v1/users" && hit == 2:
			gap = time.Since(last)
		case r.URL.Path == "/api/v1/apps" && hit == 1:
			resetGap = time.Since(spent)
			w.WriteHeader(http.StatusBadGateway)
			return true
		case r.URL.Path == "/api/v1/groups" && r.URL.Query().Get("after") == "2":
			// The rate limit is spent after this page, until the reset.
			spent = time.Now()
			w.Header().Set("X-Rate-Limit-Remaining", "0")
			w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Add(2*time.Second).Unix(), 10))
		}
		return false
	}
	b, err := Fetch(context.Background(), s.client(t, "00abc-token"), Options{Org: "example.okta.com"})
	require.NoError(t, err)
	require.GreaterOrEqual(t, gap, 900*time.Millisecond, "Retry-After: 1 was honoured")
	require.Equal(t, 3, s.hits["/api/v1/users"], "users: one 429, then two pages")
	require.GreaterOrEqual(t, resetGap, 900*time.Millisecond, "X-Rate-Limit-Remaining: 0 waited for the reset")
	want := parseFixture(t)
	require.Equal(t, want.Nodes(), b.Nodes())
	require.Equal(t, want.Edges(), b.Edges())
}

func TestFetchInvalidToken(t *testing.T) {
	s := newServer(t)
	b, err := Fetch(context.Background(), s.client(t, "bad-7f3e9c"), Options{Org: "example.okta.com"})
	require.Nil(t, b)
	require.ErrorIs(t, err, httpapi.ErrUnauthorized)
	require.ErrorContains(t, err, "/api/v1/users")
	require.NotContains(t, err.Error(), "bad-7f3e9c")
}

func TestFetchMalformedPage(t *testing.T) {
	s := newServer(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Path == "/api/v1/users" && r.URL.Query().Get("after") == "2" {
			fmt.Fprint(w, `[{"id":"00u3","status":"ACTIVE","profile":{"login":`)
			return true
		}
		return false
	}
	b, err := Fetch(context.Background(), s.client(t, "00abc-token"), Options{Org: "example.okta.com"})
	require.Nil(t, b)
	require.ErrorContains(t, err, "page 2 of users?limit=200: response: truncated JSON: input ends at byte 51 (line 1, column 52)")
}

func TestFetchServerKeepsFailing(t *testing.T) {
	s := newServer(t)
	s.fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if strings.HasSuffix(r.URL.Path, "/grants") {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"errorCode":"E0000009","errorSummary":"Internal Server Error"}`)
			return true
		}
		return false
	}
	b, err := Fetch(context.Background(), s.client(t, "00abc-token"), Options{Org: "example.okta.com"})
	require.Nil(t, b)
	require.ErrorContains(t, err, "HTTP 500")
	require.ErrorContains(t, err, "/grants")
}
