package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Google Workspace export: Directory API list responses as
// ingest/google.ParseExport reads them (users.json, groups.json,
// members/<group email>.json, roles.json, roleassignments.json,
// tokens/<user email>.json).

type gUserJSON struct {
	Kind         string `json:"kind"`
	ID           string `json:"id"`
	PrimaryEmail string `json:"primaryEmail"`
	Name         struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
		FullName   string `json:"fullName"`
	} `json:"name"`
	IsAdmin          bool   `json:"isAdmin"`
	IsDelegatedAdmin bool   `json:"isDelegatedAdmin"`
	LastLoginTime    string `json:"lastLoginTime"`
	CreationTime     string `json:"creationTime"`
	Suspended        bool   `json:"suspended"`
	SuspensionReason string `json:"suspensionReason,omitempty"`
	Archived         bool   `json:"archived"`
	OrgUnitPath      string `json:"orgUnitPath"`
	IsEnrolledIn2Sv  bool   `json:"isEnrolledIn2Sv"`
	IsEnforcedIn2Sv  bool   `json:"isEnforcedIn2Sv"`
	ExternalIDs      []struct {
		Value string `json:"value"`
		Type  string `json:"type"`
	} `json:"externalIds"`
	CustomerID string `json:"customerId"`
}

type gGroupJSON struct {
	Kind               string `json:"kind"`
	ID                 string `json:"id"`
	Email              string `json:"email"`
	Name               string `json:"name"`
	DirectMembersCount string `json:"directMembersCount"`
	Description        string `json:"description"`
	AdminCreated       bool   `json:"adminCreated"`
}

type gMemberJSON struct {
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"`
	Email  string `json:"email,omitempty"`
	Role   string `json:"role"`
	Type   string `json:"type"`
	Status string `json:"status,omitempty"`
}

type gTokenJSON struct {
	Kind        string   `json:"kind"`
	ClientID    string   `json:"clientId"`
	DisplayText string   `json:"displayText"`
	Anonymous   bool     `json:"anonymous"`
	NativeApp   bool     `json:"nativeApp"`
	UserKey     string   `json:"userKey"`
	Scopes      []string `json:"scopes"`
}

type gRoleJSON struct {
	Kind             string  `json:"kind"`
	RoleID           string  `json:"roleId"`
	RoleName         string  `json:"roleName"`
	RoleDescription  string  `json:"roleDescription"`
	RolePrivileges   []gPriv `json:"rolePrivileges"`
	IsSystemRole     bool    `json:"isSystemRole"`
	IsSuperAdminRole bool    `json:"isSuperAdminRole"`
}

type gPriv struct {
	PrivilegeName string `json:"privilegeName"`
	ServiceID     string `json:"serviceId"`
}

type gAssignJSON struct {
	Kind             string `json:"kind"`
	RoleAssignmentID string `json:"roleAssignmentId"`
	RoleID           string `json:"roleId"`
	AssignedTo       string `json:"assignedTo"`
	AssigneeType     string `json:"assigneeType"`
	ScopeType        string `json:"scopeType"`
}

// gGroup is one Google group: its users and nested groups.
type gGroup struct {
	email, name, desc string
	users             []int32 // person indexes
	owners            []int32
	groups            []int // nested group indexes
	customer          bool  // all users of the tenant
	external          []string
}

type googleGen struct {
	c        *company
	r        *rand.Rand
	root     string
	tenant   string
	counts   *Counts
	plants   []Plant
	listed   []bool // person has a Google account
	status   []uint8
	groups   []gGroup
	apps     []oauthApp
	superIDs []int32
	custID   string
}

// Google user states.
const (
	gActive uint8 = iota
	gSuspended
	gArchived
)

// googleUserID is the Directory API's numeric id of person i.
func (c *company) googleUserID(i int32) string { return "1" + digits("guser:"+c.email(i), 20) }

