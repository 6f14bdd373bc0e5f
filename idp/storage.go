package idp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// storage implements op.Storage, op.ClientCredentialsStorage,
// op.TokenExchangeStorage and op.CanSetUserinfoFromRequest over the store.
type storage struct {
	s      *store
	cfg    *Config
	issuer string
	keys   *keyManager
	log    *slog.Logger
	// crypto seals opaque tokens; set once the op.Provider exists.
	crypto op.Crypto
	// clients are the configured clients, fixed for the provider's life.
	clients map[string]*clientRec
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.ClientCredentialsStorage  = (*storage)(nil)
	_ op.TokenExchangeStorage      = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

// Health implements op.Storage.
func (st *storage) Health(context.Context) error {
	return st.s.db.View(func(*bolt.Tx) error { return nil })
}

func (st *storage) accessTTL() time.Duration  { return st.cfg.AccessTokenTTL.or(5 * time.Minute) }
func (st *storage) refreshTTL() time.Duration { return st.cfg.RefreshTokenTTL.or(720 * time.Hour) }
func (st *storage) sessionTTL() time.Duration { return st.cfg.SessionTTL.or(12 * time.Hour) }

// user reads a user by subject.
func user(tx *bolt.Tx, subject string) (*userRec, error) {
	u := new(userRec)
	if err := getJSON(tx, bktUsers, subject, u); err != nil {
		return nil, fmt.Errorf("user %q: %w", subject, err)
	}
	return u, nil
}

// errInactive is returned when the subject is suspended or offboarded.
var errInactive = errors.New("identity is not active")

// subjectActive reports whether subject may hold tokens. A subject that is
// not a user is a client acting for itself (client credentials): it is
// active while the client is registered.
func subjectActive(tx *bolt.Tx, subject string) bool {
	u, err := user(tx, subject)
	if err == nil {
		return u.active()
	}
	return tx.Bucket(bktClients).Get([]byte(subject)) != nil
}

// fillUserinfo sets the claims scopes allow (OIDC Core section 5.4).
func fillUserinfo(info *oidc.UserInfo, u *userRec, scopes []string) {
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.PreferredUsername = u.Username
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Email != "" {
		info.Email = u.Email
		info.EmailVerified = true
	}
}

// SetUserinfoFromScopes implements op.OPStorage; SetUserinfoFromRequest does the work.
func (st *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// sessionIDer is implemented by requests bound to a browser session.
type sessionIDer interface{ GetSessionID() string }

// SetUserinfoFromRequest implements op.CanSetUserinfoFromRequest: ID-token
// claims from the user record, plus sid for back-channel logout.
func (st *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var u *userRec
	err := st.s.db.View(func(tx *bolt.Tx) (err error) {
		u, err = user(tx, req.GetSubject())
		return err
	})
	if err != nil {
		return err
	}
	fillUserinfo(info, u, scopes)
	if s, ok := req.(sessionIDer); ok && s.GetSessionID() != "" {
		info.AppendClaims("sid", s.GetSessionID())
	}
	return nil
}

// liveAccess returns the access token record if it is live and its subject active.
func liveAccess(tx *bolt.Tx, tokenID string) (*accessRec, error) {
	a := new(accessRec)
	if err := getJSON(tx, bktAccess, tokenID, a); err != nil {
		return nil, fmt.Errorf("access token: %w", err)
	}
	if !a.live(time.Now()) {
		return nil, errors.New("access token revoked or expired")
	}
	if !subjectActive(tx, a.Subject) {
		return nil, errInactive
	}
	return a, nil
}

// SetUserinfoFromToken implements op.OPStorage (OIDC Core section 5.3): the
// token must be live in the store, so revocation takes effect at once.
func (st *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	return st.s.db.View(func(tx *bolt.Tx) error {
		a, err := liveAccess(tx, tokenID)
		if err != nil {
			return err
		}
		if a.Subject != subject || !slices.Contains(a.Scopes, oidc.ScopeOpenID) {
			return errors.New("token not valid for userinfo")
		}
		u, err := user(tx, subject)
		if err != nil {
			return err
		}
		fillUserinfo(info, u, a.Scopes)
		return nil
	})
}

// SetIntrospectionFromToken implements op.OPStorage (RFC 7662 section 2.2).
// An error makes the library answer {"active":false}.
func (st *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	return st.s.db.View(func(tx *bolt.Tx) error {
		a, err := liveAccess(tx, tokenID)
		if err != nil {
			return err
		}
		if a.Subject != subject {
			return errors.New("subject mismatch")
		}
		resp.Scope = a.Scopes
		resp.ClientID = a.ClientID
		resp.Subject = a.Subject
		resp.TokenType = oidc.BearerToken
		resp.Expiration = oidc.FromTime(a.ExpiresAt)
		resp.IssuedAt = oidc.FromTime(a.CreatedAt)
		resp.Audience = a.Audience
		resp.Issuer = st.issuer
		resp.JWTID = a.ID
		if a.Actor != "" {
			resp.Actor = &oidc.ActorClaims{Subject: a.Actor}
		}
		if u, err := user(tx, a.Subject); err == nil {
			resp.Username = u.Username
		}
		return nil
	})
}

// GetPrivateClaimsFromScopes implements op.OPStorage; no private claims.
func (st *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID implements op.OPStorage; JWT client authentication
// (private_key_jwt) is not offered.
func (st *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt is not supported")
}

// ValidateJWTProfileScopes implements op.OPStorage; the JWT profile grant
// (RFC 7523) is not offered.
func (st *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile grant is not supported")
}
