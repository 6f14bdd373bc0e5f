package entra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// Directory object types as Graph names them in @odata.type, without the
// "#microsoft.graph." prefix.
const (
	typeUser  = "user"
	typeGroup = "group"
	typeSP    = "servicePrincipal"
	typeApp   = "application"
	typeRole  = "directoryRole"
)

// ref is a directory object named in a list (members, owners, memberOf):
// its id, its type if known, and the object as listed (Graph returns the
// member's own properties, so a listed member is real data, not a stub,
// when it carries more than its id).
type ref struct {
	obj  object
	typ  string
	full bool
}

// membership says member is a member of group (directly, or transitively
// when it came from /transitiveMembers).
type membership struct {
	group      string
	member     ref
	transitive bool
	via        string
}

// ownership says owner owns the target object (a group, service principal
// or application) of type typ.
type ownership struct {
	target, typ string
	owner       ref
}

// roleMember says member holds the directory role with object id role.
type roleMember struct {
	role   string
	member ref
}

// data is everything read from an export or the live API, before mapping.
type data struct {
	objects     map[string]*object // by id: users, groups, service principals, applications, directory roles
	types       map[string]string  // id -> type
	typeRank    map[string]int     // how sure types[id] is
	members     []membership
	owners      []ownership
	roleMembers []roleMember
	roleAssigns map[string]roleAssignment
	roleDefs    map[string]roleDefinition
	assigns     map[string]appRoleAssignment
	grants      map[string]permissionGrant
	report      *Report
}

func newData() *data {
	return &data{
		objects: map[string]*object{}, types: map[string]string{}, typeRank: map[string]int{},
		roleAssigns: map[string]roleAssignment{}, roleDefs: map[string]roleDefinition{},
		assigns: map[string]appRoleAssignment{}, grants: map[string]permissionGrant{},
		report: &Report{},
	}
}

// Ranks of type knowledge: an object read from its own collection beats a
// typed reference, which beats a type guessed from the list it appears in.
const (
	rankGuess = 1
	rankTyped = 2
	rankOwn   = 3
)

// setType records that id is of type typ with confidence rank. A
// contradiction at the same rank is reported; the first answer stays.
func (d *data) setType(id, typ string, rank int) {
	old, ok := d.types[id]
	switch {
	case !ok || rank > d.typeRank[id]:
		d.types[id], d.typeRank[id] = typ, rank
	case old != typ && rank == d.typeRank[id]:
		d.report.Conflicts = append(d.report.Conflicts,
			fmt.Sprintf("object %s is listed as a %s and as a %s: kept %s", id, old, typ, old))
	}
}

// addObject records a directory object read from its own collection (own)
// or listed somewhere else.
func (d *data) addObject(o object, typ string, rank int) {
	d.setType(o.ID, typ, rank)
	if old, ok := d.objects[o.ID]; ok {
		mergeObject(old, &o)
		return
	}
	c := o
	d.objects[o.ID] = &c
}

// mergeObject fills the empty fields of dst from src.
func mergeObject(dst, src *object) {
	fill := func(d *string, s string) {
		if *d == "" {
			*d = s
		}
	}
	fill(&dst.DisplayName, src.DisplayName)
	fill(&dst.Description, src.Description)
	fill(&dst.Mail, src.Mail)
	fill(&dst.CreatedAt, src.CreatedAt)
	fill(&dst.DeletedAt, src.DeletedAt)
	fill(&dst.UserPrincipalName, src.UserPrincipalName)
	fill(&dst.EmployeeID, src.EmployeeID)
	fill(&dst.UserType, src.UserType)
	fill(&dst.MembershipRule, src.MembershipRule)
	fill(&dst.AppID, src.AppID)
	fill(&dst.ServicePrincipalType, src.ServicePrincipalType)
	fill(&dst.AppOwnerOrganizationID, src.AppOwnerOrganizationID)
	fill(&dst.SignInAudience, src.SignInAudience)
	fill(&dst.PublisherDomain, src.PublisherDomain)
	fill(&dst.RoleTemplateID, src.RoleTemplateID)
	if dst.AccountEnabled == nil {
		dst.AccountEnabled = src.AccountEnabled
	}
	if dst.SignInActivity == nil {
		dst.SignInActivity = src.SignInActivity
	}
	if dst.SecurityEnabled == nil {
		dst.SecurityEnabled = src.SecurityEnabled
	}
	if dst.MailEnabled == nil {
		dst.MailEnabled = src.MailEnabled
	}
	if dst.IsAssignableToRole == nil {
		dst.IsAssignableToRole = src.IsAssignableToRole
	}
	if dst.GroupTypes == nil {
		dst.GroupTypes = src.GroupTypes
	}
	if len(dst.AppRoles) == 0 {
		dst.AppRoles = src.AppRoles
	}
	if len(dst.PasswordCredentials) == 0 {
		dst.PasswordCredentials = src.PasswordCredentials
	}
	if len(dst.KeyCredentials) == 0 {
		dst.KeyCredentials = src.KeyCredentials
	}
}

