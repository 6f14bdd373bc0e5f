package idp

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// loginTokens logs the browser's user into clientID with scope and
// redeems the code.
func loginTokens(t *testing.T, o *testOP, b *browser, clientID, secret, scope string) map[string]any {
	t.Helper()
	v, ch := pkce()
	p := b.authorize(o, o.authURL(clientID, url.Values{"scope": {scope}, "code_challenge": {ch},
		"code_challenge_method": {"S256"}}), "alice", alicePassword)
	code := codeFrom(t, p)
	status, tok := o.tokenCall(t, clientID, secret, url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {o.redirect()}, "code_verifier": {v}})
	require.Equal(t, http.StatusOK, status, "%v", tok)
	return tok
}

func credentialsOf(b *graph.Batch, account string) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.From == account && e.Kind == graph.EdgeOwns && !slices.Contains(out, e.To) {
			out = append(out, e.To)
		}
		if e.To == account && e.Kind == graph.EdgeOnBehalfOf && !slices.Contains(out, e.From) {
			out = append(out, e.From)
		}
	}
	slices.Sort(out)
	return out
}

// TestRevokeAll: after RevokeAll the refresh token is refused, every token
// introspects inactive, the client got a valid back-channel logout token,
// the next authorization asks for a login, and the graph shows nothing left.
func TestRevokeAll(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	b := newBrowser(t)
	web := loginTokens(t, o, b, "web", webSecret, "openid profile email offline_access")
	spa := loginTokens(t, o, b, "spa", "", "openid offline_access")
	agentLogin := loginTokens(t, o, b, "agent", agentSecret, "openid tickets:read tickets:write")

	// Token exchange: the agent acts for alice with a narrowed scope.
	status, xchg := o.tokenCall(t, "agent", agentSecret, url.Values{
		"grant_type": {GrantTokenExchange}, "subject_token": {agentLogin["access_token"].(string)},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "scope": {"tickets:read"}})
	require.Equal(t, http.StatusOK, status, "%v", xchg)
	in := o.introspect(t, xchg["access_token"].(string))
	require.Equal(t, true, in["active"])
	require.Equal(t, "u-alice", in["sub"])
	require.Equal(t, "tickets:read", in["scope"])
	require.Equal(t, map[string]any{"sub": "agent"}, in["act"])
	status, wide := o.tokenCall(t, "agent", agentSecret, url.Values{
		"grant_type": {GrantTokenExchange}, "subject_token": {agentLogin["access_token"].(string)},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "scope": {"tickets:admin"}})
	require.Equal(t, http.StatusBadRequest, status, "%v", wide)

	state, err := o.p.ListIdentityState(ctx, "u-alice")
	require.NoError(t, err)
	require.Len(t, state.Sessions, 1)
	require.Len(t, state.RefreshTokens, 2) // web and spa asked for offline_access
	require.Len(t, state.AccessTokens, 4)  // web, spa, agent, exchanged
	require.Len(t, state.Grants, 3)
	sid := state.Sessions[0].ID

	acct := o.p.accountID("u-alice")
	before := credentialsOf(mustGraphBatch(t, o.p), acct)
	require.Len(t, before, 6, "%v", before) // session, 2 refresh tokens, 3 grants

	res, err := o.p.RevokeAll(ctx, "u-alice")
	require.NoError(t, err)
	require.True(t, res.Verification.OK, "%+v", res.Verification)
	require.Equal(t, 6, res.Verification.Introspected) // 4 access + 2 refresh
	require.Len(t, res.Ended, 1+2+4+3)

	// Back-channel: web registered a URI and had tokens in the session.
	require.Len(t, res.Backchannel, 1)
	require.True(t, res.Backchannel[0].Delivered, "%+v", res.Backchannel[0])
	verifyLogoutToken(t, o, <-o.logouts, sid)

	// Every token is dead.
	for _, tok := range []string{web["access_token"].(string), web["refresh_token"].(string),
		spa["access_token"].(string), spa["refresh_token"].(string), agentLogin["access_token"].(string),
		xchg["access_token"].(string)} {
		require.Equal(t, false, o.introspect(t, tok)["active"])
	}
	status, _ = o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {web["refresh_token"].(string)}})
	require.Equal(t, http.StatusBadRequest, status)
	req, _ := http.NewRequest(http.MethodGet, o.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+web["access_token"].(string))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.NotEqual(t, http.StatusOK, resp.StatusCode)

	// The same browser must log in again.
	_, ch := pkce()
	p := b.follow(b.get(o.authURL("web", url.Values{"code_challenge": {ch}, "code_challenge_method": {"S256"}})), o.rp.URL)
	require.Contains(t, p.body, `id="username"`)

	after := credentialsOf(mustGraphBatch(t, o.p), acct)
	require.Empty(t, after)
	state, err = o.p.ListIdentityState(ctx, "u-alice")
	require.NoError(t, err)
	require.Zero(t, state.Count())
}

// verifyLogoutToken checks a logout token's signature against the JWKS
// and its claims (OIDC Back-Channel Logout 1.0 section 2.4).
func verifyLogoutToken(t *testing.T, o *testOP, raw, sid string) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Equal(t, "logout+jwt", jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType])
	keys := gooidc.NewRemoteKeySet(context.Background(), o.issuer+"/keys")
	payload, err := keys.VerifySignature(context.Background(), raw)
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, jsonUnmarshal(payload, &c))
	require.Equal(t, o.issuer, c["iss"])
	require.Equal(t, "web", c["aud"])
	require.Equal(t, "u-alice", c["sub"])
	require.Equal(t, sid, c["sid"])
	require.NotEmpty(t, c["jti"])
	require.NotZero(t, c["iat"])
	require.NotContains(t, c, "nonce")
	ev, ok := c["events"].(map[string]any)
	require.True(t, ok)
	require.Contains(t, ev, BackchannelEvent)
}

