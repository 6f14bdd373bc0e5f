package idp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// tokenOrigin is what a new token records about how it was obtained.
type tokenOrigin struct {
	subject, clientID, actor, sessionID, authReqID string
	scopes, audience, amr                          []string
	authTime                                       time.Time
}

// originOf reads a token request of any supported grant.
func originOf(req op.TokenRequest) (tokenOrigin, error) {
	o := tokenOrigin{subject: req.GetSubject(), scopes: req.GetScopes(), audience: req.GetAudience()}
	switch r := req.(type) {
	case authRequest:
		o.clientID, o.sessionID, o.authReqID = r.r.ClientID, r.r.SessionID, r.r.ID
		o.amr, o.authTime = r.r.AMR, r.r.AuthTime
	case *refreshRequest:
		o.clientID, o.sessionID, o.actor = r.f.ClientID, r.f.SessionID, r.f.Actor
		o.amr, o.authTime, o.authReqID = r.f.AMR, r.f.AuthTime, r.f.AuthReqID
		o.scopes = r.scopes
	case *clientCredentialsRequest:
		o.clientID = r.clientID
	case op.TokenExchangeRequest:
		o.clientID, o.actor = r.GetClientID(), r.GetExchangeActor()
		if o.actor == "" {
			o.actor = r.GetClientID()
		}
		o.authTime = r.GetAuthTime()
	default:
		return o, fmt.Errorf("unsupported token request %T", req)
	}
	return o, nil
}

// CreateAccessToken implements op.AuthStorage: it stores an opaque access
// token record; the library seals its ID into the token value.
func (st *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	o, err := originOf(req)
	if err != nil {
		return "", time.Time{}, err
	}
	var a *accessRec
	err = st.s.batch(func(tx *bolt.Tx) error {
		if !subjectActive(tx, o.subject) {
			return errInactive
		}
		a = st.newAccess(o, "")
		return putJSON(tx, bktAccess, a.ID, a)
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create access token: %w", err)
	}
	return a.ID, a.ExpiresAt, nil
}

func (st *storage) newAccess(o tokenOrigin, familyID string) *accessRec {
	now := time.Now().UTC()
	return &accessRec{
		ID: randomID(18), Subject: o.subject, ClientID: o.clientID, Scopes: o.scopes,
		Audience: o.audience, Actor: o.actor, SessionID: o.sessionID, AuthReqID: o.authReqID,
		FamilyID: familyID, CreatedAt: now, ExpiresAt: now.Add(st.accessTTL()),
	}
}

// CreateAccessAndRefreshTokens implements op.AuthStorage. For a refresh
// grant, currentRefreshToken was already marked used by consumeRefresh; the
// new token joins the same family and becomes its only redeemable token
// (RFC 9700 section 4.14.2, refresh token rotation). Anything else starts a
// new family.
func (st *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	if rr, ok := req.(*refreshRequest); ok && rr.minted != nil {
		// Minted atomically by consumeRefresh.
		return rr.minted.accessID, rr.minted.refresh, rr.minted.expires, nil
	}
	o, err := originOf(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	newToken := randomID(32)
	var a *accessRec
	err = st.s.batch(func(tx *bolt.Tx) error {
		if !subjectActive(tx, o.subject) {
			return errInactive
		}
		f, err := st.familyFor(tx, req, currentRefreshToken, o)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		h := hashToken(newToken)
		f.Current = h
		if err := putJSON(tx, bktFamilies, f.ID, f); err != nil {
			return err
		}
		if err := putJSON(tx, bktRefresh, h, refreshRec{Hash: h, FamilyID: f.ID, CreatedAt: now}); err != nil {
			return err
		}
		a = st.newAccess(o, f.ID)
		return putJSON(tx, bktAccess, a.ID, a)
	})
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("create tokens: %w", err)
	}
	return a.ID, newToken, a.ExpiresAt, nil
}

// familyFor returns the family the new refresh token joins.
func (st *storage) familyFor(tx *bolt.Tx, req op.TokenRequest, current string, o tokenOrigin) (*familyRec, error) {
	if rr, ok := req.(*refreshRequest); ok {
		f := new(familyRec)
		if err := getJSON(tx, bktFamilies, rr.f.ID, f); err != nil {
			return nil, fmt.Errorf("refresh family: %w", err)
		}
		// The family may have been revoked (reuse detected, revoke-all)
		// between consumeRefresh and now.
		if !f.live(time.Now()) || f.Current != hashToken(current) {
			return nil, errors.New("refresh token family revoked")
		}
		f.Rotations++
		return f, nil
	}
	now := time.Now().UTC()
	return &familyRec{
		ID: randomID(18), Subject: o.subject, ClientID: o.clientID, Scopes: slices.Clone(o.scopes),
		Audience: o.audience, AMR: o.amr, AuthTime: o.authTime, Actor: o.actor,
		SessionID: o.sessionID, AuthReqID: o.authReqID, CreatedAt: now, ExpiresAt: now.Add(st.refreshTTL()),
	}, nil
}
