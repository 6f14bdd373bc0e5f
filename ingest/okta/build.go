package okta

import (
	"fmt"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// rolePrivileges is the tier each standard admin role grants on the org
// (Okta's "Standard roles" table): the roles that can create or reset
// credentials of other users, assign apps or roles, or manage
// authorization servers are admin; report and read-only roles read.
var rolePrivileges = map[string]graph.Privilege{
	"SUPER_ADMIN":                 graph.PrivAdmin,
	"ORG_ADMIN":                   graph.PrivAdmin,
	"APP_ADMIN":                   graph.PrivAdmin,
	"USER_ADMIN":                  graph.PrivAdmin,
	"HELP_DESK_ADMIN":             graph.PrivAdmin,
	"GROUP_MEMBERSHIP_ADMIN":      graph.PrivAdmin,
	"API_ACCESS_MANAGEMENT_ADMIN": graph.PrivAdmin,
	"MOBILE_ADMIN":                graph.PrivWrite,
	"ACCESS_CERTIFICATIONS_ADMIN": graph.PrivWrite,
	"ACCESS_REQUESTS_ADMIN":       graph.PrivWrite,
	"READ_ONLY_ADMIN":             graph.PrivRead,
	"REPORT_ADMIN":                graph.PrivRead,
}

// scopePrivilege is the tier of an OAuth scope: Okta management scopes
// ending in ".manage" are admin for users, groups, apps, roles, factors,
// authorization servers and API tokens, write otherwise; ".read" and the
// OpenID Connect scopes are read; other custom scopes are write.
func scopePrivilege(s string) graph.Privilege {
	switch {
	case s == "openid" || s == "profile" || s == "email" || s == "address" || s == "phone" ||
		s == "offline_access" || strings.HasSuffix(s, ".read"):
		return graph.PrivRead
	case strings.HasPrefix(s, "okta.") && strings.HasSuffix(s, ".manage"):
		for _, p := range []string{"okta.users.", "okta.groups.", "okta.apps.", "okta.roles.",
			"okta.factors.", "okta.authorizationServers.", "okta.apiTokens.", "okta.clients.", "okta.policies."} {
			if strings.HasPrefix(s, p) {
				return graph.PrivAdmin
			}
		}
	}
	return graph.PrivWrite
}

type builder struct {
	b *graph.Batch
	d *data
	p string
}

func build(src string, d *data) (*graph.Batch, error) {
	bd := &builder{b: graph.NewBatch(src), d: d, p: src + ":"}
	bd.b.AddNode(graph.Node{ID: bd.orgID(), Kind: graph.KindResource, Subkind: "okta-org",
		Name: strings.TrimPrefix(src, "okta:"), Sensitivity: graph.SensCritical})
	for _, id := range sortedKeys(d.users) {
		bd.user(d.users[id])
	}
	for _, id := range sortedKeys(d.groups) {
		g := d.groups[id]
		props := map[string]string{"group_type": g.Type}
		setProp(props, "description", g.Profile.Description)
		setProp(props, "created", g.Created)
		bd.b.AddNode(graph.Node{ID: bd.groupID(id), Kind: graph.KindGroup, Subkind: "okta-group",
			Name: g.Profile.Name, Props: props})
	}
	for _, id := range sortedKeys(d.apps) {
		bd.app(d.apps[id])
	}
	for _, m := range d.members {
		bd.b.AddEdge(graph.Edge{From: bd.ensureUser(m.user), To: bd.ensureGroup(m.group), Kind: graph.EdgeMemberOf,
			Via: []string{"groups/" + m.group + "/users"}})
	}
	bd.assignments()
	bd.roles()
	bd.grants()
	bd.tokens()
	if err := bd.b.Validate(); err != nil {
		return nil, fmt.Errorf("okta: %w", err)
	}
	return bd.b, nil
}

func (bd *builder) orgID() string            { return bd.p + "org" }
func (bd *builder) userID(id string) string  { return bd.p + "user:" + id }
func (bd *builder) groupID(id string) string { return bd.p + "group:" + id }
func (bd *builder) appID(id string) string   { return bd.p + "app:" + id }

func setProp(props map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		props[k] = v
	}
}

