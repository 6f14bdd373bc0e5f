package entra

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// builder maps read data to a batch.
type builder struct {
	b     *graph.Batch
	d     *data
	p     string          // ID prefix, "entra:<tenant>:"
	roles map[string]bool // role nodes whose tenant ACCESS edge exists
}

// build maps d to a validated batch of source src.
func build(src string, d *data) (*graph.Batch, error) {
	bd := &builder{b: graph.NewBatch(src), d: d, p: src + ":", roles: map[string]bool{}}
	bd.b.AddNode(graph.Node{ID: bd.tenantID(), Kind: graph.KindResource, Subkind: "entra-tenant",
		Name: strings.TrimPrefix(src, "entra:"), Sensitivity: graph.SensCritical})
	for _, id := range sortedKeys(d.objects) {
		bd.object(id)
	}
	for _, id := range sortedKeys(d.roleDefs) {
		bd.roleNode(id)
	}
	bd.memberships()
	bd.roleHolders()
	bd.ownerships()
	bd.applications()
	bd.appRoleAssignments()
	bd.permissionGrants()
	bd.roleEscalations()
	if err := bd.b.Validate(); err != nil {
		return nil, fmt.Errorf("entra: %w", err)
	}
	return bd.b, nil
}

func (bd *builder) tenantID() string { return bd.p + "tenant" }

// nodeID is the node ID of directory object id, by its resolved type.
func (bd *builder) nodeID(id string) string {
	switch t := bd.d.types[id]; t {
	case typeUser:
		return bd.p + "user:" + id
	case typeGroup:
		return bd.p + "group:" + id
	case typeSP:
		return bd.p + "sp:" + id
	case typeApp:
		return bd.p + "app:" + id
	case typeRole:
		return bd.roleID(bd.roleKey(id))
	}
	return bd.p + "object:" + id
}

func (bd *builder) roleID(key string) string { return bd.p + "role:" + key }

// roleKey is the key of a directory role object: its template id, which is
// also the roleDefinitionId that role assignments name.
func (bd *builder) roleKey(objectID string) string {
	if o, ok := bd.d.objects[objectID]; ok && o.RoleTemplateID != "" {
		return o.RoleTemplateID
	}
	return objectID
}

func setProp(props map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		props[k] = v
	}
}

func boolProp(props map[string]string, k string, v *bool) {
	if v != nil {
		props[k] = strconv.FormatBool(*v)
	}
}

