package google

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// Options names the Google Workspace tenant.
type Options struct {
	// Tenant is the customer id (e.g. "C03az79cb") or primary domain. It
	// names the source "google:<Tenant>" and prefixes every node id.
	Tenant string
	// Customer is the Directory API's customer parameter in live mode
	// (default "my_customer": the caller's own account).
	Customer string
}

func (o Options) validate() error {
	if strings.TrimSpace(o.Tenant) == "" {
		return errors.New("google: Options.Tenant is empty, expected the customer id or primary domain")
	}
	return nil
}

// Source returns the batch source name for o: "google:<Tenant>".
func (o Options) Source() string { return "google:" + o.Tenant }

// Subkinds of the nodes this package emits.
const (
	SubkindUser     = "google-user"
	SubkindGroup    = "google-group"
	SubkindCustomer = "google-customer"
	SubkindRole     = "google-admin-role"
	SubkindClient   = "google-oauth-client"
	SubkindGrant    = "google-oauth-grant"
	SubkindTenant   = "google-tenant"
	SubkindOrgUnit  = "google-orgunit"
	SubkindService  = "google-service"
	SubkindUserData = "google-user-data"
)

// neverLoggedIn is what the API returns as lastLoginTime for a user who
// never signed in.
const neverLoggedIn = "1970-01-01T00:00:00.000Z"

type builder struct {
	opt         Options
	pre         string
	b           *graph.Batch
	s           *snapshot
	usersByID   map[string]*user
	usersByMail map[string]*user
	groupsByID  map[string]*group
	groupsByKey map[string]*group
	roles       map[string]*role
	memberOf    map[string][]string // principal node id -> group node ids
	roleOf      map[string][]string // principal node id -> role instance ids
	roleTier    map[string]graph.Privilege
	customer    bool
}

// build maps a validated snapshot to a batch.
func build(opt Options, s *snapshot) (*graph.Batch, error) {
	bl := &builder{opt: opt, pre: opt.Source() + ":", b: graph.NewBatch(opt.Source()), s: s,
		usersByID: map[string]*user{}, usersByMail: map[string]*user{},
		groupsByID: map[string]*group{}, groupsByKey: map[string]*group{}, roles: map[string]*role{},
		memberOf: map[string][]string{}, roleOf: map[string][]string{}, roleTier: map[string]graph.Privilege{}}
	steps := []func() error{bl.users, bl.groups, bl.members, bl.adminRoles, bl.tokens}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := bl.b.Validate(); err != nil {
		return nil, fmt.Errorf("google %s: %w", opt.Tenant, err)
	}
	return bl.b, nil
}

// IDs.

