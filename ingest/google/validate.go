package google

import (
	"fmt"
	"slices"
	"strings"
)

// Acceptable enum values, from the Directory API reference.
var (
	memberRoles    = []string{"OWNER", "MANAGER", "MEMBER"}
	memberTypes    = []string{"USER", "GROUP", "CUSTOMER", "EXTERNAL"}
	assigneeTypes  = []string{"USER", "GROUP"}
	roleScopeTypes = []string{"CUSTOMER", "ORG_UNIT"}
)

func (s *snapshot) addUsers(where string, p *usersPage) error {
	for i, u := range p.Users {
		w := fmt.Sprintf("%s: users[%d]", where, i)
		if strings.TrimSpace(u.ID) == "" {
			return fmt.Errorf("%s: id is empty, expected the user's unique id", w)
		}
		if !strings.Contains(u.PrimaryEmail, "@") {
			return fmt.Errorf("%s (id %s): primaryEmail %q is not an email address", w, u.ID, u.PrimaryEmail)
		}
		s.users = append(s.users, item[user]{u, w})
	}
	return nil
}

func (s *snapshot) addGroups(where string, p *groupsPage) error {
	for i, g := range p.Groups {
		w := fmt.Sprintf("%s: groups[%d]", where, i)
		if strings.TrimSpace(g.ID) == "" {
			return fmt.Errorf("%s: id is empty, expected the group's unique id", w)
		}
		if !strings.Contains(g.Email, "@") {
			return fmt.Errorf("%s (id %s): email %q is not an email address", w, g.ID, g.Email)
		}
		s.groups = append(s.groups, item[group]{g, w})
	}
	return nil
}

func checkMembers(where string, p *membersPage) ([]item[member], error) {
	var out []item[member]
	for i, m := range p.Members {
		w := fmt.Sprintf("%s: members[%d]", where, i)
		if !slices.Contains(memberTypes, m.Type) {
			return nil, fmt.Errorf("%s: type %q, expected one of %s", w, m.Type, strings.Join(memberTypes, ", "))
		}
		if m.Role != "" && !slices.Contains(memberRoles, m.Role) {
			return nil, fmt.Errorf("%s: role %q, expected one of %s", w, m.Role, strings.Join(memberRoles, ", "))
		}
		if m.Type != "CUSTOMER" && m.ID == "" && m.Email == "" {
			return nil, fmt.Errorf("%s: neither id nor email is set, expected at least one", w)
		}
		out = append(out, item[member]{m, w})
	}
	return out, nil
}

func (s *snapshot) addRoles(where string, p *rolesPage) error {
	s.haveRoles = true
	for i, r := range p.Items {
		w := fmt.Sprintf("%s: items[%d]", where, i)
		if r.RoleID == "" {
			return fmt.Errorf("%s: roleId is empty, expected the role's id", w)
		}
		for j, pr := range r.RolePrivileges {
			if pr.PrivilegeName == "" {
				return fmt.Errorf("%s.rolePrivileges[%d]: privilegeName is empty", w, j)
			}
		}
		s.roles = append(s.roles, item[role]{r, w})
	}
	return nil
}

func (s *snapshot) addAssignments(where string, p *assignmentsPage) error {
	for i, a := range p.Items {
		w := fmt.Sprintf("%s: items[%d]", where, i)
		switch {
		case a.RoleID == "":
			return fmt.Errorf("%s: roleId is empty, expected the assigned role's id", w)
		case a.AssignedTo == "":
			return fmt.Errorf("%s: assignedTo is empty, expected a user or group id", w)
		case !slices.Contains(roleScopeTypes, a.ScopeType):
			return fmt.Errorf("%s: scopeType %q, expected CUSTOMER or ORG_UNIT", w, a.ScopeType)
		case a.ScopeType == "ORG_UNIT" && a.OrgUnitID == "":
			return fmt.Errorf("%s: scopeType ORG_UNIT without orgUnitId", w)
		case a.AssigneeType != "" && !slices.Contains(assigneeTypes, a.AssigneeType):
			return fmt.Errorf("%s: assigneeType %q, expected USER or GROUP", w, a.AssigneeType)
		}
		s.assignments = append(s.assignments, item[roleAssignment]{a, w})
	}
	return nil
}

func checkTokens(where string, p *tokensPage) ([]item[token], error) {
	var out []item[token]
	for i, t := range p.Items {
		w := fmt.Sprintf("%s: items[%d]", where, i)
		if t.ClientID == "" {
			return nil, fmt.Errorf("%s: clientId is empty, expected the OAuth client id", w)
		}
		for j, sc := range t.Scopes {
			if strings.TrimSpace(sc) == "" || strings.ContainsAny(sc, " \t") {
				return nil, fmt.Errorf("%s.scopes[%d]: %q is not a scope", w, j, sc)
			}
		}
		out = append(out, item[token]{t, w})
	}
	return out, nil
}
