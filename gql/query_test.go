package gql

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

type nodeJSON struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Sensitivity string `json:"sensitivity"`
}

type stepJSON struct {
	Kind      string   `json:"kind"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Privilege string   `json:"privilege"`
	Actions   []string `json:"actions"`
	Via       []string `json:"via"`
}

type pathJSON struct {
	Length      int        `json:"length"`
	Nodes       []nodeJSON `json:"nodes"`
	Steps       []stepJSON `json:"steps"`
	Privilege   string     `json:"privilege"`
	Actions     []string   `json:"actions"`
	Conditional bool       `json:"conditional"`
	Escalation  bool       `json:"escalation"`
}

type countJSON struct {
	Privilege   string `json:"privilege"`
	Sensitivity string `json:"sensitivity"`
	Count       int    `json:"count"`
}

type blastJSON struct {
	BlastRadius struct {
		From   nodeJSON `json:"from"`
		Totals struct {
			Resources     int         `json:"resources"`
			Principals    int         `json:"principals"`
			ByPrivilege   []countJSON `json:"byPrivilege"`
			BySensitivity []countJSON `json:"bySensitivity"`
		} `json:"totals"`
		Reaches struct {
			TotalCount int      `json:"totalCount"`
			PageInfo   pageInfo `json:"pageInfo"`
			Edges      []struct {
				Cursor string `json:"cursor"`
				Node   struct {
					Resource  nodeJSON `json:"resource"`
					Privilege string   `json:"privilege"`
					Actions   []string `json:"actions"`
					Witness   pathJSON `json:"witness"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"reaches"`
	} `json:"blastRadius"`
}

const pathFields = `length privilege actions conditional escalation
  nodes { id kind sensitivity }
  steps { kind from to privilege actions via }`

const blastQuery = `query($id: ID!, $first: Int, $after: String, $minPrivilege: Privilege) {
  blastRadius(id: $id, first: $first, after: $after, minPrivilege: $minPrivilege) {
    from { id kind }
    totals { resources principals byPrivilege { privilege count } bySensitivity { sensitivity count } }
    reaches {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { resource { id kind sensitivity } privilege actions witness { ` + pathFields + ` } } }
    }
  }
}`

func reachIDs(b blastJSON) []string {
	var out []string
	for _, e := range b.BlastRadius.Reaches.Edges {
		out = append(out, e.Node.Resource.ID+"="+e.Node.Privilege)
	}
	return out
}

func TestBlastRadius(t *testing.T) {
	srv := newServer(t, fixtureResolver(t), Options{})

	var got blastJSON
	data(t, srv, blastQuery, map[string]any{"id": acctAlice}, &got)
	br := got.BlastRadius

	require.Equal(t, nodeJSON{ID: acctAlice, Kind: "ACCOUNT"}, br.From)
	// alice acts as herself, the admins group and the Admin role.
	require.Equal(t, 3, br.Totals.Principals)
	require.Equal(t, 5, br.Totals.Resources)
	require.Equal(t, []countJSON{{Privilege: "ADMIN", Count: 1}, {Privilege: "WRITE", Count: 3},
		{Privilege: "READ", Count: 1}}, br.Totals.ByPrivilege)
	require.Equal(t, []countJSON{{Sensitivity: "CRITICAL", Count: 1}, {Sensitivity: "MEDIUM", Count: 3},
		{Sensitivity: "LOW", Count: 1}}, br.Totals.BySensitivity)

	// Ordered by privilege, then sensitivity, then ID.
	require.Equal(t, []string{bktPay + "=ADMIN", bktA + "=WRITE", bktB + "=WRITE", bktC + "=WRITE",
		bktLogs + "=READ"}, reachIDs(got))
	require.Equal(t, 5, br.Reaches.TotalCount)
	require.False(t, br.Reaches.PageInfo.HasNextPage)

	// payroll: admin through the group's role beats the direct read edge;
	// actions are the union over both paths.
	pay := br.Reaches.Edges[0].Node
	require.Equal(t, "CRITICAL", pay.Resource.Sensitivity)
	require.Equal(t, []string{"s3:*", "s3:GetObject"}, pay.Actions)
	w := pay.Witness
	require.Equal(t, 3, w.Length)
	require.Equal(t, "ADMIN", w.Privilege)
	require.Equal(t, []string{"s3:*"}, w.Actions)
	require.False(t, w.Conditional)
	require.False(t, w.Escalation)
	var ids []string
	for _, n := range w.Nodes {
		ids = append(ids, n.ID)
	}
	require.Equal(t, []string{acctAlice, grpAdmins, roleAdmin, bktPay}, ids)
	require.Equal(t, []stepJSON{
		{Kind: "MEMBER_OF", From: acctAlice, To: grpAdmins, Privilege: "NONE", Actions: []string{}, Via: []string{}},
		{Kind: "HAS_ROLE", From: grpAdmins, To: roleAdmin, Privilege: "NONE", Actions: []string{}, Via: []string{}},
		{Kind: "ACCESS", From: roleAdmin, To: bktPay, Privilege: "ADMIN", Actions: []string{"s3:*"},
			Via: []string{"policy/AdministratorAccess via group/admins"}},
	}, w.Steps)

	// logs is reached directly with read.
	logs := br.Reaches.Edges[4].Node
	require.Equal(t, []string{"s3:GetObject", "s3:ListBucket"}, logs.Actions)
	require.Equal(t, 1, logs.Witness.Length)
}

func TestBlastRadiusFilters(t *testing.T) {
	srv := newServer(t, fixtureResolver(t), Options{})
	tests := []struct {
		name string
		args string
		want []string
	}{
		{"min privilege write", `minPrivilege: WRITE`, []string{bktPay, bktA, bktB, bktC}},
		{"min sensitivity high", `minSensitivity: HIGH`, []string{bktPay}},
		{"identity one step further", `maxDepth: 4`, []string{bktPay, bktA, bktB, bktC, bktLogs}},
		// from the identity, depth 2 reaches only alice's own ACCESS edges.
		{"depth 2 from identity", `maxDepth: 2`, []string{bktPay, bktLogs}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				BlastRadius struct {
					Reaches struct {
						Edges []struct {
							Node struct {
								Resource nodeJSON `json:"resource"`
							} `json:"node"`
						} `json:"edges"`
					} `json:"reaches"`
				} `json:"blastRadius"`
			}
			q := fmt.Sprintf(`{ blastRadius(id: %q, %s) { reaches { edges { node { resource { id } } } } } }`,
				idAlex, tc.args)
			data(t, srv, q, nil, &got)
			var ids []string
			for _, e := range got.BlastRadius.Reaches.Edges {
				ids = append(ids, e.Node.Resource.ID)
			}
			require.Equal(t, tc.want, ids)
		})
	}
}

func TestBlastRadiusPagination(t *testing.T) {
	r := fixtureResolver(t)
	srv := newServer(t, r, Options{})

	var p1, p2, p3 blastJSON
	data(t, srv, blastQuery, map[string]any{"id": acctAlice, "first": 2}, &p1)
	require.Equal(t, []string{bktPay + "=ADMIN", bktA + "=WRITE"}, reachIDs(p1))
	require.True(t, p1.BlastRadius.Reaches.PageInfo.HasNextPage)
	require.Equal(t, 5, p1.BlastRadius.Reaches.TotalCount)
	end := p1.BlastRadius.Reaches.PageInfo.EndCursor
	require.NotNil(t, end)
	require.Equal(t, p1.BlastRadius.Reaches.Edges[1].Cursor, *end)
	require.NotEqual(t, p1.BlastRadius.Reaches.Edges[0].Cursor, *end)

	data(t, srv, blastQuery, map[string]any{"id": acctAlice, "first": 2, "after": *end}, &p2)
	require.Equal(t, []string{bktB + "=WRITE", bktC + "=WRITE"}, reachIDs(p2))
	require.True(t, p2.BlastRadius.Reaches.PageInfo.HasNextPage)

	data(t, srv, blastQuery, map[string]any{"id": acctAlice, "first": 2,
		"after": *p2.BlastRadius.Reaches.PageInfo.EndCursor}, &p3)
	require.Equal(t, []string{bktLogs + "=READ"}, reachIDs(p3))
	require.False(t, p3.BlastRadius.Reaches.PageInfo.HasNextPage)
	// Totals describe the whole result on every page.
	require.Equal(t, 5, p3.BlastRadius.Totals.Resources)

	// A new snapshot makes the old cursors stale.
	old := r.Snapshots.Load().Stats().Version
	nodes, edges := fixtureElements()
	r.Snapshots.Store(projection.FromElements(nodes, edges))
	cur := r.Snapshots.Load().Stats().Version
	require.NotEqual(t, old, cur)

	e := oneError(t, srv, blastQuery, map[string]any{"id": acctAlice, "first": 2, "after": *end})
	require.Equal(t, fmt.Sprintf("cursor is from snapshot version %d, current is %d: restart pagination",
		old, cur), e.Message)
	require.Equal(t, CodeStaleCursor, e.Extensions["code"])
	require.Equal(t, "after", e.Extensions["argument"])
}

func TestPaths(t *testing.T) {
	srv := newServer(t, fixtureResolver(t), Options{})
	q := `query($after: String) { paths(from: "` + acctAlice + `", to: "` + bktPay + `", first: 1, after: $after) {
	  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ` + pathFields + ` } } } }`
	type pathsJSON struct {
		Paths struct {
			TotalCount int      `json:"totalCount"`
			PageInfo   pageInfo `json:"pageInfo"`
			Edges      []struct {
				Node pathJSON `json:"node"`
			} `json:"edges"`
		} `json:"paths"`
	}

	var p1, p2 pathsJSON
	data(t, srv, q, nil, &p1)
	require.Equal(t, 2, p1.Paths.TotalCount)
	require.True(t, p1.Paths.PageInfo.HasNextPage)
	require.Len(t, p1.Paths.Edges, 1)
	// Shortest first: the direct read edge.
	direct := p1.Paths.Edges[0].Node
	require.Equal(t, 1, direct.Length)
	require.Equal(t, "READ", direct.Privilege)
	require.Equal(t, []string{"s3:GetObject"}, direct.Actions)

	data(t, srv, q, map[string]any{"after": *p1.Paths.PageInfo.EndCursor}, &p2)
	require.False(t, p2.Paths.PageInfo.HasNextPage)
	require.Len(t, p2.Paths.Edges, 1)
	viaRole := p2.Paths.Edges[0].Node
	require.Equal(t, 3, viaRole.Length)
	require.Equal(t, "ADMIN", viaRole.Privilege)
	require.Equal(t, []string{"MEMBER_OF", "HAS_ROLE", "ACCESS"},
		[]string{viaRole.Steps[0].Kind, viaRole.Steps[1].Kind, viaRole.Steps[2].Kind})
}

func TestWhoCanReach(t *testing.T) {
	srv := newServer(t, fixtureResolver(t), Options{})
	q := `query($kinds: [NodeKind!]) { whoCanReach(resource: "` + bktPay + `", kinds: $kinds) {
	  resource { id sensitivity } byPrivilege { privilege count }
	  reachers { totalCount edges { node { principal { id kind } privilege actions witness { length } } } } } }`
	type whoJSON struct {
		WhoCanReach struct {
			Resource    nodeJSON    `json:"resource"`
			ByPrivilege []countJSON `json:"byPrivilege"`
			Reachers    struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Principal nodeJSON `json:"principal"`
						Privilege string   `json:"privilege"`
						Witness   struct {
							Length int `json:"length"`
						} `json:"witness"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"reachers"`
		} `json:"whoCanReach"`
	}
	tests := []struct {
		name  string
		kinds []string
		want  []string // id=privilege/length
	}{
		{"all principals", nil, []string{
			roleAdmin + "=ADMIN/1", grpAdmins + "=ADMIN/2", acctAlice + "=ADMIN/3", idAlex + "=ADMIN/4"}},
		{"identities only", []string{"IDENTITY"}, []string{idAlex + "=ADMIN/4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got whoJSON
			vars := map[string]any{}
			if tc.kinds != nil {
				vars["kinds"] = tc.kinds
			}
			data(t, srv, q, vars, &got)
			w := got.WhoCanReach
			require.Equal(t, nodeJSON{ID: bktPay, Sensitivity: "CRITICAL"}, w.Resource)
			require.Equal(t, len(tc.want), w.Reachers.TotalCount)
			require.Equal(t, []countJSON{{Privilege: "ADMIN", Count: len(tc.want)}}, w.ByPrivilege)
			var ids []string
			for _, e := range w.Reachers.Edges {
				n := e.Node
				ids = append(ids, fmt.Sprintf("%s=%s/%d", n.Principal.ID, n.Privilege, n.Witness.Length))
			}
			require.Equal(t, tc.want, ids)
		})
	}
}

func TestNodeIdentitySearch(t *testing.T) {
	srv := newServer(t, withStore(t, fixtureResolver(t)), Options{})

	var got struct {
		Node struct {
			ID          string `json:"id"`
			Kind        string `json:"kind"`
			Subkind     string `json:"subkind"`
			Name        string `json:"name"`
			IsPrincipal bool   `json:"isPrincipal"`
			SyncRun     string `json:"syncRun"`
			Props       []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"props"`
		} `json:"identity"`
		Search struct {
			TotalCount int `json:"totalCount"`
			Edges      []struct {
				Node nodeJSON `json:"node"`
			} `json:"edges"`
		} `json:"search"`
	}
	data(t, srv, `{ identity(id: "`+idAlex+`") { id kind subkind name isPrincipal syncRun props { key value } }
	  search(text: "BUILDS", kinds: [RESOURCE], first: 2) { totalCount edges { node { id kind sensitivity } } } }`,
		nil, &got)
	n := got.Node
	require.Equal(t, "IDENTITY", n.Kind)
	require.Equal(t, "human", n.Subkind)
	require.Equal(t, "Alex Doe", n.Name)
	require.True(t, n.IsPrincipal)
	require.Equal(t, "run-1", n.SyncRun)
	require.Len(t, n.Props, 2)
	require.Equal(t, "department", n.Props[0].Key)
	require.Equal(t, "finance", n.Props[0].Value)
	require.Equal(t, "email", n.Props[1].Key)

	require.Equal(t, 3, got.Search.TotalCount)
	require.Equal(t, []nodeJSON{{ID: bktA, Kind: "RESOURCE", Sensitivity: "MEDIUM"},
		{ID: bktB, Kind: "RESOURCE", Sensitivity: "MEDIUM"}},
		[]nodeJSON{got.Search.Edges[0].Node, got.Search.Edges[1].Node})
}

