package idp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// refreshRequest implements op.RefreshTokenRequest and op.IDTokenRequest
// for a redeemed refresh token.
type refreshRequest struct {
	f      *familyRec
	scopes []string
	// minted holds the rotated refresh token and its access token, created
	// in the same transaction that consumed the presented token.
	minted *mintedTokens
}

type mintedTokens struct {
	refresh  string
	accessID string
	expires  time.Time
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return r.f.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.f.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.f.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.f.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.f.Subject }
func (r *refreshRequest) GetSessionID() string        { return r.f.SessionID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// Refresh errors. errRefreshReuse means a token that was already rotated was
// presented again: the whole family has been revoked.
var (
	errRefreshUnknown = errors.New("unknown refresh token")
	errRefreshReuse   = errors.New("refresh token reused: family revoked")
	errRefreshClient  = errors.New("refresh token belongs to another client")
	errRefreshDead    = errors.New("refresh token family revoked or expired")
	errScopeWidened   = errors.New("requested scope exceeds the grant")
)

// rotate mints the family's next refresh token and an access token for
// the requested scopes (a subset of the family's, RFC 6749 section 6) in
// the transaction that consumed the previous refresh token.
func (st *storage) rotate(tx *bolt.Tx, f *familyRec, scopes []string) (*mintedTokens, error) {
	for _, sc := range scopes {
		if !slices.Contains(f.Scopes, sc) {
			return nil, errScopeWidened
		}
	}
	if len(scopes) == 0 {
		scopes = f.Scopes
	}
	token := randomID(32)
	h := hashToken(token)
	now := time.Now().UTC()
	f.Current = h
	f.Rotations++
	if err := putJSON(tx, bktFamilies, f.ID, f); err != nil {
		return nil, err
	}
	if err := putJSON(tx, bktRefresh, h, refreshRec{Hash: h, FamilyID: f.ID, CreatedAt: now}); err != nil {
		return nil, err
	}
	a := st.newAccess(tokenOrigin{subject: f.Subject, clientID: f.ClientID, actor: f.Actor, sessionID: f.SessionID,
		authReqID: f.AuthReqID, scopes: scopes, audience: f.Audience}, f.ID)
	if err := putJSON(tx, bktAccess, a.ID, a); err != nil {
		return nil, err
	}
	return &mintedTokens{refresh: token, accessID: a.ID, expires: a.ExpiresAt}, nil
}

// consumeRefresh atomically redeems a refresh token (RFC 6749 section 6,
// RFC 9700 section 4.14.2). A token already redeemed is reuse: its family
// and every access token minted from it are revoked, and the call fails. Of
// two parallel redemptions of one token exactly one succeeds.
func (st *storage) consumeRefresh(token, clientID string, scopes []string) (*refreshRequest, error) {
	h := hashToken(token)
	var (
		out     *refreshRequest
		outcome error
		subject string
	)
	err := st.s.batch(func(tx *bolt.Tx) error {
		out, outcome, subject = nil, nil, ""
		rt := new(refreshRec)
		if err := getJSON(tx, bktRefresh, h, rt); err != nil {
			outcome = errRefreshUnknown
			return nil //nolint:nilerr // the outcome is returned after the transaction commits
		}
		f := new(familyRec)
		if err := getJSON(tx, bktFamilies, rt.FamilyID, f); err != nil {
			outcome = errRefreshUnknown
			return nil //nolint:nilerr // the outcome is returned after the transaction commits
		}
		subject = f.Subject
		switch {
		case f.ClientID != clientID:
			outcome = errRefreshClient
			return nil
		case rt.Used || f.Current != h:
			outcome = errRefreshReuse
			if !f.Revoked {
				return revokeFamily(tx, f, "refresh token reuse")
			}
			return nil
		case !f.live(time.Now()):
			outcome = errRefreshDead
			return nil
		case !subjectActive(tx, f.Subject):
			outcome = errInactive
			return nil
		}
		rt.Used = true
		if err := putJSON(tx, bktRefresh, h, rt); err != nil {
			return err
		}
		out = &refreshRequest{f: f, scopes: slices.Clone(f.Scopes)}
		if len(scopes) > 0 {
			out.scopes = scopes
		}
		m, err := st.rotate(tx, f, scopes)
		out.minted = m
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("redeem refresh token: %w", err)
	}
	if outcome != nil {
		if errors.Is(outcome, errRefreshReuse) {
			st.audit(auditRec{Event: "refresh_reuse", Subject: subject, ClientID: clientID, Reason: outcome.Error()})
		}
		return nil, outcome
	}
	return out, nil
}

// revokeFamily marks a family revoked and revokes its access tokens.
func revokeFamily(tx *bolt.Tx, f *familyRec, reason string) error {
	f.Revoked, f.RevokedAt, f.RevokedReason = true, time.Now().UTC(), reason
	if err := putJSON(tx, bktFamilies, f.ID, f); err != nil {
		return err
	}
	return revokeAccessWhere(tx, func(a *accessRec) bool { return a.FamilyID == f.ID })
}

// revokeAccessWhere revokes every live access token matching pred.
func revokeAccessWhere(tx *bolt.Tx, pred func(*accessRec) bool) error {
	var hit []*accessRec
	err := eachJSON(tx, bktAccess, func(_ string, a *accessRec) error {
		if !a.Revoked && pred(a) {
			hit = append(hit, a)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range hit {
		a.Revoked = true
		if err := putJSON(tx, bktAccess, a.ID, a); err != nil {
			return err
		}
	}
	return nil
}

// TokenRequestByRefreshToken implements op.AuthStorage for library callers
// other than server.RefreshToken; it does not consume the token.
func (st *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	var out *refreshRequest
	err := st.s.db.View(func(tx *bolt.Tx) error {
		rt := new(refreshRec)
		if err := getJSON(tx, bktRefresh, hashToken(token), rt); err != nil || rt.Used {
			return errRefreshUnknown
		}
		f := new(familyRec)
		if err := getJSON(tx, bktFamilies, rt.FamilyID, f); err != nil || !f.live(time.Now()) {
			return errRefreshDead
		}
		out = &refreshRequest{f: f, scopes: slices.Clone(f.Scopes)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RefreshToken overrides the library's refresh grant (RFC 6749 section 6):
// the token is redeemed atomically in storage before anything is minted, so
// rotation and reuse detection cannot race.
func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	if !op.ValidateGrantType(r.Client, oidc.GrantTypeRefreshToken) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client may not use refresh_token")
	}
	if r.Data.RefreshToken == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("refresh_token missing")
	}
	req, err := s.st.consumeRefresh(r.Data.RefreshToken, r.Client.GetID(), r.Data.Scopes)
	if errors.Is(err, errScopeWidened) {
		return nil, oidc.ErrInvalidScope().WithDescription("scope exceeds the original grant")
	}
	if err != nil {
		s.st.log.WarnContext(ctx, "refresh refused", "client_id", r.Client.GetID(), "reason", err.Error())
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token invalid").WithParent(err)
	}
	resp, err := op.CreateTokenResponse(ctx, req, r.Client, s.Provider(), true, "", r.Data.RefreshToken)
	if err != nil {
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh failed").WithParent(err)
	}
	return op.NewResponse(resp), nil
}

// introspectRefresh reports a refresh token by hash (RFC 7662 section 2.2):
// active while it is its family's current token, the family is live and
// the subject active.
func (st *storage) introspectRefresh(h string) *oidc.IntrospectionResponse {
	resp := new(oidc.IntrospectionResponse)
	_ = st.s.db.View(func(tx *bolt.Tx) error {
		rt := new(refreshRec)
		if err := getJSON(tx, bktRefresh, h, rt); err != nil || rt.Used {
			return nil //nolint:nilerr // unknown or used: inactive
		}
		f := new(familyRec)
		if err := getJSON(tx, bktFamilies, rt.FamilyID, f); err != nil {
			return nil //nolint:nilerr // family swept: inactive
		}
		if !f.live(time.Now()) || f.Current != h || !subjectActive(tx, f.Subject) {
			return nil
		}
		resp.Active = true
		resp.Scope = f.Scopes
		resp.ClientID = f.ClientID
		resp.Subject = f.Subject
		resp.TokenType = "refresh_token"
		resp.Expiration = oidc.FromTime(f.ExpiresAt)
		resp.IssuedAt = oidc.FromTime(rt.CreatedAt)
		resp.Issuer = st.issuer
		return nil
	})
	return resp
}