func (bd *builder) user(u user) {
	props := map[string]string{graph.PropStatus: userStatuses[u.Status], "okta_status": u.Status}
	setProp(props, graph.PropEmail, strings.ToLower(u.Profile.Email))
	setProp(props, graph.PropEmployeeID, u.Profile.EmployeeNumber)
	setProp(props, "login", strings.ToLower(u.Profile.Login))
	name := strings.TrimSpace(u.Profile.FirstName + " " + u.Profile.LastName)
	setProp(props, graph.PropDisplayName, firstNonEmpty(u.Profile.DisplayName, name))
	setProp(props, "created", u.Created)
	setProp(props, "activated", u.Activated)
	setProp(props, "status_changed", u.StatusChanged)
	setProp(props, "last_login", u.LastLogin)
	setProp(props, "user_type", u.Profile.UserType)
	bd.b.AddNode(graph.Node{ID: bd.userID(u.ID), Kind: graph.KindAccount, Subkind: "okta-user",
		Name: firstNonEmpty(u.Profile.Login, name, u.ID), Props: props})
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// stub adds a node the input references but does not describe.
func (bd *builder) stub(id string, kind graph.Kind, subkind, name string) string {
	if _, ok := bd.b.Node(id); !ok {
		bd.b.AddNode(graph.Node{ID: id, Kind: kind, Subkind: subkind, Name: name,
			Props: map[string]string{graph.PropStub: "true"}})
	}
	return id
}

func (bd *builder) ensureUser(id string) string {
	return bd.stub(bd.userID(id), graph.KindAccount, "okta-user", id)
}

func (bd *builder) ensureGroup(id string) string {
	return bd.stub(bd.groupID(id), graph.KindGroup, "okta-group", id)
}

// app adds an application (the OAuth client or SSO integration, which can
// act) and the resource standing for access to it.
func (bd *builder) app(a app) {
	props := map[string]string{"app_name": a.Name, "okta_status": a.Status}
	setProp(props, "sign_on_mode", a.SignOnMode)
	setProp(props, "created", a.Created)
	bd.b.AddNode(graph.Node{ID: bd.appID(a.ID), Kind: graph.KindApplication, Subkind: "okta-app",
		Name: firstNonEmpty(a.Label, a.Name, a.ID), Props: props})
	bd.appResource(a.ID)
}

// appResource adds the resource "access to app id" and returns its ID. The
// Okta Admin Console ("saasure") is critical, other apps medium.
func (bd *builder) appResource(id string) string {
	rid := bd.p + "appaccess:" + id
	if _, ok := bd.b.Node(rid); ok {
		return rid
	}
	a, known := bd.d.apps[id]
	sens := graph.SensMedium
	if a.Name == "saasure" {
		sens = graph.SensCritical
	}
	props := map[string]string{"app_id": id}
	if !known {
		props[graph.PropStub] = "true"
	}
	bd.b.AddNode(graph.Node{ID: rid, Kind: graph.KindResource, Subkind: "okta-app-access",
		Name: firstNonEmpty(a.Label, a.Name, id), Sensitivity: sens, Props: props})
	return rid
}

// assignments adds group -ACCESS-> app for group assignments and user
// -ACCESS-> app for direct ones. A user whose assignment has scope GROUP
// reaches the app through a group already; the direct edge is added only
// when none of the user's known groups is assigned to the app.
func (bd *builder) assignments() {
	groupsOf := map[string][]string{}
	for _, m := range bd.d.members {
		groupsOf[m.user] = append(groupsOf[m.user], m.group)
	}
	assigned := map[string]bool{}
	for _, a := range bd.d.appGroups {
		assigned[a.app+"|"+a.principal] = true
		bd.b.AddEdge(graph.Edge{From: bd.ensureGroup(a.principal), To: bd.appResource(a.app), Kind: graph.EdgeAccess,
			Privilege: graph.PrivRead, Actions: []string{"assigned"}, Via: []string{"apps/" + a.app + "/groups"}})
	}
	for _, a := range bd.d.appUsers {
		if a.scope == "GROUP" {
			covered := false
			for _, g := range groupsOf[a.principal] {
				covered = covered || assigned[a.app+"|"+g]
			}
			if covered {
				continue
			}
		}
		bd.b.AddEdge(graph.Edge{From: bd.ensureUser(a.principal), To: bd.appResource(a.app), Kind: graph.EdgeAccess,
			Privilege: graph.PrivRead, Actions: []string{"assigned"},
			Via: []string{"apps/" + a.app + "/users"}, Props: map[string]string{"scope": a.scope}})
	}
}

// roles adds principal -HAS_ROLE-> role -ACCESS-> org.
func (bd *builder) roles() {
	for _, h := range bd.d.roles {
		r := h.role
		key, name := r.Type, firstNonEmpty(r.Label, r.Type)
		if r.Type == "CUSTOM" {
			key = "custom:" + r.Role
		}
		rid := bd.p + "role:" + key
		if _, ok := bd.b.Node(rid); !ok {
			props := map[string]string{"role_type": r.Type}
			setProp(props, "custom_role_id", r.Role)
			setProp(props, "resource_set", r.ResourceSet)
			bd.b.AddNode(graph.Node{ID: rid, Kind: graph.KindRole, Subkind: "okta-admin-role", Name: name, Props: props})
			priv, ok := rolePrivileges[r.Type]
			if !ok {
				priv = graph.PrivWrite // custom roles: their permissions are not read
			}
			bd.b.AddEdge(graph.Edge{From: rid, To: bd.orgID(), Kind: graph.EdgeAccess, Privilege: priv,
				Actions: []string{r.Type}, Via: []string{"role/" + name}})
		}
		var from, via string
		if h.group {
			from, via = bd.ensureGroup(h.principal), "groups/"+h.principal+"/roles/"+r.ID
		} else {
			from, via = bd.ensureUser(h.principal), "users/"+h.principal+"/roles/"+r.ID
		}
		bd.b.AddEdge(graph.Edge{From: from, To: rid, Kind: graph.EdgeHasRole, Via: []string{via}})
	}
}

// grants adds one grant node per (user, client) holding the scopes of the
// user's active consents to that client.
func (bd *builder) grants() {
	type key struct{ user, client string }
	byKey := map[key][]grant{}
	for _, id := range sortedKeys(bd.d.grants) {
		g := bd.d.grants[id]
		if g.Status != "" && g.Status != "ACTIVE" {
			continue // revoked consents give nothing
		}
		k := key{g.UserID, g.ClientID}
		byKey[k] = append(byKey[k], g)
	}
	keys := make([]key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].user+"|"+keys[i].client < keys[j].user+"|"+keys[j].client
	})
	for _, k := range keys {
		gs := byKey[k]
		var scopes, ids, issuers []string
		for _, g := range gs {
			scopes = append(scopes, g.scopeName())
			ids = append(ids, "grants/"+g.ID)
			issuers = append(issuers, g.Issuer)
		}
		scopes, issuers = uniq(scopes), uniq(issuers)
		u := bd.ensureUser(k.user)
		client := bd.appID(k.client)
		if _, ok := bd.b.Node(client); !ok {
			title := k.client
			if l := gs[0].Links; l != nil && l.Client != nil && l.Client.Title != "" {
				title = l.Client.Title
			}
			bd.stub(client, graph.KindApplication, "okta-app", title)
		}
		gid := bd.p + "grant:" + k.user + ":" + k.client
		props := map[string]string{"scopes": strings.Join(scopes, " "), "client_id": k.client, "user_id": k.user,
			"issuer": strings.Join(issuers, " "), "created": gs[0].Created}
		cn, _ := bd.b.Node(client)
		un, _ := bd.b.Node(u)
		bd.b.AddNode(graph.Node{ID: gid, Kind: graph.KindGrant, Subkind: "okta-oauth-grant",
			Name: cn.Name + " for " + un.Name, Props: props})
		bd.b.AddEdge(graph.Edge{From: client, To: gid, Kind: graph.EdgeDelegates, Actions: scopes, Via: ids})
		bd.b.AddEdge(graph.Edge{From: gid, To: u, Kind: graph.EdgeOnBehalfOf, Actions: scopes, Via: ids})
		bd.b.AddEdge(graph.Edge{From: u, To: gid, Kind: graph.EdgeOwns, Via: ids})
		// Okta management scopes reach the org's API; custom authorization
		// server scopes reach that server's resource.
		for _, s := range scopes {
			target := bd.orgID()
			if !strings.HasPrefix(s, "okta.") {
				target = bd.authServer(issuers)
			}
			bd.b.AddEdge(graph.Edge{From: gid, To: target, Kind: graph.EdgeAccess, Privilege: scopePrivilege(s),
				Actions: []string{s}, Via: ids})
		}
	}
}