func TestErrors(t *testing.T) {
	srv := newServer(t, fixtureResolver(t), Options{})
	tests := []struct {
		name     string
		query    string
		code     string
		argument string
		message  string
	}{
		{"unknown id", `{ blastRadius(id: "nope") { from { id } } }`, CodeNotFound, "",
			`no node with id "nope" (search by name with search(text:...))`},
		{"unknown node", `{ node(id: "aws:user/bob") { id } }`, CodeNotFound, "",
			`no node with id "aws:user/bob" (search by name with search(text:...))`},
		{"unknown path target", `{ paths(from: "` + acctAlice + `", to: "s3:nope") { totalCount } }`, CodeNotFound, "",
			`no node with id "s3:nope" (search by name with search(text:...))`},
		{"identity of a resource", `{ identity(id: "` + bktPay + `") { id } }`, CodeBadUserInput, "id",
			`id: node "s3:payroll" is a resource, not a principal: use node(id:) for it`},
		{"first too large", `{ search(text: "", first: 501) { totalCount } }`, CodeBadUserInput, "first",
			"first: must be between 0 and 500, got 501"},
		{"negative depth", `{ blastRadius(id: "` + acctAlice + `", maxDepth: -1) { from { id } } }`,
			CodeBadUserInput, "maxDepth", "maxDepth: must be between 0 and 64, got -1"},
		{"paths depth", `{ paths(from: "` + acctAlice + `", to: "` + bktPay + `", maxDepth: 21) { totalCount } }`,
			CodeBadUserInput, "maxDepth", "maxDepth: must be between 1 and 20, got 21"},
		{"resource kind among reachers", `{ whoCanReach(resource: "` + bktPay + `", kinds: [RESOURCE]) { byPrivilege { count } } }`,
			CodeBadUserInput, "kinds", "kinds: resource is not a principal kind"},
		{"malformed cursor", `{ search(text: "", after: "xyz") { totalCount } }`, CodeBadUserInput, "after",
			`after: malformed cursor "xyz": pass the endCursor of a previous page`},
		{"cypher without neo4j", `{ blastRadius(id: "` + acctAlice + `", engine: CYPHER) { from { id } } }`,
			CodeUnavailable, "", "cypher engine needs --neo4j"},
		{"sync runs without store", `{ syncRuns { id } }`, CodeUnavailable, "",
			"sync runs need a graph store, and this server has none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := oneError(t, srv, tc.query, nil)
			require.Equal(t, tc.message, e.Message)
			require.Equal(t, tc.code, e.Extensions["code"])
			if tc.argument != "" {
				require.Equal(t, tc.argument, e.Extensions["argument"])
			}
		})
	}
}

