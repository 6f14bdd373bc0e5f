package idp

import (
	"context"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Discovery serves OpenID Connect Discovery 1.0 section 3 (and RFC 8414
// metadata) trimmed to what this provider really does: the code flow only,
// S256 PKCE only, no device flow, no JWT bearer grant, and back-channel
// logout with sid.
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	d, ok := resp.Data.(*oidc.DiscoveryConfiguration)
	if !ok {
		return resp, nil
	}
	d.DeviceAuthorizationEndpoint = ""
	d.ScopesSupported = standardScopes
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken,
		oidc.GrantTypeClientCredentials, oidc.GrantTypeTokenExchange}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	d.RevocationEndpointAuthSigningAlgValuesSupported = nil
	d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	d.RequestObjectSigningAlgValuesSupported = nil
	d.BackChannelLogoutSupported = true
	d.BackChannelLogoutSessionSupported = true
	return resp, nil
}

// DeviceAuthorization is not offered (RFC 8628).
func (s *server) DeviceAuthorization(context.Context, *op.ClientRequest[oidc.DeviceAuthorizationRequest]) (*op.Response, error) {
	return nil, oidc.ErrUnsupportedGrantType().WithDescription("device authorization is not supported")
}