// route is what an API path holds.
type route struct {
	kind   string // see the route kinds below
	parent string // the object id in the path, for sub-collections
	ptype  string // the parent's type
	cast   string // a type-cast segment (microsoft.graph.user) narrows the members
}

// Route kinds.
const (
	rUsers          = "users"
	rGroups         = "groups"
	rSPs            = "servicePrincipals"
	rApps           = "applications"
	rRoles          = "directoryRoles"
	rMembers        = "members"
	rTransitive     = "transitiveMembers"
	rOwners         = "owners"
	rMemberOf       = "memberOf"
	rRoleMembers    = "roleMembers"
	rRoleAssigns    = "roleAssignments"
	rRoleDefs       = "roleDefinitions"
	rAppRoleAssigns = "appRoleAssignments"
	rGrants         = "oauth2PermissionGrants"
)

// apiPath turns a URL or path into its segments under the v1.0 root, without
// the query: "https://graph.microsoft.com/v1.0/groups/x/members?$top=5" and
// "groups/x/members" both give [groups x members].
func apiPath(raw string) []string {
	p := raw
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		p = u.Path
	} else if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.Trim(p, "/")
	for _, pre := range []string{"v1.0/", "beta/"} {
		p = strings.TrimPrefix(p, pre)
	}
	p = strings.TrimSuffix(p, ".json")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match finds the route of an API path, or ok false if the connector does
// not read that path.
func match(segs []string) (route, bool) {
	n := len(segs)
	if n == 0 {
		return route{}, false
	}
	low := make([]string, n)
	for i, s := range segs {
		low[i] = strings.ToLower(s)
	}
	// A trailing type cast narrows a directoryObject list.
	cast := ""
	if strings.HasPrefix(low[n-1], "microsoft.graph.") && n > 1 {
		cast = segs[n-1][len("microsoft.graph."):]
		segs, low, n = segs[:n-1], low[:n-1], n-1
	}
	top := map[string]string{"users": rUsers, "groups": rGroups, "serviceprincipals": rSPs,
		"applications": rApps, "directoryroles": rRoles}
	ptypes := map[string]string{"users": typeUser, "groups": typeGroup, "serviceprincipals": typeSP,
		"applications": typeApp}
	// Assignments and grants describe themselves (principal, resource,
	// client), so any parent works: /me, /servicePrincipals(appId='…').
	if low[n-1] == "approleassignedto" || low[n-1] == "approleassignments" ||
		(n > 1 && (low[n-2] == "approleassignedto" || low[n-2] == "approleassignments")) {
		return route{kind: rAppRoleAssigns}, true
	}
	if low[0] == "oauth2permissiongrants" && n <= 2 ||
		n == 3 && low[2] == "oauth2permissiongrants" && (low[0] == "users" || low[0] == "serviceprincipals") {
		return route{kind: rGrants}, true
	}
	if n >= 3 && low[0] == "rolemanagement" && low[1] == "directory" && n <= 4 {
		switch low[2] {
		case "roleassignments":
			return route{kind: rRoleAssigns}, true
		case "roledefinitions":
			return route{kind: rRoleDefs}, true
		}
		return route{}, false
	}
	if n == 2 && (strings.HasPrefix(low[1], "$") || low[1] == "delta") {
		return route{}, false // $count, delta queries
	}
	if k, ok := top[low[0]]; ok && n <= 2 && cast == "" {
		return route{kind: k}, true
	}
	if n != 3 {
		return route{}, false
	}
	if low[0] == "directoryroles" && low[2] == "members" {
		return route{kind: rRoleMembers, parent: segs[1], ptype: typeRole, cast: cast}, true
	}
	pt, ok := ptypes[low[0]]
	if !ok {
		return route{}, false
	}
	r := route{parent: segs[1], ptype: pt, cast: cast}
	switch {
	case low[2] == "members" && pt == typeGroup:
		r.kind = rMembers
	case low[2] == "transitivemembers" && pt == typeGroup:
		r.kind = rTransitive
	case low[2] == "owners" && pt != typeUser:
		r.kind = rOwners
	case (low[2] == "memberof" || low[2] == "transitivememberof") && (pt == typeGroup || pt == typeUser || pt == typeSP):
		r.kind = rMemberOf
	default:
		return route{}, false
	}
	return r, true
}