// fakeEngine answers every blast radius with one fixed reach, and every
// paths query with paths (and truncated), recording the query.
type fakeEngine struct {
	calls     int
	paths     []projection.Path
	truncated bool
	pathsQ    projection.PathsQuery
}

func (f *fakeEngine) BlastRadius(_ context.Context, q projection.BlastRadiusQuery) (*projection.BlastRadiusResult, error) {
	f.calls++
	res := projection.NodeRef{ID: "cypher:res", Kind: graph.KindResource}
	return &projection.BlastRadiusResult{
		From:    projection.NodeRef{ID: q.From, Kind: graph.KindAccount},
		Reaches: []projection.Reach{{Resource: res, Privilege: graph.PrivWrite}},
		Totals:  projection.Totals{Resources: 1, ByPrivilege: map[graph.Privilege]int{graph.PrivWrite: 1}},
	}, nil
}

func (f *fakeEngine) PathsDetailed(_ context.Context, q projection.PathsQuery) (*projection.PathsResult, error) {
	f.pathsQ = q
	return &projection.PathsResult{Paths: f.paths, Truncated: f.truncated}, nil
}

func (f *fakeEngine) WhoCanReach(context.Context, projection.WhoCanReachQuery) (*projection.WhoCanReachResult, error) {
	return &projection.WhoCanReachResult{}, nil
}

