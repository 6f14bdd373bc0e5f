package github

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// The REST API (version 2022-11-28) objects this package reads, with only
// the fields it uses. Field names follow GitHub's documentation exactly.

type simpleUser struct {
	Login     string  `json:"login"`
	ID        int64   `json:"id"`
	Type      string  `json:"type"`
	SiteAdmin bool    `json:"site_admin"`
	Name      *string `json:"name"`
	Email     *string `json:"email"`
}

type permissions struct {
	Admin    bool `json:"admin"`
	Maintain bool `json:"maintain"`
	Push     bool `json:"push"`
	Triage   bool `json:"triage"`
	Pull     bool `json:"pull"`
}

type collaborator struct {
	simpleUser
	Permissions *permissions `json:"permissions"`
	RoleName    string       `json:"role_name"`
}

type teamRef struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type team struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Slug        string   `json:"slug"`
	Description *string  `json:"description"`
	Privacy     string   `json:"privacy"`
	Permission  string   `json:"permission"`
	Parent      *teamRef `json:"parent"`
}

type repository struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	FullName    string       `json:"full_name"`
	Private     bool         `json:"private"`
	Visibility  string       `json:"visibility"`
	Archived    bool         `json:"archived"`
	Fork        bool         `json:"fork"`
	Owner       *simpleUser  `json:"owner"`
	Permissions *permissions `json:"permissions"`
	RoleName    string       `json:"role_name"`
}

type organization struct {
	Login                       string `json:"login"`
	ID                          int64  `json:"id"`
	Name                        string `json:"name"`
	DefaultRepositoryPermission string `json:"default_repository_permission"`
	TwoFactorRequirementEnabled *bool  `json:"two_factor_requirement_enabled"`
}