// TestRestartAndRotation: sessions, refresh tokens, grants and keys survive
// a restart; a rotated key keeps old ID tokens verifiable.
func TestRestartAndRotation(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	b := newBrowser(t)
	tok := loginTokens(t, o, b, "web", webSecret, "openid offline_access")
	kidsBefore := keyIDs(t, o)
	require.Len(t, kidsBefore, 1)

	o.restart(t)
	require.Equal(t, kidsBefore, keyIDs(t, o))
	require.Equal(t, true, o.introspect(t, tok["access_token"].(string))["active"])
	status, fresh := o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {tok["refresh_token"].(string)}})
	require.Equal(t, http.StatusOK, status, "%v", fresh)
	// Session and consent survived: no login page, no consent page.
	_, ch := pkce()
	p := b.follow(b.get(o.authURL("web", url.Values{"scope": {"openid offline_access"}, "code_challenge": {ch},
		"code_challenge_method": {"S256"}})), o.rp.URL)
	codeFrom(t, p)

	newKid, err := o.p.RotateSigningKey(ctx)
	require.NoError(t, err)
	kids := keyIDs(t, o)
	require.ElementsMatch(t, append(kidsBefore, newKid), kids)
	prov, err := gooidc.NewProvider(ctx, o.issuer)
	require.NoError(t, err)
	_, err = prov.Verifier(&gooidc.Config{ClientID: "web"}).Verify(ctx, fresh["id_token"].(string))
	require.NoError(t, err, "an ID token signed before rotation still verifies")
	status, after := o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {fresh["refresh_token"].(string)}})
	require.Equal(t, http.StatusOK, status)
	jws, err := jose.ParseSignedCompact(after["id_token"].(string), []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Equal(t, newKid, jws.Signatures[0].Header.KeyID)
}

func keyIDs(t *testing.T, o *testOP) []string {
	t.Helper()
	resp, err := http.Get(o.issuer + "/keys")
	require.NoError(t, err)
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	require.NoError(t, jsonDecode(resp.Body, &set))
	var ids []string
	for _, k := range set.Keys {
		require.True(t, k.IsPublic())
		ids = append(ids, k.KeyID)
	}
	return ids
}

// TestClientCredentialsAndRevocation: a service gets an opaque token with
// only its allowed scopes; RFC 7009 revocation makes it inactive.
func TestClientCredentialsAndRevocation(t *testing.T) {
	o := newTestOP(t)
	status, tok := o.tokenCall(t, "svc", svcSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"reports:read"}})
	require.Equal(t, http.StatusOK, status, "%v", tok)
	at := tok["access_token"].(string)
	require.False(t, strings.Count(at, ".") == 2, "access tokens are opaque, not JWTs")
	in := o.introspect(t, at)
	require.Equal(t, true, in["active"])
	require.Equal(t, "svc", in["client_id"])

	status, _ = o.tokenCall(t, "svc", svcSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}})
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = o.tokenCall(t, "svc", "wrong-secret-0123456789", url.Values{"grant_type": {"client_credentials"}})
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"client_credentials"}})
	require.Equal(t, http.StatusBadRequest, status)

	// web may not revoke svc's token; svc may.
	status, _ = o.postJSON(t, "/revoke", "web", webSecret, url.Values{"token": {at}})
	require.NotEqual(t, http.StatusOK, status)
	require.Equal(t, true, o.introspect(t, at)["active"])
	status, _ = o.postJSON(t, "/revoke", "svc", svcSecret, url.Values{"token": {at}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, o.introspect(t, at)["active"])

	b := mustGraphBatch(t, o.p)
	n, ok := b.Node(o.p.identityID("client:svc"))
	require.True(t, ok)
	require.Equal(t, "service", n.Subkind)
	n, ok = b.Node(o.p.identityID("client:agent"))
	require.True(t, ok)
	require.Equal(t, "agent", n.Subkind)
	require.NoError(t, b.Validate())
	require.Equal(t, "idp:"+strings.TrimPrefix(o.issuer, "http://"), b.Source)
}

// TestRPInitiatedLogout: end_session with an id_token_hint ends the session,
// tells the client over the back channel and redirects exactly.
func TestRPInitiatedLogout(t *testing.T) {
	o := newTestOP(t)
	b := newBrowser(t)
	tok := loginTokens(t, o, b, "web", webSecret, "openid profile")
	state, err := o.p.ListIdentityState(context.Background(), "u-alice")
	require.NoError(t, err)
	require.Len(t, state.Sessions, 1)
	p := b.get(o.issuer + "/end_session?" + url.Values{"id_token_hint": {tok["id_token"].(string)},
		"post_logout_redirect_uri": {o.postLogout()}, "state": {"xyz"}}.Encode())
	require.Equal(t, o.postLogout()+"?state=xyz", p.location)
	verifyLogoutToken(t, o, <-o.logouts, state.Sessions[0].ID)
	require.Equal(t, false, o.introspect(t, tok["access_token"].(string))["active"])
	_, ch := pkce()
	p = b.follow(b.get(o.authURL("web", url.Values{"code_challenge": {ch}, "code_challenge_method": {"S256"}})), o.rp.URL)
	require.Contains(t, p.body, `id="username"`)
}
