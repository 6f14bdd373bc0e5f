package idp

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// Code redemption errors.
var (
	errCodeUnknown = errors.New("unknown code")
	errCodeReplay  = errors.New("code already redeemed: tokens minted from it revoked")
	errCodeExpired = errors.New("code expired")
)

// codeLock returns the mutex that serializes redemptions of one code, so a
// replay waits until the first redemption has minted its tokens and can
// then revoke them.
func (s *server) codeLock(code string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(code))
	m := &s.codeLocks[h.Sum32()%uint32(len(s.codeLocks))]
	m.Lock()
	return m.Unlock
}

// consumeCode atomically marks the code's auth request consumed before any
// token is minted (RFC 6749 section 4.1.2: a code is used once). A replayed
// code revokes the access and refresh tokens minted from it.
func (st *storage) consumeCode(code string) (*authReqRec, error) {
	var (
		rec     *authReqRec
		outcome error
	)
	err := st.s.db.Update(func(tx *bolt.Tx) error {
		r, err := authReqByCode(tx, code)
		if err != nil {
			outcome = errCodeUnknown
			return nil //nolint:nilerr // the outcome is returned after the transaction commits
		}
		rec = r
		switch {
		case r.Consumed:
			outcome = errCodeReplay
			r.Replayed = true
			if err := putJSON(tx, bktAuthReqs, r.ID, r); err != nil {
				return err
			}
			return revokeFromAuthReq(tx, r.ID)
		case time.Since(r.CreatedAt) > authRequestTTL:
			outcome = errCodeExpired
			return nil
		case !r.Done:
			outcome = errCodeUnknown
			return nil //nolint:nilerr // the outcome is returned after the transaction commits
		}
		r.Consumed = true
		if err := putJSON(tx, bktAuthReqs, r.ID, r); err != nil {
			return err
		}
		return addSessionClient(tx, r.SessionID, r.ClientID)
	})
	if err != nil {
		return nil, fmt.Errorf("redeem code: %w", err)
	}
	if outcome != nil {
		if errors.Is(outcome, errCodeReplay) {
			st.audit(auditRec{Event: "code_replay", Subject: rec.Subject, ClientID: rec.ClientID, Reason: outcome.Error()})
		}
		return nil, outcome
	}
	return rec, nil
}

// revokeFromAuthReq revokes every token minted from one auth request.
func revokeFromAuthReq(tx *bolt.Tx, authReqID string) error {
	var fams []*familyRec
	err := eachJSON(tx, bktFamilies, func(_ string, f *familyRec) error {
		if f.AuthReqID == authReqID && !f.Revoked {
			fams = append(fams, f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range fams {
		if err := revokeFamily(tx, f, "authorization code replay"); err != nil {
			return err
		}
	}
	return revokeAccessWhere(tx, func(a *accessRec) bool { return a.AuthReqID == authReqID })
}

// addSessionClient records that clientID received tokens in a session, so
// back-channel logout knows whom to tell.
func addSessionClient(tx *bolt.Tx, sessionID, clientID string) error {
	if sessionID == "" {
		return nil
	}
	sess := new(sessionRec)
	if err := getJSON(tx, bktSessions, sessionID, sess); err != nil {
		return nil //nolint:nilerr // session ended meanwhile; nothing to record
	}
	sess.addClient(clientID)
	return putJSON(tx, bktSessions, sessionID, sess)
}

// CodeExchange overrides the library's authorization_code grant (RFC 6749
// section 4.1.3, RFC 7636 section 4.6). The code is consumed before the
// client, redirect URI and PKCE checks, so a failed attempt burns it too.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	if r.Data.Code == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("code missing")
	}
	if !op.ValidateGrantType(r.Client, oidc.GrantTypeCode) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client may not use authorization_code")
	}
	unlock := s.codeLock(r.Data.Code)
	defer unlock()
	rec, err := s.st.consumeCode(r.Data.Code)
	if err != nil {
		s.st.log.WarnContext(ctx, "code refused", "client_id", r.Client.GetID(), "reason", err.Error())
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code").WithParent(err)
	}
	if err := checkCodeRequest(rec, r); err != nil {
		return nil, err
	}
	resp, err := op.CreateTokenResponse(ctx, authRequest{rec}, r.Client, s.Provider(), true, r.Data.Code, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// checkCodeRequest binds the redemption to the authorization request: same
// client, identical redirect_uri (RFC 6749 section 4.1.3) and a PKCE verifier
// matching the S256 challenge (RFC 7636 section 4.6).
func checkCodeRequest(rec *authReqRec, r *op.ClientRequest[oidc.AccessTokenRequest]) error {
	if rec.ClientID != r.Client.GetID() {
		return oidc.ErrInvalidGrant().WithDescription("code was issued to another client")
	}
	if rec.RedirectURI != r.Data.RedirectURI {
		return oidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
	}
	if rec.CodeChallenge == "" {
		c, ok := r.Client.(*client)
		if !ok || !c.rec.AllowMissingPKCE || c.rec.Public {
			return oidc.ErrInvalidGrant().WithDescription("PKCE required")
		}
		if r.Data.CodeVerifier != "" {
			return oidc.ErrInvalidRequest().WithDescription("code_verifier unexpectedly provided")
		}
		return nil
	}
	if rec.CodeChallengeMethod != string(oidc.CodeChallengeMethodS256) {
		return oidc.ErrInvalidGrant().WithDescription("only S256 PKCE is accepted")
	}
	return op.AuthorizeCodeChallenge(r.Data.CodeVerifier, authRequest{rec}.GetCodeChallenge())
}
