package scim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// SCIM schema URNs (RFC 7643 section 8.7, RFC 7644 section 3.4.2).
const (
	SchemaUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterprise   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// Options configures ParseExport and Fetch.
type Options struct {
	// Host names the service provider; the batch source is "scim:<Host>".
	// ParseExport takes it from the first resource's meta.location when
	// empty; Fetch from the client's base URL.
	Host string
	// PageSize is the count asked for per page by Fetch (default 100).
	PageSize int
}

// Report says what was read and what was assumed.
type Report struct {
	// Users and Groups count the resources read (after deduplication by id).
	Users, Groups int
	// StubUsers and StubGroups list the ids referenced but not in the input.
	StubUsers, StubGroups []string
	// UntypedMembers lists "<group id>/<member id>" whose kind no type, $ref
	// or input resource settled: they were taken as users.
	UntypedMembers []string
	// IndirectSkipped counts User.groups entries of type "indirect".
	IndirectSkipped int
}

// ref is a multi-valued reference (RFC 7643 section 2.4): group members,
// user groups and the enterprise manager.
type ref struct {
	Value       string `json:"value"`
	Ref         string `json:"$ref"`
	Type        string `json:"type"`
	Display     string `json:"display"`
	DisplayName string `json:"displayName"`
}

type multi struct {
	Value   string `json:"value"`
	Type    string `json:"type"`
	Primary bool   `json:"primary"`
}

type enterprise struct {
	EmployeeNumber string `json:"employeeNumber"`
	CostCenter     string `json:"costCenter"`
	Organization   string `json:"organization"`
	Division       string `json:"division"`
	Department     string `json:"department"`
	Manager        *ref   `json:"manager"`
}

type meta struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location"`
}

// resource holds the fields of a User or Group that the mapping uses.
type resource struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id"`
	ExternalID  string   `json:"externalId"`
	UserName    string   `json:"userName"`
	DisplayName string   `json:"displayName"`
	Name        *struct {
		Formatted string `json:"formatted"`
	} `json:"name"`
	Title      string      `json:"title"`
	UserType   string      `json:"userType"`
	Active     *bool       `json:"active"`
	Emails     []multi     `json:"emails"`
	Groups     []ref       `json:"groups"`
	Members    []ref       `json:"members"`
	Enterprise *enterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	Meta       meta        `json:"meta"`

	kind string // "User" or "Group"
	at   string // where it was read, for messages
}

// listResponse is RFC 7644 section 3.4.2's query response.
type listResponse struct {
	Schemas      []string          `json:"schemas"`
	TotalResults *int              `json:"totalResults"`
	ItemsPerPage *int              `json:"itemsPerPage"`
	StartIndex   *int              `json:"startIndex"`
	Resources    []json.RawMessage `json:"Resources"`
}

// ParseExport reads SCIM JSON files (single resources or ListResponses) and
// returns the batch of one service provider. Nothing is returned on error.
func ParseExport(opt Options, paths ...string) (*graph.Batch, error) {
	b, _, err := ParseExportWithReport(opt, paths...)
	return b, err
}

// ParseExportWithReport is ParseExport that also returns a Report.
func ParseExportWithReport(opt Options, paths ...string) (*graph.Batch, *Report, error) {
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("scim: no input files")
	}
	var all []*resource
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("scim: %w", err)
		}
		rs, err := parseDocument(data)
		if err != nil {
			return nil, nil, fmt.Errorf("scim: %s: %w", p, err)
		}
		for _, r := range rs {
			r.at = p + ": " + r.at
		}
		all = append(all, rs...)
	}
	if opt.Host == "" {
		for _, r := range all {
			if u, err := url.Parse(r.Meta.Location); err == nil && u.Host != "" {
				opt.Host = u.Host
				break
			}
		}
		if opt.Host == "" {
			return nil, nil, fmt.Errorf("scim: no host given and no resource has an absolute meta.location to take it from")
		}
	}
	return build(opt, all)
}

// notSCIM says what a SCIM file looks like, for a file of another kind.
const notSCIM = `expected a SCIM 2.0 (RFC 7643) User or Group resource, or a ListResponse ` +
	`({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":N,"Resources":[...]})`