func TestCypherEnginePlugged(t *testing.T) {
	r := fixtureResolver(t)
	fake := &fakeEngine{}
	r.Cypher = fake
	srv := newServer(t, r, Options{})

	var got blastJSON
	data(t, srv, `{ blastRadius(id: "`+acctAlice+`", engine: CYPHER) {
	  totals { byPrivilege { privilege count } } reaches { edges { node { resource { id } privilege } } } } }`,
		nil, &got)
	require.Equal(t, 1, fake.calls)
	require.Equal(t, []string{"cypher:res=WRITE"}, reachIDs(got))
	require.Equal(t, []countJSON{{Privilege: "WRITE", Count: 1}}, got.BlastRadius.Totals.ByPrivilege)
}

// TestContainsPassesAccessDown adds an object inside the payroll bucket: the
// admin grant on the bucket reaches it through the CONTAINS edge.
func TestContainsPassesAccessDown(t *testing.T) {
	const obj = "s3:payroll/salaries.csv"
	nodes, edges := fixtureElements()
	nodes = append(nodes, testNode(obj, graph.KindResource, graph.SensCritical))
	edges = append(edges, graph.Edge{From: bktPay, To: obj, Kind: graph.EdgeContains, Source: "test"})
	h := &projection.Holder{}
	h.Store(projection.FromElements(nodes, edges))
	srv := newServer(t, &Resolver{Snapshots: h}, Options{})

	var got blastJSON
	data(t, srv, blastQuery, map[string]any{"id": acctAlice, "minPrivilege": "ADMIN"}, &got)
	require.Equal(t, []string{bktPay + "=ADMIN", obj + "=ADMIN"}, reachIDs(got))
	w := got.BlastRadius.Reaches.Edges[1].Node.Witness
	require.Equal(t, 4, w.Length)
	require.Equal(t, "ADMIN", w.Privilege)
	require.Equal(t, "CONTAINS", w.Steps[3].Kind)
	require.Equal(t, bktPay, w.Steps[3].From)
	require.Equal(t, obj, w.Steps[3].To)
}

