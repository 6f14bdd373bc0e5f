package okta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// Options configures ParseExport and Fetch.
type Options struct {
	// Org is the Okta org's host, e.g. "example.okta.com"; the batch source
	// is "okta:<Org>". Required.
	Org string
}

func (o Options) source() (string, error) {
	org := strings.TrimSpace(o.Org)
	if org == "" {
		return "", fmt.Errorf("okta: Options.Org is empty: give the org host, e.g. example.okta.com")
	}
	return "okta:" + org, nil
}

// Route kinds: what an API path (under /api/v1) returns.
const (
	rUsers      = "users"
	rGroups     = "groups"
	rGroupUsers = "groupUsers"
	rApps       = "apps"
	rAppUsers   = "appUsers"
	rAppGroups  = "appGroups"
	rUserRoles  = "userRoles"
	rGroupRoles = "groupRoles"
	rGrants     = "grants"
	rTokens     = "apiTokens"
)

type route struct{ kind, parent string }

// apiPath returns the segments of a path under /api/v1, without query or
// ".json": "/api/v1/groups/x/users?limit=200" and "groups/x/users.json"
// both give [groups x users].
func apiPath(ref string) []string {
	p := ref
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if i := strings.Index(p, "://"); i >= 0 {
		if j := strings.Index(p[i+3:], "/"); j >= 0 {
			p = p[i+3+j:]
		} else {
			p = ""
		}
	}
	p = strings.Trim(p, "/")
	p = strings.TrimPrefix(p, "api/v1/")
	p = strings.TrimSuffix(p, ".json")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match finds what path segs holds.
func match(segs []string) (route, bool) {
	switch len(segs) {
	case 1:
		k, ok := map[string]string{"users": rUsers, "groups": rGroups, "apps": rApps, "api-tokens": rTokens}[segs[0]]
		return route{kind: k}, ok
	case 3:
		k, ok := map[string]string{"groups/users": rGroupUsers, "apps/users": rAppUsers, "apps/groups": rAppGroups,
			"users/roles": rUserRoles, "groups/roles": rGroupRoles, "users/grants": rGrants}[segs[0]+"/"+segs[2]]
		return route{kind: k, parent: segs[1]}, ok
	}
	return route{}, false
}

type membership struct{ group, user string }

type appAssign struct {
	app, principal, scope string
}

type roleHold struct {
	principal string
	group     bool
	role      roleAssignment
}

// data is everything read, before mapping.
type data struct {
	users     map[string]user
	groups    map[string]group
	apps      map[string]app
	members   []membership
	appUsers  []appAssign
	appGroups []appAssign
	roles     []roleHold
	grants    map[string]grant
	tokens    map[string]apiToken
}

func newData() *data {
	return &data{users: map[string]user{}, groups: map[string]group{}, apps: map[string]app{},
		grants: map[string]grant{}, tokens: map[string]apiToken{}}
}

// userStatuses are the lifecycle states of the Users API and what
// graph.PropStatus they become.
var userStatuses = map[string]string{
	"STAGED": "staged", "PROVISIONED": "provisioned", "ACTIVE": "active", "RECOVERY": "active",
	"PASSWORD_EXPIRED": "active", "LOCKED_OUT": "locked", "SUSPENDED": "suspended",
	"DEPROVISIONED": "deprovisioned",
}

func need(el, field, v, what string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s.%s: missing: expected %s", el, field, what)
	}
	return nil
}

// ingest decodes body, read from where, as the response of path segs.
// It returns ok false for a path the connector does not read.
func (d *data) ingest(where string, segs []string, body []byte) (bool, error) {
	r, ok := match(segs)
	if !ok {
		return false, nil
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '[' {
		return true, fmt.Errorf("%s: expected a JSON array as the Okta API returns it, got %q", where, snippet(body))
	}
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		return true, fmt.Errorf("%s: %w", where, jsonerr.Explain(body, err))
	}
	for i, raw := range list {
		if err := d.element(r, fmt.Sprintf("%s: [%d]", where, i), raw); err != nil {
			return true, err
		}
	}
	return true, nil
}