// unknownParent reports whether a path's parent id is a placeholder.
func unknownParent(id string) bool {
	return id == "" || strings.ContainsAny(id, "*{}")
}

// items splits a response body into its entities: a collection
// ({"value":[…]}), a single entity, a single entity wrapped as
// {"value":{…}}, or (in exports) a bare JSON array.
func items(raw []byte) ([]json.RawMessage, error) {
	// Decode raw itself, not the trimmed body: error positions then count
	// from the file's or response's first byte.
	body := bytes.TrimSpace(raw)
	if len(body) == 0 {
		return nil, fmt.Errorf("empty body: expected a Graph JSON response")
	}
	if body[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, jsonerr.Explain(raw, err)
		}
		return arr, nil
	}
	if body[0] != '{' {
		return nil, fmt.Errorf("expected a JSON object or array, got %q", snippet(body))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, jsonerr.Explain(raw, err)
	}
	v, ok := top["value"]
	if !ok {
		return []json.RawMessage{body}, nil
	}
	v = bytes.TrimSpace(v)
	switch {
	case len(v) > 0 && v[0] == '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(v, &arr); err != nil {
			return nil, jsonerr.Element("value", err)
		}
		return arr, nil
	case len(v) > 0 && v[0] == '{':
		return []json.RawMessage{v}, nil
	}
	return nil, fmt.Errorf("value: expected an array of entities, got %q", snippet(v))
}

func snippet(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

// odataType returns the type of an @odata.type value such as
// "#microsoft.graph.user" ("user").
func odataType(t string) string {
	t = strings.TrimPrefix(t, "#")
	t = strings.TrimPrefix(t, "microsoft.graph.")
	return t
}

// ingest decodes body, read from where, as the content of the API path
// segs, into d. It returns ok false when the path is not one the connector
// reads. Elements are checked one by one; the first problem is returned.
func (d *data) ingest(where string, segs []string, body []byte) (bool, error) {
	r, ok := match(segs)
	if !ok {
		return false, nil
	}
	if r.parent != "" && unknownParent(r.parent) {
		return true, fmt.Errorf("%s: the path /%s does not name the parent object's id",
			where, strings.Join(segs, "/"))
	}
	list, err := items(body)
	if err != nil {
		return true, fmt.Errorf("%s: %w", where, err)
	}
	for i, raw := range list {
		el := fmt.Sprintf("%s: value[%d]", where, i)
		if err := d.element(r, el, raw); err != nil {
			return true, err
		}
	}
	return true, nil
}

func decode(el string, raw json.RawMessage, v any) error {
	return jsonerr.Element(el, json.Unmarshal(raw, v))
}

func need(el, field, v, what string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s.%s: missing: expected %s", el, field, what)
	}
	return nil
}

