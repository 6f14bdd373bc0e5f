package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// datasetResources returns the dataset's resources as raw JSON, by endpoint,
// in file order: what a provider holding exactly these resources serves.
func datasetResources(t *testing.T) map[string][]json.RawMessage {
	out := map[string][]json.RawMessage{}
	for _, p := range datasetFiles(t) {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		var lr struct {
			Resources []json.RawMessage `json:"Resources"`
		}
		require.NoError(t, json.Unmarshal(data, &lr))
		raws := lr.Resources
		if raws == nil {
			raws = []json.RawMessage{data}
		}
		for _, r := range raws {
			var h struct {
				Meta struct{ ResourceType string } `json:"meta"`
			}
			require.NoError(t, json.Unmarshal(r, &h))
			out[h.Meta.ResourceType+"s"] = append(out[h.Meta.ResourceType+"s"], r)
		}
	}
	return out
}

// listPage renders RFC 7644 section 3.4.2's ListResponse for one page.
func listPage(total, start int, rs []json.RawMessage) []byte {
	b, _ := json.Marshal(map[string]any{
		"schemas":      []string{SchemaListResponse},
		"totalResults": total,
		"itemsPerPage": len(rs),
		"startIndex":   start,
		"Resources":    rs,
	})
	return b
}

// scimServer serves {base}/Users and {base}/Groups from res with
// startIndex/count paging. fault may answer a request itself (by request
// number per endpoint and start index) and returns true when it did.
type scimServer struct {
	res    map[string][]json.RawMessage
	calls  map[string]*atomic.Int32
	fault  func(w http.ResponseWriter, endpoint string, call int32, start int) bool
	tokens atomic.Int32
}

func (s *scimServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.tokens.Add(1)
	ep := r.URL.Path[len("/scim/v2/"):]
	rs, ok := s.res[ep]
	if !ok {
		http.NotFound(w, r)
		return
	}
	start, err1 := strconv.Atoi(r.URL.Query().Get("startIndex"))
	count, err2 := strconv.Atoi(r.URL.Query().Get("count"))
	if err1 != nil || err2 != nil || start < 1 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	call := s.calls[ep].Add(1)
	if s.fault != nil && s.fault(w, ep, call, start) {
		return
	}
	lo := min(start-1, len(rs))
	hi := min(lo+count, len(rs))
	w.Header().Set("Content-Type", "application/scim+json")
	_, _ = w.Write(listPage(len(rs), start, rs[lo:hi]))
}

func newServer(t *testing.T, fault func(http.ResponseWriter, string, int32, int) bool) (*scimServer, *httpapi.Client) {
	s := &scimServer{res: datasetResources(t), fault: fault,
		calls: map[string]*atomic.Int32{"Users": {}, "Groups": {}}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := httpapi.New(httpapi.Options{BaseURL: srv.URL + "/scim/v2/", MinWait: 5 * time.Millisecond,
		MaxWait: 2 * time.Second, MaxRetries: 3, Authorize: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer s3cret")
			return nil
		}})
	require.NoError(t, err)
	return s, c
}

func TestFetchSameAsExport(t *testing.T) {
	var gap atomic.Int64
	var first time.Time
	s, c := newServer(t, func(w http.ResponseWriter, ep string, call int32, start int) bool {
		switch {
		case ep == "Users" && call == 1:
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		case ep == "Users" && call == 2:
			gap.Store(int64(time.Since(first)))
		case ep == "Groups" && start == 3 && call == 2:
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	got, rep, err := FetchWithReport(context.Background(), c, Options{Host: "example.com", PageSize: 2})
	require.NoError(t, err)
	want, err := ParseExport(Options{Host: "example.com"}, datasetFiles(t)...)
	require.NoError(t, err)
	require.Equal(t, want.Source, got.Source)
	require.Equal(t, want.Nodes(), got.Nodes())
	require.Equal(t, want.Edges(), got.Edges())
	require.Equal(t, 1, rep.Users)
	require.Equal(t, 3, rep.Groups)
	require.GreaterOrEqual(t, time.Duration(gap.Load()), 900*time.Millisecond, "Retry-After: 1 honoured")
	// Users: 429 then the page; Groups: page 1 (2 of 3), a 503, then page 2.
	require.EqualValues(t, 2, s.calls["Users"].Load())
	require.EqualValues(t, 3, s.calls["Groups"].Load())
}

func TestFetchHostFromBaseURL(t *testing.T) {
	_, c := newServer(t, nil)
	b, err := Fetch(context.Background(), c, Options{PageSize: 1})
	require.NoError(t, err)
	require.Equal(t, "scim:127.0.0.1", b.Source)
	n, e := b.Len()
	require.Equal(t, 7, n)
	require.Equal(t, 6, e)
}

func TestFetchFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(http.ResponseWriter, string, int32, int) bool
		auth  string
		want  []string
	}{
		{name: "expired token", auth: "Bearer old", want: []string{"unauthorized", "token is expired"}},
		{name: "empty page before totalResults", want: []string{"page 2", "Groups", "page at startIndex 2 is empty but totalResults is 3"},
			fault: func(w http.ResponseWriter, ep string, _ int32, start int) bool {
				if ep == "Groups" && start == 2 {
					_, _ = w.Write(listPage(3, 2, nil))
					return true
				}
				return false
			}},
		{name: "invalid JSON", want: []string{"page 1", "Users", "ListResponse"},
			fault: func(w http.ResponseWriter, ep string, _ int32, _ int) bool {
				if ep == "Users" {
					fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[`)
					return true
				}
				return false
			}},
		{name: "paging ignored", want: []string{"asked for startIndex 2, got a page starting at 1"},
			fault: func(w http.ResponseWriter, ep string, _ int32, start int) bool {
				if ep == "Groups" && start == 2 {
					_, _ = w.Write(listPage(3, 1, datasetResources(t)["Groups"][:1]))
					return true
				}
				return false
			}},
		{name: "5xx that never recovers", want: []string{"HTTP 502"},
			fault: func(w http.ResponseWriter, ep string, _ int32, _ int) bool {
				if ep == "Groups" {
					w.WriteHeader(http.StatusBadGateway)
					return true
				}
				return false
			}},
		{name: "user in the groups endpoint", want: []string{"is a User, want a Group"},
			fault: func(w http.ResponseWriter, ep string, _ int32, _ int) bool {
				if ep == "Groups" {
					_, _ = w.Write(listPage(1, 1, datasetResources(t)["Users"]))
					return true
				}
				return false
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c := newServer(t, tc.fault)
			if tc.auth != "" {
				var err error
				c, err = httpapi.New(httpapi.Options{BaseURL: mustBase(t, c), MinWait: time.Millisecond,
					Authorize: func(r *http.Request) error { r.Header.Set("Authorization", tc.auth); return nil }})
				require.NoError(t, err)
			}
			b, err := Fetch(context.Background(), c, Options{Host: "example.com", PageSize: 1})
			require.Nil(t, b, "no batch on failure")
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func mustBase(t *testing.T, c *httpapi.Client) string {
	u, err := c.Resolve("/scim/v2/")
	require.NoError(t, err)
	return u.String()
}
