package scim

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// builder turns validated resources into a batch.
type builder struct {
	host   string
	b      *graph.Batch
	users  map[string]*resource
	groups map[string]*resource
	rep    *Report
}

func userID(host, id string) string  { return "scim:" + host + ":user:" + id }
func groupID(host, id string) string { return "scim:" + host + ":group:" + id }

// build maps resources to a batch; the same resources in any order give the
// same batch.
func build(opt Options, rs []*resource) (*graph.Batch, *Report, error) {
	if strings.ContainsAny(opt.Host, ": /") {
		return nil, nil, fmt.Errorf("scim: host %q must be a bare host name", opt.Host)
	}
	bd := &builder{host: opt.Host, b: graph.NewBatch("scim:" + opt.Host),
		users: map[string]*resource{}, groups: map[string]*resource{}, rep: &Report{}}
	for _, r := range rs {
		m := bd.users
		if r.kind == "Group" {
			m = bd.groups
		}
		if old, ok := m[r.ID]; ok {
			// The same resource in two files or pages: keep the later one but
			// keep the union of its references.
			r.Members = append(slices.Clone(old.Members), r.Members...)
			r.Groups = append(slices.Clone(old.Groups), r.Groups...)
		}
		m[r.ID] = r
	}
	if clash := intersect(bd.users, bd.groups); clash != "" {
		return nil, nil, fmt.Errorf("scim: id %q is both a User and a Group", clash)
	}
	for _, id := range sortedKeys(bd.users) {
		bd.user(bd.users[id])
	}
	for _, id := range sortedKeys(bd.groups) {
		bd.group(bd.groups[id])
	}
	bd.rep.Users, bd.rep.Groups = len(bd.users), len(bd.groups)
	sort.Strings(bd.rep.StubUsers)
	sort.Strings(bd.rep.StubGroups)
	sort.Strings(bd.rep.UntypedMembers)
	if err := bd.b.Validate(); err != nil {
		return nil, nil, fmt.Errorf("scim: %w", err)
	}
	return bd.b, bd.rep, nil
}

func (bd *builder) user(r *resource) {
	p := map[string]string{"scim_id": r.ID}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			p[k] = v
		}
	}
	set(graph.PropEmail, strings.ToLower(primaryEmail(r.Emails)))
	if mailbox(r.UserName) {
		set(graph.PropUPN, strings.ToLower(r.UserName))
	}
	dn := r.DisplayName
	if dn == "" && r.Name != nil {
		dn = r.Name.Formatted
	}
	set(graph.PropDisplayName, dn)
	switch {
	case r.Active == nil:
	case *r.Active:
		p[graph.PropStatus] = "active"
	default:
		p[graph.PropStatus] = "suspended"
	}
	set("external_id", r.ExternalID)
	set("title", r.Title)
	set("user_type", r.UserType)
	if e := r.Enterprise; e != nil {
		set(graph.PropEmployeeID, e.EmployeeNumber)
		set("department", e.Department)
		set("cost_center", e.CostCenter)
		set("organization", e.Organization)
		set("division", e.Division)
		if m := e.Manager; m != nil {
			id := m.Value
			if id == "" {
				id = lastSegment(m.Ref)
			}
			set("manager_id", id)
			set("manager_name", m.DisplayName)
		}
	}
	id := userID(bd.host, r.ID)
	bd.b.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Subkind: "scim-user", Name: r.UserName, Props: p})
	for _, g := range r.Groups {
		if strings.EqualFold(g.Type, "indirect") {
			bd.rep.IndirectSkipped++
			continue
		}
		gid := bd.groupRef(g.Value, g.Display)
		bd.b.AddEdge(graph.Edge{From: id, To: gid, Kind: graph.EdgeMemberOf, Via: []string{"user.groups"}})
	}
}

func (bd *builder) group(r *resource) {
	id := groupID(bd.host, r.ID)
	p := map[string]string{"scim_id": r.ID}
	if r.ExternalID != "" {
		p["external_id"] = r.ExternalID
	}
	bd.b.AddNode(graph.Node{ID: id, Kind: graph.KindGroup, Subkind: "scim-group", Name: r.DisplayName, Props: p})
	for _, m := range r.Members {
		var from string
		switch bd.memberKind(m) {
		case "Group":
			from = bd.groupRef(m.Value, m.Display)
		case "":
			bd.rep.UntypedMembers = append(bd.rep.UntypedMembers, r.ID+"/"+m.Value)
			from = bd.userRef(m.Value, m.Display)
		default:
			from = bd.userRef(m.Value, m.Display)
		}
		bd.b.AddEdge(graph.Edge{From: from, To: id, Kind: graph.EdgeMemberOf, Via: []string{"group.members"}})
	}
}

// memberKind returns "User", "Group" or "" when nothing says.
func (bd *builder) memberKind(m ref) string {
	switch {
	case m.Type != "":
		return m.Type
	case strings.Contains(m.Ref, "/Groups/"):
		return "Group"
	case strings.Contains(m.Ref, "/Users/"):
		return "User"
	}
	if _, ok := bd.groups[m.Value]; ok {
		return "Group"
	}
	if _, ok := bd.users[m.Value]; ok {
		return "User"
	}
	return ""
}

// userRef returns the node ID of user id, adding a stub when the input does
// not hold it.
func (bd *builder) userRef(id, display string) string {
	nid := userID(bd.host, id)
	if _, ok := bd.users[id]; ok {
		return nid
	}
	if _, ok := bd.b.Node(nid); !ok {
		bd.rep.StubUsers = append(bd.rep.StubUsers, id)
		p := map[string]string{graph.PropStub: "true", "scim_id": id}
		if display != "" {
			p[graph.PropDisplayName] = display
		}
		bd.b.AddNode(graph.Node{ID: nid, Kind: graph.KindAccount, Subkind: "scim-user", Name: nameOr(display, id), Props: p})
	}
	return nid
}

// groupRef is userRef for groups.
func (bd *builder) groupRef(id, display string) string {
	nid := groupID(bd.host, id)
	if _, ok := bd.groups[id]; ok {
		return nid
	}
	if _, ok := bd.b.Node(nid); !ok {
		bd.rep.StubGroups = append(bd.rep.StubGroups, id)
		bd.b.AddNode(graph.Node{ID: nid, Kind: graph.KindGroup, Subkind: "scim-group", Name: nameOr(display, id),
			Props: map[string]string{graph.PropStub: "true", "scim_id": id}})
	}
	return nid
}

// primaryEmail picks the primary email, else a work one, else the first.
func primaryEmail(es []multi) string {
	for _, e := range es {
		if e.Primary && e.Value != "" {
			return e.Value
		}
	}
	for _, e := range es {
		if strings.EqualFold(e.Type, "work") && e.Value != "" {
			return e.Value
		}
	}
	for _, e := range es {
		if e.Value != "" {
			return e.Value
		}
	}
	return ""
}

// mailbox reports whether s looks like local@domain.tld.
func mailbox(s string) bool {
	local, domain, ok := strings.Cut(strings.TrimSpace(s), "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t") &&
		!strings.Contains(domain, "@") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func lastSegment(u string) string {
	u = strings.TrimRight(u, "/")
	if i := strings.LastIndex(u, "/"); i >= 0 {
		return u[i+1:]
	}
	return u
}

func nameOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sortedKeys(m map[string]*resource) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func intersect(a, b map[string]*resource) string {
	for _, k := range sortedKeys(a) {
		if _, ok := b[k]; ok {
			return k
		}
	}
	return ""
}