// object adds the node of a directory object read from the input.
func (bd *builder) object(id string) {
	o := bd.d.objects[id]
	typ := bd.d.types[id]
	props := map[string]string{"object_id": id}
	setProp(props, "created", o.CreatedAt)
	n := graph.Node{ID: bd.nodeID(id), Name: firstNonEmpty(o.DisplayName, o.UserPrincipalName, o.Mail, id), Props: props}
	switch typ {
	case typeUser:
		n.Kind, n.Subkind = graph.KindAccount, "entra-user"
		setProp(props, graph.PropUPN, strings.ToLower(o.UserPrincipalName))
		setProp(props, graph.PropEmail, strings.ToLower(o.Mail))
		setProp(props, graph.PropEmployeeID, o.EmployeeID)
		setProp(props, graph.PropDisplayName, o.DisplayName)
		setProp(props, "user_type", o.UserType)
		switch {
		case o.DeletedAt != "":
			props[graph.PropStatus] = "deprovisioned"
		case o.AccountEnabled != nil && *o.AccountEnabled:
			props[graph.PropStatus] = "active"
		case o.AccountEnabled != nil:
			props[graph.PropStatus] = "suspended"
		}
		if o.SignInActivity != nil {
			setProp(props, "last_sign_in", o.SignInActivity.LastSignInDateTime)
		}
	case typeGroup:
		n.Kind, n.Subkind = graph.KindGroup, "entra-group"
		setProp(props, graph.PropEmail, strings.ToLower(o.Mail))
		boolProp(props, "security_enabled", o.SecurityEnabled)
		boolProp(props, "mail_enabled", o.MailEnabled)
		boolProp(props, "role_assignable", o.IsAssignableToRole)
		setProp(props, "group_types", strings.Join(o.GroupTypes, " "))
		setProp(props, "membership_rule", o.MembershipRule)
	case typeSP:
		n.Kind, n.Subkind = graph.KindApplication, "entra-service-principal"
		setProp(props, "app_id", o.AppID)
		setProp(props, "service_principal_type", o.ServicePrincipalType)
		setProp(props, "app_owner_organization_id", o.AppOwnerOrganizationID)
		boolProp(props, "account_enabled", o.AccountEnabled)
	case typeApp:
		n.Kind, n.Subkind = graph.KindApplication, "entra-application"
		setProp(props, "app_id", o.AppID)
		setProp(props, "sign_in_audience", o.SignInAudience)
		setProp(props, "publisher_domain", o.PublisherDomain)
	case typeRole:
		bd.roleNode(bd.roleKey(id))
		return
	default:
		n.Kind, n.Subkind = graph.KindAccount, "entra-directory-object"
	}
	bd.b.AddNode(n)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// roleInfo finds the name and allowed actions of the role with key (a
// template id or, for custom roles, the definition id).
func (bd *builder) roleInfo(key string) (name string, actions []string, known bool) {
	if rd, ok := bd.d.roleDefs[key]; ok {
		for _, rp := range rd.RolePermissions {
			actions = append(actions, rp.AllowedResourceActions...)
		}
		return rd.DisplayName, actions, true
	}
	for _, id := range sortedKeys(bd.d.objects) {
		o := bd.d.objects[id]
		if bd.d.types[id] == typeRole && (o.RoleTemplateID == key || id == key) {
			return o.DisplayName, nil, true
		}
	}
	if n, ok := roleNames[key]; ok {
		return n, nil, false
	}
	return "", nil, false
}

// roleNode adds the directory role with key and its ACCESS edge to the
// tenant, once, and returns its node ID.
func (bd *builder) roleNode(key string) string {
	id := bd.roleID(key)
	if bd.roles[key] {
		return id
	}
	bd.roles[key] = true
	name, actions, known := bd.roleInfo(key)
	props := map[string]string{"role_template_id": key}
	if !known && name == "" {
		props[graph.PropStub] = "true"
	}
	bd.b.AddNode(graph.Node{ID: id, Kind: graph.KindRole, Subkind: "entra-directory-role",
		Name: firstNonEmpty(name, key), Props: props})
	if name == "" {
		// An unnamed custom role: its power is unknown, so no ACCESS edge.
		return id
	}
	bd.b.AddEdge(graph.Edge{From: id, To: bd.tenantID(), Kind: graph.EdgeAccess,
		Privilege: rolePrivilege(name), Actions: actions, Via: []string{"directoryRole/" + name}})
	return id
}

// ensure returns the node ID of directory object id, adding a stub node
// when the input only references it (name is what the reference calls it).
func (bd *builder) ensure(id, name string) string {
	nid := bd.nodeID(id)
	if bd.d.types[id] == typeRole {
		return bd.roleNode(bd.roleKey(id))
	}
	if _, ok := bd.b.Node(nid); ok {
		return nid
	}
	n := graph.Node{ID: nid, Name: firstNonEmpty(name, id),
		Props: map[string]string{graph.PropStub: "true", "object_id": id}}
	switch bd.d.types[id] {
	case typeUser:
		n.Kind, n.Subkind = graph.KindAccount, "entra-user"
	case typeGroup:
		n.Kind, n.Subkind = graph.KindGroup, "entra-group"
	case typeSP:
		n.Kind, n.Subkind = graph.KindApplication, "entra-service-principal"
	case typeApp:
		n.Kind, n.Subkind = graph.KindApplication, "entra-application"
	default:
		n.Kind, n.Subkind = graph.KindAccount, "entra-directory-object"
	}
	bd.b.AddNode(n)
	return nid
}

// principal reports whether the object can hold access (devices and
// contacts listed as members cannot).
func (bd *builder) principal(id string) bool {
	switch bd.d.types[id] {
	case typeUser, typeGroup, typeSP, "":
		return true
	}
	return false
}

func (bd *builder) conflict(format string, args ...any) {
	bd.d.report.Conflicts = append(bd.d.report.Conflicts, fmt.Sprintf(format, args...))
}

// memberships adds member -MEMBER_OF-> group edges.
func (bd *builder) memberships() {
	for _, m := range bd.d.members {
		if t := bd.d.types[m.group]; t != typeGroup {
			bd.conflict("%s: %s is a %s, not a group: membership of %s left out", m.via, m.group, t, m.member.obj.ID)
			continue
		}
		if !bd.principal(m.member.obj.ID) {
			continue
		}
		from := bd.ensure(m.member.obj.ID, m.member.obj.DisplayName)
		to := bd.ensure(m.group, "")
		e := graph.Edge{From: from, To: to, Kind: graph.EdgeMemberOf, Via: []string{m.via}}
		if m.transitive {
			e.Props = map[string]string{"transitive": "true"}
		}
		if old, ok := bd.b.Edge(from, graph.EdgeMemberOf, to); ok && !m.transitive {
			delete(old.Props, "transitive") // a direct membership is known
		}
		bd.b.AddEdge(e)
	}
}

// roleHolders adds principal -HAS_ROLE-> directory role edges from role
// members and from role assignments.
func (bd *builder) roleHolders() {
	for _, rm := range bd.d.roleMembers {
		if !bd.principal(rm.member.obj.ID) {
			continue
		}
		role := bd.roleNode(bd.roleKey(rm.role))
		bd.b.AddEdge(graph.Edge{From: bd.ensure(rm.member.obj.ID, rm.member.obj.DisplayName), To: role,
			Kind: graph.EdgeHasRole, Via: []string{"directoryRoles/" + rm.role + "/members"}})
	}
	for _, id := range sortedKeys(bd.d.roleAssigns) {
		a := bd.d.roleAssigns[id]
		role := bd.roleNode(a.RoleDefinitionID)
		e := graph.Edge{From: bd.ensure(a.PrincipalID, ""), To: role, Kind: graph.EdgeHasRole,
			Via: []string{"roleAssignment/" + a.ID}}
		if s := a.DirectoryScopeID; s != "" && s != "/" {
			e.Conditions = []string{"directoryScopeId=" + s}
		}
		bd.b.AddEdge(e)
	}
}

// ownerships adds owner -ESCALATES-> owned object edges: an owner of a
// group can add members (itself), an owner of an application or service
// principal can add credentials and act as it.
func (bd *builder) ownerships() {
	for _, o := range bd.d.owners {
		if bd.d.types[o.target] != o.typ {
			bd.conflict("%ss/%s/owners: %s is a %s, not a %s: ownership left out",
				o.typ, o.target, o.target, bd.d.types[o.target], o.typ)
			continue
		}
		if !bd.principal(o.owner.obj.ID) {
			continue
		}
		action := map[string]string{typeGroup: "microsoft.directory/groups/members/update",
			typeSP:  "microsoft.directory/servicePrincipals/credentials/update",
			typeApp: "microsoft.directory/applications/credentials/update"}[o.typ]
		bd.b.AddEdge(graph.Edge{From: bd.ensure(o.owner.obj.ID, o.owner.obj.DisplayName),
			To: bd.ensure(o.target, ""), Kind: graph.EdgeEscalates, Privilege: graph.PrivAdmin,
			Actions: []string{action}, Via: []string{o.typ + "s/" + o.target + "/owners"}})
	}
}

// spByAppID maps application ids to service principal object ids.
func (bd *builder) spByAppID() map[string]string {
	out := map[string]string{}
	for _, id := range sortedKeys(bd.d.objects) {
		if o := bd.d.objects[id]; bd.d.types[id] == typeSP && o.AppID != "" {
			if _, dup := out[o.AppID]; !dup {
				out[o.AppID] = id
			}
		}
	}
	return out
}

// applications links application registrations to their service principal
// (whoever controls the registration can add a secret and sign in as the
// service principal) and adds the credentials of both.
func (bd *builder) applications() {
	sps := bd.spByAppID()
	for _, id := range sortedKeys(bd.d.objects) {
		o := bd.d.objects[id]
		switch bd.d.types[id] {
		case typeApp:
			target := bd.nodeID(id)
			if sp, ok := sps[o.AppID]; ok && o.AppID != "" {
				target = bd.nodeID(sp)
				bd.b.AddEdge(graph.Edge{From: bd.nodeID(id), To: target, Kind: graph.EdgeEscalates,
					Privilege: graph.PrivAdmin, Actions: []string{"microsoft.directory/applications/credentials/update"},
					Via: []string{"appId/" + o.AppID}})
			}
			bd.credentials(bd.nodeID(id), target, o)
		case typeSP:
			bd.credentials(bd.nodeID(id), bd.nodeID(id), o)
		}
	}
}

// credentials adds the password and key credentials of owner; each
// authenticates as target.
func (bd *builder) credentials(owner, target string, o *object) {
	add := func(c credential, kind string) {
		if c.KeyID == "" {
			return
		}
		props := map[string]string{"key_id": c.KeyID, "credential_type": kind}
		setProp(props, "created", c.StartDateTime)
		setProp(props, "expires", c.EndDateTime)
		setProp(props, "hint", c.Hint)
		setProp(props, graph.PropDisplayName, c.DisplayName)
		id := bd.p + "cred:" + c.KeyID
		bd.b.AddNode(graph.Node{ID: id, Kind: graph.KindCredential, Subkind: "entra-" + kind,
			Name: firstNonEmpty(c.DisplayName, kind+" "+c.KeyID), Props: props})
		bd.b.AddEdge(graph.Edge{From: id, To: target, Kind: graph.EdgeAuthenticates})
		bd.b.AddEdge(graph.Edge{From: owner, To: id, Kind: graph.EdgeOwns})
	}
	for _, c := range o.PasswordCredentials {
		add(c, "client-secret")
	}
	for _, c := range o.KeyCredentials {
		add(c, "certificate")
	}
}

// apiNode adds the resource node standing for the API (or app) of service
// principal spID and returns its ID.
func (bd *builder) apiNode(spID, name string) string {
	bd.ensure(spID, name)
	id := bd.p + "api:" + spID
	sens := graph.SensMedium
	appID := ""
	if o, ok := bd.d.objects[spID]; ok {
		appID = o.AppID
		name = firstNonEmpty(o.DisplayName, name)
	}
	if s, ok := apiSensitivity[appID]; ok {
		sens = s
	} else if appID == "" && name == "Microsoft Graph" {
		sens = graph.SensCritical
	}
	props := map[string]string{"service_principal_id": spID}
	setProp(props, "app_id", appID)
	bd.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: "entra-api",
		Name: firstNonEmpty(name, spID), Sensitivity: sens, Props: props})
	return id
}

