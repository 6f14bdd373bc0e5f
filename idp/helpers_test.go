package idp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Test fixtures: passwords and secrets exist only in these tests.
const (
	alicePassword = "alice-correct-horse"
	bobPassword   = "bob-battery-staple"
	webSecret     = "web-secret-0123456789abcdef"
	agentSecret   = "agent-secret-0123456789abcdef"
	svcSecret     = "svc-secret-0123456789abcdef"
)

// testOP is a provider on a loopback httptest server plus a relying-party
// server whose URLs the clients registered.
type testOP struct {
	p      *Provider
	srv    *httptest.Server
	rp     *httptest.Server
	issuer string
	cfg    Config
	// logouts receives every logout_token the RP's back-channel endpoint got.
	logouts chan string
	// onStart and onCallback, if set, serve the RP's /start and /callback.
	onStart, onCallback http.HandlerFunc
	// logs collects everything the provider logged, at debug level.
	logs *lockedBuffer
}

func (o *testOP) redirect() string       { return o.rp.URL + "/callback" }
func (o *testOP) postLogout() string     { return o.rp.URL + "/bye" }
func (o *testOP) backchannelURI() string { return o.rp.URL + "/backchannel" }

// newTestOP starts a provider with clients web (confidential), spa
// (public), agent (token exchange), svc (client credentials) and users
// alice, bob and carol (suspended).
func newTestOP(t *testing.T, mutate ...func(*Config)) *testOP {
	t.Helper()
	o := &testOP{logouts: make(chan string, 32), logs: &lockedBuffer{}}
	rpMux := http.NewServeMux()
	rpMux.HandleFunc("POST /backchannel", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		o.logouts <- r.PostForm.Get("logout_token")
		w.WriteHeader(http.StatusOK)
	})
	rpMux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		if o.onCallback != nil {
			o.onCallback(w, r)
			return
		}
		_, _ = io.WriteString(w, "rp")
	})
	rpMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if o.onStart != nil && r.URL.Path == "/start" {
			o.onStart(w, r)
			return
		}
		_, _ = io.WriteString(w, "rp")
	})
	o.rp = httptest.NewServer(rpMux)
	t.Cleanup(o.rp.Close)

	o.srv = httptest.NewUnstartedServer(nil)
	o.issuer = "http://" + o.srv.Listener.Addr().String()
	o.cfg = Config{
		Issuer: o.issuer, DataDir: t.TempDir(), Insecure: true,
		Clients: []ClientConfig{
			{ID: "web", Name: "Web App", Secret: webSecret, RedirectURIs: []string{o.redirect()},
				PostLogoutRedirectURIs: []string{o.postLogout()}, BackchannelLogoutURI: o.backchannelURI(),
				GrantTypes: []string{GrantAuthorizationCode, GrantRefreshToken}},
			{ID: "spa", Name: "Single Page App", Public: true, RedirectURIs: []string{o.redirect()},
				GrantTypes: []string{GrantAuthorizationCode, GrantRefreshToken}},
			{ID: "agent", Name: "Assistant Agent", Secret: agentSecret, Subkind: "agent", RedirectURIs: []string{o.redirect()},
				GrantTypes: []string{GrantAuthorizationCode, GrantClientCredentials, GrantTokenExchange},
				Scopes:     []string{"tickets:read", "tickets:write"}},
			{ID: "svc", Name: "Batch Service", Secret: svcSecret, GrantTypes: []string{GrantClientCredentials},
				Scopes: []string{"reports:read"}},
		},
		Users: []UserConfig{
			{Subject: "u-alice", Username: "alice", Name: "Alice Liddell", Email: "alice@example.org", Password: alicePassword},
			{Subject: "u-bob", Username: "bob", Name: "Bob Baker", Email: "bob@example.org", Password: bobPassword},
			{Subject: "u-carol", Username: "carol", Password: "carol-password-x", Status: StatusSuspended},
		},
	}
	for _, m := range mutate {
		m(&o.cfg)
	}
	o.start(t)
	return o
}

// start (re)creates the provider on the same address and store.
func (o *testOP) start(t *testing.T) {
	t.Helper()
	p, err := New(context.Background(), o.cfg, slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, err)
	o.p = p
	if o.srv.Config.Handler == nil {
		o.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { o.p.Handler().ServeHTTP(w, r) })
		o.srv.Start()
		t.Cleanup(o.srv.Close)
	}
	t.Cleanup(func() { _ = p.Close() })
}