func (bl *builder) userID(id string) string     { return bl.pre + "user:" + id }
func (bl *builder) groupID(id string) string    { return bl.pre + "group:" + id }
func (bl *builder) customerID() string          { return bl.pre + "customer" }
func (bl *builder) tenantID() string            { return bl.pre + "tenant" }
func (bl *builder) orgUnitID(id string) string  { return bl.pre + "orgunit:" + id }
func (bl *builder) serviceID(svc string) string { return bl.pre + "service:" + svc }
func (bl *builder) clientID(id string) string   { return bl.pre + "client:" + id }
func (bl *builder) userDataID(uid, svc string) string {
	return bl.pre + "user:" + uid + "/" + svc
}
func (bl *builder) grantID(uid, client string) string {
	return bl.pre + "grant:" + uid + ":" + client
}
func (bl *builder) roleID(roleID, orgUnit string) string {
	if orgUnit == "" {
		return bl.pre + "role:" + roleID
	}
	return bl.pre + "role:" + roleID + "@orgunit:" + orgUnit
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (bl *builder) tenant() string {
	bl.b.AddNode(graph.Node{ID: bl.tenantID(), Kind: graph.KindResource, Subkind: SubkindTenant,
		Name: "Google Workspace " + bl.opt.Tenant, Sensitivity: graph.SensCritical})
	return bl.tenantID()
}

func (bl *builder) users() error {
	for i := range bl.s.users {
		u := &bl.s.users[i].v
		if prev, ok := bl.usersByID[u.ID]; ok && prev.PrimaryEmail != u.PrimaryEmail {
			return fmt.Errorf("%s: user id %s is also %s", bl.s.users[i].where, u.ID, prev.PrimaryEmail)
		}
		bl.usersByID[u.ID] = u
		bl.usersByMail[lower(u.PrimaryEmail)] = u
		for _, al := range u.Aliases {
			if _, ok := bl.usersByMail[lower(al)]; !ok {
				bl.usersByMail[lower(al)] = u
			}
		}
		status := "active"
		switch {
		case u.Archived:
			status = "deprovisioned"
		case u.Suspended:
			status = "suspended"
		}
		p := map[string]string{
			graph.PropEmail:      lower(u.PrimaryEmail),
			graph.PropStatus:     status,
			"id":                 u.ID,
			"org_unit":           u.OrgUnitPath,
			"is_admin":           strconv.FormatBool(u.IsAdmin),
			"is_delegated_admin": strconv.FormatBool(u.IsDelegatedAdmin),
			"created":            u.CreationTime,
			"2sv_enrolled":       strconv.FormatBool(u.IsEnrolledIn2Sv),
			"2sv_enforced":       strconv.FormatBool(u.IsEnforcedIn2Sv),
		}
		if u.Name.FullName != "" {
			p[graph.PropDisplayName] = u.Name.FullName
		}
		switch u.LastLoginTime {
		case "":
		case neverLoggedIn:
			p["last_login"] = "never"
		default:
			p["last_login"] = u.LastLoginTime
		}
		if u.SuspensionReason != "" {
			p["suspension_reason"] = u.SuspensionReason
		}
		if u.Archived {
			p["archived"] = "true"
		}
		for _, x := range u.ExternalIDs {
			if x.Type == "organization" && strings.TrimSpace(x.Value) != "" {
				p[graph.PropEmployeeID] = strings.TrimSpace(x.Value)
				break
			}
		}
		bl.b.AddNode(graph.Node{ID: bl.userID(u.ID), Kind: graph.KindAccount, Subkind: SubkindUser,
			Name: lower(u.PrimaryEmail), Props: p})
	}
	return nil
}

func (bl *builder) groups() error {
	for i := range bl.s.groups {
		g := &bl.s.groups[i].v
		bl.groupsByID[g.ID] = g
		bl.groupsByKey[g.ID] = g
		bl.groupsByKey[lower(g.Email)] = g
		for _, al := range g.Aliases {
			bl.groupsByKey[lower(al)] = g
		}
		p := map[string]string{graph.PropEmail: lower(g.Email), "id": g.ID}
		if g.Name != "" {
			p[graph.PropDisplayName] = g.Name
		}
		if g.AdminCreated {
			p["admin_created"] = "true"
		}
		bl.b.AddNode(graph.Node{ID: bl.groupID(g.ID), Kind: graph.KindGroup, Subkind: SubkindGroup,
			Name: lower(g.Email), Props: p})
	}
	return nil
}

// principal returns the node id for a member or assignee, adding a stub
// when the user or group is not in the export.
func (bl *builder) principal(typ, id, email string) string {
	switch typ {
	case "GROUP":
		if g, ok := bl.groupsByKey[id]; ok && id != "" {
			return bl.groupID(g.ID)
		}
		if g, ok := bl.groupsByKey[lower(email)]; ok && email != "" {
			return bl.groupID(g.ID)
		}
		key := id
		if key == "" {
			key = lower(email)
		}
		n := graph.Node{ID: bl.groupID(key), Kind: graph.KindGroup, Subkind: SubkindGroup,
			Name: lower(email), Props: map[string]string{graph.PropStub: "true"}}
		if email != "" {
			n.Props[graph.PropEmail] = lower(email)
		}
		if n.Name == "" {
			n.Name = id
		}
		bl.b.AddNode(n)
		return n.ID
	case "CUSTOMER":
		bl.customerGroup()
		return bl.customerID()
	}
	if u, ok := bl.usersByID[id]; ok && id != "" {
		return bl.userID(u.ID)
	}
	if u, ok := bl.usersByMail[lower(email)]; ok && email != "" {
		return bl.userID(u.ID)
	}
	key := id
	if key == "" {
		key = lower(email)
	}
	n := graph.Node{ID: bl.userID(key), Kind: graph.KindAccount, Subkind: SubkindUser,
		Name: lower(email), Props: map[string]string{graph.PropStub: "true", "external": "true"}}
	if email != "" {
		n.Props[graph.PropEmail] = lower(email)
	}
	if n.Name == "" {
		n.Name = id
	}
	bl.b.AddNode(n)
	return n.ID
}

// customerGroup adds the group of every user of the tenant (a CUSTOMER
// member: "all users in the organization").
func (bl *builder) customerGroup() {
	if bl.customer {
		return
	}
	bl.customer = true
	bl.b.AddNode(graph.Node{ID: bl.customerID(), Kind: graph.KindGroup, Subkind: SubkindCustomer,
		Name: "all users of " + bl.opt.Tenant})
	for id := range bl.usersByID {
		bl.b.AddEdge(graph.Edge{From: bl.userID(id), To: bl.customerID(), Kind: graph.EdgeMemberOf,
			Via: []string{"customer"}})
		bl.memberOf[bl.userID(id)] = append(bl.memberOf[bl.userID(id)], bl.customerID())
	}
}

func (bl *builder) members() error {
	for _, ml := range bl.s.members {
		g, ok := bl.groupsByKey[ml.groupKey]
		if !ok {
			g, ok = bl.groupsByKey[lower(ml.groupKey)]
		}
		if !ok {
			return fmt.Errorf("%s: group key %q (the file name) is neither the id nor the email of a group in %s",
				ml.where, ml.groupKey, FileGroups)
		}
		gid := bl.groupID(g.ID)
		for _, it := range ml.members {
			m := it.v
			from := bl.principal(m.Type, m.ID, m.Email)
			if from == gid {
				return fmt.Errorf("%s: group %s lists itself as a member", it.where, g.Email)
			}
			role := m.Role
			if role == "" {
				role = "MEMBER"
			}
			p := map[string]string{"role": role}
			if m.Status != "" {
				p["status"] = m.Status
			}
			bl.b.AddEdge(graph.Edge{From: from, To: gid, Kind: graph.EdgeMemberOf, Actions: []string{role},
				Via: []string{"group/" + lower(g.Email)}, Props: p})
			bl.memberOf[from] = append(bl.memberOf[from], gid)
		}
	}
	return nil
}

// privilegeTier ranks an admin role by its privileges: read when every
// privilege only retrieves or reads; admin when one changes users, groups,
// roles, org units, domains or security settings (each lets the holder
// take over or empower other principals); write otherwise.
func privilegeTier(r *role) graph.Privilege {
	if r.IsSuperAdminRole {
		return graph.PrivAdmin
	}
	tier := graph.PrivNone
	for _, p := range r.RolePrivileges {
		n := strings.ToUpper(p.PrivilegeName)
		t := graph.PrivWrite
		switch {
		case strings.HasSuffix(n, "_RETRIEVE") || strings.HasSuffix(n, "_READ") ||
			strings.Contains(n, "READ_ONLY") || strings.HasSuffix(n, "_VIEW") || strings.HasPrefix(n, "VIEW_"):
			t = graph.PrivRead
		case strings.HasPrefix(n, "USERS") || strings.HasPrefix(n, "GROUPS") || strings.HasPrefix(n, "ROLE") ||
			strings.HasPrefix(n, "ADMIN") || strings.HasPrefix(n, "ORGANIZATION_UNITS") ||
			strings.HasPrefix(n, "DOMAIN") || strings.HasPrefix(n, "SECURITY") || strings.HasPrefix(n, "SUPER_ADMIN") ||
			strings.HasPrefix(n, "MANAGE_USER") || strings.HasPrefix(n, "DATA_TRANSFER"):
			t = graph.PrivAdmin
		}
		tier = max(tier, t)
	}
	return tier
}

// roleInstance adds the node for role r at CUSTOMER scope (orgUnit "") or
// limited to one org unit, with its ACCESS edge, and returns its id.
func (bl *builder) roleInstance(r *role, orgUnit string) string {
	id := bl.roleID(r.RoleID, orgUnit)
	name := r.RoleName
	if orgUnit != "" {
		name += " @ orgunit " + orgUnit
	}
	var privs []string
	for _, p := range r.RolePrivileges {
		privs = append(privs, p.PrivilegeName)
	}
	sort.Strings(privs)
	p := map[string]string{"role_id": r.RoleID, "system_role": strconv.FormatBool(r.IsSystemRole),
		"super_admin": strconv.FormatBool(r.IsSuperAdminRole)}
	if r.RoleDescription != "" {
		p["description"] = r.RoleDescription
	}
	bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindRole, Subkind: SubkindRole, Name: name, Props: p})
	tier := privilegeTier(r)
	bl.roleTier[id] = tier
	if tier == graph.PrivNone {
		return id
	}
	target := bl.tenant()
	if orgUnit != "" {
		target = bl.orgUnitID(orgUnit)
		bl.b.AddNode(graph.Node{ID: target, Kind: graph.KindResource, Subkind: SubkindOrgUnit,
			Name: "org unit " + orgUnit, Sensitivity: graph.SensHigh, Props: map[string]string{"id": orgUnit}})
		bl.b.AddEdge(graph.Edge{From: bl.tenant(), To: target, Kind: graph.EdgeContains})
	}
	actions := privs
	if r.IsSuperAdminRole && len(actions) == 0 {
		actions = []string{"SUPER_ADMIN"}
	}
	bl.b.AddEdge(graph.Edge{From: id, To: target, Kind: graph.EdgeAccess, Privilege: tier, Actions: actions,
		Via: []string{"admin-role/" + r.RoleName}})
	if r.IsSuperAdminRole && orgUnit == "" {
		// A super admin can reset any user's password and sign in as them.
		for uid := range bl.usersByID {
			bl.b.AddEdge(graph.Edge{From: id, To: bl.userID(uid), Kind: graph.EdgeEscalates,
				Privilege: graph.PrivAdmin, Actions: []string{"reset_password"},
				Via: []string{"admin-role/" + r.RoleName}})
		}
	}
	return id
}

