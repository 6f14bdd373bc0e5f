package idp

import (
	"context"
	"errors"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// refreshIDPrefix marks a refresh token's hash passed as a token ID.
const refreshIDPrefix = "rt:"

// GetRefreshTokenInfo implements op.AuthStorage for revocation (RFC 7009).
func (st *storage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	h := hashToken(token)
	var subject string
	err := st.s.db.View(func(tx *bolt.Tx) error {
		rt := new(refreshRec)
		if err := getJSON(tx, bktRefresh, h, rt); err != nil {
			return op.ErrInvalidRefreshToken
		}
		f := new(familyRec)
		if err := getJSON(tx, bktFamilies, rt.FamilyID, f); err != nil {
			return op.ErrInvalidRefreshToken
		}
		subject = f.Subject
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return subject, refreshIDPrefix + h, nil
}

// RevokeToken implements op.AuthStorage (RFC 7009 section 2.1). Revoking a
// refresh token revokes its family and the access tokens minted from it.
// A token of another client is refused; an unknown token is not an error
// (section 2.2).
func (st *storage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	var outcome *oidc.Error
	err := st.s.db.Update(func(tx *bolt.Tx) error {
		if h, ok := strings.CutPrefix(tokenOrID, refreshIDPrefix); ok {
			rt := new(refreshRec)
			if err := getJSON(tx, bktRefresh, h, rt); err != nil {
				return nil //nolint:nilerr // unknown token: nothing to do
			}
			f := new(familyRec)
			if err := getJSON(tx, bktFamilies, rt.FamilyID, f); err != nil {
				return nil //nolint:nilerr // family swept
			}
			if f.ClientID != clientID {
				outcome = oidc.ErrInvalidClient().WithDescription("token was issued to another client")
				return nil
			}
			if f.Revoked {
				return nil
			}
			return revokeFamily(tx, f, "revoked by client")
		}
		a := new(accessRec)
		if err := getJSON(tx, bktAccess, tokenOrID, a); err != nil {
			return nil //nolint:nilerr // unknown token
		}
		if a.ClientID != clientID {
			outcome = oidc.ErrInvalidClient().WithDescription("token was issued to another client")
			return nil
		}
		a.Revoked = true
		return putJSON(tx, bktAccess, a.ID, a)
	})
	if err != nil {
		return oidc.ErrServerError().WithParent(errors.Unwrap(err))
	}
	return outcome
}
