package google

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// The Admin SDK Directory API resources this package reads, with only the
// fields it uses. Field names follow the API reference exactly.

type name struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	FullName   string `json:"fullName"`
}

type externalID struct {
	Value      string `json:"value"`
	Type       string `json:"type"`
	CustomType string `json:"customType"`
}

type email struct {
	Address string `json:"address"`
	Primary bool   `json:"primary"`
}

type user struct {
	Kind              string       `json:"kind"`
	ID                string       `json:"id"`
	PrimaryEmail      string       `json:"primaryEmail"`
	Name              name         `json:"name"`
	IsAdmin           bool         `json:"isAdmin"`
	IsDelegatedAdmin  bool         `json:"isDelegatedAdmin"`
	LastLoginTime     string       `json:"lastLoginTime"`
	CreationTime      string       `json:"creationTime"`
	Suspended         bool         `json:"suspended"`
	SuspensionReason  string       `json:"suspensionReason"`
	Archived          bool         `json:"archived"`
	OrgUnitPath       string       `json:"orgUnitPath"`
	IsEnrolledIn2Sv   bool         `json:"isEnrolledIn2Sv"`
	IsEnforcedIn2Sv   bool         `json:"isEnforcedIn2Sv"`
	ExternalIDs       []externalID `json:"externalIds"`
	Emails            []email      `json:"emails"`
	Aliases           []string     `json:"aliases"`
	CustomerID        string       `json:"customerId"`
	IsMailboxSetup    bool         `json:"isMailboxSetup"`
	IncludeInGAL      *bool        `json:"includeInGlobalAddressList"`
	ChangePasswordNxt bool         `json:"changePasswordAtNextLogin"`
}

type group struct {
	Kind               string   `json:"kind"`
	ID                 string   `json:"id"`
	Email              string   `json:"email"`
	Name               string   `json:"name"`
	Description        string   `json:"description"`
	DirectMembersCount string   `json:"directMembersCount"`
	AdminCreated       bool     `json:"adminCreated"`
	Aliases            []string `json:"aliases"`
}

type member struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

type rolePrivilege struct {
	PrivilegeName string `json:"privilegeName"`
	ServiceID     string `json:"serviceId"`
}

type role struct {
	Kind             string          `json:"kind"`
	RoleID           string          `json:"roleId"`
	RoleName         string          `json:"roleName"`
	RoleDescription  string          `json:"roleDescription"`
	RolePrivileges   []rolePrivilege `json:"rolePrivileges"`
	IsSystemRole     bool            `json:"isSystemRole"`
	IsSuperAdminRole bool            `json:"isSuperAdminRole"`
}

type roleAssignment struct {
	Kind             string `json:"kind"`
	RoleAssignmentID string `json:"roleAssignmentId"`
	RoleID           string `json:"roleId"`
	AssignedTo       string `json:"assignedTo"`
	AssigneeType     string `json:"assigneeType"`
	ScopeType        string `json:"scopeType"`
	OrgUnitID        string `json:"orgUnitId"`
	Condition        string `json:"condition"`
}

type token struct {
	Kind        string   `json:"kind"`
	ClientID    string   `json:"clientId"`
	DisplayText string   `json:"displayText"`
	Scopes      []string `json:"scopes"`
	Anonymous   bool     `json:"anonymous"`
	NativeApp   bool     `json:"nativeApp"`
	UserKey     string   `json:"userKey"`
}

// List envelopes. Users, groups and members name their list after the
// resource; roles, role assignments and tokens use "items".

type usersPage struct {
	Kind          string `json:"kind"`
	Users         []user `json:"users"`
	NextPageToken string `json:"nextPageToken"`
}

type groupsPage struct {
	Kind          string  `json:"kind"`
	Groups        []group `json:"groups"`
	NextPageToken string  `json:"nextPageToken"`
}

type membersPage struct {
	Kind          string   `json:"kind"`
	Members       []member `json:"members"`
	NextPageToken string   `json:"nextPageToken"`
}

type rolesPage struct {
	Kind          string `json:"kind"`
	Items         []role `json:"items"`
	NextPageToken string `json:"nextPageToken"`
}

type assignmentsPage struct {
	Kind          string           `json:"kind"`
	Items         []roleAssignment `json:"items"`
	NextPageToken string           `json:"nextPageToken"`
}

type tokensPage struct {
	Kind  string  `json:"kind"`
	Items []token `json:"items"`
}

// Envelope kinds, as the API sets them.
const (
	kindUsers       = "admin#directory#users"
	kindGroups      = "admin#directory#groups"
	kindMembers     = "admin#directory#members"
	kindRoles       = "admin#directory#roles"
	kindAssignments = "admin#directory#roleAssignments"
	kindTokens      = "admin#directory#tokenList"
)

// item is a decoded element with where it came from, for error messages.
type item[T any] struct {
	v     T
	where string // e.g. "users.json: users[3]" or "GET .../users page 2: users[3]"
}

// snapshot is everything read from an export or the live API, before
// mapping. Members and tokens are keyed by the group or user key they were
// read for (an email or an id), with the place they were read from.
type snapshot struct {
	users       []item[user]
	groups      []item[group]
	members     []memberList
	roles       []item[role]
	assignments []item[roleAssignment]
	tokens      []tokenList
	haveRoles   bool // roles were read (an export may omit them)
}

type memberList struct {
	groupKey string
	where    string
	members  []item[member]
}

type tokenList struct {
	userKey string
	where   string
	tokens  []item[token]
}

// decodePage decodes one list response (a JSON object) into v and checks its
// kind, if set, against want. where names the file or URL and page.
func decodePage(where string, data []byte, want string, v any, piece bool) error {
	if piece {
		// A page cut out of a file's array: it is well-formed JSON (the
		// array parsed), and a position would count from the page, not
		// the file, so the error names the field instead.
		if err := json.Unmarshal(data, v); err != nil {
			return jsonerr.Element(where, err)
		}
	} else if err := decodeJSON(data, v); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	var k struct {
		Kind string `json:"kind"`
	}
	_ = json.Unmarshal(data, &k)
	if k.Kind != "" && k.Kind != want {
		return fmt.Errorf("%s: kind is %q, expected %q (is this the right list?)", where, k.Kind, want)
	}
	return nil
}

// decodeJSON decodes data into v with errors that say where the JSON broke.
func decodeJSON(data []byte, v any) error {
	trim := bytes.TrimSpace(data)
	if len(trim) == 0 {
		return errors.New("empty body, expected a JSON object")
	}
	if trim[0] != '{' {
		return fmt.Errorf("not a JSON object (starts with %q), expected a Directory API list response", jsonerr.Snippet(trim, 20))
	}
	return jsonerr.Unmarshal(data, v, "response")
}