// permissionName names the app role appRoleID of resource service principal spID.
func (bd *builder) permissionName(spID, resourceName, appRoleID string) string {
	if appRoleID == defaultAccess {
		return "default-access"
	}
	if o, ok := bd.d.objects[spID]; ok {
		for _, r := range o.AppRoles {
			if r.ID == appRoleID && r.Value != "" {
				return r.Value
			}
		}
	}
	o := bd.d.objects[spID]
	if o != nil && o.AppID == "00000003-0000-0000-c000-000000000000" ||
		(o == nil || o.AppID == "") && resourceName == "Microsoft Graph" {
		if n, ok := graphAppRoles[appRoleID]; ok {
			return n
		}
	}
	return appRoleID
}

// appRoleAssignments adds principal -ACCESS-> API edges: app assignments of
// users and groups, and application permissions of service principals.
func (bd *builder) appRoleAssignments() {
	for _, id := range sortedKeys(bd.d.assigns) {
		a := bd.d.assigns[id]
		api := bd.apiNode(a.ResourceID, a.ResourceDisplayName)
		perm := bd.permissionName(a.ResourceID, a.ResourceDisplayName, a.AppRoleID)
		e := graph.Edge{From: bd.ensure(a.PrincipalID, a.PrincipalDisplayName), To: api, Kind: graph.EdgeAccess,
			Privilege: permissionPrivilege(perm), Actions: []string{perm}, Via: []string{"appRoleAssignment/" + a.ID}}
		if a.PrincipalType == "ServicePrincipal" {
			e.Props = map[string]string{"permission_type": "application"}
		}
		bd.b.AddEdge(e)
	}
}

