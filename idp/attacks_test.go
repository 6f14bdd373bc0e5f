package idp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// codeFor logs alice in for clientID with PKCE S256 and returns the code
// and verifier.
func codeFor(t *testing.T, o *testOP, b *browser, clientID string) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	p := b.authorize(o, o.authURL(clientID, url.Values{"code_challenge": {challenge},
		"code_challenge_method": {"S256"}}), "alice", alicePassword)
	return codeFrom(t, p), verifier
}

func redeem(t *testing.T, o *testOP, code, verifier string) (int, map[string]any) {
	t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {o.redirect()}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return o.tokenCall(t, "web", webSecret, f)
}

func errorOf(t *testing.T, p page) string {
	t.Helper()
	u, err := url.Parse(p.location)
	require.NoError(t, err)
	return u.Query().Get("error")
}

// TestAttackRedirectURIOneCharOff: RFC 9700 section 4.1 — exact matching;
// the provider must not redirect to an unregistered URI at all.
func TestAttackRedirectURIOneCharOff(t *testing.T) {
	o := newTestOP(t)
	_, ch := pkce()
	for _, bad := range []string{o.redirect() + "x", o.redirect()[:len(o.redirect())-1], o.redirect() + "/"} {
		p := newBrowser(t).get(o.authURL("web", url.Values{"redirect_uri": {bad}, "code_challenge": {ch},
			"code_challenge_method": {"S256"}}))
		require.Empty(t, p.location, "redirected to %q", p.location)
		require.Equal(t, http.StatusBadRequest, p.status, bad)
	}
}

// TestAttackPKCEAtAuthorize: a missing challenge (public and confidential
// clients) and the plain method are refused at the authorization endpoint
// (RFC 9700 section 2.1.1).
func TestAttackPKCEAtAuthorize(t *testing.T) {
	o := newTestOP(t)
	_, ch := pkce()
	cases := []struct {
		name, client string
		extra        url.Values
	}{
		{"public client without PKCE", "spa", url.Values{}},
		{"confidential client without PKCE", "web", url.Values{}},
		{"plain method", "spa", url.Values{"code_challenge": {ch}, "code_challenge_method": {"plain"}}},
		{"challenge without method (defaults to plain)", "web", url.Values{"code_challenge": {ch}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newBrowser(t).get(o.authURL(tc.client, tc.extra))
			require.Equal(t, "invalid_request", errorOf(t, p), "location %q body %s", p.location, p.body)
		})
	}
}

// TestAttackPKCEVerifier: a missing or wrong verifier fails, and the code is
// burnt by the attempt (RFC 7636 section 4.6).
func TestAttackPKCEVerifier(t *testing.T) {
	o := newTestOP(t)
	b := newBrowser(t)
	for _, tc := range []struct{ name, verifier string }{
		{"missing verifier", ""},
		{"wrong verifier", randomID(32)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, good := codeFor(t, o, b, "web")
			status, out := redeem(t, o, code, tc.verifier)
			require.Equal(t, http.StatusBadRequest, status)
			require.Contains(t, []string{"invalid_grant", "invalid_request"}, out["error"])
			status, _ = redeem(t, o, code, good)
			require.Equal(t, http.StatusBadRequest, status, "code must be single use even after a failed attempt")
		})
	}
}

// TestAttackCodeReplay: a second redemption fails and revokes the tokens of
// the first (RFC 6749 section 4.1.2).
func TestAttackCodeReplay(t *testing.T) {
	o := newTestOP(t)
	code, v := codeFor(t, o, newBrowser(t), "web")
	status, first := redeem(t, o, code, v)
	require.Equal(t, http.StatusOK, status, "%v", first)
	require.Equal(t, true, o.introspect(t, first["access_token"].(string))["active"])

	status, second := redeem(t, o, code, v)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_grant", second["error"])
	require.Equal(t, false, o.introspect(t, first["access_token"].(string))["active"])
	require.Equal(t, false, o.introspect(t, first["refresh_token"].(string))["active"])
	status, _ = o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {first["refresh_token"].(string)}})
	require.Equal(t, http.StatusBadRequest, status)
}

// TestAttackParallelCodeRedemption: of two simultaneous redemptions exactly
// one succeeds, and the replay revokes what it got.
func TestAttackParallelCodeRedemption(t *testing.T) {
	o := newTestOP(t)
	b := newBrowser(t)
	for round := 0; round < 5; round++ {
		code, v := codeFor(t, o, b, "web")
		var wg sync.WaitGroup
		results := make([]map[string]any, 2)
		statuses := make([]int, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i], results[i] = redeem(t, o, code, v)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, s := range statuses {
			if s == http.StatusOK {
				ok++
				require.Equal(t, false, o.introspect(t, results[i]["access_token"].(string))["active"],
					"replay must revoke the winner's access token")
			}
		}
		require.Equal(t, 1, ok, "statuses %v", statuses)
	}
}

