package github

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
)

// Options names the GitHub organization.
type Options struct {
	// Org is the organization's login; the source is "github:<org>".
	Org string
	// PersonalAccessTokens makes Fetch read the organization's fine-grained
	// personal access tokens, which only a GitHub App installation token
	// with "Personal access tokens" organization read permission may list.
	PersonalAccessTokens bool
	// MaxRateLimitWait bounds one wait for a rate limit (Retry-After or
	// x-ratelimit-reset) in live mode (default 15 minutes); a longer wait
	// fails the run instead.
	MaxRateLimitWait time.Duration
}

func (o Options) validate() error {
	if strings.TrimSpace(o.Org) == "" {
		return errors.New("github: Options.Org is empty, expected the organization login")
	}
	return nil
}

// Source returns the batch source name for o: "github:<org>" (lower-case:
// GitHub logins are case-insensitive).
func (o Options) Source() string { return "github:" + strings.ToLower(o.Org) }

// Subkinds of the nodes this package emits.
const (
	SubkindUser       = "github-user"
	SubkindTeam       = "github-team"
	SubkindOrgMembers = "github-org-members"
	SubkindOrgRole    = "github-org-role"
	SubkindOrg        = "github-org"
	SubkindSettings   = "github-org-settings"
	SubkindRepo       = "github-repo"
	SubkindApp        = "github-app-installation"
	SubkindPAT        = "github-fine-grained-pat"
)

type builder struct {
	opt      Options
	pre      string
	b        *graph.Batch
	s        *snapshot
	users    map[string]*simpleUser // by lower-case login
	roles    map[string]string      // login -> admin/member/outside
	teams    map[string]*team       // by slug
	teamByID map[int64]*team
	repos    map[string]string // lower-case name -> node id
	repoIDs  []string          // every repo of repos.json, sorted
	// For the owner side of token reach: principal -> what it holds.
	up     map[string][]string                   // MEMBER_OF, HAS_ROLE targets
	access map[string]map[string]graph.Privilege // ACCESS targets
}

func build(opt Options, s *snapshot) (*graph.Batch, error) {
	bl := &builder{opt: opt, pre: opt.Source() + ":", b: graph.NewBatch(opt.Source()), s: s,
		users: map[string]*simpleUser{}, roles: map[string]string{}, teams: map[string]*team{},
		teamByID: map[int64]*team{}, repos: map[string]string{},
		up: map[string][]string{}, access: map[string]map[string]graph.Privilege{}}
	for _, step := range []func() error{bl.org, bl.people, bl.teamNodes, bl.teamMembership, bl.repoAccess,
		bl.apps, bl.tokens} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := bl.b.Validate(); err != nil {
		return nil, fmt.Errorf("github %s: %w", opt.Org, err)
	}
	return bl.b, nil
}

func (bl *builder) userID(id int64) string { return bl.pre + "user:" + strconv.FormatInt(id, 10) }
func (bl *builder) teamID(id int64) string { return bl.pre + "team:" + strconv.FormatInt(id, 10) }
func (bl *builder) repoID(id int64) string { return bl.pre + "repo:" + strconv.FormatInt(id, 10) }
func (bl *builder) appID(id int64) string {
	return bl.pre + "installation:" + strconv.FormatInt(id, 10)
}
func (bl *builder) patID(id int64) string  { return bl.pre + "pat:" + strconv.FormatInt(id, 10) }
func (bl *builder) orgID() string          { return bl.pre + "org" }
func (bl *builder) settingsID() string     { return bl.pre + "org-settings" }
func (bl *builder) adminRoleID() string    { return bl.pre + "role:org-admin" }
func (bl *builder) membersGroupID() string { return bl.pre + "members" }
func (bl *builder) edge(e graph.Edge)      { bl.b.AddEdge(e); bl.note(e) }
func lowerLogin(u *simpleUser) string      { return strings.ToLower(u.Login) }

// note records traversal and ACCESS edges for ownerReach.
func (bl *builder) note(e graph.Edge) {
	switch e.Kind {
	case graph.EdgeMemberOf, graph.EdgeHasRole:
		bl.up[e.From] = append(bl.up[e.From], e.To)
	case graph.EdgeAccess:
		m := bl.access[e.From]
		if m == nil {
			m = map[string]graph.Privilege{}
			bl.access[e.From] = m
		}
		m[e.To] = max(m[e.To], e.Privilege)
	}
}

