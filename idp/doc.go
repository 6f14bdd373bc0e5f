// Package idp runs accessgraph as an OpenID Connect provider, built on the op
// package of github.com/zitadel/oidc/v3.
//
// The provider serves discovery, a JWKS with signing-key rotation, the
// authorization code grant with PKCE (S256 only, required for every client
// unless a confidential client is explicitly configured otherwise), refresh
// tokens with rotation and reuse detection, client credentials, token exchange
// (RFC 8693), userinfo, introspection (RFC 7662), revocation (RFC 7009),
// RP-initiated logout with exact post_logout_redirect_uri matching, and
// back-channel logout tokens sent to clients that registered for them.
//
// Access tokens are opaque: the value is the library's AES-GCM sealing of a
// token ID, and every use (userinfo, introspection, token exchange) looks the
// ID up in the store, so a revoked token stops working at once. Refresh tokens
// are random values of which only a SHA-256 hash is stored.
//
// All state (clients, users, sessions, refresh-token families, grants,
// signing keys, the audit trail) is kept in a bbolt file in Config.DataDir, so
// it survives a restart. Provider.GraphBatch exports it to the access graph,
// and the control functions (ListIdentityState, EndSessions, RevokeGrant,
// RevokeAll) end what an identity holds and prove that it is gone.
package idp