func groupKeyID(email string) string { return "0" + lowerID("ggroup:"+email, 14) }

// generateGoogle writes the Google Workspace export under dir/google.
func (c *company) generateGoogle(dir string, counts *Counts) ([]Plant, error) {
	g := &googleGen{c: c, r: rngFor(c.opt.Seed, "google", 0), root: filepath.Join(dir, "google"), tenant: c.domain,
		counts: counts, custID: "C0" + lowerID("customer:"+c.domain, 7)}
	g.buildUsers()
	g.buildGroups()
	g.apps = c.buildOAuthApps(rngFor(c.opt.Seed, "oauth", 0))
	if err := g.write(); err != nil {
		return nil, fmt.Errorf("google export: %w", err)
	}
	return g.plants, nil
}

func (g *googleGen) buildUsers() {
	c, r := g.c, g.r
	g.listed = make([]bool, len(c.people))
	g.status = make([]uint8, len(c.people))
	for i := range c.people {
		p := &c.people[i]
		g.listed[i] = true
		if p.offboarded {
			switch x := r.Float64(); {
			case x < 0.15:
				g.listed[i] = false // deleted
			case x < 0.3:
				g.status[i] = gArchived
			case x < 0.93:
				g.status[i] = gSuspended
			}
		}
	}
	// Super admins: the IT department's head and managers, at most four.
	for i := range c.people {
		p := &c.people[i]
		if p.dept == deptIT && p.level <= 3 && !p.offboarded && len(g.superIDs) < 4 {
			g.superIDs = append(g.superIDs, int32(i))
		}
	}
}

func (g *googleGen) active(i int32) bool { return g.listed[i] && g.status[i] == gActive }

func (g *googleGen) addGroup(gr gGroup) int {
	g.groups = append(g.groups, gr)
	return len(g.groups) - 1
}

func (g *googleGen) buildGroups() {
	c, r := g.c, g.r
	g.addGroup(gGroup{email: "all-staff@" + c.domain, name: "All staff", desc: "Everyone at " + c.name, customer: true})
	var activeAll []int32
	byDept := make([][]int32, len(departments))
	for i := range c.people {
		if g.active(int32(i)) {
			activeAll = append(activeAll, int32(i))
			byDept[c.people[i].dept] = append(byDept[c.people[i].dept], int32(i))
		}
	}
	// Team lists nested in department lists; the manager owns the team list.
	teamGroup := make([]int, len(c.teams))
	for ti := range c.teams {
		t := &c.teams[ti]
		var members []int32
		for _, pi := range t.members {
			if g.active(pi) {
				members = append(members, pi)
			}
		}
		gr := gGroup{email: "team-" + t.name + "@" + c.domain, name: "Team " + t.name, desc: "Team list", users: members}
		if g.active(t.manager) {
			gr.owners = []int32{t.manager}
		}
		teamGroup[ti] = g.addGroup(gr)
	}
	for d := range departments {
		gr := gGroup{email: departments[d] + "@" + c.domain, name: deptTitle[d], desc: deptTitle[d] + " department"}
		for ti := range c.teams {
			if c.teams[ti].dept == d {
				gr.groups = append(gr.groups, teamGroup[ti])
			}
		}
		for _, pi := range byDept[d] {
			if c.people[pi].team < 0 {
				gr.users = append(gr.users, pi)
			}
		}
		g.addGroup(gr)
	}
	byOffice := make([][]int32, len(offices))
	for _, pi := range activeAll {
		o := c.office(pi)
		byOffice[o] = append(byOffice[o], pi)
	}
	for o := range offices {
		g.addGroup(gGroup{email: "office-" + offices[o] + "@" + c.domain, name: "Office " + offices[o],
			desc: "People based in " + offices[o], users: byOffice[o]})
	}
	// Discussion and project lists: heavy-tailed sizes, about a dozen per
	// person; a few include outside partners.
	const perPerson, meanSize = 12, 24
	n := max(4, len(activeAll)*perPerson/meanSize)
	for k := range n {
		home := r.IntN(len(departments))
		size := heavySize(r, 3, 6, 1.25, max(3, len(activeAll)/3))
		nHome := min(size*7/10, len(byDept[home]))
		members := append(sampleDistinct(r, byDept[home], nHome), sampleDistinct(r, activeAll, size-nHome)...)
		slices.Sort(members)
		members = slices.Compact(members)
		gr := gGroup{email: fmt.Sprintf("%s-%s-%d@%s", departments[home], projectStems[k%len(projectStems)],
			k/len(projectStems)+1, c.domain), name: "List " + projectStems[k%len(projectStems)], desc: "Mailing list",
			users: members}
		if len(members) > 0 {
			gr.owners = []int32{members[0]}
		}
		if r.Float64() < 0.05 {
			gr.external = []string{firstNames[r.IntN(len(firstNames))] + "@partner" + fmt.Sprint(r.IntN(40)) + ".example"}
		}
		g.addGroup(gr)
	}
	g.counts.GoogleGroups = len(g.groups)
}