// authServer adds the resource of a custom authorization server's APIs.
func (bd *builder) authServer(issuers []string) string {
	iss := strings.Join(issuers, " ")
	id := bd.p + "authserver:" + iss
	if _, ok := bd.b.Node(id); !ok {
		bd.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: "okta-authorization-server",
			Name: firstNonEmpty(iss, "authorization server"), Sensitivity: graph.SensMedium,
			Props: map[string]string{"issuer": iss}})
	}
	return id
}

func uniq(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if v != "" && (i == 0 || v != s[i-1]) {
			out = append(out, v)
		}
	}
	return out
}

// tokens adds API tokens: credential -AUTHENTICATES-> the user it acts as
// (an Okta API token carries its creator's admin permissions), user -OWNS-> it.
func (bd *builder) tokens() {
	for _, id := range sortedKeys(bd.d.tokens) {
		t := bd.d.tokens[id]
		props := map[string]string{}
		setProp(props, "created", t.Created)
		setProp(props, "last_updated", t.LastUpdated)
		setProp(props, "expires", t.ExpiresAt)
		setProp(props, "client_name", t.ClientName)
		setProp(props, "token_window", t.TokenWindow)
		cid := bd.p + "token:" + t.ID
		bd.b.AddNode(graph.Node{ID: cid, Kind: graph.KindCredential, Subkind: "okta-api-token",
			Name: firstNonEmpty(t.Name, t.ID), Props: props})
		u := bd.ensureUser(t.UserID)
		bd.b.AddEdge(graph.Edge{From: cid, To: u, Kind: graph.EdgeAuthenticates, Via: []string{"api-tokens/" + t.ID}})
		bd.b.AddEdge(graph.Edge{From: u, To: cid, Kind: graph.EdgeOwns, Via: []string{"api-tokens/" + t.ID}})
	}
}
