package idp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// BackchannelEvent is the events member of a logout token (OIDC Back-Channel
// Logout 1.0, section 2.4).
const BackchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// BackchannelResult is the outcome of one logout token delivery.
type BackchannelResult struct {
	ClientID  string `json:"clientId"`
	URI       string `json:"uri"`
	Subject   string `json:"subject,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
	// Status is the HTTP status the client answered (0 if none).
	Status int `json:"status"`
	// Delivered is true for a 200 or 204 answer (section 2.8).
	Delivered bool   `json:"delivered"`
	Error     string `json:"error,omitempty"`
}

// logoutTarget is one client to tell about one ended login.
type logoutTarget struct {
	clientID, uri, subject, sid string
}

// logoutToken builds and signs a logout token with the current signing key
// (section 2.4): iss, aud, iat, exp, jti, sub and/or sid, events; never a
// nonce. Its JOSE type is logout+jwt (section 2.4, RFC 8725 section 3.11).
func (p *Provider) logoutToken(t logoutTarget) (string, error) {
	key, err := p.st.keys.signing()
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	claims := map[string]any{
		"iss":    p.issuer,
		"aud":    t.clientID,
		"iat":    now.Unix(),
		"exp":    now.Add(2 * time.Minute).Unix(),
		"jti":    randomID(18),
		"events": map[string]any{BackchannelEvent: map[string]any{}},
	}
	if t.subject != "" {
		claims["sub"] = t.subject
	}
	if t.sid != "" {
		claims["sid"] = t.sid
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key.priv, KeyID: key.id}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return "", fmt.Errorf("logout token signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign logout token: %w", err)
	}
	return jws.CompactSerialize()
}

// sendBackchannel POSTs a logout token to each target (section 2.5). A
// failed delivery is reported, never retried: the tokens are already revoked
// at the provider, the logout token only tells the client to drop its own
// session.
func (p *Provider) sendBackchannel(ctx context.Context, targets []logoutTarget) []BackchannelResult {
	out := make([]BackchannelResult, 0, len(targets))
	for _, t := range targets {
		res := BackchannelResult{ClientID: t.clientID, URI: t.uri, Subject: t.subject, SessionID: t.sid}
		if err := p.postLogout(ctx, t, &res); err != nil {
			res.Error = err.Error()
			p.log.WarnContext(ctx, "back-channel logout failed", "client_id", t.clientID, "err", err)
		}
		out = append(out, res)
	}
	return out
}

func (p *Provider) postLogout(ctx context.Context, t logoutTarget, res *BackchannelResult) error {
	tok, err := p.logoutToken(t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.BackchannelTimeout.or(5*time.Second))
	defer cancel()
	body := url.Values{"logout_token": {tok}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.uri, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	res.Status = resp.StatusCode
	res.Delivered = resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent
	if !res.Delivered {
		return fmt.Errorf("client answered %d", resp.StatusCode)
	}
	return nil
}