func (bl *builder) org() error {
	name := bl.opt.Org
	p := map[string]string{"login": bl.opt.Org}
	if o := bl.s.org; o != nil {
		if o.Name != "" {
			name = o.Name
		}
		p["default_repository_permission"] = o.DefaultRepositoryPermission
		if o.TwoFactorRequirementEnabled != nil {
			p["two_factor_requirement_enabled"] = strconv.FormatBool(*o.TwoFactorRequirementEnabled)
		}
	}
	bl.b.AddNode(graph.Node{ID: bl.orgID(), Kind: graph.KindResource, Subkind: SubkindOrg,
		Name: "GitHub organization " + name, Sensitivity: graph.SensCritical, Props: p})
	bl.b.AddNode(graph.Node{ID: bl.settingsID(), Kind: graph.KindResource, Subkind: SubkindSettings,
		Name: "settings, members and teams of " + bl.opt.Org, Sensitivity: graph.SensCritical})
	bl.b.AddEdge(graph.Edge{From: bl.orgID(), To: bl.settingsID(), Kind: graph.EdgeContains})
	bl.b.AddNode(graph.Node{ID: bl.adminRoleID(), Kind: graph.KindRole, Subkind: SubkindOrgRole,
		Name: "owner of " + bl.opt.Org})
	bl.edge(graph.Edge{From: bl.adminRoleID(), To: bl.orgID(), Kind: graph.EdgeAccess, Privilege: graph.PrivAdmin,
		Actions: []string{"admin"}, Via: []string{"org/owner"}})
	bl.b.AddNode(graph.Node{ID: bl.membersGroupID(), Kind: graph.KindGroup, Subkind: SubkindOrgMembers,
		Name: "members of " + bl.opt.Org})
	// Repositories: the organization contains each.
	for i := range bl.s.repos {
		id := bl.repo(&bl.s.repos[i])
		bl.repoIDs = append(bl.repoIDs, id)
	}
	sort.Strings(bl.repoIDs)
	return nil
}

// repo adds a repository node and returns its id.
func (bl *builder) repo(r *repository) string {
	id := bl.repoID(r.ID)
	vis := r.Visibility
	if vis == "" {
		vis = "public"
		if r.Private {
			vis = "private"
		}
	}
	sens := graph.SensMedium
	if vis != "public" {
		sens = graph.SensHigh
	}
	name := r.FullName
	if name == "" {
		name = bl.opt.Org + "/" + r.Name
	}
	bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: SubkindRepo, Name: name, Sensitivity: sens,
		Props: map[string]string{"visibility": vis, "archived": strconv.FormatBool(r.Archived),
			"fork": strconv.FormatBool(r.Fork), "id": strconv.FormatInt(r.ID, 10)}})
	bl.b.AddEdge(graph.Edge{From: bl.orgID(), To: id, Kind: graph.EdgeContains})
	bl.repos[strings.ToLower(r.Name)] = id
	return id
}

// user adds a user's account node (once) and returns its id.
func (bl *builder) user(u *simpleUser) string {
	id := bl.userID(u.ID)
	if _, ok := bl.users[lowerLogin(u)]; ok {
		return id
	}
	bl.users[lowerLogin(u)] = u
	p := map[string]string{"login": u.Login, graph.PropStatus: "active", "site_admin": strconv.FormatBool(u.SiteAdmin)}
	if u.Type != "" {
		p["type"] = u.Type
	}
	if u.Email != nil && strings.Contains(*u.Email, "@") {
		p[graph.PropEmail] = strings.ToLower(strings.TrimSpace(*u.Email))
	}
	if u.Name != nil && *u.Name != "" {
		p[graph.PropDisplayName] = *u.Name
	}
	bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Subkind: SubkindUser, Name: u.Login, Props: p})
	return id
}

