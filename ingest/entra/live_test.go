package entra

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

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

const v1 = "https://graph.microsoft.com/v1.0"

// mockItems returns the entities of the GET mock whose request URL is url
// (a collection's value, or the single entity), failing if it is absent.
func mockItems(t *testing.T, mocks []mock, url string) []json.RawMessage {
	t.Helper()
	for _, m := range mocks {
		if m.Request.URL == v1+url && strings.EqualFold(m.Request.Method, "GET") {
			list, err := items(m.Response.Body)
			require.NoError(t, err, url)
			return list
		}
	}
	t.Fatalf("no GET mock for %s", url)
	return nil
}

// replay is a Graph test server that replays recorded bodies of the mocks
// file by URL path, two entities per page with @odata.nextLink, and can
// inject faults.
type replay struct {
	t      *testing.T
	srv    *httptest.Server
	routes map[string][]json.RawMessage // path ("/groups/{id}/members" with {id} literal) -> entities
	byID   map[string][]json.RawMessage // concrete path -> entities (wins over routes)
	gone   map[string]bool              // path patterns answered 404
	mu     sync.Mutex
	hits   map[string]int
	fault  func(w http.ResponseWriter, r *http.Request, hit int) bool
	served map[string][]json.RawMessage // what 200 pages carried, by concrete path
}

var idSeg = map[string]bool{"groups": true, "directoryRoles": true, "servicePrincipals": true, "applications": true, "users": true}