// restart closes the provider and opens a new one on the same data dir.
func (o *testOP) restart(t *testing.T) {
	t.Helper()
	require.NoError(t, o.p.Close())
	o.start(t)
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if loc != "" {
		u, err := req.URL.Parse(loc)
		require.NoError(b.t, err)
		loc = u.String()
	}
	return page{status: resp.StatusCode, location: loc, body: string(body)}
}

func (b *browser) get(u string) page {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow GETs redirects until a page is not a redirect within the
// provider, or the redirect leaves for stopPrefix.
func (b *browser) follow(p page, stopPrefix string) page {
	for i := 0; i < 10 && p.location != "" && !strings.HasPrefix(p.location, stopPrefix); i++ {
		p = b.get(p.location)
	}
	return p
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

func hiddenFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

func actionOf(issuer, body string) string {
	m := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return issuer + html.UnescapeString(m[1])
}

// authorize runs an authorization request as a browser: it logs in when
// the login page shows (if username is set), consents when asked, and
// returns the final redirect to the relying party.
func (b *browser) authorize(o *testOP, authURL, username, password string) page {
	b.t.Helper()
	p := b.follow(b.get(authURL), o.rp.URL)
	if strings.Contains(p.body, `id="username"`) {
		require.NotEmpty(b.t, username, "login page shown but no credentials given")
		f := hiddenFields(p.body)
		f.Set("username", username)
		f.Set("password", password)
		p = b.follow(b.post(actionOf(o.issuer, p.body), f), o.rp.URL)
	}
	if strings.Contains(p.body, `id="allow"`) {
		f := hiddenFields(p.body)
		f.Set("decision", "allow")
		p = b.follow(b.post(actionOf(o.issuer, p.body), f), o.rp.URL)
	}
	return p
}

// pkce returns a verifier and its S256 challenge (RFC 7636 section 4.2).
func pkce() (verifier, challenge string) {
	verifier = randomID(32)
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

// authURL builds an authorization URL.
func (o *testOP) authURL(clientID string, extra url.Values) string {
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {o.redirect()},
		"scope": {"openid profile email offline_access"}, "state": {"st-" + randomID(6)}, "nonce": {"n-" + randomID(6)}}
	for k, v := range extra {
		q[k] = v
	}
	return o.issuer + "/authorize?" + q.Encode()
}

// codeFrom extracts the code from a redirect to the RP.
func codeFrom(t *testing.T, p page) string {
	t.Helper()
	require.NotEmpty(t, p.location, "expected a redirect to the client, got status %d: %s", p.status, p.body)
	u, err := url.Parse(p.location)
	require.NoError(t, err)
	require.Empty(t, u.Query().Get("error"), "authorization error: %s", u.RawQuery)
	code := u.Query().Get("code")
	require.NotEmpty(t, code, "no code in %s", p.location)
	return code
}

// tokenCall POSTs to the token endpoint with client_secret_basic (if secret
// is set) and returns the status and decoded JSON.
func (o *testOP) tokenCall(t *testing.T, clientID, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	return o.postJSON(t, "/oauth/token", clientID, secret, form)
}

func (o *testOP) postJSON(t *testing.T, path, clientID, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequest(http.MethodPost, o.issuer+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		require.NoError(t, jsonUnmarshal(raw, &out), "body: %s", raw)
	}
	return resp.StatusCode, out
}

// introspect asks the introspection endpoint as client svc.
func (o *testOP) introspect(t *testing.T, token string) map[string]any {
	t.Helper()
	code, out := o.postJSON(t, "/oauth/introspect", "svc", svcSecret, url.Values{"token": {token}})
	require.Equal(t, http.StatusOK, code, "introspect: %v", out)
	return out
}

// loopbackOnly guards load loops: the server must be on 127.0.0.1.
func loopbackOnly(t *testing.T, u string) {
	pu, err := url.Parse(u)
	require.NoError(t, err)
	host, _, _ := net.SplitHostPort(pu.Host)
	require.Equal(t, "127.0.0.1", host, fmt.Sprintf("refusing to load %s", u))
}

func TestMain(m *testing.M) {
	// The library logs route registration and request errors to the default
	// logger; keep test output readable.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	m.Run()
}

// lockedBuffer collects a subprocess's stderr safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