// fullScope returns the scope as the tokens API lists it.
func fullScope(s string) string {
	if strings.Contains(s, "://") || s == "openid" || s == "email" || s == "profile" {
		return s
	}
	return "https://www.googleapis.com/auth/" + s
}

func (g *googleGen) write() error {
	c, root := g.c, g.root
	// users.json: one list response.
	var users []gUserJSON
	for i := range c.people {
		pi := int32(i)
		if !g.listed[i] {
			continue
		}
		p := &c.people[i]
		u := gUserJSON{Kind: "admin#directory#user", ID: c.googleUserID(pi), PrimaryEmail: c.email(pi),
			CreationTime: isoMillis(c.daysAgo(p.hireDays, i)), OrgUnitPath: "/" + deptTitle[p.dept],
			IsEnrolledIn2Sv: mix64(uint64(i)*31+7)%10 != 0, CustomerID: g.custID}
		u.Name.GivenName, u.Name.FamilyName = capitalize(firstNames[p.first]), capitalize(lastNames[p.last])
		u.Name.FullName = u.Name.GivenName + " " + u.Name.FamilyName
		u.IsEnforcedIn2Sv = u.IsEnrolledIn2Sv && p.dept == deptIT
		u.ExternalIDs = append(u.ExternalIDs, struct {
			Value string `json:"value"`
			Type  string `json:"type"`
		}{"E" + fmt.Sprint(100000+i), "organization"})
		last := int32(mix64(uint64(i)*131+3) % 6)
		switch g.status[i] {
		case gSuspended:
			u.Suspended, u.SuspensionReason = true, "ADMIN"
			last = p.termDays + 1
		case gArchived:
			u.Archived = true
			last = p.termDays + 2
		default:
			if p.offboarded {
				last = p.termDays + 3
				g.plantOffboardedActive(pi, u.ID)
			}
		}
		u.LastLoginTime = isoMillis(c.daysAgo(min(last, p.hireDays), i+1))
		u.IsAdmin = slices.Contains(g.superIDs, pi)
		users = append(users, u)
	}
	g.counts.GoogleUsers = len(users)
	if err := writeJSON(filepath.Join(root, "users.json"), map[string]any{"kind": "admin#directory#users", "users": users}); err != nil {
		return err
	}
	// groups.json and one members list per group.
	gj := make([]gGroupJSON, len(g.groups))
	for i := range g.groups {
		gr := &g.groups[i]
		n := len(gr.users) + len(gr.groups) + len(gr.external)
		if gr.customer {
			n = 1
		}
		gj[i] = gGroupJSON{Kind: "admin#directory#group", ID: groupKeyID(gr.email), Email: gr.email, Name: gr.name,
			DirectMembersCount: fmt.Sprint(n), Description: gr.desc, AdminCreated: true}
	}
	if err := writeJSON(filepath.Join(root, "groups.json"), map[string]any{"kind": "admin#directory#groups", "groups": gj}); err != nil {
		return err
	}
	for i := range g.groups {
		if err := g.writeMembers(i); err != nil {
			return err
		}
	}
	if err := g.writeRoles(); err != nil {
		return err
	}
	return g.writeTokens()
}