func snippet(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

func decode(el string, raw json.RawMessage, v any) error {
	return jsonerr.Element(el, json.Unmarshal(raw, v))
}

func (d *data) element(r route, el string, raw json.RawMessage) error {
	switch r.kind {
	case rUsers, rGroupUsers:
		var u user
		if err := decode(el, raw, &u); err != nil {
			return err
		}
		if err := need(el, "id", u.ID, "the user's id"); err != nil {
			return err
		}
		if _, ok := userStatuses[u.Status]; !ok {
			return fmt.Errorf("%s.status: expected one of STAGED, PROVISIONED, ACTIVE, RECOVERY, "+
				"PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED, DEPROVISIONED, got %q", el, u.Status)
		}
		if old, ok := d.users[u.ID]; !ok || r.kind == rUsers || old.Profile.Login == "" {
			d.users[u.ID] = u
		}
		if r.kind == rGroupUsers {
			d.members = append(d.members, membership{group: r.parent, user: u.ID})
		}
	case rGroups:
		var g group
		if err := decode(el, raw, &g); err != nil {
			return err
		}
		if err := need(el, "id", g.ID, "the group's id"); err != nil {
			return err
		}
		if err := need(el, "profile.name", g.Profile.Name, "the group's name"); err != nil {
			return err
		}
		d.groups[g.ID] = g
	case rApps:
		var a app
		if err := decode(el, raw, &a); err != nil {
			return err
		}
		if err := need(el, "id", a.ID, "the application's id"); err != nil {
			return err
		}
		d.apps[a.ID] = a
	case rAppUsers:
		var au appUser
		if err := decode(el, raw, &au); err != nil {
			return err
		}
		if err := need(el, "id", au.ID, "the assigned user's id"); err != nil {
			return err
		}
		if au.Scope != "USER" && au.Scope != "GROUP" {
			return fmt.Errorf("%s.scope: expected USER or GROUP, got %q", el, au.Scope)
		}
		d.appUsers = append(d.appUsers, appAssign{app: r.parent, principal: au.ID, scope: au.Scope})
	case rAppGroups:
		var ag appGroup
		if err := decode(el, raw, &ag); err != nil {
			return err
		}
		if err := need(el, "id", ag.ID, "the assigned group's id"); err != nil {
			return err
		}
		d.appGroups = append(d.appGroups, appAssign{app: r.parent, principal: ag.ID})
	case rUserRoles, rGroupRoles:
		var ra roleAssignment
		if err := decode(el, raw, &ra); err != nil {
			return err
		}
		if err := need(el, "type", ra.Type, "the role type (SUPER_ADMIN, ORG_ADMIN, ..., CUSTOM)"); err != nil {
			return err
		}
		if ra.Type == "CUSTOM" {
			if err := need(el, "role", ra.Role, "the custom role's id"); err != nil {
				return err
			}
		}
		d.roles = append(d.roles, roleHold{principal: r.parent, group: r.kind == rGroupRoles, role: ra})
	case rGrants:
		var g grant
		if err := decode(el, raw, &g); err != nil {
			return err
		}
		if err := need(el, "id", g.ID, "the grant's id"); err != nil {
			return err
		}
		if err := need(el, "clientId", g.ClientID, "the client application's id"); err != nil {
			return err
		}
		if g.scopeName() == "" {
			return fmt.Errorf("%s.scopeId: missing: expected the granted scope", el)
		}
		if g.UserID == "" {
			g.UserID = r.parent
		}
		d.grants[g.ID] = g
	case rTokens:
		var t apiToken
		if err := decode(el, raw, &t); err != nil {
			return err
		}
		if err := need(el, "id", t.ID, "the token's id"); err != nil {
			return err
		}
		if err := need(el, "userId", t.UserID, "the id of the user the token acts as"); err != nil {
			return err
		}
		d.tokens[t.ID] = t
	}
	return nil
}

// ParseExport reads export directories laid out as the API's paths (see
// the package documentation) and returns the org's batch, or an error
// naming the file, the element and what was expected (and no batch).
func ParseExport(opt Options, paths ...string) (*graph.Batch, error) {
	src, err := opt.source()
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("okta: no export directory given")
	}
	d := newData()
	for _, dir := range paths {
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("okta export: %w", err)
			}
			if e.IsDir() || !strings.HasSuffix(p, ".json") {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			body, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("okta export: %w", err)
			}
			ok, err := d.ingest(p, apiPath(filepath.ToSlash(rel)), body)
			if err == nil && !ok {
				err = fmt.Errorf("%s: unexpected file: expected the layout users.json, groups.json, "+
					"groups/<id>/users.json, apps.json, apps/<id>/users.json, apps/<id>/groups.json, "+
					"users/<id>/roles.json, groups/<id>/roles.json, users/<id>/grants.json, api-tokens.json", p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return build(src, d)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