func (bl *builder) adminRoles() error {
	var superAdmin *role
	for i := range bl.s.roles {
		r := &bl.s.roles[i].v
		bl.roles[r.RoleID] = r
		if r.IsSuperAdminRole && superAdmin == nil {
			superAdmin = r
		}
	}
	for _, it := range bl.s.assignments {
		a := it.v
		r, ok := bl.roles[a.RoleID]
		if !ok {
			if !bl.s.haveRoles {
				return fmt.Errorf("%s: role assignments need %s to resolve roleId %s", it.where, FileRoles, a.RoleID)
			}
			return fmt.Errorf("%s: roleId %s is not in the roles list", it.where, a.RoleID)
		}
		ou := ""
		if a.ScopeType == "ORG_UNIT" {
			ou = a.OrgUnitID
		}
		rid := bl.roleInstance(r, ou)
		typ := a.AssigneeType
		if typ == "" {
			if _, isGroup := bl.groupsByID[a.AssignedTo]; isGroup {
				typ = "GROUP"
			}
		}
		from := bl.principal(typ, a.AssignedTo, "")
		e := graph.Edge{From: from, To: rid, Kind: graph.EdgeHasRole,
			Via: []string{"roleassignment/" + a.RoleAssignmentID}}
		if a.Condition != "" {
			e.Conditions = []string{a.Condition}
		}
		bl.b.AddEdge(e)
		bl.roleOf[from] = append(bl.roleOf[from], rid)
	}
	// isAdmin marks super admins even when role data was not exported.
	for _, it := range bl.s.users {
		u := it.v
		if !u.IsAdmin {
			continue
		}
		sa := superAdmin
		if sa == nil {
			sa = &role{RoleID: "super-admin", RoleName: "Super Admin", IsSuperAdminRole: true, IsSystemRole: true}
		}
		rid := bl.roleInstance(sa, "")
		bl.b.AddEdge(graph.Edge{From: bl.userID(u.ID), To: rid, Kind: graph.EdgeHasRole, Via: []string{"user.isAdmin"}})
		bl.roleOf[bl.userID(u.ID)] = append(bl.roleOf[bl.userID(u.ID)], rid)
	}
	return nil
}