// TestAttackRefreshReuse: presenting a rotated refresh token revokes the
// whole family, including the newest token (RFC 9700 section 4.14.2).
func TestAttackRefreshReuse(t *testing.T) {
	o := newTestOP(t)
	code, v := codeFor(t, o, newBrowser(t), "web")
	_, t1 := redeem(t, o, code, v)
	rt1 := t1["refresh_token"].(string)
	refresh := func(rt string) (int, map[string]any) {
		return o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	status, t2 := refresh(rt1)
	require.Equal(t, http.StatusOK, status, "%v", t2)
	rt2 := t2["refresh_token"].(string)
	require.NotEqual(t, rt1, rt2)

	status, out := refresh(rt1) // the attacker replays the stolen, rotated token
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_grant", out["error"])

	status, _ = refresh(rt2) // the legitimate client is cut off too
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, false, o.introspect(t, rt2)["active"])
	require.Equal(t, false, o.introspect(t, t2["access_token"].(string))["active"])

	// Another client cannot redeem web's refresh token.
	code, v = codeFor(t, o, newBrowser(t), "web")
	_, t3 := redeem(t, o, code, v)
	status, _ = o.tokenCall(t, "spa", "", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {t3["refresh_token"].(string)}})
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = refresh(t3["refresh_token"].(string))
	require.Equal(t, http.StatusOK, status, "a foreign client's attempt must not burn the token")
}

// TestAttackOpenRedirectLogout: post_logout_redirect_uri must match exactly
// (RFC 9700 section 4.11.1).
func TestAttackOpenRedirectLogout(t *testing.T) {
	o := newTestOP(t)
	for _, bad := range []string{"https://evil.example/", o.postLogout() + "x", o.postLogout() + "/../evil",
		o.postLogout() + "?next=https://evil.example"} {
		p := newBrowser(t).get(o.issuer + "/end_session?" + url.Values{"client_id": {"web"},
			"post_logout_redirect_uri": {bad}}.Encode())
		require.Empty(t, p.location, bad)
		require.Equal(t, http.StatusBadRequest, p.status, bad)
	}
	p := newBrowser(t).get(o.issuer + "/end_session?" + url.Values{"client_id": {"web"},
		"post_logout_redirect_uri": {o.postLogout()}, "state": {"s1"}}.Encode())
	require.Equal(t, o.postLogout()+"?state=s1", p.location)
}

// TestAttackForeignIDTokenHint: an id_token_hint signed by a key that is not
// the provider's is refused at end_session and at authorize.
func TestAttackForeignIDTokenHint(t *testing.T) {
	o := newTestOP(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256,
		Key: jose.JSONWebKey{Key: key, KeyID: o.p.st.keys.keySet()[0].ID()}}, nil)
	require.NoError(t, err)
	payload, _ := json.Marshal(map[string]any{"iss": o.issuer, "sub": "u-alice", "aud": "web", "azp": "web",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	jws, err := signer.Sign(payload)
	require.NoError(t, err)
	forged, _ := jws.CompactSerialize()

	p := newBrowser(t).get(o.issuer + "/end_session?" + url.Values{"id_token_hint": {forged},
		"post_logout_redirect_uri": {o.postLogout()}}.Encode())
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Empty(t, p.location)

	_, ch := pkce()
	p = newBrowser(t).get(o.authURL("web", url.Values{"id_token_hint": {forged}, "code_challenge": {ch},
		"code_challenge_method": {"S256"}}))
	require.Equal(t, "login_required", errorOf(t, p))
}

// TestLoginPolicy: a suspended identity cannot log in, and suspending an
// identity stops its refresh tokens and access tokens at once.
func TestLoginPolicy(t *testing.T) {
	o := newTestOP(t)
	_, ch := pkce()
	p := newBrowser(t).follow(newBrowser(t).get(o.authURL("web", url.Values{"code_challenge": {ch},
		"code_challenge_method": {"S256"}})), o.rp.URL)
	require.Contains(t, p.body, `id="username"`)
	b := newBrowser(t)
	p = b.follow(b.get(o.authURL("web", url.Values{"code_challenge": {ch}, "code_challenge_method": {"S256"}})), o.rp.URL)
	f := hiddenFields(p.body)
	f.Set("username", "carol")
	f.Set("password", "carol-password-x")
	p = b.post(actionOf(o.issuer, p.body), f)
	require.Equal(t, http.StatusForbidden, p.status)
	require.Contains(t, p.body, "This account cannot sign in.")

	f.Set("username", "alice")
	f.Set("password", "wrong")
	p = b.post(actionOf(o.issuer, p.body), f)
	require.Equal(t, http.StatusUnauthorized, p.status)

	code, v := codeFor(t, o, newBrowser(t), "web")
	_, tok := redeem(t, o, code, v)
	require.NoError(t, o.p.SetUserStatus(t.Context(), "u-alice", StatusOffboarded))
	status, _ := o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {tok["refresh_token"].(string)}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, false, o.introspect(t, tok["access_token"].(string))["active"])

	events, err := o.p.AuditLog()
	require.NoError(t, err)
	var fails, oks int
	for _, e := range events {
		if e.Event == "login" {
			if e.Success {
				oks++
			} else {
				fails++
			}
			require.NotContains(t, e.Reason, "wrong\"")
		}
	}
	require.Equal(t, 2, fails) // carol suspended, alice wrong password
	require.Equal(t, 1, oks)
}
