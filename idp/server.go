package idp

import (
	"context"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// server embeds the library's LegacyServer and overrides the endpoints whose
// defaults are not safe enough: authorize (PKCE policy), the code and refresh
// grants (atomic redemption), introspection (refresh tokens too) and
// end_session (exact redirect match, back-channel logout).
type server struct {
	*op.LegacyServer
	st        *storage
	p         *Provider
	codeLocks [256]sync.Mutex
}

// Authorize enforces PKCE before the request is stored (RFC 9700 section
// 2.1.1, RFC 7636 section 4.3): every client must send an S256
// code_challenge; `plain` is refused, and only a confidential client
// configured with AllowMissingPKCE may omit it. Errors are redirected to the
// already validated redirect_uri by the library.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	c, ok := r.Client.(*client)
	if !ok {
		return nil, oidc.ErrServerError().WithDescription("unexpected client type")
	}
	if r.Data.CodeChallenge == "" {
		if c.rec.Public || !c.rec.AllowMissingPKCE {
			return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge required (PKCE with S256)")
		}
	} else if r.Data.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if r.Data.ResponseType != oidc.ResponseTypeCode {
		return nil, &oidc.Error{ErrorType: "unsupported_response_type", Description: "only response_type=code is supported"}
	}
	if !hasGrant(c, GrantAuthorizationCode) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client may not use authorization_code")
	}
	return s.LegacyServer.Authorize(ctx, r)
}

func hasGrant(c *client, g string) bool {
	for _, x := range c.rec.GrantTypes {
		if x == g {
			return true
		}
	}
	return false
}

// Introspect answers RFC 7662 section 2.2 for access and refresh tokens.
// The caller must be an authenticated client (section 2.1). Anything not
// live in the store is {"active": false}.
func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	cc := r.Data.ClientCredentials
	if _, err := s.st.ClientCredentials(ctx, cc.ClientID, cc.ClientSecret); err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return op.NewResponse(s.st.introspect(r.Data.Token)), nil
}

// introspect looks a presented token up as a refresh token (by hash), then
// as an opaque access token. The order matters: the library's crypto also
// accepts a legacy unauthenticated AES format, so "decrypting" a refresh
// token can yield garbage that looks like an access token ID.
func (st *storage) introspect(token string) *oidc.IntrospectionResponse {
	h := hashToken(token)
	if st.refreshKnown(h) {
		return st.introspectRefresh(h)
	}
	if plain, err := st.crypto.Decrypt(token); err == nil {
		if id, sub, ok := strings.Cut(plain, ":"); ok {
			return st.introspectAccess(id, sub)
		}
	}
	return new(oidc.IntrospectionResponse)
}

// refreshKnown reports whether h is the hash of an issued refresh token.
func (st *storage) refreshKnown(h string) bool {
	known := false
	err := st.s.db.View(func(tx *bolt.Tx) error {
		known = tx.Bucket(bktRefresh).Get([]byte(h)) != nil
		return nil
	})
	if err != nil {
		st.log.Error("look up refresh token", "err", err)
	}
	return known
}

func (st *storage) introspectAccess(id, subject string) *oidc.IntrospectionResponse {
	resp := new(oidc.IntrospectionResponse)
	if err := st.SetIntrospectionFromToken(context.Background(), resp, id, subject, ""); err != nil {
		return new(oidc.IntrospectionResponse)
	}
	resp.Active = true
	return resp
}
