package idp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	bolt "go.etcd.io/bbolt"
)

// Kinds of ended items.
const (
	ItemSession       = "session"
	ItemRefreshFamily = "refresh_token"
	ItemAccessToken   = "access_token"
	ItemGrant         = "grant"
)

// Item is one session, token or grant an identity holds.
type Item struct {
	// Kind is session, refresh_token, access_token or grant.
	Kind string `json:"kind"`
	// ID is the session ID (sid), refresh family ID, access token ID or grant ID.
	ID       string    `json:"id"`
	Subject  string    `json:"subject"`
	ClientID string    `json:"clientId,omitempty"`
	Scopes   []string  `json:"scopes,omitempty"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	// Actor is the agent acting for the subject (token exchange).
	Actor string `json:"actor,omitempty"`
}

// IdentityState is everything live that one identity holds at the provider.
type IdentityState struct {
	Subject string `json:"subject"`
	// Status is the identity's status, or "" if the subject is not a user.
	Status        string `json:"status,omitempty"`
	Sessions      []Item `json:"sessions"`
	RefreshTokens []Item `json:"refreshTokens"`
	AccessTokens  []Item `json:"accessTokens"`
	Grants        []Item `json:"grants"`
}

// Count is the number of live items.
func (s *IdentityState) Count() int {
	return len(s.Sessions) + len(s.RefreshTokens) + len(s.AccessTokens) + len(s.Grants)
}

// Verification proves a control call: a fresh read of the store and an
// introspection of every ended token.
type Verification struct {
	// Remaining lists what the re-read still found live among what the call
	// targeted; it is empty on success.
	Remaining []Item `json:"remaining"`
	// Introspected is the number of ended tokens introspected; StillActive
	// lists those introspection still reported active (empty on success).
	Introspected int    `json:"introspected"`
	StillActive  []Item `json:"stillActive"`
	// Error is set when the re-read failed (a record could not be read):
	// what remains is then unknown and OK is false.
	Error string `json:"error,omitempty"`
	// OK is true when the re-read succeeded, nothing remains and no token
	// is active.
	OK bool `json:"ok"`
}

// ControlResult is what a control call ended and the proof that it is gone.
type ControlResult struct {
	Subject      string              `json:"subject,omitempty"`
	Ended        []Item              `json:"ended"`
	Backchannel  []BackchannelResult `json:"backchannel"`
	Verification Verification        `json:"verification"`
}

// ErrUnknownGrant is returned by RevokeGrant for a grant ID it does not know.
var ErrUnknownGrant = errors.New("unknown grant")

// selection chooses what a control call ends; each predicate sees live
// records only. sessionOffline keeps offline_access refresh families bound
// to ended sessions (EndSessions).
type selection struct {
	sessions      func(*sessionRec) bool
	families      func(*familyRec, map[string]bool) bool
	access        func(*accessRec, map[string]bool) bool
	grants        func(*grantRec) bool
	notifySubject bool
	reason        string
}

// ListIdentityState lists the live sessions, refresh tokens, access tokens
// and grants of subject.
func (p *Provider) ListIdentityState(_ context.Context, subject string) (*IdentityState, error) {
	st := &IdentityState{Subject: subject, Sessions: []Item{}, RefreshTokens: []Item{}, AccessTokens: []Item{}, Grants: []Item{}}
	err := p.st.s.db.View(func(tx *bolt.Tx) error {
		if u, err := user(tx, subject); err == nil {
			st.Status = u.Status
		}
		return scanLive(tx, time.Now(), func(it Item) {
			if it.Subject != subject {
				return
			}
			switch it.Kind {
			case ItemSession:
				st.Sessions = append(st.Sessions, it)
			case ItemRefreshFamily:
				st.RefreshTokens = append(st.RefreshTokens, it)
			case ItemAccessToken:
				st.AccessTokens = append(st.AccessTokens, it)
			case ItemGrant:
				st.Grants = append(st.Grants, it)
			}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list identity state: %w", err)
	}
	return st, nil
}

// scanLive calls fn for every live session, refresh family, access token
// and grant.
func scanLive(tx *bolt.Tx, now time.Time, fn func(Item)) error {
	err := eachJSON(tx, bktSessions, func(_ string, s *sessionRec) error {
		if s.live(now) {
			fn(sessionItem(s))
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = eachJSON(tx, bktFamilies, func(_ string, f *familyRec) error {
		if f.live(now) {
			fn(familyItem(f))
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = eachJSON(tx, bktAccess, func(_ string, a *accessRec) error {
		if a.live(now) {
			fn(accessItem(a))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return eachJSON(tx, bktGrants, func(_ string, g *grantRec) error {
		fn(grantItem(g))
		return nil
	})
}

func sessionItem(s *sessionRec) Item {
	return Item{Kind: ItemSession, ID: s.ID, Subject: s.Subject, Created: s.CreatedAt, Expires: s.ExpiresAt}
}

func familyItem(f *familyRec) Item {
	return Item{Kind: ItemRefreshFamily, ID: f.ID, Subject: f.Subject, ClientID: f.ClientID, Scopes: f.Scopes,
		Created: f.CreatedAt, Expires: f.ExpiresAt, Actor: f.Actor}
}

func accessItem(a *accessRec) Item {
	return Item{Kind: ItemAccessToken, ID: a.ID, Subject: a.Subject, ClientID: a.ClientID, Scopes: a.Scopes,
		Created: a.CreatedAt, Expires: a.ExpiresAt, Actor: a.Actor}
}

func grantItem(g *grantRec) Item {
	return Item{Kind: ItemGrant, ID: g.ID, Subject: g.Subject, ClientID: g.ClientID, Scopes: g.Scopes, Created: g.CreatedAt}
}

// EndSessions ends every browser session of subject: the sessions are
// deleted, access tokens minted in them and refresh tokens bound to them are
// revoked (refresh tokens granted with offline_access survive, as OIDC Core
// section 11 intends), and clients that registered a back-channel logout URI
// receive a logout token per session.
func (p *Provider) EndSessions(ctx context.Context, subject string) (*ControlResult, error) {
	sel := selection{
		sessions: func(s *sessionRec) bool { return s.Subject == subject },
		families: func(f *familyRec, ended map[string]bool) bool {
			return ended[f.SessionID] && !slices.Contains(f.Scopes, oidc.ScopeOfflineAccess)
		},
		access: func(a *accessRec, ended map[string]bool) bool { return ended[a.SessionID] },
		reason: "sessions ended",
	}
	return p.end(ctx, subject, sel)
}

// endSession ends one session (RP-initiated logout).
func (p *Provider) endSession(ctx context.Context, sid string) (*ControlResult, error) {
	sel := selection{
		sessions: func(s *sessionRec) bool { return s.ID == sid },
		families: func(f *familyRec, ended map[string]bool) bool {
			return ended[f.SessionID] && !slices.Contains(f.Scopes, oidc.ScopeOfflineAccess)
		},
		access: func(a *accessRec, ended map[string]bool) bool { return ended[a.SessionID] },
		reason: "logout",
	}
	return p.end(ctx, "", sel)
}

// RevokeGrant deletes one consent and revokes every token its client holds
// for the grant's subject; the client is told by back-channel logout.
func (p *Provider) RevokeGrant(ctx context.Context, id string) (*ControlResult, error) {
	var g grantRec
	err := p.st.s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bktGrants, id, &g) })
	if errors.Is(err, errNotFound) {
		return nil, fmt.Errorf("revoke grant %q: %w", id, ErrUnknownGrant)
	}
	if err != nil {
		return nil, fmt.Errorf("revoke grant %q: %w", id, err)
	}
	sel := selection{
		families: func(f *familyRec, _ map[string]bool) bool { return f.Subject == g.Subject && f.ClientID == g.ClientID },
		access: func(a *accessRec, _ map[string]bool) bool {
			return a.Subject == g.Subject && (a.ClientID == g.ClientID || a.Actor == g.ClientID)
		},
		grants:        func(x *grantRec) bool { return x.ID == id },
		notifySubject: true,
		reason:        "grant revoked",
	}
	return p.end(ctx, g.Subject, sel)
}

// RevokeAll ends everything subject holds: sessions, refresh tokens, access
// tokens (including those an agent obtained for it by token exchange) and
// grants, and sends back-channel logout tokens to every affected client.
func (p *Provider) RevokeAll(ctx context.Context, subject string) (*ControlResult, error) {
	return p.end(ctx, subject, revokeAllSelection(subject))
}

// revokeAllSelection selects everything subject holds.
func revokeAllSelection(subject string) selection {
	return selection{
		sessions:      func(s *sessionRec) bool { return s.Subject == subject },
		families:      func(f *familyRec, _ map[string]bool) bool { return f.Subject == subject },
		access:        func(a *accessRec, _ map[string]bool) bool { return a.Subject == subject },
		grants:        func(g *grantRec) bool { return g.Subject == subject },
		notifySubject: true,
		reason:        "revoke all",
	}
}

// end applies sel in one transaction, notifies clients, and verifies.
func (p *Provider) end(ctx context.Context, subject string, sel selection) (*ControlResult, error) {
	res := &ControlResult{Subject: subject, Ended: []Item{}}
	var targets []logoutTarget
	var refreshHashes = map[string]string{} // family ID -> current hash
	err := p.st.s.db.Update(func(tx *bolt.Tx) error {
		res.Ended, targets = res.Ended[:0], nil
		clear(refreshHashes)
		ended, err := p.endSessionsTx(tx, sel, res, &targets)
		if err != nil {
			return err
		}
		clients, err := endTokensTx(tx, sel, ended, res, refreshHashes)
		if err != nil {
			return err
		}
		if sel.grants != nil {
			if err := endGrantsTx(tx, sel, res, clients); err != nil {
				return err
			}
		}
		if sel.notifySubject && subject != "" {
			targets = p.subjectTargets(tx, subject, clients, targets)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sel.reason, err)
	}
	p.st.audit(auditRec{Event: "control", Subject: subject, Success: true,
		Reason: fmt.Sprintf("%s: ended %d items", sel.reason, len(res.Ended))})
	res.Backchannel = p.sendBackchannel(ctx, targets)
	res.Verification = p.verify(sel, res.Ended, refreshHashes)
	return res, nil
}

func (p *Provider) endSessionsTx(tx *bolt.Tx, sel selection, res *ControlResult, targets *[]logoutTarget) (map[string]bool, error) {
	ended := map[string]bool{}
	if sel.sessions == nil {
		return ended, nil
	}
	var hit []*sessionRec
	err := eachJSON(tx, bktSessions, func(_ string, s *sessionRec) error {
		if sel.sessions(s) {
			hit = append(hit, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range hit {
		if err := tx.Bucket(bktSessions).Delete([]byte(s.ID)); err != nil {
			return nil, err
		}
		ended[s.ID] = true
		if s.live(time.Now()) {
			res.Ended = append(res.Ended, sessionItem(s))
		}
		for _, cid := range s.Clients {
			if c, err := p.st.loadClient(tx, cid); err == nil && c.rec.BackchannelLogoutURI != "" {
				*targets = append(*targets, logoutTarget{clientID: cid, uri: c.rec.BackchannelLogoutURI,
					subject: s.Subject, sid: s.ID})
			}
		}
	}
	return ended, nil
}

// endTokensTx revokes the selected families and access tokens and returns
// the clients that held any.
func endTokensTx(tx *bolt.Tx, sel selection, ended map[string]bool, res *ControlResult, hashes map[string]string) (map[string]bool, error) {
	clients := map[string]bool{}
	now := time.Now()
	if sel.families != nil {
		var fams []*familyRec
		err := eachJSON(tx, bktFamilies, func(_ string, f *familyRec) error {
			if f.live(now) && sel.families(f, ended) {
				fams = append(fams, f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, f := range fams {
			hashes[f.ID] = f.Current
			res.Ended = append(res.Ended, familyItem(f))
			clients[f.ClientID] = true
			if err := revokeFamily(tx, f, sel.reason); err != nil {
				return nil, err
			}
		}
	}
	if sel.access != nil {
		var acc []*accessRec
		err := eachJSON(tx, bktAccess, func(_ string, a *accessRec) error {
			if sel.access(a, ended) && (a.live(now) || a.Revoked) {
				acc = append(acc, a)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, a := range acc {
			if a.live(now) || slices.ContainsFunc(res.Ended, func(it Item) bool { return it.ID == a.FamilyID }) {
				res.Ended = append(res.Ended, accessItem(a))
			}
			clients[a.ClientID] = true
			if !a.Revoked {
				a.Revoked = true
				if err := putJSON(tx, bktAccess, a.ID, a); err != nil {
					return nil, err
				}
			}
		}
	}
	return clients, nil
}

func endGrantsTx(tx *bolt.Tx, sel selection, res *ControlResult, clients map[string]bool) error {
	var hit []*grantRec
	err := eachJSON(tx, bktGrants, func(_ string, g *grantRec) error {
		if sel.grants(g) {
			hit = append(hit, g)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range hit {
		res.Ended = append(res.Ended, grantItem(g))
		clients[g.ClientID] = true
		if err := tx.Bucket(bktGrants).Delete([]byte(g.ID)); err != nil {
			return err
		}
	}
	return nil
}

// subjectTargets adds a sub-only logout token for each affected client that
// registered a back-channel URI and is not already told about a session.
func (p *Provider) subjectTargets(tx *bolt.Tx, subject string, clients map[string]bool, targets []logoutTarget) []logoutTarget {
	ids := make([]string, 0, len(clients))
	for id := range clients {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if slices.ContainsFunc(targets, func(t logoutTarget) bool { return t.clientID == id }) {
			continue
		}
		if c, err := p.st.loadClient(tx, id); err == nil && c.rec.BackchannelLogoutURI != "" {
			targets = append(targets, logoutTarget{clientID: id, uri: c.rec.BackchannelLogoutURI, subject: subject})
		}
	}
	return targets
}

// verify re-reads the store for anything sel still matches and introspects
// every ended token through the same code the introspection endpoint uses.
func (p *Provider) verify(sel selection, ended []Item, hashes map[string]string) Verification {
	v := Verification{Remaining: []Item{}, StillActive: []Item{}}
	endedSessions := map[string]bool{}
	for _, it := range ended {
		if it.Kind == ItemSession {
			endedSessions[it.ID] = true
		}
	}
	err := p.st.s.db.View(func(tx *bolt.Tx) error {
		now := time.Now()
		if sel.sessions != nil {
			err := eachJSON(tx, bktSessions, func(_ string, s *sessionRec) error {
				if s.live(now) && (sel.sessions(s) || endedSessions[s.ID]) {
					v.Remaining = append(v.Remaining, sessionItem(s))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if sel.families != nil {
			err := eachJSON(tx, bktFamilies, func(_ string, f *familyRec) error {
				if f.live(now) && sel.families(f, endedSessions) {
					v.Remaining = append(v.Remaining, familyItem(f))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if sel.access != nil {
			err := eachJSON(tx, bktAccess, func(_ string, a *accessRec) error {
				if a.live(now) && sel.access(a, endedSessions) {
					v.Remaining = append(v.Remaining, accessItem(a))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if sel.grants != nil {
			return eachJSON(tx, bktGrants, func(_ string, g *grantRec) error {
				if sel.grants(g) {
					v.Remaining = append(v.Remaining, grantItem(g))
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		v.Error = fmt.Sprintf("%s: verify: %v", sel.reason, err)
		p.log.Error("verify control call", "reason", sel.reason, "err", err)
	}
	for _, it := range ended {
		var active bool
		switch it.Kind {
		case ItemAccessToken:
			active = p.st.introspectAccess(it.ID, it.Subject).Active
		case ItemRefreshFamily:
			active = p.st.introspectRefresh(hashes[it.ID]).Active
		default:
			continue
		}
		v.Introspected++
		if active {
			v.StillActive = append(v.StillActive, it)
		}
	}
	v.OK = err == nil && len(v.Remaining) == 0 && len(v.StillActive) == 0
	return v
}

// SetUserStatus changes an identity's status (active, suspended,
// offboarded). A status other than active takes effect at once: the user
// can no longer log in, refresh or exchange, and introspection and userinfo
// report its tokens inactive. It does not delete anything; call RevokeAll
// for that.
func (p *Provider) SetUserStatus(_ context.Context, subject, status string) error {
	switch status {
	case StatusActive, StatusSuspended, StatusOffboarded:
	default:
		return fmt.Errorf("set status of %q: unknown status %q", subject, status)
	}
	err := p.st.s.db.Update(func(tx *bolt.Tx) error {
		u, err := user(tx, subject)
		if err != nil {
			return err
		}
		u.Status, u.UpdatedAt = status, time.Now().UTC()
		return putJSON(tx, bktUsers, subject, u)
	})
	if err != nil {
		return fmt.Errorf("set status of %q: %w", subject, err)
	}
	p.st.audit(auditRec{Event: "status", Subject: subject, Success: true, Reason: status})
	return nil
}