func (bl *builder) people() error {
	admins := map[string]bool{}
	for i := range bl.s.admins {
		admins[lowerLogin(&bl.s.admins[i])] = true
	}
	for i := range bl.s.members {
		u := &bl.s.members[i]
		id := bl.user(u)
		role := "member"
		if admins[lowerLogin(u)] {
			role = "admin"
			bl.edge(graph.Edge{From: id, To: bl.adminRoleID(), Kind: graph.EdgeHasRole, Via: []string{"org/role=admin"}})
		}
		bl.roles[lowerLogin(u)] = role
		bl.edge(graph.Edge{From: id, To: bl.membersGroupID(), Kind: graph.EdgeMemberOf, Via: []string{"org/member"}})
	}
	for i := range bl.s.admins {
		if _, ok := bl.roles[lowerLogin(&bl.s.admins[i])]; !ok {
			return fmt.Errorf("github export: %s lists %s, who is not in %s", FileAdmins, bl.s.admins[i].Login, FileMembers)
		}
	}
	for i := range bl.s.outside {
		u := &bl.s.outside[i]
		if r, ok := bl.roles[lowerLogin(u)]; ok {
			return fmt.Errorf("github: %s is both an outside collaborator and an organization %s", u.Login, r)
		}
		bl.user(u)
		bl.roles[lowerLogin(u)] = "outside"
	}
	for login, r := range bl.roles {
		bl.b.AddNode(graph.Node{ID: bl.userID(bl.users[login].ID), Props: map[string]string{"org_role": r}})
	}
	// The base permission every member has on every repository.
	if o := bl.s.org; o != nil {
		if p, acts := levelPrivilege(o.DefaultRepositoryPermission); p > graph.PrivNone {
			for _, r := range bl.repoIDs {
				bl.edge(graph.Edge{From: bl.membersGroupID(), To: r, Kind: graph.EdgeAccess, Privilege: p,
					Actions: acts, Via: []string{"org/default_repository_permission"}})
			}
		}
	}
	return nil
}

// levelPrivilege maps an organization base permission to a tier.
func levelPrivilege(level string) (graph.Privilege, []string) {
	switch level {
	case "read":
		return graph.PrivRead, []string{"pull"}
	case "write":
		return graph.PrivWrite, []string{"pull", "push"}
	case "admin":
		return graph.PrivAdmin, []string{"admin", "pull", "push"}
	}
	return graph.PrivNone, nil
}

func (bl *builder) teamNodes() error {
	for i := range bl.s.teams {
		t := &bl.s.teams[i]
		bl.teams[t.Slug] = t
		bl.teamByID[t.ID] = t
		p := map[string]string{"slug": t.Slug, "privacy": t.Privacy}
		if t.Description != nil && *t.Description != "" {
			p["description"] = *t.Description
		}
		bl.b.AddNode(graph.Node{ID: bl.teamID(t.ID), Kind: graph.KindGroup, Subkind: SubkindTeam, Name: t.Name, Props: p})
	}
	for _, t := range bl.s.teams {
		if t.Parent == nil {
			continue
		}
		if _, ok := bl.teamByID[t.Parent.ID]; !ok {
			return fmt.Errorf("github: team %s: parent team %d (%s) is not in the teams list", t.Slug, t.Parent.ID, t.Parent.Slug)
		}
		// Members of a child team inherit the parent's access.
		bl.edge(graph.Edge{From: bl.teamID(t.ID), To: bl.teamID(t.Parent.ID), Kind: graph.EdgeMemberOf,
			Via: []string{"team-parent"}})
	}
	// A parent chain must end.
	for i := range bl.s.teams {
		seen := map[int64]bool{}
		for c := &bl.s.teams[i]; c != nil && c.Parent != nil; c = bl.teamByID[c.Parent.ID] {
			if seen[c.ID] {
				return fmt.Errorf("github: team %s: parent chain loops", bl.s.teams[i].Slug)
			}
			seen[c.ID] = true
		}
	}
	return nil
}

// descendants returns the slugs of the teams below slug.
func (bl *builder) descendants(slug string) []string {
	var out []string
	t := bl.teams[slug]
	for _, c := range bl.s.teams {
		if c.Parent != nil && c.Parent.ID == t.ID {
			out = append(out, c.Slug)
			out = append(out, bl.descendants(c.Slug)...)
		}
	}
	return out
}