func (g *googleGen) writeMembers(i int) error {
	c := g.c
	gr := &g.groups[i]
	var ms []gMemberJSON
	if gr.customer {
		ms = append(ms, gMemberJSON{Kind: "admin#directory#member", ID: g.custID, Role: "MEMBER", Type: "CUSTOMER"})
	}
	for _, ni := range gr.groups {
		ms = append(ms, gMemberJSON{Kind: "admin#directory#member", ID: groupKeyID(g.groups[ni].email),
			Email: g.groups[ni].email, Role: "MEMBER", Type: "GROUP"})
	}
	for _, pi := range gr.users {
		role := "MEMBER"
		if slices.Contains(gr.owners, pi) {
			role = "OWNER"
		}
		ms = append(ms, gMemberJSON{Kind: "admin#directory#member", ID: c.googleUserID(pi), Email: c.email(pi),
			Role: role, Type: "USER", Status: "ACTIVE"})
	}
	for _, e := range gr.external {
		ms = append(ms, gMemberJSON{Kind: "admin#directory#member", ID: "1" + digits("ext:"+e, 20), Email: e,
			Role: "MEMBER", Type: "USER", Status: "ACTIVE"})
	}
	g.counts.GoogleMemberships += len(ms)
	return writeJSON(filepath.Join(g.root, "members", gr.email+".json"),
		map[string]any{"kind": "admin#directory#members", "members": ms})
}

func (g *googleGen) writeRoles() error {
	c := g.c
	roles := []gRoleJSON{
		{Kind: "admin#directory#role", RoleID: digits("grole:super", 17), RoleName: "_SEED_ADMIN_ROLE",
			RoleDescription: "Super Admin", IsSystemRole: true, IsSuperAdminRole: true,
			RolePrivileges: []gPriv{{"SUPER_ADMIN", "00haapch16h1ysv"}}},
		{Kind: "admin#directory#role", RoleID: digits("grole:helpdesk", 17), RoleName: "_HELP_DESK_ADMIN_ROLE",
			RoleDescription: "Help Desk Admin", IsSystemRole: true,
			RolePrivileges: []gPriv{{"USERS_RETRIEVE", "00haapch16h1ysv"}, {"USERS_RESET_PASSWORD", "00haapch16h1ysv"}}},
		{Kind: "admin#directory#role", RoleID: digits("grole:groups", 17), RoleName: "_GROUPS_ADMIN_ROLE",
			RoleDescription: "Groups Admin", IsSystemRole: true,
			RolePrivileges: []gPriv{{"GROUPS_ALL", "00haapch16h1ysv"}}},
	}
	var as []gAssignJSON
	assign := func(role int, pi int32) {
		as = append(as, gAssignJSON{Kind: "admin#directory#roleAssignment",
			RoleAssignmentID: digits(fmt.Sprintf("gra:%d:%d", role, pi), 17), RoleID: roles[role].RoleID,
			AssignedTo: c.googleUserID(pi), AssigneeType: "USER", ScopeType: "CUSTOMER"})
	}
	for _, pi := range g.superIDs {
		assign(0, pi)
	}
	for ti := range c.teams {
		t := &c.teams[ti]
		if t.name != "it-helpdesk" {
			continue
		}
		for _, pi := range t.members {
			if g.active(pi) {
				assign(1, pi)
			}
		}
	}
	for ti := range c.teams {
		if c.teams[ti].dept == deptHR && g.active(c.teams[ti].manager) {
			assign(2, c.teams[ti].manager)
		}
	}
	if err := writeJSON(filepath.Join(g.root, "roles.json"), map[string]any{"kind": "admin#directory#roles", "items": roles}); err != nil {
		return err
	}
	return writeJSON(filepath.Join(g.root, "roleassignments.json"),
		map[string]any{"kind": "admin#directory#roleAssignments", "items": as})
}

