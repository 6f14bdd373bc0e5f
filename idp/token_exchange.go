package idp

import (
	"context"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// ValidateTokenExchangeRequest implements op.TokenExchangeStorage for
// RFC 8693 delegation: an agent (the authenticated client) presents a
// person's access token as subject_token and gets an access token for that
// person with the agent as actor (section 4.1, "act") and scopes narrowed
// to what it asks for. Rules:
//   - the client is registered for the token-exchange grant;
//   - the subject token is a live opaque access token of an active identity;
//   - an actor_token, if sent, must belong to the requesting client;
//   - the person consented to the agent (a grant for subject and client);
//   - requested scopes are within the subject token's scopes, the grant and
//     the client's allowed scopes (default: the subject token's scopes that
//     pass both); only access tokens are issued.
func (st *storage) ValidateTokenExchangeRequest(ctx context.Context, req op.TokenExchangeRequest) error {
	oc, err := st.GetClientByClientID(ctx, req.GetClientID())
	if err != nil {
		return oidc.ErrInvalidClient()
	}
	c := oc.(*client)
	if !hasGrant(c, GrantTokenExchange) {
		return oidc.ErrUnauthorizedClient().WithDescription("client may not use token exchange")
	}
	if t := req.GetRequestedTokenType(); t == "" {
		req.SetRequestedTokenType(oidc.AccessTokenType)
	} else if t != oidc.AccessTokenType {
		return oidc.ErrInvalidRequest().WithDescription("only access tokens are issued by token exchange")
	}
	if req.GetExchangeSubjectTokenType() != oidc.AccessTokenType {
		return oidc.ErrInvalidRequest().WithDescription("subject_token must be an access token")
	}
	if a := req.GetExchangeActor(); a != "" && a != c.rec.ID {
		return oidc.ErrInvalidRequest().WithDescription("actor_token does not belong to the client")
	}
	var allowed []string
	err = st.s.db.View(func(tx *bolt.Tx) error {
		sub, err := liveAccess(tx, req.GetExchangeSubjectTokenIDOrToken())
		if err != nil || sub.Subject != req.GetExchangeSubject() {
			return oidc.ErrInvalidGrant().WithDescription("subject_token is not active")
		}
		g := new(grantRec)
		if err := getJSON(tx, bktGrants, grantID(sub.Subject, c.rec.ID), g); err != nil {
			return oidc.ErrAccessDenied().WithDescription("the subject has not delegated to this client")
		}
		for _, s := range sub.Scopes {
			if s != oidc.ScopeOfflineAccess && slices.Contains(g.Scopes, s) && c.scopeAllowed(s) {
				allowed = append(allowed, s)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	want := req.GetScopes()
	if len(want) == 0 {
		want = allowed
	}
	for _, s := range want {
		if !slices.Contains(allowed, s) {
			return oidc.ErrInvalidScope().WithDescription("scope %q exceeds what the subject delegated", s)
		}
	}
	req.SetCurrentScopes(want)
	return nil
}

// CreateTokenExchangeRequest implements op.TokenExchangeStorage: it records
// the delegation in the audit trail.
func (st *storage) CreateTokenExchangeRequest(_ context.Context, req op.TokenExchangeRequest) error {
	st.audit(auditRec{Event: "token_exchange", Subject: req.GetSubject(), ClientID: req.GetClientID(),
		Success: true, Reason: "actor " + req.GetClientID()})
	return nil
}

// GetPrivateClaimsFromTokenExchangeRequest implements op.TokenExchangeStorage.
// Access tokens are opaque, so there are no JWT claims to add.
func (st *storage) GetPrivateClaimsFromTokenExchangeRequest(context.Context, op.TokenExchangeRequest) (map[string]any, error) {
	return nil, nil
}

// SetUserinfoFromTokenExchangeRequest implements op.TokenExchangeStorage.
func (st *storage) SetUserinfoFromTokenExchangeRequest(_ context.Context, info *oidc.UserInfo, req op.TokenExchangeRequest) error {
	return st.s.db.View(func(tx *bolt.Tx) error {
		u, err := user(tx, req.GetSubject())
		if err != nil {
			return err
		}
		fillUserinfo(info, u, req.GetScopes())
		return nil
	})
}