func (bl *builder) teamMembership() error {
	slugs := make([]string, 0, len(bl.teams))
	for s := range bl.teams {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	for _, slug := range slugs {
		t := bl.teams[slug]
		maint := map[string]bool{}
		for i := range bl.s.teamMaint[slug] {
			maint[lowerLogin(&bl.s.teamMaint[slug][i])] = true
		}
		// GitHub lists the members of child teams as members of the parent:
		// someone listed in a descendant team is a member through it.
		inChild := map[string]bool{}
		for _, d := range bl.descendants(slug) {
			for i := range bl.s.teamMembers[d] {
				inChild[lowerLogin(&bl.s.teamMembers[d][i])] = true
			}
		}
		for i := range bl.s.teamMembers[slug] {
			u := &bl.s.teamMembers[slug][i]
			l := lowerLogin(u)
			if inChild[l] && !maint[l] {
				continue
			}
			role := "member"
			if maint[l] {
				role = "maintainer"
			}
			bl.edge(graph.Edge{From: bl.user(u), To: bl.teamID(t.ID), Kind: graph.EdgeMemberOf,
				Actions: []string{role}, Via: []string{"team/" + slug}, Props: map[string]string{"role": role}})
		}
		for i := range bl.s.teamMaint[slug] {
			u := &bl.s.teamMaint[slug][i]
			if !containsLogin(bl.s.teamMembers[slug], u.Login) {
				return fmt.Errorf("github: team %s: maintainer %s is not in its members list (%s/members.json with role=all)",
					slug, u.Login, slug)
			}
		}
	}
	return nil
}

func containsLogin(us []simpleUser, login string) bool {
	for i := range us {
		if strings.EqualFold(us[i].Login, login) {
			return true
		}
	}
	return false
}

// repoPrivilege maps a repository role to a tier: pull read, triage and
// push write, maintain and admin admin. Actions are the granted permissions.
func repoPrivilege(p *permissions, roleName string) (graph.Privilege, []string) {
	var acts []string
	tier := graph.PrivNone
	if p != nil {
		for _, x := range []struct {
			on   bool
			name string
			tier graph.Privilege
		}{{p.Pull, "pull", graph.PrivRead}, {p.Triage, "triage", graph.PrivWrite}, {p.Push, "push", graph.PrivWrite},
			{p.Maintain, "maintain", graph.PrivAdmin}, {p.Admin, "admin", graph.PrivAdmin}} {
			if x.on {
				acts = append(acts, x.name)
				tier = max(tier, x.tier)
			}
		}
	}
	switch roleName {
	case "read", "pull":
		tier = max(tier, graph.PrivRead)
	case "triage", "write", "push":
		tier = max(tier, graph.PrivWrite)
	case "maintain", "admin":
		tier = max(tier, graph.PrivAdmin)
	}
	if roleName != "" {
		acts = append(acts, "role:"+roleName)
	}
	sort.Strings(acts)
	return tier, acts
}

func (bl *builder) repoAccess() error {
	slugs := make([]string, 0, len(bl.s.teamRepos))
	for s := range bl.s.teamRepos {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	for _, slug := range slugs {
		t := bl.teams[slug]
		for i := range bl.s.teamRepos[slug] {
			r := &bl.s.teamRepos[slug][i]
			p, acts := repoPrivilege(r.Permissions, r.RoleName)
			if p == graph.PrivNone {
				continue
			}
			bl.edge(graph.Edge{From: bl.teamID(t.ID), To: bl.repo(r), Kind: graph.EdgeAccess, Privilege: p,
				Actions: acts, Via: []string{"team/" + slug}})
		}
	}
	names := make([]string, 0, len(bl.s.collaborators))
	for n := range bl.s.collaborators {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		rid := bl.repos[strings.ToLower(name)]
		for i := range bl.s.collaborators[name] {
			c := &bl.s.collaborators[name][i]
			p, acts := repoPrivilege(c.Permissions, c.RoleName)
			if p == graph.PrivNone {
				continue
			}
			id := bl.user(&c.simpleUser)
			if _, ok := bl.roles[lowerLogin(&c.simpleUser)]; !ok {
				bl.roles[lowerLogin(&c.simpleUser)] = "outside"
				bl.b.AddNode(graph.Node{ID: id, Props: map[string]string{"org_role": "outside"}})
			}
			bl.edge(graph.Edge{From: id, To: rid, Kind: graph.EdgeAccess, Privilege: p, Actions: acts,
				Via: []string{"collaborator"}})
		}
	}
	return nil
}

// orgLevel lists the permission keys that act on the organization rather
// than on repositories (GitHub's "organization permissions").
var orgLevel = map[string]bool{
	"members": true, "team_discussions": true, "custom_properties": true,
}

// userLevel lists permission keys that act on a user's own account.
var userLevel = map[string]bool{
	"email_addresses": true, "followers": true, "gpg_keys": true, "git_ssh_keys": true, "starring": true,
	"profile": true, "interaction_limits": true, "blocking": true, "plan": true, "watching": true,
	"codespaces_user_secrets": true, "copilot_messages": true, "copilot_editor_context": true, "gists": true,
	"keys": true, "knowledge_bases": true,
}

// escalating keys at write let the holder change who has access: they are
// admin tier.
var escalating = map[string]bool{
	"administration": true, "members": true, "organization_administration": true,
	"organization_user_blocking": false,
}

// perm is one granted fine-grained permission: a key ("contents") at a
// level ("read", "write" or "admin").
type perm struct{ key, level string }

// tier returns the privilege tier a permission grants: read is read, write
// is write and admin is admin, except that write (or admin) on an escalating
// key (administration, members, organization_administration) is admin,
// since it lets the holder change who has access.
func (p perm) tier() graph.Privilege {
	t := map[string]graph.Privilege{"read": graph.PrivRead, "write": graph.PrivWrite, "admin": graph.PrivAdmin}[p.level]
	if t == graph.PrivWrite && escalating[p.key] {
		t = graph.PrivAdmin
	}
	return t
}

// perms returns the repository-level (org false) or organization-level (org
// true) permissions of a permission map, sorted by key; user-level keys are
// left out.
func perms(m map[string]string, org bool) []perm {
	var out []perm
	for k, v := range m {
		isOrg := orgLevel[k] || strings.HasPrefix(k, "organization_")
		if userLevel[k] || isOrg != org {
			continue
		}
		out = append(out, perm{key: k, level: v})
	}
	slices.SortFunc(out, func(a, b perm) int { return strings.Compare(a.key, b.key) })
	return out
}

// topTier returns the highest tier among ps.
func topTier(ps []perm) graph.Privilege {
	t := graph.PrivNone
	for _, p := range ps {
		t = max(t, p.tier())
	}
	return t
}

// actionsWithin returns ps as sorted "key:level" actions, keeping only what
// fits within limit: a permission above it is lowered to its highest level
// whose tier is at most limit (contents:write on a read-limited edge is
// contents:read, administration:write on a write-limited one
// administration:read), and dropped if none is.
func actionsWithin(ps []perm, limit graph.Privilege) []string {
	var out []string
	for _, p := range ps {
		for p.tier() > limit {
			i := slices.Index(accessLevels, p.level)
			if i <= 0 {
				p.level = ""
				break
			}
			p.level = accessLevels[i-1]
		}
		if p.level != "" {
			out = append(out, p.key+":"+p.level)
		}
	}
	sort.Strings(out)
	return out
}

// permTier splits a permission map into repository-level and org-level
// tiers and actions ("contents:write").
func permTier(m map[string]string, org bool) (graph.Privilege, []string) {
	ps := perms(m, org)
	return topTier(ps), actionsWithin(ps, graph.PrivAdmin)
}

func joinPerms(m map[string]string) string {
	var out []string
	for k, v := range m {
		out = append(out, k+":"+v)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func (bl *builder) apps() error {
	for _, in := range bl.s.installations {
		id := bl.appID(in.ID)
		p := map[string]string{"app_slug": in.AppSlug, "app_id": strconv.FormatInt(in.AppID, 10),
			"installation_id": strconv.FormatInt(in.ID, 10), "repository_selection": in.RepositorySelection,
			"permissions": joinPerms(in.Permissions), "created": in.CreatedAt, "updated": in.UpdatedAt,
			"events": strings.Join(in.Events, " ")}
		if in.SuspendedAt != nil {
			p["suspended_at"] = *in.SuspendedAt
		}
		bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindApplication, Subkind: SubkindApp, Name: in.AppSlug, Props: p})
		if in.SuspendedAt != nil {
			continue // a suspended installation cannot act
		}
		via := []string{"installation/" + strconv.FormatInt(in.ID, 10)}
		if t, acts := permTier(in.Permissions, false); t > graph.PrivNone {
			targets := bl.repoIDs
			if in.RepositorySelection == "selected" {
				targets = nil
				for i := range bl.s.instRepos[in.ID] {
					targets = append(targets, bl.repo(&bl.s.instRepos[in.ID][i]))
				}
			}
			for _, r := range targets {
				bl.edge(graph.Edge{From: id, To: r, Kind: graph.EdgeAccess, Privilege: t, Actions: acts, Via: via})
			}
		}
		if t, acts := permTier(in.Permissions, true); t > graph.PrivNone {
			bl.edge(graph.Edge{From: id, To: bl.settingsID(), Kind: graph.EdgeAccess, Privilege: t, Actions: acts, Via: via})
		}
	}
	return nil
}

// ownerReach returns the tier principal holds on target, through MEMBER_OF
// and HAS_ROLE edges and the organization containing every repository.
func (bl *builder) ownerReach(principal, target string) graph.Privilege {
	seen := map[string]bool{}
	queue := []string{principal}
	best := graph.PrivNone
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if seen[cur] {
			continue
		}
		seen[cur] = true
		best = max(best, bl.access[cur][target], bl.access[cur][bl.orgID()])
		queue = append(queue, bl.up[cur]...)
	}
	return best
}

func (bl *builder) tokens() error {
	for _, t := range bl.s.pats {
		owner := bl.user(t.Owner)
		id := bl.patID(t.ID)
		p := map[string]string{"token_id": strconv.FormatInt(t.TokenID, 10), "owner": t.Owner.Login,
			"created": t.AccessGrantedAt, "access_granted_at": t.AccessGrantedAt,
			"repository_selection": t.RepositorySelection, "expired": strconv.FormatBool(t.TokenExpired),
			"last_used": "never", "expires": "never",
			"repository_permissions":   joinPerms(t.Permissions.Repository),
			"organization_permissions": joinPerms(t.Permissions.Organization)}
		if t.TokenLastUsedAt != nil {
			p["last_used"] = *t.TokenLastUsedAt
		}
		if t.TokenExpiresAt != nil {
			p["expires"] = *t.TokenExpiresAt
		}
		name := t.TokenName
		if name == "" {
			name = "token " + strconv.FormatInt(t.TokenID, 10)
		}
		bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindCredential, Subkind: SubkindPAT,
			Name: name + " of " + t.Owner.Login, Props: p})
		bl.b.AddEdge(graph.Edge{From: owner, To: id, Kind: graph.EdgeOwns})
		if t.TokenExpired {
			continue // an expired token reaches nothing
		}
		via := []string{"pat/" + strconv.FormatInt(t.ID, 10)}
		repoPerms := perms(t.Permissions.Repository, false)
		if tier := topTier(repoPerms); tier > graph.PrivNone {
			var targets []string
			switch t.RepositorySelection {
			case "all":
				targets = bl.repoIDs
			case "subset":
				for i := range bl.s.patRepos[t.ID] {
					targets = append(targets, bl.repo(&bl.s.patRepos[t.ID][i]))
				}
			}
			for _, r := range targets {
				// The token acts as its owner, within its permissions: it
				// can do no more than its owner can there.
				if eff := min(tier, bl.ownerReach(owner, r)); eff > graph.PrivNone {
					bl.b.AddEdge(graph.Edge{From: id, To: r, Kind: graph.EdgeAccess, Privilege: eff,
						Actions: actionsWithin(repoPerms, eff), Via: via})
				}
			}
		}
		orgPerms := perms(t.Permissions.Organization, true)
		if tier := topTier(orgPerms); tier > graph.PrivNone {
			ownerTier := graph.PrivRead
			if bl.roles[lowerLogin(t.Owner)] == "admin" {
				ownerTier = graph.PrivAdmin
			}
			eff := min(tier, ownerTier)
			bl.b.AddEdge(graph.Edge{From: id, To: bl.settingsID(), Kind: graph.EdgeAccess,
				Privilege: eff, Actions: actionsWithin(orgPerms, eff), Via: via})
		}
	}
	return nil
}
