package idp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// EndSession implements RP-initiated logout (OpenID Connect RP-Initiated
// Logout 1.0, section 2). An id_token_hint must verify against this
// provider's keys (an expired one is accepted); a post_logout_redirect_uri
// must equal, character for character, one the client registered (section
// 3, RFC 9700 section 4.11 against open redirects). The browser's session
// is ended and clients are told by back-channel logout.
func (s *server) EndSession(ctx context.Context, r *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	req := r.Data
	subject, clientID := "", req.ClientID
	if req.IdTokenHint != "" {
		claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, req.IdTokenHint, s.Provider().IDTokenHintVerifier(ctx))
		if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
			return nil, oidc.ErrInvalidRequest().WithDescription("id_token_hint invalid").WithParent(err)
		}
		subject = claims.GetSubject()
		azp := claims.GetAuthorizedParty()
		if azp == "" && len(claims.GetAudience()) == 1 {
			azp = claims.GetAudience()[0]
		}
		if clientID != "" && clientID != azp {
			return nil, oidc.ErrInvalidRequest().WithDescription("client_id does not match the id_token_hint")
		}
		clientID = azp
	}
	target := s.p.issuer + loggedOutPath
	if req.PostLogoutRedirectURI != "" {
		if err := s.checkPostLogoutURI(clientID, req.PostLogoutRedirectURI); err != nil {
			return nil, err
		}
		target = req.PostLogoutRedirectURI
		if req.State != "" {
			u, _ := url.Parse(target)
			q := u.Query()
			q.Set("state", req.State)
			u.RawQuery = q.Encode()
			target = u.String()
		}
	}
	if sess := s.p.currentSession(&http.Request{Header: r.Header}); sess != nil && (subject == "" || sess.Subject == subject) {
		if _, err := s.p.endSession(ctx, sess.ID); err != nil {
			return nil, oidc.ErrServerError().WithParent(err)
		}
	}
	red := op.NewRedirect(target)
	red.Header.Add("Set-Cookie", (&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.p.secure, SameSite: http.SameSiteLaxMode}).String())
	return red, nil
}

// checkPostLogoutURI requires an exact match in the client's registered list.
func (s *server) checkPostLogoutURI(clientID, uri string) error {
	if clientID == "" {
		return oidc.ErrInvalidRequest().WithDescription("post_logout_redirect_uri needs client_id or id_token_hint")
	}
	var c *client
	err := s.st.s.db.View(func(tx *bolt.Tx) (err error) {
		c, err = s.st.loadClient(tx, clientID)
		return err
	})
	if err != nil {
		return oidc.ErrInvalidRequest().WithDescription("unknown client")
	}
	if !slices.Contains(c.rec.PostLogoutRedirectURIs, uri) {
		return oidc.ErrInvalidRequest().WithDescription("post_logout_redirect_uri is not registered for the client")
	}
	return nil
}

// TerminateSession implements op.AuthStorage for library callers: it ends
// every session of userID. The provider's own end_session uses EndSession.
func (st *storage) TerminateSession(context.Context, string, string) error {
	return errors.New("use the provider's end_session endpoint")
}

// path returns the issuer's path prefix joined with p.
func (p *Provider) path(s string) string {
	return strings.TrimSuffix(p.issuerPath, "/") + s
}
