package idp

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRevokeGrant: revoking alice's grant to web ends web's tokens only and
// tells web; the spa keeps its tokens; the next web login asks consent again.
func TestRevokeGrant(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	b := newBrowser(t)
	web := loginTokens(t, o, b, "web", webSecret, "openid offline_access")
	spa := loginTokens(t, o, b, "spa", "", "openid offline_access")

	_, err := o.p.RevokeGrant(ctx, "grant:nobody|web")
	require.ErrorIs(t, err, ErrUnknownGrant)
	res, err := o.p.RevokeGrant(ctx, grantID("u-alice", "web"))
	require.NoError(t, err)
	require.True(t, res.Verification.OK, "%+v", res.Verification)
	require.Equal(t, 2, res.Verification.Introspected)
	kinds := map[string]int{}
	for _, it := range res.Ended {
		kinds[it.Kind]++
		require.Equal(t, "web", it.ClientID)
	}
	require.Equal(t, map[string]int{ItemGrant: 1, ItemRefreshFamily: 1, ItemAccessToken: 1}, kinds)
	require.Len(t, res.Backchannel, 1)
	require.True(t, res.Backchannel[0].Delivered)
	require.Empty(t, res.Backchannel[0].SessionID)

	require.Equal(t, false, o.introspect(t, web["refresh_token"].(string))["active"])
	require.Equal(t, true, o.introspect(t, spa["refresh_token"].(string))["active"])
	require.Equal(t, true, o.introspect(t, spa["access_token"].(string))["active"])

	_, ch := pkce()
	p := b.follow(b.get(o.authURL("web", url.Values{"code_challenge": {ch}, "code_challenge_method": {"S256"}})), o.rp.URL)
	require.Contains(t, p.body, `id="allow"`, "consent is asked again; the session is still there")
}

// TestEndSessions: ending alice's sessions revokes what was bound to them
// but keeps offline_access refresh tokens (OIDC Core section 11).
func TestEndSessions(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	b := newBrowser(t)
	online := loginTokens(t, o, b, "web", webSecret, "openid profile")
	offline := loginTokens(t, o, b, "spa", "", "openid offline_access")

	res, err := o.p.EndSessions(ctx, "u-alice")
	require.NoError(t, err)
	require.True(t, res.Verification.OK, "%+v", res.Verification)
	require.Equal(t, false, o.introspect(t, online["access_token"].(string))["active"])
	require.Equal(t, false, o.introspect(t, offline["access_token"].(string))["active"])
	require.Equal(t, true, o.introspect(t, offline["refresh_token"].(string))["active"])
	require.Len(t, res.Backchannel, 1)
	require.NotEmpty(t, res.Backchannel[0].SessionID)

	state, err := o.p.ListIdentityState(ctx, "u-alice")
	require.NoError(t, err)
	require.Empty(t, state.Sessions)
	require.Len(t, state.RefreshTokens, 1)
	require.Len(t, state.Grants, 2)
}
