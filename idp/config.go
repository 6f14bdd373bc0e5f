package idp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Duration is a time.Duration that reads from JSON/YAML as a Go duration
// string such as "5m" or "720h".
type Duration time.Duration

// UnmarshalJSON parses a duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string like \"5m\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d Duration) or(def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}

// Config configures a Provider. Secrets never come from the file itself:
// client secrets and passwords are read from environment variables or files
// named here (or set programmatically through fields that do not serialize).
type Config struct {
	// Issuer is the provider's issuer URL (https, or http with Insecure).
	Issuer string `json:"issuer"`
	// DataDir is the folder that holds the provider's bbolt file (idp.db).
	DataDir string `json:"dataDir"`
	// Insecure allows an http issuer; for development and tests only.
	Insecure bool `json:"insecure,omitempty"`
	// Clients are the registered relying parties.
	Clients []ClientConfig `json:"clients"`
	// Users are seeded into the store at start; the store keeps their sessions.
	Users []UserConfig `json:"users"`

	// AccessTokenTTL is the lifetime of opaque access tokens (default 5m).
	AccessTokenTTL Duration `json:"accessTokenTTL,omitempty"`
	// IDTokenTTL is the lifetime of ID tokens (default 5m).
	IDTokenTTL Duration `json:"idTokenTTL,omitempty"`
	// RefreshTokenTTL is the absolute lifetime of a refresh-token family (default 720h).
	RefreshTokenTTL Duration `json:"refreshTokenTTL,omitempty"`
	// SessionTTL is the lifetime of a browser session at the provider (default 12h).
	SessionTTL Duration `json:"sessionTTL,omitempty"`
	// KeyRotation is the age after which the signing key is replaced (default 720h).
	KeyRotation Duration `json:"keyRotation,omitempty"`
	// KeyRetention is how long a replaced key stays in the JWKS (default 24h).
	KeyRetention Duration `json:"keyRetention,omitempty"`
	// BackchannelTimeout bounds each back-channel logout POST (default 5s).
	BackchannelTimeout Duration `json:"backchannelTimeout,omitempty"`
}

// ClientConfig registers one OAuth 2.0 / OIDC client.
type ClientConfig struct {
	// ID is the client_id.
	ID string `json:"id"`
	// Name is shown on the consent page.
	Name string `json:"name,omitempty"`
	// Public marks a client without a secret (token_endpoint_auth_method none).
	Public bool `json:"public,omitempty"`
	// Secret is the client secret when set from code; it never serializes.
	Secret string `json:"-"`
	// SecretEnv names an environment variable holding the secret.
	SecretEnv string `json:"secretEnv,omitempty"`
	// SecretFile names a file holding the secret (trailing newline trimmed).
	SecretFile string `json:"secretFile,omitempty"`
	// RedirectURIs are matched exactly (RFC 9700 section 2.1).
	RedirectURIs []string `json:"redirectURIs,omitempty"`
	// PostLogoutRedirectURIs are matched exactly at end_session.
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectURIs,omitempty"`
	// BackchannelLogoutURI receives logout tokens (OIDC Back-Channel Logout 1.0).
	BackchannelLogoutURI string `json:"backchannelLogoutURI,omitempty"`
	// GrantTypes the client may use: authorization_code, refresh_token,
	// client_credentials, urn:ietf:params:oauth:grant-type:token-exchange.
	GrantTypes []string `json:"grantTypes,omitempty"`
	// Scopes lists scopes beyond openid, profile, email and offline_access
	// that the client may request.
	Scopes []string `json:"scopes,omitempty"`
	// SkipConsent trusts the client (first party): no consent page is shown,
	// but a grant is still recorded.
	SkipConsent bool `json:"skipConsent,omitempty"`
	// AllowMissingPKCE lets a confidential client use the code flow without
	// PKCE. It is refused for public clients. Plain PKCE is never accepted.
	AllowMissingPKCE bool `json:"allowMissingPKCE,omitempty"`
	// Subkind is the graph subkind of the service identity of a client that
	// uses client_credentials: "service" (default) or "agent".
	Subkind string `json:"subkind,omitempty"`
}

// UserConfig seeds one user.
type UserConfig struct {
	// Subject is the stable sub claim.
	Subject string `json:"subject"`
	// Username is what the login page asks for.
	Username string `json:"username"`
	// Name and Email feed the profile and email scopes.
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Kind is the identity subkind: human (default), service or agent.
	Kind string `json:"kind,omitempty"`
	// Status is active (default), suspended or offboarded.
	Status string `json:"status,omitempty"`
	// Password is a clear-text password set from code; it never serializes.
	Password string `json:"-"`
	// PasswordHash is a bcrypt hash.
	PasswordHash string `json:"passwordHash,omitempty"`
	// PasswordEnv names an environment variable holding the clear-text password.
	PasswordEnv string `json:"passwordEnv,omitempty"`
	// PasswordFile names a file holding the clear-text password.
	PasswordFile string `json:"passwordFile,omitempty"`
}

// User statuses.
const (
	StatusActive     = "active"
	StatusSuspended  = "suspended"
	StatusOffboarded = "offboarded"
)

// Grant types a client may be configured with.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange" //nolint:gosec // a grant type URN, not a credential
)

var knownGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantTokenExchange}

// minSecretLen is the shortest accepted client secret: secrets are compared
// through SHA-256, which is only safe for high-entropy values.
const minSecretLen = 16

// Validate checks c and names the first wrong field.
func (c *Config) Validate() error {
	if err := validateIssuer(c.Issuer, c.Insecure); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if c.DataDir == "" {
		return errors.New("dataDir: required")
	}
	seen := map[string]bool{}
	for i := range c.Clients {
		cl := &c.Clients[i]
		if err := cl.validate(); err != nil {
			return fmt.Errorf("clients[%d]%w", i, err)
		}
		if seen[cl.ID] {
			return fmt.Errorf("clients[%d].id: duplicate %q", i, cl.ID)
		}
		seen[cl.ID] = true
	}
	subs, names := map[string]bool{}, map[string]bool{}
	for i := range c.Users {
		u := &c.Users[i]
		if err := u.validate(); err != nil {
			return fmt.Errorf("users[%d]%w", i, err)
		}
		if subs[u.Subject] {
			return fmt.Errorf("users[%d].subject: duplicate %q", i, u.Subject)
		}
		if names[u.Username] {
			return fmt.Errorf("users[%d].username: duplicate %q", i, u.Username)
		}
		subs[u.Subject], names[u.Username] = true, true
	}
	return nil
}

func validateIssuer(s string, insecure bool) error {
	if s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("%q has no host", s)
	case u.Scheme != "https" && (!insecure || u.Scheme != "http"):
		return fmt.Errorf("%q must use https (set insecure for http in tests)", s)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	return nil
}

func (cl *ClientConfig) validate() error {
	if cl.ID == "" {
		return errors.New(".id: required")
	}
	for j, g := range cl.GrantTypes {
		if !slices.Contains(knownGrants, g) {
			return fmt.Errorf(".grantTypes[%d]: unknown grant type %q (want one of %s)",
				j, g, strings.Join(knownGrants, ", "))
		}
	}
	if cl.Public {
		if cl.Secret != "" || cl.SecretEnv != "" || cl.SecretFile != "" {
			return errors.New(".public: a public client must not have a secret")
		}
		if cl.AllowMissingPKCE {
			return errors.New(".allowMissingPKCE: PKCE is required for public clients")
		}
		if slices.Contains(cl.GrantTypes, GrantClientCredentials) {
			return errors.New(".grantTypes: client_credentials needs a confidential client")
		}
	} else if cl.Secret == "" && cl.SecretEnv == "" && cl.SecretFile == "" {
		return errors.New(".secretEnv: a confidential client needs secretEnv or secretFile")
	}
	if slices.Contains(cl.GrantTypes, GrantAuthorizationCode) && len(cl.RedirectURIs) == 0 {
		return errors.New(".redirectURIs: required for authorization_code")
	}
	for j, u := range cl.RedirectURIs {
		if err := absoluteURL(u); err != nil {
			return fmt.Errorf(".redirectURIs[%d]: %w", j, err)
		}
	}
	for j, u := range cl.PostLogoutRedirectURIs {
		if err := absoluteURL(u); err != nil {
			return fmt.Errorf(".postLogoutRedirectURIs[%d]: %w", j, err)
		}
	}
	if cl.BackchannelLogoutURI != "" {
		if err := absoluteURL(cl.BackchannelLogoutURI); err != nil {
			return fmt.Errorf(".backchannelLogoutURI: %w", err)
		}
	}
	if cl.Subkind != "" && cl.Subkind != "service" && cl.Subkind != "agent" {
		return fmt.Errorf(".subkind: %q is not service or agent", cl.Subkind)
	}
	return nil
}

func absoluteURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("%q must be an absolute URL", s)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%q must not have a fragment", s)
	}
	return nil
}

func (u *UserConfig) validate() error {
	switch {
	case u.Subject == "":
		return errors.New(".subject: required")
	case strings.ContainsAny(u.Subject, ":|"):
		return fmt.Errorf(".subject: %q must not contain ':' or '|'", u.Subject)
	case u.Username == "":
		return errors.New(".username: required")
	}
	switch u.Kind {
	case "", "human", "service", "agent":
	default:
		return fmt.Errorf(".kind: %q is not human, service or agent", u.Kind)
	}
	switch u.Status {
	case "", StatusActive, StatusSuspended, StatusOffboarded:
	default:
		return fmt.Errorf(".status: %q is not active, suspended or offboarded", u.Status)
	}
	n := 0
	for _, s := range []string{u.Password, u.PasswordHash, u.PasswordEnv, u.PasswordFile} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New(".passwordHash: set only one of passwordHash, passwordEnv, passwordFile")
	}
	if u.PasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			return fmt.Errorf(".passwordHash: not a bcrypt hash: %w", err)
		}
	}
	return nil
}

// secret resolves a secret from its literal, environment or file source.
func readSecret(field, literal, env, file string) (string, error) {
	switch {
	case literal != "":
		return literal, nil
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("%sEnv: environment variable %s is not set", field, env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%sFile: %w", field, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%sFile: %s is empty", field, file)
		}
		return v, nil
	}
	return "", nil
}
