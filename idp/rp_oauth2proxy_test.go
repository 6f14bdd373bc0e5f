package idp

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// oauth2ProxyBinary finds the oauth2-proxy built by install-test-tools.sh.
func oauth2ProxyBinary() string {
	if p := os.Getenv("OAUTH2_PROXY"); p != "" {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "idp-tools", "bin", "oauth2-proxy")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("oauth2-proxy")
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestOAuth2Proxy protects an upstream with oauth2-proxy v7.15.6
// (--provider=oidc, PKCE S256) and logs in through it.
func TestOAuth2Proxy(t *testing.T) {
	bin := oauth2ProxyBinary()
	if bin == "" {
		t.Skip("oauth2-proxy is not built; run testdata/install-test-tools.sh")
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "upstream for "+r.Header.Get("X-Forwarded-Email"))
	}))
	t.Cleanup(upstream.Close)
	port := freePort(t)
	proxyURL := "http://127.0.0.1:" + strconv.Itoa(port)
	const proxySecret = "proxy-secret-0123456789abcdef"
	o := newTestOP(t, func(c *Config) {
		c.Clients = append(c.Clients, ClientConfig{ID: "proxy", Name: "Protected Upstream", Secret: proxySecret,
			RedirectURIs: []string{proxyURL + "/oauth2/callback"},
			GrantTypes:   []string{GrantAuthorizationCode, GrantRefreshToken}})
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--provider=oidc", "--oidc-issuer-url="+o.issuer, "--client-id=proxy", "--client-secret="+proxySecret,
		"--redirect-url="+proxyURL+"/oauth2/callback", "--upstream="+upstream.URL,
		"--http-address=127.0.0.1:"+strconv.Itoa(port), "--cookie-secret=0123456789abcdef0123456789abcdef",
		"--cookie-secure=false", "--email-domain=*", "--code-challenge-method=S256",
		"--skip-provider-button=true", "--scope=openid email profile")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	waitListening(t, "127.0.0.1:"+strconv.Itoa(port), logs)

	b := newBrowser(t)
	p := b.get(proxyURL + "/")
	require.Contains(t, []int{http.StatusFound, http.StatusForbidden}, p.status, p.body)
	p = b.follow(b.get(proxyURL+"/oauth2/start?rd=%2F"), "\x00")
	require.Contains(t, p.body, `id="username"`, "logs: %s", logs)
	f := hiddenFields(p.body)
	f.Set("username", "alice")
	f.Set("password", alicePassword)
	p = b.follow(b.post(actionOf(o.issuer, p.body), f), "\x00")
	require.Contains(t, p.body, `id="allow"`)
	f = hiddenFields(p.body)
	f.Set("decision", "allow")
	p = b.follow(b.post(actionOf(o.issuer, p.body), f), "\x00")
	require.Equal(t, http.StatusOK, p.status, "body %s logs %s", p.body, logs)
	require.Equal(t, "upstream for alice@example.org", p.body)
	require.False(t, strings.Contains(logs.String(), alicePassword))
}

func waitListening(t *testing.T, addr string, logs *lockedBuffer) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("oauth2-proxy did not listen on %s: %s", addr, logs)
}