// adminTier is the highest admin-role tier a principal holds, directly or
// through (nested) groups.
func (bl *builder) adminTier(id string) graph.Privilege {
	seen := map[string]bool{}
	var walk func(string) graph.Privilege
	walk = func(n string) graph.Privilege {
		if seen[n] {
			return graph.PrivNone
		}
		seen[n] = true
		t := graph.PrivNone
		for _, r := range bl.roleOf[n] {
			t = max(t, bl.roleTier[r])
		}
		for _, g := range bl.memberOf[n] {
			t = max(t, walk(g))
		}
		return t
	}
	return walk(id)
}

func (bl *builder) tokens() error {
	for _, tl := range bl.s.tokens {
		u, ok := bl.usersByID[tl.userKey]
		if !ok {
			u, ok = bl.usersByMail[lower(tl.userKey)]
		}
		if !ok {
			return fmt.Errorf("%s: user key %q (the file name) is neither the id nor the email of a user in %s",
				tl.where, tl.userKey, FileUsers)
		}
		for _, it := range tl.tokens {
			if it.v.UserKey != "" && it.v.UserKey != u.ID {
				return fmt.Errorf("%s: userKey %s, expected %s (the id of %s)", it.where, it.v.UserKey, u.ID, u.PrimaryEmail)
			}
			bl.grant(u, it.v)
		}
	}
	return nil
}