// element decodes one entity of a route.
func (d *data) element(r route, el string, raw json.RawMessage) error {
	switch r.kind {
	case rUsers, rGroups, rSPs, rApps, rRoles:
		var o object
		if err := decode(el, raw, &o); err != nil {
			return err
		}
		if err := need(el, "id", o.ID, "the object's id (a GUID)"); err != nil {
			return err
		}
		typ := map[string]string{rUsers: typeUser, rGroups: typeGroup, rSPs: typeSP,
			rApps: typeApp, rRoles: typeRole}[r.kind]
		d.addObject(o, typ, rankOwn)
	case rMembers, rTransitive, rOwners, rMemberOf, rRoleMembers:
		var o object
		if err := decode(el, raw, &o); err != nil {
			return err
		}
		if err := need(el, "id", o.ID, "the listed object's id (a GUID)"); err != nil {
			return err
		}
		rf := d.listed(o, r.cast)
		switch r.kind {
		case rMembers, rTransitive:
			d.members = append(d.members, membership{group: r.parent, member: rf,
				transitive: r.kind == rTransitive, via: "groups/" + r.parent + "/" + r.kind})
			d.setType(r.parent, typeGroup, rankGuess)
		case rOwners:
			d.owners = append(d.owners, ownership{target: r.parent, typ: r.ptype, owner: rf})
			d.setType(r.parent, r.ptype, rankGuess)
		case rRoleMembers:
			d.roleMembers = append(d.roleMembers, roleMember{role: r.parent, member: rf})
			d.setType(r.parent, typeRole, rankGuess)
		case rMemberOf:
			// The listed object is a group or directory role holding the parent.
			if rf.typ == "" {
				rf.typ = typeGroup
				d.setType(o.ID, typeGroup, rankGuess)
			}
			self := ref{obj: object{ID: r.parent}, typ: r.ptype}
			d.setType(r.parent, r.ptype, rankGuess)
			if rf.typ == typeRole {
				d.roleMembers = append(d.roleMembers, roleMember{role: o.ID, member: self})
			} else {
				d.members = append(d.members, membership{group: o.ID, member: self,
					via: r.ptype + "s/" + r.parent + "/memberOf"})
			}
		}
	case rRoleAssigns:
		var a roleAssignment
		if err := decode(el, raw, &a); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"id", a.ID}, {"principalId", a.PrincipalID},
			{"roleDefinitionId", a.RoleDefinitionID}} {
			if err := need(el, f.name, f.v, "a unifiedRoleAssignment with id, principalId and roleDefinitionId"); err != nil {
				return err
			}
		}
		if a.Principal != nil && a.Principal.ID != "" {
			d.listed(*a.Principal, "")
		}
		if a.RoleDefinition != nil && a.RoleDefinition.ID != "" {
			d.roleDefs[a.RoleDefinition.ID] = *a.RoleDefinition
		}
		a.Principal, a.RoleDefinition = nil, nil
		d.roleAssigns[a.ID] = a
	case rRoleDefs:
		var rd roleDefinition
		if err := decode(el, raw, &rd); err != nil {
			return err
		}
		if err := need(el, "id", rd.ID, "the role definition's id"); err != nil {
			return err
		}
		d.roleDefs[rd.ID] = rd
	case rAppRoleAssigns:
		var a appRoleAssignment
		if err := decode(el, raw, &a); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"id", a.ID}, {"principalId", a.PrincipalID},
			{"resourceId", a.ResourceID}, {"appRoleId", a.AppRoleID}} {
			if err := need(el, f.name, f.v, "an appRoleAssignment with id, principalId, resourceId and appRoleId"); err != nil {
				return err
			}
		}
		typ, ok := map[string]string{"User": typeUser, "Group": typeGroup, "ServicePrincipal": typeSP}[a.PrincipalType]
		if !ok {
			return fmt.Errorf("%s.principalType: expected User, Group or ServicePrincipal, got %q", el, a.PrincipalType)
		}
		d.setType(a.PrincipalID, typ, rankTyped)
		d.setType(a.ResourceID, typeSP, rankTyped)
		d.assigns[a.ID] = a
	case rGrants:
		var g permissionGrant
		if err := decode(el, raw, &g); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"id", g.ID}, {"clientId", g.ClientID},
			{"resourceId", g.ResourceID}} {
			if err := need(el, f.name, f.v, "an oauth2PermissionGrant with id, clientId, resourceId, consentType and scope"); err != nil {
				return err
			}
		}
		switch g.ConsentType {
		case "AllPrincipals":
			if g.PrincipalID != "" {
				return fmt.Errorf("%s.principalId: expected null for consentType AllPrincipals, got %q", el, g.PrincipalID)
			}
		case "Principal":
			if err := need(el, "principalId", g.PrincipalID, "the consenting user's id for consentType Principal"); err != nil {
				return err
			}
			d.setType(g.PrincipalID, typeUser, rankTyped)
		default:
			return fmt.Errorf("%s.consentType: expected AllPrincipals or Principal, got %q", el, g.ConsentType)
		}
		d.setType(g.ClientID, typeSP, rankTyped)
		d.setType(g.ResourceID, typeSP, rankTyped)
		d.grants[g.ID] = g
	}
	return nil
}

// listed records an object named in a list and returns its reference.
func (d *data) listed(o object, cast string) ref {
	typ := odataType(o.ODataType)
	if typ == "" {
		typ = cast
	}
	if typ == "" && o.UserPrincipalName != "" {
		typ = typeUser
	}
	rf := ref{obj: o, typ: typ}
	// More than an id (and a type): the list carries the object's own data.
	probe := o
	probe.ODataType, probe.ID = "", ""
	rf.full = probe.DisplayName != "" || probe.UserPrincipalName != "" || probe.Mail != "" || probe.AppID != ""
	if typ != "" {
		d.setType(o.ID, typ, rankTyped)
		if rf.full && (typ == typeUser || typ == typeGroup || typ == typeSP) {
			d.addObject(o, typ, rankTyped)
		}
	}
	return rf
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
