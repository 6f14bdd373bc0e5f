package scim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// datasetPath returns a file of the shared datasets (repo root +
// "/../shared/datasets"), skipping the test if the folder is absent.
func datasetPath(t *testing.T, parts ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found above the test directory")
		dir = parent
	}
	base := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(base); err != nil {
		t.Skipf("shared datasets folder %s is absent: skipping the real-data test", base)
	}
	return filepath.Join(append([]string{base}, parts...)...)
}

const (
	babs        = "2819c223-7f76-453a-919d-413861904646"
	mandy       = "902c246b-6245-4190-8e05-00816be7344a"
	tourGuides  = "e9e30dba-f08f-4109-8486-d5c6a331660a"
	employees   = "fc348aa8-3835-40eb-a20b-c726e15c55b5"
	usEmployees = "71ddacd2-a8e7-49b8-a5db-ae50d0a5bfd7"
	groupA      = "c3a26dd3-27a0-4dec-a2ac-ce211e105f97"
	groupB      = "6c5bb468-14b2-4183-baf2-06d523e03bd3"
)

func datasetFiles(t *testing.T) []string {
	return []string{
		datasetPath(t, "scim", "rfc7643-8.3-enterprise-user.json"),
		datasetPath(t, "scim", "rfc7643-8.4-group.json"),
		datasetPath(t, "scim", "rfc7644-3.7.1-list-response-nested-groups.json"),
	}
}

func memberOf(b *graph.Batch, from, to string) bool {
	_, ok := b.Edge(from, graph.EdgeMemberOf, to)
	return ok
}

func TestBabsJensen(t *testing.T) {
	b, rep, err := ParseExportWithReport(Options{}, datasetFiles(t)...)
	require.NoError(t, err)
	require.Equal(t, "scim:example.com", b.Source, "host taken from meta.location")
	u, ok := b.Node(userID("example.com", babs))
	require.True(t, ok)
	require.Equal(t, graph.KindAccount, u.Kind)
	require.Equal(t, "scim-user", u.Subkind)
	require.Equal(t, "bjensen@example.com", u.Name)
	require.Equal(t, "bjensen@example.com", u.Props[graph.PropEmail], "the primary email, not babs@jensen.org")
	require.Equal(t, "bjensen@example.com", u.Props[graph.PropUPN])
	require.Equal(t, "701984", u.Props[graph.PropEmployeeID])
	require.Equal(t, "active", u.Props[graph.PropStatus])
	require.Equal(t, "Babs Jensen", u.Props[graph.PropDisplayName])
	require.Equal(t, "Tour Operations", u.Props["department"])
	require.Equal(t, "26118915-6090-4610-87e4-49d8ca9f808d", u.Props["manager_id"])
	require.Equal(t, "John Smith", u.Props["manager_name"])
	require.Equal(t, "4130", u.Props["cost_center"])
	require.Equal(t, "Tour Guide", u.Props["title"])
	require.Empty(t, u.Props[graph.PropStub])
	require.NotContains(t, u.Props, "password", "the password attribute is never copied")

	// Three group back-references: Tour Guides is in the input, the other two are stubs.
	for _, g := range []string{tourGuides, employees, usEmployees} {
		require.True(t, memberOf(b, u.ID, groupID("example.com", g)), g)
	}
	emp, ok := b.Node(groupID("example.com", employees))
	require.True(t, ok)
	require.Equal(t, "true", emp.Props[graph.PropStub])
	require.Equal(t, "Employees", emp.Name)
	require.Equal(t, []string{usEmployees, employees}, rep.StubGroups)
	require.Equal(t, []string{mandy}, rep.StubUsers)
	require.Equal(t, 1, rep.Users)
	require.Equal(t, 3, rep.Groups)
	// Tour Guides lists Babs and Babs lists Tour Guides: one edge with both origins.
	e, ok := b.Edge(u.ID, graph.EdgeMemberOf, groupID("example.com", tourGuides))
	require.True(t, ok)
	require.Equal(t, []string{"group.members", "user.groups"}, e.Via)
}

func TestTourGuides(t *testing.T) {
	b, err := ParseExport(Options{Host: "example.com"}, datasetPath(t, "scim", "rfc7643-8.4-group.json"))
	require.NoError(t, err)
	gid := groupID("example.com", tourGuides)
	g, ok := b.Node(gid)
	require.True(t, ok)
	require.Equal(t, "Tour Guides", g.Name)
	require.Equal(t, graph.KindGroup, g.Kind)
	var members []string
	for _, e := range b.Edges() {
		if e.To == gid && e.Kind == graph.EdgeMemberOf {
			n, _ := b.Node(e.From)
			members = append(members, n.Name)
			require.Equal(t, "true", n.Props[graph.PropStub], "no user resource in this file")
			require.Equal(t, graph.KindAccount, n.Kind, "typed by its $ref .../Users/...")
		}
	}
	require.Equal(t, []string{"Babs Jensen", "Mandy Pepperidge"}, members)
}

func TestNestedGroupCycle(t *testing.T) {
	b, rep, err := ParseExportWithReport(Options{}, datasetPath(t, "scim", "rfc7644-3.7.1-list-response-nested-groups.json"))
	require.NoError(t, err)
	a, bb := groupID("example.com", groupA), groupID("example.com", groupB)
	require.True(t, memberOf(b, a, bb))
	require.True(t, memberOf(b, bb, a))
	require.Empty(t, rep.StubGroups)
	require.NoError(t, b.Validate())

	// Blast radius over the cycle terminates; with a resource granted to
	// Group B, a member of Group A reaches it through the cycle.
	nodes := append(b.Nodes(), graph.Node{ID: "res", Kind: graph.KindResource, Name: "tour-bus", Source: "test"},
		graph.Node{ID: "u", Kind: graph.KindAccount, Name: "u", Source: "test"})
	edges := append(b.Edges(),
		graph.Edge{From: bb, To: "res", Kind: graph.EdgeAccess, Privilege: graph.PrivWrite, Source: "test"},
		graph.Edge{From: "u", To: a, Kind: graph.EdgeMemberOf, Source: "test"})
	s := projection.FromElements(nodes, edges)
	r, err := s.BlastRadius(projection.BlastRadiusQuery{From: "u"})
	require.NoError(t, err)
	require.Len(t, r.Reaches, 1)
	require.Equal(t, "res", r.Reaches[0].Resource.ID)
	require.Equal(t, 3, r.Totals.Principals, "u, Group A, Group B")
	r, err = s.BlastRadius(projection.BlastRadiusQuery{From: a})
	require.NoError(t, err)
	require.Len(t, r.Reaches, 1)
}

func TestSameBatchAnyFileOrder(t *testing.T) {
	f := datasetFiles(t)
	b1, err := ParseExport(Options{}, f...)
	require.NoError(t, err)
	b2, err := ParseExport(Options{}, f[2], f[1], f[0])
	require.NoError(t, err)
	require.Equal(t, b1.Nodes(), b2.Nodes())
	require.Equal(t, b1.Edges(), b2.Edges())
	n, e := b1.Len()
	// Babs, Mandy (stub), Tour Guides, Employees (stub), US Employees (stub), Group A, Group B.
	require.Equal(t, 7, n)
	// Babs->3 groups, Mandy->Tour Guides, A->B, B->A.
	require.Equal(t, 6, e)
}