// writeTokens writes each active person's OAuth tokens: about nine apps
// per person by popularity, the agents' clients on their person, and the
// planted broad grant.
func (g *googleGen) writeTokens() error {
	c, r := g.c, g.r
	// Cumulative popularity over the catalog and the long tail.
	var cum []float64
	total := 0.0
	pop := 0
	for _, a := range g.apps {
		if a.agent >= 0 {
			break
		}
		total += a.weight
		cum = append(cum, total)
		pop++
	}
	byPerson := make(map[int32][]int, len(g.c.agents))
	for ai, a := range g.apps {
		if a.agent >= 0 {
			pi := c.agents[a.agent].person
			byPerson[pi] = append(byPerson[pi], ai)
		}
	}
	planted := g.plantPerson()
	broad := oauthApp{name: "InboxPilot Sync", agent: -1, scopes: []string{"openid", "userinfo.email", "userinfo.profile",
		"https://mail.google.com/", "drive", "contacts", "calendar", "spreadsheets", "documents"}}
	broad.clientID = digits("gclient:"+broad.name, 12) + "-" + lowerID("gclient:"+broad.name, 32) + ".apps.googleusercontent.com"
	clients := map[string]bool{}
	for i := range c.people {
		pi := int32(i)
		if !g.active(pi) {
			continue
		}
		n := min(int(r.ExpFloat64()*9.5), 60)
		picked := make([]int, 0, n+2)
		for range n {
			x := r.Float64() * total
			k, _ := slices.BinarySearch(cum, x)
			picked = append(picked, min(k, pop-1))
		}
		picked = append(picked, byPerson[pi]...)
		slices.Sort(picked)
		picked = slices.Compact(picked)
		apps := make([]*oauthApp, 0, len(picked)+1)
		for _, k := range picked {
			apps = append(apps, &g.apps[k])
		}
		if pi == planted {
			apps = append(apps, &broad)
		}
		if len(apps) == 0 {
			continue
		}
		uid := c.googleUserID(pi)
		items := make([]gTokenJSON, 0, len(apps))
		for _, a := range apps {
			t := gTokenJSON{Kind: "admin#directory#token", ClientID: a.clientID, DisplayText: a.name, UserKey: uid}
			for _, s := range a.scopes {
				t.Scopes = append(t.Scopes, fullScope(s))
			}
			items = append(items, t)
			clients[a.clientID] = true
			if a.agent >= 0 {
				g.plantAgentGrant(pi, a)
			}
		}
		g.counts.GoogleTokens += len(items)
		if err := writeJSON(filepath.Join(g.root, "tokens", c.email(pi)+".json"),
			map[string]any{"kind": "admin#directory#tokenList", "items": items}); err != nil {
			return err
		}
	}
	g.counts.GoogleClients = len(clients)
	g.plantBroad(planted, broad)
	return nil
}

// plantPerson picks the sales person who granted the broad app.
func (g *googleGen) plantPerson() int32 {
	c := g.c
	r := rngFor(c.opt.Seed, "google-plants", 0)
	var cands []int32
	for i := range c.people {
		p := &c.people[i]
		if p.dept == deptSales && p.level == 4 && g.active(int32(i)) {
			cands = append(cands, int32(i))
		}
	}
	if len(cands) == 0 {
		for i := range c.people {
			if g.active(int32(i)) && c.people[i].level >= 3 {
				cands = append(cands, int32(i))
			}
		}
	}
	return cands[r.IntN(len(cands))]
}