// scopes splits an oauth2PermissionGrant scope string into sorted, unique scopes.
func scopes(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Fields(s) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// permissionGrants adds a grant node per delegated consent: client
// -DELEGATES-> grant -DELEGATES-> user(s), user -OWNS-> grant, and grant
// -ACCESS-> the resource API within the scopes.
func (bd *builder) permissionGrants() {
	var users []string
	for _, id := range sortedKeys(bd.d.objects) {
		if bd.d.types[id] == typeUser {
			users = append(users, bd.nodeID(id))
		}
	}
	for _, id := range sortedKeys(bd.d.grants) {
		g := bd.d.grants[id]
		sc := scopes(g.Scope)
		client := bd.ensure(g.ClientID, "")
		api := bd.apiNode(g.ResourceID, "")
		gid := bd.p + "grant:" + g.ID
		props := map[string]string{"scopes": strings.Join(sc, " "), "consent_type": g.ConsentType,
			"client_id": g.ClientID, "resource_id": g.ResourceID}
		who := "all users"
		if g.ConsentType == "Principal" {
			props["principal_id"] = g.PrincipalID
			who = g.PrincipalID
		}
		clientNode, _ := bd.b.Node(client)
		apiN, _ := bd.b.Node(api)
		bd.b.AddNode(graph.Node{ID: gid, Kind: graph.KindGrant, Subkind: "entra-delegated-grant",
			Name: fmt.Sprintf("%s → %s for %s", clientNode.Name, apiN.Name, who), Props: props})
		via := []string{"oauth2PermissionGrant/" + g.ID}
		bd.b.AddEdge(graph.Edge{From: client, To: gid, Kind: graph.EdgeDelegates, Actions: sc, Via: via})
		bd.b.AddEdge(graph.Edge{From: gid, To: api, Kind: graph.EdgeAccess, Privilege: maxPrivilege(sc),
			Actions: sc, Via: via})
		targets := users
		if g.ConsentType == "Principal" {
			u := bd.ensure(g.PrincipalID, "")
			targets = []string{u}
			bd.b.AddEdge(graph.Edge{From: u, To: gid, Kind: graph.EdgeOwns, Via: via})
		}
		for _, u := range targets {
			bd.b.AddEdge(graph.Edge{From: gid, To: u, Kind: graph.EdgeOnBehalfOf, Actions: sc, Via: via})
		}
	}
}

// roleEscalations adds the takeover paths of two role families: a
// Privileged Role Administrator can assign itself Global Administrator;
// an Application or Cloud Application Administrator can add a credential
// to any application or service principal and sign in as it.
func (bd *builder) roleEscalations() {
	if bd.roles[tmplPrivRoleAdmin] {
		ga := bd.roleNode(tmplGlobalAdmin)
		bd.b.AddEdge(graph.Edge{From: bd.roleID(tmplPrivRoleAdmin), To: ga, Kind: graph.EdgeEscalates,
			Privilege: graph.PrivAdmin, Actions: []string{"microsoft.directory/roleAssignments/allProperties/allTasks"},
			Via: []string{"directoryRole/Privileged Role Administrator"}})
	}
	for _, key := range []string{tmplAppAdmin, tmplCloudAppAdmin} {
		if !bd.roles[key] {
			continue
		}
		for _, id := range sortedKeys(bd.d.objects) {
			if t := bd.d.types[id]; t == typeSP || t == typeApp {
				name, _, _ := bd.roleInfo(key)
				bd.b.AddEdge(graph.Edge{From: bd.roleID(key), To: bd.nodeID(id), Kind: graph.EdgeEscalates,
					Privilege: graph.PrivAdmin, Actions: []string{"microsoft.directory/" + t + "s/credentials/update"},
					Via: []string{"directoryRole/" + name}})
			}
		}
	}
}
