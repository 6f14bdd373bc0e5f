package idp

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestGoOIDCRelyingParty logs in with coreos/go-oidc and x/oauth2: discovery,
// code + PKCE S256, ID token verification against the JWKS, userinfo, and a
// refresh that rotates the refresh token.
func TestGoOIDCRelyingParty(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	prov, err := gooidc.NewProvider(ctx, o.issuer)
	require.NoError(t, err)

	conf := oauth2.Config{ClientID: "web", ClientSecret: webSecret, Endpoint: prov.Endpoint(),
		RedirectURL: o.redirect(), Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("nonce-abc"))

	b := newBrowser(t)
	final := b.authorize(o, authURL, "alice", alicePassword)
	code := codeFrom(t, final)
	u, _ := url.Parse(final.location)
	require.Equal(t, "state-123", u.Query().Get("state"))

	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	rawID, ok := tok.Extra("id_token").(string)
	require.True(t, ok, "no id_token")

	idt, err := prov.Verifier(&gooidc.Config{ClientID: "web"}).Verify(ctx, rawID)
	require.NoError(t, err)
	require.Equal(t, "u-alice", idt.Subject)
	require.Equal(t, "nonce-abc", idt.Nonce)
	var claims struct {
		SID   string `json:"sid"`
		Email string `json:"email"`
	}
	require.NoError(t, idt.Claims(&claims))
	require.NotEmpty(t, claims.SID)

	ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	require.Equal(t, "u-alice", ui.Subject)
	require.Equal(t, "alice@example.org", ui.Email)

	// Refresh: the token source refreshes an expired token and rotates.
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, &old).Token()
	require.NoError(t, err)
	require.NotEqual(t, tok.RefreshToken, fresh.RefreshToken)
	require.NotEqual(t, tok.AccessToken, fresh.AccessToken)

	// The second login reuses the session and the recorded consent: no page.
	authURL2 := conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier))
	p := b.follow(b.get(authURL2), o.rp.URL)
	require.Equal(t, http.StatusFound, p.status)
	codeFrom(t, p)
}

// TestDiscovery checks the metadata advertises only what is implemented.
func TestDiscovery(t *testing.T) {
	o := newTestOP(t)
	resp, err := http.Get(o.issuer + "/.well-known/openid-configuration")
	require.NoError(t, err)
	defer resp.Body.Close()
	var d map[string]any
	require.NoError(t, jsonDecode(resp.Body, &d))
	require.Equal(t, []any{"S256"}, d["code_challenge_methods_supported"])
	require.Equal(t, []any{"code"}, d["response_types_supported"])
	require.Equal(t, []any{"authorization_code", "refresh_token", "client_credentials",
		"urn:ietf:params:oauth:grant-type:token-exchange"}, d["grant_types_supported"])
	require.Equal(t, []any{"ES256"}, d["id_token_signing_alg_values_supported"])
	require.Equal(t, true, d["backchannel_logout_supported"])
	require.Equal(t, true, d["backchannel_logout_session_supported"])
	require.NotContains(t, d, "device_authorization_endpoint")
	require.Equal(t, o.issuer+"/end_session", d["end_session_endpoint"])
}