type installation struct {
	ID                  int64             `json:"id"`
	AppID               int64             `json:"app_id"`
	AppSlug             string            `json:"app_slug"`
	TargetType          string            `json:"target_type"`
	Account             *simpleUser       `json:"account"`
	RepositorySelection string            `json:"repository_selection"`
	Permissions         map[string]string `json:"permissions"`
	Events              []string          `json:"events"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	SuspendedAt         *string           `json:"suspended_at"`
}

type installationsPage struct {
	TotalCount    int            `json:"total_count"`
	Installations []installation `json:"installations"`
}

type installationReposPage struct {
	TotalCount          int          `json:"total_count"`
	RepositorySelection string       `json:"repository_selection"`
	Repositories        []repository `json:"repositories"`
}

type patPermissions struct {
	Organization map[string]string `json:"organization"`
	Repository   map[string]string `json:"repository"`
	Other        map[string]string `json:"other"`
}

type pat struct {
	ID                  int64          `json:"id"`
	Owner               *simpleUser    `json:"owner"`
	RepositorySelection string         `json:"repository_selection"`
	Permissions         patPermissions `json:"permissions"`
	AccessGrantedAt     string         `json:"access_granted_at"`
	TokenID             int64          `json:"token_id"`
	TokenName           string         `json:"token_name"`
	TokenExpired        bool           `json:"token_expired"`
	TokenExpiresAt      *string        `json:"token_expires_at"`
	TokenLastUsedAt     *string        `json:"token_last_used_at"`
}

// snapshot is everything read from an export or the live API, before
// mapping. Per-team, per-repo, per-installation and per-token lists are
// keyed by team slug, repository name and id.
type snapshot struct {
	org           *organization
	members       []simpleUser
	admins        []simpleUser
	outside       []simpleUser
	teams         []team
	teamMembers   map[string][]simpleUser
	teamMaint     map[string][]simpleUser
	teamRepos     map[string][]repository
	repos         []repository
	collaborators map[string][]collaborator
	installations []installation
	instRepos     map[int64][]repository
	pats          []pat
	patRepos      map[int64][]repository
	where         map[string]string // what -> file or URL, for errors in build
}

func newSnapshot() *snapshot {
	return &snapshot{teamMembers: map[string][]simpleUser{}, teamMaint: map[string][]simpleUser{},
		teamRepos: map[string][]repository{}, collaborators: map[string][]collaborator{},
		instRepos: map[int64][]repository{}, patRepos: map[int64][]repository{}, where: map[string]string{}}
}

// decodeJSON decodes data into v with errors that say where the JSON broke.
// wantArray says whether the body must be a JSON array.
func decodeJSON(data []byte, v any, wantArray bool) error {
	trim := bytes.TrimSpace(data)
	if len(trim) == 0 {
		return errors.New("empty body")
	}
	if wantArray && trim[0] != '[' {
		return fmt.Errorf("not a JSON array (starts with %q), expected the array the REST API returns", jsonerr.Snippet(trim, 30))
	}
	if !wantArray && trim[0] != '{' {
		return fmt.Errorf("not a JSON object (starts with %q)", jsonerr.Snippet(trim, 30))
	}
	return jsonerr.Unmarshal(data, v, "value")
}

// Validation of decoded elements; where names the file or URL and page.

func checkUsers(where string, us []simpleUser) error {
	for i, u := range us {
		if u.ID <= 0 || strings.TrimSpace(u.Login) == "" {
			return fmt.Errorf("%s: [%d]: expected a user with login and id (got login %q, id %d)", where, i, u.Login, u.ID)
		}
	}
	return nil
}

func checkCollaborators(where string, cs []collaborator) error {
	for i, c := range cs {
		if c.ID <= 0 || strings.TrimSpace(c.Login) == "" {
			return fmt.Errorf("%s: [%d]: expected a user with login and id (got login %q, id %d)", where, i, c.Login, c.ID)
		}
		if c.Permissions == nil && c.RoleName == "" {
			return fmt.Errorf("%s: [%d] (%s): neither permissions nor role_name is set", where, i, c.Login)
		}
	}
	return nil
}

func checkTeams(where string, ts []team) error {
	for i, t := range ts {
		if t.ID <= 0 || t.Slug == "" {
			return fmt.Errorf("%s: [%d]: expected a team with id and slug (got slug %q, id %d)", where, i, t.Slug, t.ID)
		}
		if t.Parent != nil && t.Parent.ID <= 0 {
			return fmt.Errorf("%s: [%d] (%s): parent has no id", where, i, t.Slug)
		}
	}
	return nil
}

func checkRepos(where string, rs []repository, needPerms bool) error {
	for i, r := range rs {
		if r.ID <= 0 || r.Name == "" {
			return fmt.Errorf("%s: [%d]: expected a repository with id and name (got name %q, id %d)", where, i, r.Name, r.ID)
		}
		if needPerms && r.Permissions == nil && r.RoleName == "" {
			return fmt.Errorf("%s: [%d] (%s): neither permissions nor role_name is set", where, i, r.Name)
		}
	}
	return nil
}

// accessLevels are the levels a fine-grained permission may have, lowest
// first.
var accessLevels = []string{"read", "write", "admin"}

func checkPermMap(where string, m map[string]string) error {
	for k, v := range m {
		if !slices.Contains(accessLevels, v) {
			return fmt.Errorf("%s: permission %s is %q, expected read, write or admin", where, k, v)
		}
	}
	return nil
}

func checkInstallations(where string, is []installation) error {
	for i, in := range is {
		w := fmt.Sprintf("%s: installations[%d]", where, i)
		if in.ID <= 0 || in.AppSlug == "" {
			return fmt.Errorf("%s: expected an installation with id and app_slug (got %q, id %d)", w, in.AppSlug, in.ID)
		}
		if in.RepositorySelection != "all" && in.RepositorySelection != "selected" {
			return fmt.Errorf("%s (%s): repository_selection %q, expected all or selected", w, in.AppSlug, in.RepositorySelection)
		}
		if err := checkPermMap(w+".permissions", in.Permissions); err != nil {
			return err
		}
	}
	return nil
}

func checkPATs(where string, ps []pat) error {
	for i, p := range ps {
		w := fmt.Sprintf("%s: [%d]", where, i)
		switch {
		case p.ID <= 0:
			return fmt.Errorf("%s: id is missing", w)
		case p.Owner == nil || p.Owner.Login == "" || p.Owner.ID <= 0:
			return fmt.Errorf("%s (id %d): owner is missing, expected a user", w, p.ID)
		case !slices.Contains([]string{"none", "all", "subset"}, p.RepositorySelection):
			return fmt.Errorf("%s (id %d): repository_selection %q, expected none, all or subset", w, p.ID, p.RepositorySelection)
		}
		for name, m := range map[string]map[string]string{"organization": p.Permissions.Organization,
			"repository": p.Permissions.Repository, "other": p.Permissions.Other} {
			if err := checkPermMap(fmt.Sprintf("%s.permissions.%s", w, name), m); err != nil {
				return err
			}
		}
	}
	return nil
}
