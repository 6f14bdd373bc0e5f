package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// Okta export: one file per Management API list request, as
// ingest/okta.ParseExport reads it (users.json, groups.json,
// groups/<id>/users.json, groups/<id>/roles.json, apps.json,
// apps/<id>/users.json, apps/<id>/groups.json, users/<id>/roles.json,
// users/<id>/grants.json, api-tokens.json).

// oktaUser is one Okta user: a person of the HR roster (index < len(people))
// or a former employee missing from HR (an orphan).
type oktaUser struct {
	id, email, first, last, empNo, title, dept string
	status                                     string
	created, lastLogin, statusChanged          time.Time
	person                                     int32 // -1 for orphans
	inGroups                                   bool  // keeps group and app memberships
}

type oktaGroup struct {
	id, name, desc, typ string
	created             time.Time
	members             []int32 // Okta user indexes, sorted
	role                string  // admin role type assigned to the group
}

// oktaJSON shapes, field order as the API returns them.
type oktaProfileJSON struct {
	FirstName      string `json:"firstName"`
	LastName       string `json:"lastName"`
	Email          string `json:"email"`
	Login          string `json:"login"`
	EmployeeNumber string `json:"employeeNumber,omitempty"`
	Department     string `json:"department,omitempty"`
	Title          string `json:"title,omitempty"`
	UserType       string `json:"userType,omitempty"`
}

type oktaUserJSON struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Created       string          `json:"created"`
	Activated     *string         `json:"activated"`
	StatusChanged string          `json:"statusChanged"`
	LastLogin     *string         `json:"lastLogin"`
	LastUpdated   string          `json:"lastUpdated"`
	Profile       oktaProfileJSON `json:"profile"`
}

// oktaMemberJSON is a user as a group's member list gives it here: the
// fields that identify the user (the API returns the whole user; the
// connector reads users from users.json and only ids and statuses from
// member lists, so the lists stay a third of the size).
type oktaMemberJSON struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	Created   string  `json:"created"`
	LastLogin *string `json:"lastLogin"`
	Profile   struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
		Email     string `json:"email"`
		Login     string `json:"login"`
	} `json:"profile"`
}