// pattern replaces the id segment of a sub-collection path by {id}.
func pattern(path string) string {
	s := strings.Split(strings.Trim(path, "/"), "/")
	if len(s) == 3 && idSeg[s[0]] {
		s[1] = "{id}"
	}
	return "/" + strings.Join(s, "/")
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer test-token" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rp.mu.Lock()
	rp.hits[r.URL.Path]++
	hit := rp.hits[r.URL.Path]
	rp.mu.Unlock()
	if rp.fault != nil && rp.fault(w, r, hit) {
		return
	}
	list, ok := rp.byID[r.URL.Path]
	if !ok {
		list, ok = rp.routes[pattern(r.URL.Path)]
	}
	if rp.gone[pattern(r.URL.Path)] || !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"Request_ResourceNotFound","message":"Resource does not exist."}}`)
		return
	}
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(skip+2, len(list))
	page := map[string]any{"@odata.context": v1 + "/$metadata#directoryObjects", "value": list[skip:end]}
	if end < len(list) {
		page["@odata.nextLink"] = fmt.Sprintf("%s/v1.0%s?$skiptoken=%d", rp.srv.URL, r.URL.Path, end)
	}
	rp.mu.Lock()
	rp.served[r.URL.Path] = append(rp.served[r.URL.Path], list[skip:end]...)
	rp.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	require.NoError(rp.t, json.NewEncoder(w).Encode(page))
}

// newReplay serves recorded responses of the mocks file. Every route is a
// real recorded body; where the file records a single entity, collections
// are made of such entities. Routes the file has no usable recording for
// answer 404 as Graph does for a missing object.
func newReplay(t *testing.T) *replay {
	raw, err := os.ReadFile(mocksFile(t))
	require.NoError(t, err)
	var f struct{ Mocks []mock }
	require.NoError(t, json.Unmarshal(raw, &f))
	ms := f.Mocks
	cat := func(urls ...string) []json.RawMessage {
		var out []json.RawMessage
		for _, u := range urls {
			out = append(out, mockItems(t, ms, u)...)
		}
		return out
	}
	rp := &replay{t: t, hits: map[string]int{}, served: map[string][]json.RawMessage{},
		routes: map[string][]json.RawMessage{
			"/users": cat("/users?$select=displayName,userPrincipalName,signInActivity",
				"/users?$filter=endswith(mail,*)&$orderby=userPrincipalName&$count=true", "/users"),
			"/groups":              cat("/groups", "/groups/*"),
			"/groups/{id}/members": cat("/groups/*/members"),
			"/groups/{id}/owners":  cat("/groups/*/owners"),
			"/directoryRoles":      cat("/directoryRoles"),
			"/servicePrincipals":   cat("/servicePrincipals/*", "/servicePrincipals/*?$select=id,appId,displayName,appRoles,oauth2PermissionScopes,resourceSpecificApplicationPermissions"),
			"/servicePrincipals/{id}/appRoleAssignedTo": cat("/servicePrincipals/*/appRoleAssignedTo"),
			"/servicePrincipals/{id}/owners":            cat("/serviceprincipals(appId=*)/owners"),
			"/applications":                             cat("/applications/*"),
			"/oauth2PermissionGrants":                   cat("/oauth2PermissionGrants", "/users/*/oauth2PermissionGrants"),
			"/roleManagement/directory/roleDefinitions": cat("/roleManagement/directory/roleDefinitions"),
			"/roleManagement/directory/roleAssignments": cat("/roleManagement/directory/roleAssignments?$filter=principalId eq *",
				"/roleManagement/directory/roleAssignments/*"),
		},
		byID: map[string][]json.RawMessage{
			// Microsoft Graph's service principal: the recorded assignment to it.
			"/servicePrincipals/7408235b-7540-4850-82fe-a5f15ed019e2/appRoleAssignedTo": cat(
				"/servicePrincipals(appId=*)/appRoleAssignedTo/*"),
		},
		// The recorded /directoryRoles/{id}/members example omits member ids
		// and /applications(appId=*)/owners is not valid JSON: served as 404.
		gone: map[string]bool{"/directoryRoles/{id}/members": true, "/applications/{id}/owners": true},
	}
	rp.srv = httptest.NewServer(rp)
	t.Cleanup(rp.srv.Close)
	return rp
}

func (rp *replay) client(t *testing.T, token string) *httpapi.Client {
	c, err := httpapi.New(httpapi.Options{BaseURL: rp.srv.URL + "/v1.0/", MinWait: 5 * time.Millisecond,
		MaxWait: 2 * time.Second, MaxRetries: 3,
		Authorize: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}})
	require.NoError(t, err)
	return c
}

// The replay server serves under /v1.0/; strip it for routing.
func (rp *replay) strip() {
	h := rp.srv.Config.Handler
	rp.srv.Config.Handler = http.StripPrefix("/v1.0", h)
}

func TestFetchReplaysRecordedResponses(t *testing.T) {
	rp := newReplay(t)
	rp.strip()
	var gaps []time.Duration
	var last time.Time
	rp.fault = func(w http.ResponseWriter, r *http.Request, hit int) bool {
		switch {
		case r.URL.Path == "/users" && r.URL.Query().Get("$skiptoken") == "" && hit == 1:
			last = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"code":"TooManyRequests","message":"Too many requests"}}`)
			return true
		case r.URL.Path == "/users" && hit == 2:
			gaps = append(gaps, time.Since(last))
		case r.URL.Path == "/groups" && hit == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	b, rep, err := FetchReport(context.Background(), rp.client(t, "test-token"), Options{Tenant: "contoso"})
	require.NoError(t, err)
	require.Len(t, gaps, 1)
	require.GreaterOrEqual(t, gaps[0], 900*time.Millisecond, "Retry-After: 1 was honoured")
	require.Contains(t, rep.NotFound, "/directoryRoles/9ed3a0c4-53e1-498c-ab4d-2473476fde14/members")

	p := "entra:contoso:"
	// Four users over two pages (the 429 was retried).
	var users []string
	for _, n := range b.Nodes() {
		if n.Subkind == "entra-user" && n.Props[graph.PropStub] == "" {
			users = append(users, n.Name)
		}
	}
	require.Contains(t, users, "Grady Archie")
	require.Contains(t, users, "Alex Wilber")
	// Every group (three, the 503 recovered) has the recorded member and owners.
	for _, g := range []string{"45b7d2e7-b882-4a80-ba97-10b7a63b8fa4", "d7797254-3084-44d0-99c9-a3b5ab149538",
		"02bd9fd6-8f93-4758-87c3-1fb73740a315"} {
		edge(t, b, p+"object:11111111-2222-3333-4444-555555555555", graph.EdgeMemberOf, p+"group:"+g)
		edge(t, b, p+"user:f0206b06-7c5d-461c-ae24-08f68b7ef463", graph.EdgeEscalates, p+"group:"+g)
	}
	// Application permission on Microsoft Graph, Global Administrator holders,
	// and the user consent.
	edge(t, b, p+"sp:2a8f9e7a-af01-413a-9592-c32ec0e5c1a7", graph.EdgeAccess, p+"api:7408235b-7540-4850-82fe-a5f15ed019e2")
	edge(t, b, p+"object:089a6bb8-e8cb-492c-aa41-c078aa0b5120", graph.EdgeHasRole, p+"role:62e90394-69f5-4237-9190-012177145e10")
	g := p + "grant:E3NHhUPqfUy4pFT-010LYFo5-ycA-_5Fhl7nHbaJ7qACy1R9o6oWQJ-cpLSUIt2b"
	require.Equal(t, "Contacts.ReadWrite openid profile", node(t, b, g).Props["scopes"])

	// The same responses written as an export bundle give the same batch.
	bundle := map[string]any{}
	for path, list := range rp.served {
		bundle[strings.TrimPrefix(path, "/")] = map[string]any{"value": list}
	}
	raw, err := json.Marshal(bundle)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "bundle.json")
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	eb, err := ParseExport(Options{Tenant: "contoso"}, file)
	require.NoError(t, err)
	require.Equal(t, eb.Nodes(), b.Nodes())
	require.Equal(t, eb.Edges(), b.Edges())
}