// parseDocument reads one JSON document: a ListResponse or one resource.
func parseDocument(data []byte) ([]*resource, error) {
	var head struct {
		Schemas []string `json:"schemas"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		if jsonerr.IsSyntax(err) {
			return nil, jsonerr.Explain(data, err)
		}
		return nil, fmt.Errorf("%w: %s", jsonerr.Explain(data, err), notSCIM)
	}
	if slices.Contains(head.Schemas, SchemaListResponse) {
		lr, err := decodeList(data)
		if err != nil {
			return nil, err
		}
		return decodeResources(lr.Resources, "Resources")
	}
	r, err := decodeResource(data, "resource")
	if err != nil {
		return nil, err
	}
	return []*resource{r}, nil
}

func decodeList(data []byte) (*listResponse, error) {
	var lr listResponse
	if err := json.Unmarshal(data, &lr); err != nil {
		return nil, fmt.Errorf("ListResponse: %w", jsonerr.Explain(data, err))
	}
	if !slices.Contains(lr.Schemas, SchemaListResponse) {
		return nil, fmt.Errorf("schemas: want %q, got %q", SchemaListResponse, lr.Schemas)
	}
	if lr.TotalResults == nil {
		return nil, fmt.Errorf("ListResponse: totalResults is missing (RFC 7644 section 3.4.2 requires it)")
	}
	if *lr.TotalResults < 0 {
		return nil, fmt.Errorf("ListResponse: totalResults %d is negative", *lr.TotalResults)
	}
	return &lr, nil
}

func decodeResources(raw []json.RawMessage, at string) ([]*resource, error) {
	out := make([]*resource, 0, len(raw))
	for i, m := range raw {
		r, err := decodeResource(m, fmt.Sprintf("%s[%d]", at, i))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// decodeResource decodes and validates one User or Group.
func decodeResource(data []byte, at string) (*resource, error) {
	var head struct {
		Schemas []string `json:"schemas"`
		Meta    meta     `json:"meta"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonerr.Element(at, err)
	}
	var kind string
	switch {
	case slices.Contains(head.Schemas, SchemaUser) || head.Meta.ResourceType == "User":
		kind = "User"
	case slices.Contains(head.Schemas, SchemaGroup) || head.Meta.ResourceType == "Group":
		kind = "Group"
	default:
		return nil, fmt.Errorf("%s: schemas %q: want a User (%s) or Group (%s) resource: %s",
			at, head.Schemas, SchemaUser, SchemaGroup, notSCIM)
	}
	var r resource
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonerr.Element(fmt.Sprintf("%s (%s)", at, kind), err)
	}
	r.at, r.kind = at, kind
	if strings.TrimSpace(r.ID) == "" {
		return nil, fmt.Errorf("%s: id: missing (a %s returned by a service provider always has one)", at, r.kind)
	}
	if r.kind == "User" && strings.TrimSpace(r.UserName) == "" {
		return nil, fmt.Errorf("%s: userName: missing (required by RFC 7643 section 4.1)", at)
	}
	if r.kind == "Group" && strings.TrimSpace(r.DisplayName) == "" {
		return nil, fmt.Errorf("%s: displayName: missing (required by RFC 7643 section 4.2)", at)
	}
	if r.kind == "Group" && len(r.Groups) > 0 {
		return nil, fmt.Errorf("%s: groups: a Group has no groups attribute (RFC 7643 section 4.2)", at)
	}
	for i, m := range r.Members {
		if strings.TrimSpace(m.Value) == "" {
			return nil, fmt.Errorf("%s: members[%d].value: missing member id", at, i)
		}
		if t := m.Type; t != "" && t != "User" && t != "Group" {
			return nil, fmt.Errorf("%s: members[%d].type: want \"User\" or \"Group\", got %q", at, i, t)
		}
	}
	if r.kind == "User" && len(r.Members) > 0 {
		return nil, fmt.Errorf("%s: members: a User has no members", at)
	}
	for i, g := range r.Groups {
		if strings.TrimSpace(g.Value) == "" {
			return nil, fmt.Errorf("%s: groups[%d].value: missing group id", at, i)
		}
	}
	if e := r.Enterprise; e != nil && e.Manager != nil && e.Manager.Value == "" && e.Manager.Ref == "" &&
		e.Manager.DisplayName != "" {
		return nil, fmt.Errorf("%s: %s.manager.value: missing manager id", at, SchemaEnterprise)
	}
	return &r, nil
}