type oktaGroupJSON struct {
	ID      string `json:"id"`
	Created string `json:"created"`
	Type    string `json:"type"`
	Profile struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"profile"`
}

type oktaAppJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Label      string `json:"label"`
	Status     string `json:"status"`
	Created    string `json:"created"`
	SignOnMode string `json:"signOnMode"`
}

type oktaAppUserJSON struct {
	ID          string `json:"id"`
	Created     string `json:"created"`
	Scope       string `json:"scope"`
	Status      string `json:"status"`
	Credentials struct {
		UserName string `json:"userName"`
	} `json:"credentials"`
}

type oktaAppGroupJSON struct {
	ID       string `json:"id"`
	Priority int    `json:"priority"`
}

type oktaRoleJSON struct {
	ID             string `json:"id"`
	Label          string `json:"label"`
	Type           string `json:"type"`
	Status         string `json:"status"`
	Created        string `json:"created"`
	AssignmentType string `json:"assignmentType"`
}

type oktaGrantJSON struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Created  string `json:"created"`
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"`
	UserID   string `json:"userId"`
	ScopeID  string `json:"scopeId"`
	Source   string `json:"source"`
	Embedded struct {
		Scope struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"scope"`
	} `json:"_embedded"`
}

type oktaTokenJSON struct {
	Name        string `json:"name"`
	UserID      string `json:"userId"`
	TokenWindow string `json:"tokenWindow"`
	ID          string `json:"id"`
	ClientName  string `json:"clientName"`
	ExpiresAt   string `json:"expiresAt"`
	Created     string `json:"created"`
	LastUpdated string `json:"lastUpdated"`
}

// oktaRoleLabels are the display names of Okta's standard admin roles.
var oktaRoleLabels = map[string]string{
	"SUPER_ADMIN": "Super Administrator", "ORG_ADMIN": "Organizational Administrator",
	"APP_ADMIN": "Application Administrator", "HELP_DESK_ADMIN": "Help Desk Administrator",
	"READ_ONLY_ADMIN": "Read-only Administrator", "GROUP_MEMBERSHIP_ADMIN": "Group Membership Administrator",
}

type oktaGen struct {
	c      *company
	r      *rand.Rand
	root   string // <dir>/okta
	org    string
	counts *Counts
	plants []Plant

	users   []oktaUser
	byDept  [][]int32 // Okta user indexes that keep memberships, per department
	all     []int32
	groups  []oktaGroup
	apps    []saasApp
	appIDs  []string
	appGrps [][]int // group indexes assigned to each app
	direct  [][]int32
	roles   map[int32][]oktaRoleJSON // user roles by Okta user index
	orphan  int32                    // the planted orphaned admin
}

// oktaOrg is the org host of the company's Okta tenant.
func (c *company) oktaOrg() string { return c.slug + ".okta.com" }

// generateOkta writes the Okta export under dir/okta.
func (c *company) generateOkta(dir string, counts *Counts) ([]Plant, error) {
	g := &oktaGen{c: c, r: rngFor(c.opt.Seed, "okta", 0), root: filepath.Join(dir, "okta"), org: c.oktaOrg(),
		counts: counts, roles: map[int32][]oktaRoleJSON{}}
	g.buildUsers()
	g.buildGroups()
	g.buildApps()
	if err := g.write(); err != nil {
		return nil, fmt.Errorf("okta export: %w", err)
	}
	return g.plants, nil
}

func (g *oktaGen) buildUsers() {
	c, r := g.c, g.r
	g.byDept = make([][]int32, len(departments))
	add := func(u oktaUser) {
		ui := int32(len(g.users))
		g.users = append(g.users, u)
		if u.inGroups {
			g.all = append(g.all, ui)
			if u.person >= 0 {
				d := c.people[u.person].dept
				g.byDept[d] = append(g.byDept[d], ui)
			}
		}
	}
	for i := range c.people {
		pi := int32(i)
		p := &c.people[i]
		u := oktaUser{email: c.email(pi), first: capitalize(firstNames[p.first]), last: capitalize(lastNames[p.last]),
			empNo: "E" + strconv.Itoa(100000+i), title: c.title(pi), dept: departments[p.dept], person: pi,
			created: c.daysAgo(p.hireDays+int32(r.IntN(10)), i)}
		u.id = oktaID("00u", "user:"+u.email)
		u.status, u.inGroups = "ACTIVE", true
		u.statusChanged = u.created.Add(time.Hour)
		last := int32(r.ExpFloat64() * 3)
		switch x := r.Float64(); {
		case p.offboarded:
			term := c.daysAgo(p.termDays, i+1)
			u.statusChanged = term
			last = p.termDays + int32(r.IntN(5))
			switch y := r.Float64(); {
			case y < 0.85:
				u.status, u.inGroups = "DEPROVISIONED", false
			case y < 0.95:
				u.status = "SUSPENDED"
			default: // offboarding missed this account
			}
		case p.hireDays < 45 && x < 0.5:
			u.status = "PROVISIONED"
			last = -1
		case x < 0.01:
			u.status = "PASSWORD_EXPIRED"
		case x < 0.015:
			u.status = "LOCKED_OUT"
		case x < 0.02:
			u.status = "RECOVERY"
		case x < 0.07:
			last = 91 + int32(r.IntN(300)) // dormant
		}
		if last >= 0 {
			u.lastLogin = c.daysAgo(min(last, p.hireDays), i+2)
		}
		add(u)
	}
	// Former employees whose accounts outlived their HR record.
	n := max(1, len(c.people)/80)
	for k := range n {
		f, l := r.IntN(len(firstNames)), r.IntN(len(lastNames))
		u := oktaUser{first: capitalize(firstNames[f]), last: capitalize(lastNames[l]), person: -1,
			email: firstNames[f] + "." + lastNames[l] + strconv.Itoa(900+k) + "@" + c.domain,
			title: "Contractor", created: c.daysAgo(int32(400+r.IntN(2500)), k)}
		u.id = oktaID("00u", "user:"+u.email)
		gone := c.daysAgo(int32(30+r.IntN(360)), k+1)
		u.statusChanged, u.lastLogin = gone, gone.Add(-time.Duration(r.IntN(72))*time.Hour)
		switch y := r.Float64(); {
		case y < 0.7:
			u.status = "DEPROVISIONED"
		case y < 0.85:
			u.status, u.inGroups = "SUSPENDED", true
		default:
			u.status, u.inGroups = "ACTIVE", true
		}
		add(u)
	}
	// The planted orphaned admin: a former IT administrator, not in HR,
	// still ACTIVE with Super Administrator.
	f, l := r.IntN(len(firstNames)), r.IntN(len(lastNames))
	u := oktaUser{first: capitalize(firstNames[f]), last: capitalize(lastNames[l]), person: -1, status: "ACTIVE",
		email: firstNames[f] + "." + lastNames[l] + ".admin@" + c.domain, title: "IT Administrator",
		created: c.daysAgo(1900, 3), inGroups: true}
	u.id = oktaID("00u", "user:"+u.email)
	u.statusChanged, u.lastLogin = u.created.Add(time.Hour), c.daysAgo(160, 4)
	g.orphan = int32(len(g.users))
	add(u)
	for _, u := range g.users {
		g.counts.OktaUsers++
		if u.person < 0 {
			g.counts.OktaOrphanUsers++
		}
	}
}

func (g *oktaGen) addGroup(name, desc, typ string, age int32, members []int32) int {
	gr := oktaGroup{id: oktaID("00g", "group:"+name), name: name, desc: desc, typ: typ,
		created: g.c.daysAgo(age, len(name)), members: members}
	g.groups = append(g.groups, gr)
	return len(g.groups) - 1
}

func (g *oktaGen) buildGroups() {
	c, r := g.c, g.r
	everyone := make([]int32, len(g.users))
	for i := range everyone {
		everyone[i] = int32(i)
	}
	g.addGroup("Everyone", "All users in your organization", "BUILT_IN", 3000, everyone)
	for d := range departments {
		g.addGroup("Dept - "+deptTitle[d], "Everyone in "+deptTitle[d], "OKTA_GROUP", 2800, g.byDept[d])
	}
	teams := make([][]int32, len(c.teams))
	byOffice := make([][]int32, len(offices))
	for _, ui := range g.all {
		if pi := g.users[ui].person; pi >= 0 {
			if t := c.people[pi].team; t >= 0 {
				teams[t] = append(teams[t], ui)
			}
			o := c.office(pi)
			byOffice[o] = append(byOffice[o], ui)
		}
	}
	for ti := range c.teams {
		g.addGroup("Team - "+c.teams[ti].name, deptTitle[c.teams[ti].dept]+" team "+c.teams[ti].name,
			"OKTA_GROUP", 1500, teams[ti])
	}
	for o := range byOffice {
		g.addGroup("Office - "+offices[o], "People based in "+offices[o], "OKTA_GROUP", 2500, byOffice[o])
	}
	// Project and interest groups: heavy-tailed sizes, about a dozen per
	// person (fewer once the largest are capped).
	const perPerson, meanSize = 12, 24
	n := max(4, len(g.all)*perPerson/meanSize)
	for k := range n {
		home := r.IntN(len(departments))
		size := heavySize(r, 3, 6, 1.25, max(3, len(g.all)/3))
		nHome := min(size*7/10, len(g.byDept[home]))
		members := append(sampleDistinct(r, g.byDept[home], nHome), sampleDistinct(r, g.all, size-nHome)...)
		slices.Sort(members)
		members = slices.Compact(members)
		name := fmt.Sprintf("prj-%s-%s-%d", departments[home], projectStems[k%len(projectStems)], k/len(projectStems)+1)
		g.addGroup(name, "Project group", "OKTA_GROUP", int32(30+r.IntN(1500)), members)
	}
}

func (g *oktaGen) pool(mask int) []int32 {
	if mask == mAll {
		return g.all
	}
	var out []int32
	for d := range departments {
		if mask&(1<<d) != 0 {
			out = append(out, g.byDept[d]...)
		}
	}
	slices.Sort(out)
	return out
}

func (g *oktaGen) buildApps() {
	c, r := g.c, g.r
	g.apps = c.buildSaaS(rngFor(c.opt.Seed, "saas", 0))
	// The Okta Admin Console comes first: admins are assigned to it.
	admins := []int32{g.orphan}
	for _, ui := range g.byDept[deptIT] {
		p := &c.people[g.users[ui].person]
		if p.level <= 3 && len(admins) < 6 {
			admins = append(admins, ui)
		}
	}
	slices.Sort(admins)
	oktaAdmins := g.addGroup("Okta Administrators", "Super administrators of the Okta org", "OKTA_GROUP", 2900, admins)
	g.groups[oktaAdmins].role = "SUPER_ADMIN"
	g.apps = append([]saasApp{{label: "Okta Admin Console", name: "saasure", mode: "OPENID_CONNECT",
		depts: mIT, created: 3000}}, g.apps...)
	g.appGrps = make([][]int, len(g.apps))
	g.appGrps[0] = []int{oktaAdmins}
	for ai := 1; ai < len(g.apps); ai++ {
		a := &g.apps[ai]
		if a.everyone {
			g.appGrps[ai] = []int{0}
			continue
		}
		pool := g.pool(a.depts)
		users := g.addGroup(a.label+" Users", "Assigned to "+a.label, "OKTA_GROUP", a.created,
			sampleDistinct(r, pool, int(float64(len(pool))*a.share)))
		g.appGrps[ai] = []int{users}
		if a.adminGroup {
			adm := g.addGroup(a.label+" Admins", "Administrators of "+a.label, "OKTA_GROUP", a.created,
				sampleDistinct(r, g.pool(a.depts&(mEng|mIT|mSec)|mIT), heavySize(r, 1, 1, 1.5, 25)))
			g.appGrps[ai] = append(g.appGrps[ai], adm)
		}
	}
	// Help desk and app administrators hold Okta admin roles through groups
	// and directly.
	for gi := range g.groups {
		if g.groups[gi].name == "Team - it-helpdesk" {
			g.groups[gi].role = "HELP_DESK_ADMIN"
		}
	}
	for _, ui := range g.all {
		pi := g.users[ui].person
		if pi < 0 {
			continue
		}
		p := &c.people[pi]
		t := ""
		switch {
		case p.team >= 0 && c.teams[p.team].name == "it-saas-admin":
			t = "APP_ADMIN"
		case p.dept == deptSecurity && p.level <= 3:
			t = "READ_ONLY_ADMIN"
		case p.team >= 0 && c.teams[p.team].name == "it-identity-ops" && p.level == 3:
			t = "ORG_ADMIN"
		}
		if t != "" {
			g.roles[ui] = append(g.roles[ui], g.role(t, "USER", g.users[ui].email, int(ui)))
		}
	}
	g.roles[g.orphan] = append(g.roles[g.orphan], g.role("SUPER_ADMIN", "USER", g.users[g.orphan].email, 1))
	// Direct (scope USER) assignments: about five per active person.
	g.direct = make([][]int32, len(g.apps))
	for _, ui := range g.all {
		for range r.IntN(11) {
			ai := 1 + r.IntN(len(g.apps)-1)
			g.direct[ai] = append(g.direct[ai], ui)
		}
	}
	for ai := range g.direct {
		slices.Sort(g.direct[ai])
		g.direct[ai] = slices.Compact(g.direct[ai])
	}
	g.appIDs = make([]string, len(g.apps))
	for ai := range g.apps {
		g.appIDs[ai] = oktaID("0oa", "app:"+g.apps[ai].name)
	}
	g.counts.OktaApps = len(g.apps)
	g.counts.OktaGroups = len(g.groups)
}

func (g *oktaGen) role(typ, assignment, key string, salt int) oktaRoleJSON {
	return oktaRoleJSON{ID: oktaID("ra1", "role:"+typ+":"+key), Label: oktaRoleLabels[typ], Type: typ,
		Status: "ACTIVE", Created: isoMillis(g.c.daysAgo(int32(100+salt%900), salt)), AssignmentType: assignment}
}

// writeList writes one API response file: a JSON array of items.
func writeList[T any](path string, items []T) error {
	return writeArray(path, func(a *arrWriter) error {
		for i := range items {
			if err := a.item(&items[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeArray(path string, fill func(a *arrWriter) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	b := bufio.NewWriterSize(f, 1<<16)
	a := newArrWriter(b)
	if err := fill(a); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	a.close()
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

func (g *oktaGen) userJSON(u *oktaUser) oktaUserJSON {
	j := oktaUserJSON{ID: u.id, Status: u.status, Created: isoMillis(u.created),
		StatusChanged: isoMillis(u.statusChanged), LastUpdated: isoMillis(u.statusChanged),
		Profile: oktaProfileJSON{FirstName: u.first, LastName: u.last, Email: u.email, Login: u.email,
			EmployeeNumber: u.empNo, Department: u.dept, Title: u.title}}
	if u.status != "STAGED" && u.status != "PROVISIONED" {
		s := isoMillis(u.created.Add(time.Minute))
		j.Activated = &s
	}
	if !u.lastLogin.IsZero() {
		s := isoMillis(u.lastLogin)
		j.LastLogin = &s
		if u.lastLogin.After(u.statusChanged) {
			j.LastUpdated = s
		}
	}
	return j
}

func (g *oktaGen) write() error {
	root := g.root
	// users.json, and each user's member-list rendering, reused in every
	// group it belongs to.
	rendered := make([][]byte, len(g.users))
	if err := writeArray(filepath.Join(root, "users.json"), func(a *arrWriter) error {
		for i := range g.users {
			j := g.userJSON(&g.users[i])
			if err := a.item(j); err != nil {
				return err
			}
			m := oktaMemberJSON{ID: j.ID, Status: j.Status, Created: j.Created, LastLogin: j.LastLogin}
			m.Profile.FirstName, m.Profile.LastName = j.Profile.FirstName, j.Profile.LastName
			m.Profile.Email, m.Profile.Login = j.Profile.Email, j.Profile.Login
			b, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("encode json: %w", err)
			}
			rendered[i] = b
		}
		return nil
	}); err != nil {
		return err
	}
	gj := make([]oktaGroupJSON, len(g.groups))
	for i := range g.groups {
		gr := &g.groups[i]
		gj[i] = oktaGroupJSON{ID: gr.id, Created: isoMillis(gr.created), Type: gr.typ}
		gj[i].Profile.Name, gj[i].Profile.Description = gr.name, gr.desc
	}
	if err := writeList(filepath.Join(root, "groups.json"), gj); err != nil {
		return err
	}
	for i := range g.groups {
		gr := &g.groups[i]
		if err := writeArray(filepath.Join(root, "groups", gr.id, "users.json"), func(a *arrWriter) error {
			for _, ui := range gr.members {
				a.raw(rendered[ui])
			}
			return nil
		}); err != nil {
			return err
		}
		g.counts.OktaMemberships += len(gr.members)
		if gr.role != "" {
			if err := writeList(filepath.Join(root, "groups", gr.id, "roles.json"),
				[]oktaRoleJSON{g.role(gr.role, "GROUP", gr.name, i)}); err != nil {
				return err
			}
			g.counts.OktaAdminRoles++
		}
	}
	return g.writeApps()
}

func (g *oktaGen) writeApps() error {
	c, root := g.c, g.root
	aj := make([]oktaAppJSON, 0, len(g.apps)+len(c.agents))
	for ai, a := range g.apps {
		aj = append(aj, oktaAppJSON{ID: g.appIDs[ai], Name: a.name, Label: a.label, Status: "ACTIVE",
			Created: isoMillis(c.daysAgo(a.created, ai)), SignOnMode: a.mode})
	}
	// Each AI agent is an OpenID Connect client its person consented to.
	agentApp := make([]string, len(c.agents))
	for i, ag := range c.agents {
		agentApp[i] = oktaID("0oa", "agent:"+ag.name)
		aj = append(aj, oktaAppJSON{ID: agentApp[i], Name: "oidc_client", Label: ag.name, Status: "ACTIVE",
			Created: isoMillis(c.daysAgo(ag.created, i)), SignOnMode: "OPENID_CONNECT"})
	}
	if err := writeList(filepath.Join(root, "apps.json"), aj); err != nil {
		return err
	}
	scope := make([]uint8, len(g.users)) // 0 none, 1 GROUP, 2 USER
	for ai := range g.apps {
		clear(scope)
		var ag []oktaAppGroupJSON
		for k, gi := range g.appGrps[ai] {
			ag = append(ag, oktaAppGroupJSON{ID: g.groups[gi].id, Priority: k})
			for _, ui := range g.groups[gi].members {
				if g.users[ui].inGroups {
					scope[ui] = 1
				}
			}
		}
		for _, ui := range g.direct[ai] {
			scope[ui] = 2
			g.counts.OktaDirectAssignments++
		}
		if err := writeList(filepath.Join(root, "apps", g.appIDs[ai], "groups.json"), ag); err != nil {
			return err
		}
		created := isoMillis(c.daysAgo(g.apps[ai].created, ai))
		if err := writeArray(filepath.Join(root, "apps", g.appIDs[ai], "users.json"), func(a *arrWriter) error {
			for ui, s := range scope {
				if s == 0 {
					continue
				}
				au := oktaAppUserJSON{ID: g.users[ui].id, Created: created, Scope: "GROUP", Status: "ACTIVE"}
				if s == 2 {
					au.Scope = "USER"
				}
				au.Credentials.UserName = g.users[ui].email
				if err := a.item(&au); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// Admin roles held directly.
	keys := make([]int32, 0, len(g.roles))
	for ui := range g.roles {
		keys = append(keys, ui)
	}
	slices.Sort(keys)
	for _, ui := range keys {
		if err := writeList(filepath.Join(root, "users", g.users[ui].id, "roles.json"), g.roles[ui]); err != nil {
			return err
		}
		g.counts.OktaAdminRoles += len(g.roles[ui])
	}
	g.plantOrphanAdmin()
	g.plantBackground()
	if err := g.writeGrants(agentApp); err != nil {
		return err
	}
	return g.writeTokens()
}

// writeGrants writes the consents people gave to their agents' clients.
func (g *oktaGen) writeGrants(agentApp []string) error {
	c := g.c
	byUser := map[int32][]oktaGrantJSON{}
	for i, ag := range c.agents {
		ui := ag.person // person indexes equal Okta user indexes
		for _, s := range []string{"okta.users.read", "okta.groups.read", "okta.apps.read"} {
			gr := oktaGrantJSON{ID: oktaID("oag", "grant:"+ag.name+":"+s), Status: "ACTIVE",
				Created: isoMillis(c.daysAgo(ag.created, i)), Issuer: "https://" + g.org, ClientID: agentApp[i],
				UserID: g.users[ui].id, ScopeID: oktaID("scp", s), Source: "END_USER"}
			gr.Embedded.Scope.ID, gr.Embedded.Scope.Name = gr.ScopeID, s
			byUser[ui] = append(byUser[ui], gr)
			g.counts.OktaGrants++
		}
	}
	keys := make([]int32, 0, len(byUser))
	for ui := range byUser {
		keys = append(keys, ui)
	}
	slices.Sort(keys)
	for _, ui := range keys {
		if err := writeList(filepath.Join(g.root, "users", g.users[ui].id, "grants.json"), byUser[ui]); err != nil {
			return err
		}
	}
	return nil
}

// writeTokens writes the API tokens of identity operations people.
func (g *oktaGen) writeTokens() error {
	c, r := g.c, g.r
	var toks []oktaTokenJSON
	for _, ui := range g.byDept[deptIT] {
		p := &c.people[g.users[ui].person]
		if p.team < 0 || (c.teams[p.team].name != "it-identity-ops" && c.teams[p.team].name != "it-saas-admin") ||
			g.users[ui].status != "ACTIVE" {
			continue
		}
		created := c.daysAgo(int32(20+r.IntN(700)), int(ui))
		used := c.daysAgo(int32(r.IntN(20)), int(ui)+1)
		if used.Before(created) {
			used = created
		}
		name := []string{"terraform", "scim-sync", "audit-export", "workflows"}[r.IntN(4)] + "-" + g.users[ui].first
		toks = append(toks, oktaTokenJSON{Name: name, UserID: g.users[ui].id, TokenWindow: "P30D",
			ID: oktaID("00T", "token:"+name+g.users[ui].id), ClientName: "Okta API",
			ExpiresAt: isoMillis(used.AddDate(0, 0, 30)), Created: isoMillis(created), LastUpdated: isoMillis(used)})
	}
	g.counts.OktaAPITokens = len(toks)
	return writeList(filepath.Join(g.root, "api-tokens.json"), toks)
}

// plantBackground lists the ACTIVE users that should not be: a terminated
// person's account that offboarding missed, and former employees missing
// from HR whose account is still ACTIVE (orphans). Suspended and
// deprovisioned accounts cannot sign in and are not listed.
func (g *oktaGen) plantBackground() {
	c := g.c
	pre := "okta:" + g.org + ":"
	for ui := range g.users {
		u := &g.users[ui]
		if u.status != "ACTIVE" || int32(ui) == g.orphan || !u.inGroups {
			continue
		}
		p := Plant{Source: "okta:" + g.org, File: "okta/users.json", Principal: pre + "user:" + u.id,
			Resource: pre + "org", Service: "okta", Actions: []string{}, Privilege: "read", Expect: "allow",
			Background: true, Via: []string{"groups/Everyone"}, IDs: []string{pre + "user:" + u.id}}
		switch {
		case u.person >= 0 && c.people[u.person].offboarded:
			p.ID, p.Kind, p.Identity = "okta-offboarded-active-"+u.id, PlantOffboardedSaaSAccount, u.email
			p.Description = "Person " + u.email + " was terminated (hr/people.csv) but offboarding missed Okta user " +
				u.id + ": still ACTIVE, in its groups and apps."
			p.IDs = append(p.IDs, u.email)
		case u.person < 0:
			p.ID, p.Kind = "okta-orphaned-active-"+u.id, PlantOrphanedSaaSAccount
			p.Description = "Okta user " + u.email + " (" + u.id + ") is ACTIVE, in its groups and apps, but no " +
				"person with that email is in hr/people.csv (a former employee)."
		default:
			continue
		}
		g.plants = append(g.plants, p)
	}
}

func (g *oktaGen) plantOrphanAdmin() {
	u := &g.users[g.orphan]
	pre := "okta:" + g.org + ":"
	ra := g.roles[g.orphan][len(g.roles[g.orphan])-1]
	g.plants = append(g.plants, Plant{
		ID: "okta-orphaned-admin", Kind: PlantOrphanedSaaSAdmin,
		Description: "Okta user " + u.email + " (" + u.id + ") is ACTIVE and holds Super Administrator directly " +
			"and through group Okta Administrators, but no person with that email is in hr/people.csv (a former " +
			"IT administrator); last login 160 days ago. It reaches the Okta org with admin privilege.",
		Source: "okta:" + g.org, File: "okta/users/" + u.id + "/roles.json",
		Principal: pre + "user:" + u.id, Resource: pre + "org", Service: "okta",
		Actions: []string{"SUPER_ADMIN"}, Privilege: "admin", Expect: "allow",
		Via: []string{"users/" + u.id + "/roles/" + ra.ID, "role/Super Administrator"},
		IDs: []string{pre + "user:" + u.id, pre + "role:SUPER_ADMIN", pre + "org", u.email},
	})
}
