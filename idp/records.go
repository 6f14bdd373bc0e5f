package idp

import (
	"slices"
	"time"
)

// userRec is a stored user.
type userRec struct {
	Subject      string    `json:"subject"`
	Username     string    `json:"username"`
	Name         string    `json:"name,omitempty"`
	Email        string    `json:"email,omitempty"`
	Kind         string    `json:"kind"`
	Status       string    `json:"status"`
	PasswordHash string    `json:"passwordHash,omitempty"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

func (u *userRec) active() bool { return u.Status == StatusActive }

// clientRec is a stored client. SecretHash is the SHA-256 of the secret.
type clientRec struct {
	ClientConfig
	SecretHash string `json:"secretHash,omitempty"`
}

// authReqRec is a stored authorization request (RFC 6749 section 4.1.1).
type authReqRec struct {
	ID                  string    `json:"id"`
	ClientID            string    `json:"clientId"`
	RedirectURI         string    `json:"redirectUri"`
	State               string    `json:"state,omitempty"`
	Nonce               string    `json:"nonce,omitempty"`
	Scopes              []string  `json:"scopes"`
	ResponseType        string    `json:"responseType"`
	ResponseMode        string    `json:"responseMode,omitempty"`
	CodeChallenge       string    `json:"codeChallenge,omitempty"`
	CodeChallengeMethod string    `json:"codeChallengeMethod,omitempty"`
	Prompt              []string  `json:"prompt,omitempty"`
	MaxAge              *uint     `json:"maxAge,omitempty"`
	LoginHint           string    `json:"loginHint,omitempty"`
	HintSubject         string    `json:"hintSubject,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`

	// Filled by the login and consent pages.
	Subject   string    `json:"subject,omitempty"`
	AuthTime  time.Time `json:"authTime,omitzero"`
	AMR       []string  `json:"amr,omitempty"`
	SessionID string    `json:"sessionId,omitempty"`
	GrantID   string    `json:"grantId,omitempty"`
	Done      bool      `json:"done,omitempty"`

	// CodeHash is the SHA-256 of the issued code; Consumed marks that it
	// was redeemed once (RFC 6749 section 4.1.2: a second use must fail).
	CodeHash string `json:"codeHash,omitempty"`
	Consumed bool   `json:"consumed,omitempty"`
	// Replayed marks that the code was presented again after redemption.
	Replayed bool `json:"replayed,omitempty"`
}

// sessionRec is a browser session at the provider. The cookie carries
// ID + "." + secret; only the secret's hash is stored. ID is the OIDC sid.
type sessionRec struct {
	ID         string    `json:"id"`
	SecretHash string    `json:"secretHash"`
	Subject    string    `json:"subject"`
	AuthTime   time.Time `json:"authTime"`
	AMR        []string  `json:"amr"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// Clients lists the clients that received tokens in this session.
	Clients []string `json:"clients,omitempty"`
}

func (s *sessionRec) live(now time.Time) bool { return now.Before(s.ExpiresAt) }

func (s *sessionRec) addClient(id string) {
	if !slices.Contains(s.Clients, id) {
		s.Clients = append(s.Clients, id)
	}
}

// accessRec is an opaque access token; the token value is the sealed ID.
type accessRec struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	ClientID  string    `json:"clientId"`
	Scopes    []string  `json:"scopes"`
	Audience  []string  `json:"audience,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	SessionID string    `json:"sessionId,omitempty"`
	AuthReqID string    `json:"authReqId,omitempty"`
	FamilyID  string    `json:"familyId,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Revoked   bool      `json:"revoked,omitempty"`
}

func (a *accessRec) live(now time.Time) bool { return !a.Revoked && now.Before(a.ExpiresAt) }

// familyRec is a refresh-token family: every token rotated from one grant.
type familyRec struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	ClientID  string    `json:"clientId"`
	Scopes    []string  `json:"scopes"`
	Audience  []string  `json:"audience,omitempty"`
	AMR       []string  `json:"amr,omitempty"`
	AuthTime  time.Time `json:"authTime"`
	Actor     string    `json:"actor,omitempty"`
	SessionID string    `json:"sessionId,omitempty"`
	AuthReqID string    `json:"authReqId,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Current is the hash of the one refresh token of the family that may
	// still be redeemed.
	Current       string    `json:"current"`
	Rotations     int       `json:"rotations"`
	Revoked       bool      `json:"revoked,omitempty"`
	RevokedAt     time.Time `json:"revokedAt,omitzero"`
	RevokedReason string    `json:"revokedReason,omitempty"`
}

func (f *familyRec) live(now time.Time) bool { return !f.Revoked && now.Before(f.ExpiresAt) }

// refreshRec maps a refresh token hash to its family.
type refreshRec struct {
	Hash      string    `json:"hash"`
	FamilyID  string    `json:"familyId"`
	CreatedAt time.Time `json:"createdAt"`
	// Used is set when the token was redeemed: presenting it again is reuse.
	Used bool `json:"used,omitempty"`
}

// grantRec is a recorded consent: subject, client, scopes, time.
type grantRec struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	ClientID  string    `json:"clientId"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// grantID is deterministic: one grant per subject and client.
func grantID(subject, clientID string) string { return "grant:" + subject + "|" + clientID }

// covers reports whether the grant includes every scope of want.
func (g *grantRec) covers(want []string) bool {
	for _, s := range want {
		if !slices.Contains(g.Scopes, s) {
			return false
		}
	}
	return true
}

// auditRec is one login or control event.
type auditRec struct {
	Time     time.Time `json:"time"`
	Event    string    `json:"event"`
	Subject  string    `json:"subject,omitempty"`
	Username string    `json:"username,omitempty"`
	ClientID string    `json:"clientId,omitempty"`
	Success  bool      `json:"success"`
	Reason   string    `json:"reason,omitempty"`
	Remote   string    `json:"remote,omitempty"`
}