type truncJSON struct {
	Paths struct {
		TotalCount int  `json:"totalCount"`
		Truncated  bool `json:"truncated"`
		Edges      []struct {
			Node struct {
				Length int `json:"length"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"paths"`
}

// paths says when maxPaths cut the list off: alice reaches payroll by two
// paths, so maxPaths 1 lists one and says there are more; 2 or more lists
// both and says that is all.
func TestPathsTruncated(t *testing.T) {
	srv := newServer(t, fixtureResolver(t), Options{})
	q := `query($n: Int) { paths(from: "` + acctAlice + `", to: "` + bktPay + `", maxPaths: $n) {
	  totalCount truncated edges { node { length } } } }`
	for _, tc := range []struct {
		maxPaths  any
		total     int
		truncated bool
	}{{1, 1, true}, {2, 2, false}, {3, 2, false}, {nil, 2, false}} {
		var got truncJSON
		data(t, srv, q, map[string]any{"n": tc.maxPaths}, &got)
		require.Equal(t, tc.total, got.Paths.TotalCount, "maxPaths %v", tc.maxPaths)
		require.Len(t, got.Paths.Edges, tc.total, "maxPaths %v", tc.maxPaths)
		require.Equal(t, tc.truncated, got.Paths.Truncated, "maxPaths %v", tc.maxPaths)
	}
	// The page window does not change it: a page of one of two paths is
	// not truncation.
	var page truncJSON
	data(t, srv, `{ paths(from: "`+acctAlice+`", to: "`+bktPay+`", first: 1) { totalCount truncated } }`, nil, &page)
	require.Equal(t, 2, page.Paths.TotalCount)
	require.False(t, page.Paths.Truncated)
}

// The other engine is asked for one path more than maxPaths, and its own
// truncation (its work bound) is reported too.
func TestPathsTruncatedOtherEngine(t *testing.T) {
	r := fixtureResolver(t)
	p := projection.Path{Nodes: []projection.NodeRef{{ID: acctAlice}, {ID: bktPay}},
		Steps: []projection.Step{{Kind: graph.EdgeAccess, From: acctAlice, To: bktPay}}}
	fake := &fakeEngine{paths: []projection.Path{p, p, p}}
	r.Cypher = fake
	srv := newServer(t, r, Options{})
	q := `query($n: Int) { paths(from: "` + acctAlice + `", to: "` + bktPay + `", maxPaths: $n, engine: CYPHER) {
	  totalCount truncated } }`

	var got truncJSON
	data(t, srv, q, map[string]any{"n": 2}, &got)
	require.Equal(t, 3, fake.pathsQ.MaxPaths, "asked for maxPaths+1")
	require.Equal(t, 2, got.Paths.TotalCount)
	require.True(t, got.Paths.Truncated)

	data(t, srv, q, map[string]any{"n": 3}, &got)
	require.Equal(t, 3, got.Paths.TotalCount)
	require.False(t, got.Paths.Truncated)

	fake.truncated = true // stopped at its work bound with fewer than maxPaths
	data(t, srv, q, map[string]any{"n": 10}, &got)
	require.Equal(t, 3, got.Paths.TotalCount)
	require.True(t, got.Paths.Truncated)
}

// A resource reaches nothing (access ends at it): blastRadius of one is
// refused, saying so and pointing at whoCanReach, for either engine.
func TestBlastRadiusOfResource(t *testing.T) {
	nodes, edges := fixtureElements()
	for i := range nodes {
		if nodes[i].ID == bktPay {
			nodes[i].Subkind = "s3-bucket"
		}
	}
	h := &projection.Holder{}
	h.Store(projection.FromElements(nodes, edges))
	fake := &fakeEngine{}
	srv := newServer(t, &Resolver{Snapshots: h, Cypher: fake}, Options{})
	for _, engine := range []string{"PROJECTION", "CYPHER"} {
		e := oneError(t, srv, `{ blastRadius(id: "`+bktPay+`", engine: `+engine+`) { totals { resources } } }`, nil)
		require.Equal(t, `id: node "s3:payroll" is a resource (s3-bucket), not a principal: a resource reaches `+
			`nothing (access ends at it), so its blast radius is always empty; whoCanReach(resource: "s3:payroll") `+
			`answers who reaches it`, e.Message)
		require.Equal(t, CodeBadUserInput, e.Extensions["code"])
		require.Equal(t, "id", e.Extensions["argument"])
	}
	require.Zero(t, fake.calls)

	e := oneError(t, srv, `{ blastRadius(id: "`+bktLogs+`") { totals { resources } } }`, nil)
	require.Contains(t, e.Message, `node "s3:logs" is a resource, not a principal`)

	// Every other kind keeps its answer: a role reaches what it grants.
	var got blastJSON
	data(t, srv, blastQuery, map[string]any{"id": roleAdmin}, &got)
	require.Equal(t, 4, got.BlastRadius.Totals.Resources)

	// A node filed as a resource that does lead somewhere (one source saw a
	// role's ARN as a resource, another gave the role its grants) keeps its
	// answer: the refusal is for nodes whose blast radius is empty.
	nodes = append(nodes, graph.Node{ID: "arn:aws:iam::2:role/misfiled", Kind: graph.KindResource, Name: "misfiled",
		Source: "test"})
	edges = append(edges, graph.Edge{From: "arn:aws:iam::2:role/misfiled", To: bktLogs, Kind: graph.EdgeAccess,
		Privilege: graph.PrivRead, Actions: []string{"s3:GetObject"}, Source: "test"})
	h.Store(projection.FromElements(nodes, edges))
	data(t, srv, blastQuery, map[string]any{"id": "arn:aws:iam::2:role/misfiled"}, &got)
	require.Equal(t, 1, got.BlastRadius.Totals.Resources)
}

func TestUsesReview(t *testing.T) {
	for doc, want := range map[string]bool{
		`{ riskScore(id: "x") { score } }`:                                                      true,
		`query Q { snapshot { nodes } reviewQueue(first: 1) { totalCount } }`:                   true,
		`mutation { decide(item: "x", decision: KEEP, justification: "j") { id } }`:             true,
		`{ ...F } fragment F on Query { riskScore(id: "x") { score } }`:                         true,
		`{ ... on Query { reviewQueue { totalCount } } }`:                                       true,
		`{ snapshot { nodes } }`:                                                                false,
		`{ blastRadius(id: "riskScore") { totals { resources } } }`:                             false,
		`{ node(id: "x") { riskScore: id } }`:                                                   false,
		`{ riskScore(id: `:                                                                      false,
		`{ ...F } fragment F on Query { ...G } fragment G on Query { ...F snapshot { nodes } }`: false,
	} {
		require.Equal(t, want, UsesReview(doc), doc)
	}
}
