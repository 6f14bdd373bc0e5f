package idp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// authRequestTTL bounds how long a login may take and how long a code lives
// (RFC 6749 section 4.1.2 recommends at most 10 minutes for codes).
const authRequestTTL = 10 * time.Minute

// authRequest implements op.AuthRequest and op.RefreshTokenRequest-like
// getters over an authReqRec.
type authRequest struct{ r *authReqRec }

var _ op.AuthRequest = authRequest{}

func (a authRequest) GetID() string          { return a.r.ID }
func (a authRequest) GetACR() string         { return "" }
func (a authRequest) GetAMR() []string       { return a.r.AMR }
func (a authRequest) GetAudience() []string  { return []string{a.r.ClientID} }
func (a authRequest) GetAuthTime() time.Time { return a.r.AuthTime }
func (a authRequest) GetClientID() string    { return a.r.ClientID }
func (a authRequest) GetNonce() string       { return a.r.Nonce }
func (a authRequest) GetRedirectURI() string { return a.r.RedirectURI }
func (a authRequest) GetScopes() []string    { return a.r.Scopes }
func (a authRequest) GetState() string       { return a.r.State }
func (a authRequest) GetSubject() string     { return a.r.Subject }
func (a authRequest) Done() bool             { return a.r.Done }
func (a authRequest) GetSessionID() string   { return a.r.SessionID }
func (a authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.r.ResponseMode)
}

func (a authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.r.ResponseType)
}

func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{
		Challenge: a.r.CodeChallenge,
		Method:    oidc.CodeChallengeMethod(a.r.CodeChallengeMethod),
	}
}

// CreateAuthRequest implements op.AuthStorage. PKCE has been checked by
// server.Authorize before this is called.
func (st *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	rec := &authReqRec{
		ID:                  randomID(24),
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		State:               req.State,
		Nonce:               req.Nonce,
		Scopes:              req.Scopes,
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt:              req.Prompt,
		MaxAge:              req.MaxAge,
		LoginHint:           req.LoginHint,
		HintSubject:         hintSubject,
		CreatedAt:           time.Now().UTC(),
	}
	err := st.s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx, bktAuthReqs, rec.ID, rec) })
	if err != nil {
		return nil, fmt.Errorf("save auth request: %w", err)
	}
	return authRequest{rec}, nil
}

// AuthRequestByID implements op.AuthStorage.
func (st *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	rec, err := st.authReq(id)
	if err != nil {
		return nil, err
	}
	return authRequest{rec}, nil
}

func (st *storage) authReq(id string) (*authReqRec, error) {
	rec := new(authReqRec)
	err := st.s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bktAuthReqs, id, rec) })
	if err != nil {
		return nil, fmt.Errorf("auth request: %w", err)
	}
	if time.Since(rec.CreatedAt) > authRequestTTL {
		return nil, errors.New("auth request expired")
	}
	return rec, nil
}

// updateAuthReq applies fn to a stored auth request.
func (st *storage) updateAuthReq(id string, fn func(*authReqRec) error) error {
	return st.s.db.Update(func(tx *bolt.Tx) error {
		rec := new(authReqRec)
		if err := getJSON(tx, bktAuthReqs, id, rec); err != nil {
			return fmt.Errorf("auth request: %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
		return putJSON(tx, bktAuthReqs, id, rec)
	})
}

// AuthRequestByCode implements op.AuthStorage. The provider's own code
// exchange uses consumeCode instead; this read-only lookup serves the
// library's other callers.
func (st *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	var rec *authReqRec
	err := st.s.db.View(func(tx *bolt.Tx) (err error) {
		rec, err = authReqByCode(tx, code)
		return err
	})
	if err != nil {
		return nil, err
	}
	if rec.Consumed {
		return nil, errors.New("code already used")
	}
	return authRequest{rec}, nil
}

func authReqByCode(tx *bolt.Tx, code string) (*authReqRec, error) {
	id := tx.Bucket(bktCodes).Get([]byte(hashToken(code)))
	if id == nil {
		return nil, errors.New("unknown code")
	}
	rec := new(authReqRec)
	if err := getJSON(tx, bktAuthReqs, string(id), rec); err != nil {
		return nil, fmt.Errorf("auth request of code: %w", err)
	}
	return rec, nil
}

// SaveAuthCode implements op.AuthStorage: only the code's hash is stored.
func (st *storage) SaveAuthCode(_ context.Context, id, code string) error {
	h := hashToken(code)
	return st.s.db.Update(func(tx *bolt.Tx) error {
		rec := new(authReqRec)
		if err := getJSON(tx, bktAuthReqs, id, rec); err != nil {
			return fmt.Errorf("auth request: %w", err)
		}
		if rec.CodeHash != "" {
			return errors.New("auth request already has a code")
		}
		rec.CodeHash = h
		if err := putJSON(tx, bktAuthReqs, id, rec); err != nil {
			return err
		}
		return tx.Bucket(bktCodes).Put([]byte(h), []byte(id))
	})
}

// DeleteAuthRequest implements op.AuthStorage. The library calls it after
// minting tokens; the record is already marked consumed by consumeCode and
// is kept until it expires so a replayed code can be recognised and the
// tokens minted from it revoked (RFC 6749 section 4.1.2). A request that
// never got a code is deleted.
func (st *storage) DeleteAuthRequest(_ context.Context, id string) error {
	return st.s.db.Update(func(tx *bolt.Tx) error {
		rec := new(authReqRec)
		if err := getJSON(tx, bktAuthReqs, id, rec); err != nil {
			return nil //nolint:nilerr // already gone
		}
		if rec.CodeHash != "" {
			rec.Consumed = true
			return putJSON(tx, bktAuthReqs, id, rec)
		}
		return tx.Bucket(bktAuthReqs).Delete([]byte(id))
	})
}