func (g *googleGen) plantBroad(pi int32, a oauthApp) {
	c := g.c
	uid := c.googleUserID(pi)
	pre := "google:" + g.tenant + ":"
	grant := pre + "grant:" + uid + ":" + a.clientID
	g.plants = append(g.plants, Plant{
		ID: "google-broad-oauth-grant", Kind: PlantBroadOAuthGrant,
		Description: "Sales person " + c.email(pi) + " granted the third-party app " + a.name + " (client " +
			a.clientID + ") nine scopes including https://mail.google.com/ (full Gmail) and " +
			"https://www.googleapis.com/auth/drive (full Drive): the app can read, send and delete all mail and " +
			"read and re-share every file of the user. Expected: a grant with scope_risk critical reaching the " +
			"user's gmail and drive with admin.",
		Source: "google:" + g.tenant, File: "google/tokens/" + c.email(pi) + ".json",
		Principal: grant, Identity: c.email(pi), Resource: pre + "user:" + uid + "/gmail", Service: "gmail",
		Actions: []string{"https://mail.google.com/"}, Privilege: "admin", Expect: "allow",
		Via: []string{"oauth-token/" + a.clientID},
		IDs: []string{grant, pre + "client:" + a.clientID, pre + "user:" + uid, pre + "user:" + uid + "/gmail",
			pre + "user:" + uid + "/drive", c.email(pi)},
	})
}

// plantOffboardedActive lists a terminated person's Google user that
// offboarding missed (background: about 7% of them).
func (g *googleGen) plantOffboardedActive(pi int32, uid string) {
	c := g.c
	pre := "google:" + g.tenant + ":"
	g.plants = append(g.plants, Plant{
		ID: "google-offboarded-active-" + uid, Kind: PlantOffboardedSaaSAccount,
		Description: "Person " + c.email(pi) + " was terminated (hr/people.csv) but offboarding missed Google " +
			"user " + uid + ": neither suspended nor archived, with its mail, Drive and groups.",
		Source: "google:" + g.tenant, File: "google/users.json",
		Principal: pre + "user:" + uid, Identity: c.email(pi), Resource: pre + "user:" + uid + "/gmail",
		Service: "gmail", Actions: []string{}, Privilege: "admin", Expect: "allow", Background: true,
		Via: []string{"users/" + uid}, IDs: []string{pre + "user:" + uid, c.email(pi)},
	})
}

// plantAgentGrant lists an AI agent's OAuth client holding mail, calendar
// and Drive read on its person's account (background: every agent has one).
func (g *googleGen) plantAgentGrant(pi int32, a *oauthApp) {
	c := g.c
	uid := c.googleUserID(pi)
	pre := "google:" + g.tenant + ":"
	grant := pre + "grant:" + uid + ":" + a.clientID
	scopes := make([]string, 0, len(a.scopes))
	for _, s := range a.scopes {
		scopes = append(scopes, fullScope(s))
	}
	g.plants = append(g.plants, Plant{
		ID: "google-agent-mail-grant-" + c.agents[a.agent].name, Kind: PlantAgentMailGrant,
		Description: "AI agent " + c.agents[a.agent].name + " acts for " + c.email(pi) + " through its own OAuth " +
			"client " + a.clientID + ", which that person alone granted " + strings.Join(scopes, ", ") +
			": software reads the person's mail, calendar and files.",
		Source: "google:" + g.tenant, File: "google/tokens/" + c.email(pi) + ".json",
		Principal: grant, Identity: c.email(pi), Resource: pre + "user:" + uid + "/gmail", Service: "gmail",
		Actions: scopes, Privilege: "read", Expect: "allow", Background: true,
		Via: []string{"oauth-token/" + a.clientID},
		IDs: []string{grant, c.email(pi)},
	})
}

// writeJSON writes v as one JSON document (a list response).
func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	b := bufio.NewWriterSize(f, 1<<16)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
