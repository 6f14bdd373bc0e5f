package idp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// standardScopes may be requested by any client.
var standardScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

// client implements op.Client over a stored clientRec.
type client struct {
	rec        *clientRec
	loginURL   string
	idTokenTTL time.Duration
	// dev is Config.Insecure: http redirect URIs are accepted (still
	// matched exactly) for public clients in development and tests.
	dev bool
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.rec.ID }
func (c *client) RedirectURIs() []string           { return c.rec.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.rec.PostLogoutRedirectURIs }

// ApplicationType is web for confidential clients and user_agent for public
// ones. Native is never reported, so the library's loopback port relaxation
// (RFC 8252 section 7.3) does not apply: redirect URIs match exactly.
func (c *client) ApplicationType() op.ApplicationType {
	if c.rec.Public {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod is none for public clients and client_secret_basic otherwise
// (client_secret_post is accepted as well; see Config.AuthMethodPost).
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.rec.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.rec.GrantTypes))
	for _, g := range c.rec.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

func (c *client) LoginURL(id string) string { return c.loginURL + "?id=" + url.QueryEscape(id) }

func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.idTokenTTL }
func (c *client) DevMode() bool                       { return c.dev }
func (c *client) ClockSkew() time.Duration            { return 0 }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string { //nolint:revive // name fixed by op.Client
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed admits the client's configured extra scopes.
func (c *client) IsScopeAllowed(scope string) bool { return slices.Contains(c.rec.Scopes, scope) }

// IDTokenUserinfoClaimsAssertion puts the profile and email claims into the
// ID token as well, which relying parties such as oauth2-proxy expect.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

// scopeAllowed reports whether the client may ask for scope at all.
func (c *client) scopeAllowed(scope string) bool {
	return slices.Contains(standardScopes, scope) || c.IsScopeAllowed(scope)
}

func (c *client) name() string {
	if c.rec.Name != "" {
		return c.rec.Name
	}
	return c.rec.ID
}

// loadClient reads a client by ID.
func (st *storage) loadClient(tx *bolt.Tx, id string) (*client, error) {
	if rec, ok := st.clients[id]; ok {
		return st.wrapClient(rec), nil
	}
	rec := new(clientRec)
	if err := getJSON(tx, bktClients, id, rec); err != nil {
		if errors.Is(err, errNotFound) {
			return nil, fmt.Errorf("client %q: %w", id, err)
		}
		return nil, err
	}
	return st.wrapClient(rec), nil
}

func (st *storage) wrapClient(rec *clientRec) *client {
	return &client{rec: rec, loginURL: st.issuer + loginPath, idTokenTTL: st.cfg.IDTokenTTL.or(5 * time.Minute),
		dev: st.cfg.Insecure}
}

// GetClientByClientID implements op.OPStorage.
func (st *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if rec, ok := st.clients[id]; ok {
		return st.wrapClient(rec), nil
	}
	var c *client
	err := st.s.db.View(func(tx *bolt.Tx) (err error) {
		c, err = st.loadClient(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AuthorizeClientIDSecret implements op.OPStorage (RFC 6749 section 2.3.1).
func (st *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := st.ClientCredentials(ctx, id, secret)
	return err
}

// errBadClient is returned for an unknown client or a wrong secret alike.
var errBadClient = errors.New("client authentication failed")

// ClientCredentials implements op.ClientCredentialsStorage: it checks the
// secret in constant time against its stored SHA-256.
func (st *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	oc, err := st.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, badClient()
	}
	c := oc.(*client)
	if c.rec.Public || c.rec.SecretHash == "" ||
		subtle.ConstantTimeCompare([]byte(hashToken(secret)), []byte(c.rec.SecretHash)) != 1 {
		return nil, badClient()
	}
	return c, nil
}

// badClient is invalid_client with 401, as RFC 6749 section 5.2 asks when
// the client tried to authenticate.
func badClient() error {
	return op.NewStatusError(oidc.ErrInvalidClient().WithParent(errBadClient), http.StatusUnauthorized)
}
