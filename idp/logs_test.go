package idp

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoSecretsInLogs runs logins (good and bad), code and refresh
// redemptions, a replay, a reuse and a revoke-all, capturing both the
// provider's logger and the library's default logger, and checks that no
// password, client secret, code or token appears.
func TestNoSecretsInLogs(t *testing.T) {
	lib := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(lib, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	o := newTestOP(t)
	b := newBrowser(t)
	_, ch := pkce()
	p := b.follow(b.get(o.authURL("web", url.Values{"code_challenge": {ch}, "code_challenge_method": {"S256"}})), o.rp.URL)
	f := hiddenFields(p.body)
	f.Set("username", "alice")
	f.Set("password", "wrong-password-typed")
	b.post(actionOf(o.issuer, p.body), f)

	code, v := codeFor(t, o, b, "web")
	status, tok := redeem(t, o, code, v)
	require.Equal(t, http.StatusOK, status)
	redeem(t, o, code, v) // replay
	code2, v2 := codeFor(t, o, b, "web")
	_, tok2 := redeem(t, o, code2, v2)
	rt := tok2["refresh_token"].(string)
	_, tok3 := o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	o.tokenCall(t, "web", webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}) // reuse
	o.tokenCall(t, "svc", "wrong-secret-0123456789", url.Values{"grant_type": {"client_credentials"}})
	_, err := o.p.RevokeAll(t.Context(), "u-alice")
	require.NoError(t, err)

	all := o.logs.String() + lib.String()
	require.Contains(t, all, "refresh_reuse", "the reuse is logged")
	require.Contains(t, all, "code_replay")
	for _, secret := range []string{alicePassword, "wrong-password-typed", webSecret, svcSecret,
		"wrong-secret-0123456789", code, code2, v, tok["access_token"].(string), tok["refresh_token"].(string),
		tok["id_token"].(string), rt, tok3["refresh_token"].(string)} {
		require.False(t, strings.Contains(all, secret), "a secret value leaked into the logs")
	}
}