func TestFetchExpiredToken(t *testing.T) {
	rp := newReplay(t)
	rp.strip()
	rp.fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Path == "/groups" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired.","innerError":{"date":"2024-01-01T00:00:00","request-id":"x"}}}`)
			return true
		}
		return false
	}
	b, err := Fetch(context.Background(), rp.client(t, "test-token"), Options{Tenant: "contoso"})
	require.Nil(t, b)
	require.ErrorIs(t, err, httpapi.ErrUnauthorized)
	require.ErrorContains(t, err, "/v1.0/groups")
	require.NotContains(t, err.Error(), "test-token")
}

func TestFetchMalformedPage(t *testing.T) {
	rp := newReplay(t)
	rp.strip()
	rp.fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Path == "/oauth2PermissionGrants" && r.URL.Query().Get("$skiptoken") == "2" {
			fmt.Fprint(w, `{"value":[{"id":"x","clientId":"c","consentType":"Principal",`)
			return true
		}
		return false
	}
	b, err := Fetch(context.Background(), rp.client(t, "test-token"), Options{Tenant: "contoso"})
	require.Nil(t, b)
	require.ErrorContains(t, err, "page 2 of oauth2PermissionGrants")
	require.ErrorContains(t, err, "truncated JSON: input ends at byte 61")
}

func TestFetchElementWithoutID(t *testing.T) {
	rp := newReplay(t)
	rp.strip()
	// Serve the recorded /servicePrincipals example, whose entity has no id.
	raw, err := os.ReadFile(mocksFile(t))
	require.NoError(t, err)
	var f struct{ Mocks []mock }
	require.NoError(t, json.Unmarshal(raw, &f))
	rp.routes["/servicePrincipals"] = mockItems(t, f.Mocks, "/servicePrincipals")
	b, err := Fetch(context.Background(), rp.client(t, "test-token"), Options{Tenant: "contoso"})
	require.Nil(t, b)
	require.ErrorContains(t, err, "page 1 of servicePrincipals?$top=999: response: value[0].id: missing")
}
