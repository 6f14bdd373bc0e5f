package idp

import (
	"context"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// clientCredentialsRequest is a client_credentials grant (RFC 6749 section
// 4.4): the client acts for itself, so the subject is the client ID.
type clientCredentialsRequest struct {
	clientID string
	scopes   []string
}

func (r *clientCredentialsRequest) GetSubject() string    { return r.clientID }
func (r *clientCredentialsRequest) GetAudience() []string { return []string{r.clientID} }
func (r *clientCredentialsRequest) GetScopes() []string   { return r.scopes }

// ClientCredentialsTokenRequest implements op.ClientCredentialsStorage: the
// client must be registered for the grant and may only get the scopes it
// was configured with (RFC 6749 section 3.3).
func (st *storage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	oc, err := st.GetClientByClientID(ctx, clientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient()
	}
	c := oc.(*client)
	if !hasGrant(c, GrantClientCredentials) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client may not use client_credentials")
	}
	for _, s := range scopes {
		if !c.IsScopeAllowed(s) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %q not allowed for this client", s)
		}
	}
	return &clientCredentialsRequest{clientID: clientID, scopes: scopes}, nil
}
