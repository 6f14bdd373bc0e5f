package idp

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest"
	bolt "go.etcd.io/bbolt"
)

// Graph node ID helpers: every ID is qualified by the provider's source.
func (p *Provider) identityID(sub string) string { return p.source + ":identity:" + sub }
func (p *Provider) accountID(sub string) string  { return p.source + ":user:" + sub }
func (p *Provider) clientNodeID(id string) string {
	return p.source + ":client:" + id
}

// Source is the graph source name of the provider: "idp:<issuer host>".
func (p *Provider) Source() string { return p.source }

// GraphBatch exports the provider's live state for the access graph:
//   - each user is an identity (subkind human, service or agent) with an
//     "idp-user" account (identity -HAS_ACCOUNT-> account);
//   - each live session is an "idp-session" credential and each live refresh
//     token family an "idp-refresh-token" credential: account -OWNS->
//     credential and credential -AUTHENTICATES-> account;
//   - each client is an "oidc-client" application; each consent is a grant:
//     application -DELEGATES-> grant -ON_BEHALF_OF-> account (the consent
//     names whose it is without passing the account's power on) and
//     account -OWNS-> grant, scopes in Props and on the edges' Actions;
//   - a client using client credentials is also a service (or agent)
//     identity: identity -HAS_ACCOUNT-> application.
//
// Revoked, expired and ended items are left out, so after RevokeAll the
// identity has no credential or grant. A record that cannot be read fails
// the whole export: a partial batch would make SyncGraph sweep whatever
// followed the bad record out of the graph.
func (p *Provider) GraphBatch() (*graph.Batch, error) {
	b := graph.NewBatch(p.source)
	now := time.Now()
	err := p.st.s.db.View(func(tx *bolt.Tx) error {
		err := eachJSON(tx, bktUsers, func(_ string, u *userRec) error {
			p.addUser(b, u)
			return nil
		})
		if err != nil {
			return err
		}
		err = eachJSON(tx, bktClients, func(_ string, c *clientRec) error {
			p.addClient(b, c)
			return nil
		})
		if err != nil {
			return err
		}
		err = eachJSON(tx, bktSessions, func(_ string, s *sessionRec) error {
			if s.live(now) && hasNode(b, p.accountID(s.Subject)) {
				p.addCredential(b, "session:"+s.ID, "idp-session", s.Subject, map[string]string{
					"sid": s.ID, "authTime": s.AuthTime.Format(time.RFC3339), "expiresAt": s.ExpiresAt.Format(time.RFC3339),
					"clients": strings.Join(s.Clients, " "),
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = eachJSON(tx, bktFamilies, func(_ string, f *familyRec) error {
			if f.live(now) && hasNode(b, p.accountID(f.Subject)) {
				props := map[string]string{"clientId": f.ClientID, "scopes": strings.Join(f.Scopes, " "),
					"expiresAt": f.ExpiresAt.Format(time.RFC3339), "rotations": strconv.Itoa(f.Rotations)}
				if f.Actor != "" {
					props["actor"] = f.Actor
				}
				p.addCredential(b, "refresh:"+f.ID, "idp-refresh-token", f.Subject, props)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return eachJSON(tx, bktGrants, func(_ string, g *grantRec) error {
			p.addGrant(b, g)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("export idp graph: %w", err)
	}
	return b, nil
}

func hasNode(b *graph.Batch, id string) bool { _, ok := b.Node(id); return ok }

func (p *Provider) addUser(b *graph.Batch, u *userRec) {
	kind := u.Kind
	if kind == "" {
		kind = "human"
	}
	b.AddNode(graph.Node{ID: p.identityID(u.Subject), Kind: graph.KindIdentity, Subkind: kind, Name: nameOr(u.Name, u.Username),
		Props: map[string]string{"status": u.Status, "email": u.Email}})
	b.AddNode(graph.Node{ID: p.accountID(u.Subject), Kind: graph.KindAccount, Subkind: "idp-user", Name: u.Username,
		Props: map[string]string{"subject": u.Subject, "status": u.Status, "issuer": p.issuer}})
	b.AddEdge(graph.Edge{From: p.identityID(u.Subject), To: p.accountID(u.Subject), Kind: graph.EdgeHasAccount})
}

func (p *Provider) addClient(b *graph.Batch, c *clientRec) {
	props := map[string]string{"clientId": c.ID, "public": boolStr(c.Public),
		"grantTypes": strings.Join(c.GrantTypes, " "), "redirectURIs": strings.Join(c.RedirectURIs, " ")}
	b.AddNode(graph.Node{ID: p.clientNodeID(c.ID), Kind: graph.KindApplication, Subkind: "oidc-client",
		Name: nameOr(c.Name, c.ID), Props: props})
	for _, g := range c.GrantTypes {
		if g != GrantClientCredentials {
			continue
		}
		sub := c.Subkind
		if sub == "" {
			sub = "service"
		}
		id := p.identityID("client:" + c.ID)
		b.AddNode(graph.Node{ID: id, Kind: graph.KindIdentity, Subkind: sub, Name: nameOr(c.Name, c.ID)})
		b.AddEdge(graph.Edge{From: id, To: p.clientNodeID(c.ID), Kind: graph.EdgeHasAccount})
	}
}

func (p *Provider) addCredential(b *graph.Batch, key, subkind, subject string, props map[string]string) {
	id := p.source + ":" + key
	b.AddNode(graph.Node{ID: id, Kind: graph.KindCredential, Subkind: subkind, Name: subkind + " " + shortID(key), Props: props})
	b.AddEdge(graph.Edge{From: p.accountID(subject), To: id, Kind: graph.EdgeOwns})
	b.AddEdge(graph.Edge{From: id, To: p.accountID(subject), Kind: graph.EdgeAuthenticates})
}

func (p *Provider) addGrant(b *graph.Batch, g *grantRec) {
	if !hasNode(b, p.accountID(g.Subject)) || !hasNode(b, p.clientNodeID(g.ClientID)) {
		return
	}
	id := p.source + ":" + g.ID
	scopes := strings.Join(g.Scopes, " ")
	b.AddNode(graph.Node{ID: id, Kind: graph.KindGrant, Subkind: "oidc-consent", Name: g.ClientID + " for " + g.Subject,
		Props: map[string]string{"subject": g.Subject, "clientId": g.ClientID, "scopes": scopes,
			"grantedAt": g.CreatedAt.Format(time.RFC3339), "updatedAt": g.UpdatedAt.Format(time.RFC3339)}})
	b.AddEdge(graph.Edge{From: p.clientNodeID(g.ClientID), To: id, Kind: graph.EdgeDelegates, Actions: g.Scopes,
		Props: map[string]string{"scopes": scopes}})
	// The consent lets the client act for the user within its scopes only:
	// ON_BEHALF_OF records whose it is without passing the user's power on.
	b.AddEdge(graph.Edge{From: id, To: p.accountID(g.Subject), Kind: graph.EdgeOnBehalfOf, Actions: g.Scopes,
		Props: map[string]string{"scopes": scopes}})
	b.AddEdge(graph.Edge{From: p.accountID(g.Subject), To: id, Kind: graph.EdgeOwns})
}

func sourceFor(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return "idp:" + issuer
	}
	return "idp:" + u.Host
}

func nameOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func boolStr(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

func shortID(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		key = key[i+1:]
	}
	if len(key) > 8 {
		key = key[:8]
	}
	return key
}

// SyncGraph writes GraphBatch to st as one sync run of the provider's
// source, so what the provider no longer holds (ended sessions, revoked
// tokens and grants) is swept from the graph. When the provider's state
// cannot be read in full nothing is written: the graph keeps its previous
// state rather than losing what a partial read missed.
func (p *Provider) SyncGraph(ctx context.Context, st graph.Store) (*graph.SyncRun, error) {
	b, err := p.GraphBatch()
	if err != nil {
		return nil, fmt.Errorf("sync idp graph: %w", err)
	}
	run, err := ingest.Write(ctx, st, b, ingest.WriteOptions{Logger: p.log})
	if err != nil {
		return run, fmt.Errorf("sync idp graph: %w", err)
	}
	return run, nil
}