// grant maps one OAuth token a user granted to a client.
func (bl *builder) grant(u *user, t token) {
	acct := bl.userID(u.ID)
	scopes := append([]string(nil), t.Scopes...)
	sort.Strings(scopes)
	scopes = compact(scopes)
	cid := bl.clientID(t.ClientID)
	name := t.DisplayText
	if name == "" {
		name = t.ClientID
	}
	bl.b.AddNode(graph.Node{ID: cid, Kind: graph.KindApplication, Subkind: SubkindClient, Name: name,
		Props: map[string]string{"client_id": t.ClientID, "native_app": strconv.FormatBool(t.NativeApp),
			"anonymous": strconv.FormatBool(t.Anonymous)}})

	type svcAcc struct {
		priv   graph.Privilege
		scopes []string
	}
	bySvc := map[string]*svcAcc{}
	risk, top := graph.SensUnknown, graph.PrivNone
	var unknown []string
	for _, s := range scopes {
		c := ClassifyScope(s)
		risk = max(risk, c.Risk)
		top = max(top, c.Privilege)
		if !c.Known {
			unknown = append(unknown, s)
		}
		a := bySvc[c.Service]
		if a == nil {
			a = &svcAcc{}
			bySvc[c.Service] = a
		}
		a.priv = max(a.priv, c.Privilege)
		a.scopes = append(a.scopes, s)
	}
	gid := bl.grantID(u.ID, t.ClientID)
	p := map[string]string{"scopes": strings.Join(scopes, " "), "client_id": t.ClientID,
		"user_email": lower(u.PrimaryEmail), "scope_risk": risk.String()}
	if len(unknown) > 0 {
		p["unclassified_scopes"] = strings.Join(unknown, " ")
	}
	bl.b.AddNode(graph.Node{ID: gid, Kind: graph.KindGrant, Subkind: SubkindGrant,
		Name: name + " for " + lower(u.PrimaryEmail), Props: p})
	via := []string{"oauth-token/" + t.ClientID}
	bl.b.AddEdge(graph.Edge{From: cid, To: gid, Kind: graph.EdgeDelegates, Privilege: top, Actions: scopes, Via: via})
	bl.b.AddEdge(graph.Edge{From: gid, To: acct, Kind: graph.EdgeOnBehalfOf, Privilege: top, Actions: scopes, Via: via})
	bl.b.AddEdge(graph.Edge{From: acct, To: gid, Kind: graph.EdgeOwns})

	var ineffective []string
	svcs := make([]string, 0, len(bySvc))
	for s := range bySvc {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	for _, svc := range svcs {
		acc := bySvc[svc]
		priv, target, props := acc.priv, "", map[string]string(nil)
		if userDataServices[svc] {
			target = bl.userData(u, svc)
		} else {
			target = bl.service(svc)
			switch svc {
			case SvcCloud:
				props = map[string]string{"bounded_by": "the user's Google Cloud IAM roles (not in this source)"}
			case SvcDirectory:
				// Any user may read the directory; more needs an admin role.
				priv = min(priv, max(graph.PrivRead, bl.adminTier(acct)))
			default:
				priv = min(priv, bl.adminTier(acct))
			}
		}
		if priv == graph.PrivNone {
			ineffective = append(ineffective, acc.scopes...)
			continue
		}
		bl.b.AddEdge(graph.Edge{From: gid, To: target, Kind: graph.EdgeAccess, Privilege: priv,
			Actions: acc.scopes, Via: via, Props: props})
	}
	if len(ineffective) > 0 {
		bl.b.AddNode(graph.Node{ID: gid, Props: map[string]string{"ineffective_scopes": strings.Join(ineffective, " ")}})
	}
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// service adds the tenant-wide resource of svc.
func (bl *builder) service(svc string) string {
	id := bl.serviceID(svc)
	sens, ok := serviceSensitivity[svc]
	if !ok {
		sens = graph.SensMedium
	}
	bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: SubkindService,
		Name: "Google " + svc, Sensitivity: sens, Props: map[string]string{"service": svc}})
	bl.b.AddEdge(graph.Edge{From: bl.tenant(), To: id, Kind: graph.EdgeContains})
	return id
}

// userData adds the resource of u's data in svc (a mailbox, a Drive), which
// u owns and the service contains.
func (bl *builder) userData(u *user, svc string) string {
	id := bl.userDataID(u.ID, svc)
	sens, ok := serviceSensitivity[svc]
	if !ok {
		sens = graph.SensMedium
	}
	bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: SubkindUserData,
		Name: svc + " of " + lower(u.PrimaryEmail), Sensitivity: sens,
		Props: map[string]string{"service": svc, "user_id": u.ID}})
	bl.b.AddEdge(graph.Edge{From: bl.service(svc), To: id, Kind: graph.EdgeContains})
	bl.b.AddEdge(graph.Edge{From: bl.userID(u.ID), To: id, Kind: graph.EdgeAccess, Privilege: graph.PrivAdmin,
		Actions: []string{"owner"}, Via: []string{"owner"}})
	return id
}
