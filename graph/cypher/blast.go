package cypher

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// tierBest is the shortest way found into a resource at one privilege tier.
type tierBest struct {
	length    int    // steps; 0 means none found
	principal string // for a direct ACCESS: the principal holding it
	container string // for containment: the container it came through ("" when direct)
	e         *rel   // the ACCESS or CONTAINS edge into the resource
}

// reached is what a blast-radius query learns about one resource.
type reached struct {
	id      string
	best    [graph.PrivAdmin + 1]tierBest
	actions []string // of the direct ACCESS edges into it
}

// offer records a way in at privilege p and reports whether it is shorter
// than the one known (the first of equally short ones stays).
func (r *reached) offer(p graph.Privilege, t tierBest) bool {
	b := &r.best[p]
	if b.length != 0 && b.length <= t.length {
		return false
	}
	*b = t
	return true
}

// top is the highest tier reached.
func (r *reached) top() graph.Privilege {
	for p := graph.PrivAdmin; p > graph.PrivNone; p-- {
		if r.best[p].length != 0 {
			return p
		}
	}
	return graph.PrivNone
}

// closure is a forward breadth-first search over traversal edges.
type closure struct {
	order  []string        // BFS order, the start first
	dist   map[string]int  // steps from the start
	parent map[string]*rel // the edge a node was first reached by
}

// forward runs the search from root, one statement per level, which
// returns only the nodes the level leads to first, each with the
// relationship the projection's search meets it by. maxDist bounds the
// distance (negative: none).
func (v *view) forward(root string, maxDist int) (*closure, error) {
	c := &closure{order: []string{root}, dist: map[string]int{root: 0}, parent: map[string]*rel{}}
	for lo := 0; lo < len(c.order); {
		hi := len(c.order)
		d := c.dist[c.order[lo]] // every node of a level is at the same distance
		if maxDist >= 0 && d >= maxDist {
			break
		}
		level := c.order[lo:hi]
		index := make(map[string]int, len(level))
		for i, u := range level {
			index[u] = i
		}
		var found []*rel
		err := v.rels(qForward, map[string]any{"ids": level, "seen": c.order}, true,
			func(e *rel) { found = append(found, e) }, func() {})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(found, func(x, y *rel) int {
			if ix, iy := index[x.from], index[y.from]; ix != iy {
				return ix - iy
			}
			if x.kind != y.kind {
				return int(x.kind) - int(y.kind)
			}
			return strings.Compare(x.to, y.to)
		})
		for _, e := range found {
			if _, ok := c.dist[e.to]; ok {
				return nil, fmt.Errorf("forward search: %q met twice", e.to)
			}
			c.dist[e.to], c.parent[e.to] = d+1, e
			c.order = append(c.order, e.to)
		}
		lo = hi
	}
	return c, nil
}

// edgesTo lists the tree edges from the start to u.
func (c *closure) edgesTo(u string) []*rel {
	var rev []*rel
	for e := c.parent[u]; e != nil; e = c.parent[e.from] {
		rev = append(rev, e)
	}
	slices.Reverse(rev)
	return rev
}

// BlastRadius returns every resource q.From reaches, with the highest
// privilege, the union of the actions granted over every path, and a
// shortest witness among the paths granting that privilege (for the results
// q.Witnesses selects), as projection.Snapshot.BlastRadius does. An unknown
// ID returns an error wrapping graph.ErrNotFound.
func (e *Engine) BlastRadius(ctx context.Context, q projection.BlastRadiusQuery) (*projection.BlastRadiusResult, error) {
	if q.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: maxDepth %d is negative", projection.ErrBadQuery, q.MaxDepth)
	}
	var res *projection.BlastRadiusResult
	err := e.read(ctx, func(tx neo4j.ManagedTransaction) error {
		var err error
		res, err = blastRadius(newView(ctx, tx), q)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cypher blast radius of %q: %w", q.From, err)
	}
	return res, nil
}

func blastRadius(v *view, q projection.BlastRadiusQuery) (*projection.BlastRadiusResult, error) {
	from, err := v.node(q.From, "node")
	if err != nil {
		return nil, err
	}
	limit, maxDist := q.MaxDepth, -1
	if limit > 0 {
		maxDist = limit - 1 // the ACCESS step adds one
	}
	c, err := v.forward(q.From, maxDist)
	if err != nil {
		return nil, err
	}
	accs := map[string]*reached{}
	var found []string // resources in the order first met
	get := func(r string) *reached {
		a := accs[r]
		if a == nil {
			a = &reached{id: r}
			accs[r] = a
			found = append(found, r)
		}
		return a
	}
	var work []string
	gs, err := v.grants(c.order)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		a := get(g.e.to)
		if a.offer(g.e.priv, tierBest{length: c.dist[g.e.from] + 1, principal: g.e.from, e: g.e}) {
			work = append(work, g.e.to)
		}
		a.actions = append(a.actions, g.actions...)
	}
	// Read the containment below every resource reached, one level per
	// statement, then pass access down CONTAINS edges until nothing
	// improves, each tier keeping its own shortest length.
	if err := v.containment(found); err != nil {
		return nil, err
	}
	for len(work) > 0 {
		r := work[len(work)-1]
		work = work[:len(work)-1]
		a := accs[r]
		for _, e := range v.cont[r] {
			improved := false
			for p := graph.PrivRead; p <= graph.PrivAdmin; p++ {
				l := a.best[p].length
				if l == 0 || (limit > 0 && l+1 > limit) {
					continue
				}
				if get(e.to).offer(p, tierBest{length: l + 1, container: r, e: e}) {
					improved = true
				}
			}
			if improved {
				work = append(work, e.to)
			}
		}
	}

	res := &projection.BlastRadiusResult{From: from, Totals: projection.Totals{
		ByPrivilege: map[graph.Privilege]int{}, BySensitivity: map[graph.Sensitivity]int{},
		Principals: len(c.order)}}
	type item struct {
		a   *reached
		ref projection.NodeRef
		p   graph.Privilege
	}
	var items []item
	for _, a := range accs {
		ref, p := v.ref(a.id), a.top()
		if p == graph.PrivNone || p < q.MinPrivilege || ref.Sensitivity < q.MinSensitivity {
			continue
		}
		items = append(items, item{a: a, ref: ref, p: p})
		res.Totals.Resources++
		res.Totals.ByPrivilege[p]++
		res.Totals.BySensitivity[ref.Sensitivity]++
	}
	slices.SortFunc(items, func(x, y item) int {
		if x.p != y.p {
			return int(y.p) - int(x.p)
		}
		if x.ref.Sensitivity != y.ref.Sensitivity {
			return int(y.ref.Sensitivity) - int(x.ref.Sensitivity)
		}
		return strings.Compare(x.ref.ID, y.ref.ID)
	})
	holders := containersIn(v, accs)
	res.Reaches = make([]projection.Reach, len(items))
	for i, it := range items {
		r := projection.Reach{Resource: it.ref, Privilege: it.p, Actions: reachActions(accs, holders, it.a.id)}
		if q.Witnesses.Contains(i) {
			r.Witness = v.pathOf(witnessEdges(c, accs, it.a.id, it.p))
		}
		res.Reaches[i] = r
	}
	return res, nil
}

// grant is the nearest principal's ACCESS relationship into a resource at
// one privilege tier, with, on the first grant listed for a resource, the
// actions of every ACCESS relationship into it from the principals.
type grant struct {
	e       *rel
	actions []string
}

// grants reads, in one statement aggregated per resource, the ACCESS
// relationships of the principals (a forward search's nodes in
// breadth-first order): for each resource and tier, the relationship of the
// first principal holding one, as the projection's search meets them first.
// They come in the order the projection offers them: by principal, then by
// resource ID.
func (v *view) grants(principals []string) ([]grant, error) {
	res, err := v.run(qGrants, map[string]any{"ids": principals})
	if err != nil {
		return nil, err
	}
	type ranked struct {
		i int
		grant
	}
	var out []ranked
	for res.Next(v.ctx) {
		// resource id, tiers, actions, then its reference fields.
		vals := res.Record().Values
		if len(vals) != 8 {
			return nil, fmt.Errorf("grant record of %d fields", len(vals))
		}
		r := str(vals[0])
		if err := v.see(r, vals[3:]); err != nil {
			return nil, err
		}
		var acts []string
		for _, x := range asList(vals[2]) {
			for _, y := range asList(x) {
				acts = append(acts, strList(y)...)
			}
		}
		for _, x := range asList(vals[1]) {
			t := asList(x) // privilege, principal index, actions, conditions, via
			if len(t) != 5 {
				return nil, fmt.Errorf("grant tier of %d fields", len(t))
			}
			pv, _ := t[0].(int64)
			i, _ := t[1].(int64)
			if pv < int64(graph.PrivNone) || pv > int64(graph.PrivAdmin) || i < 0 || int(i) >= len(principals) {
				return nil, fmt.Errorf("grant into %q: privilege %d of principal %d out of range", r, pv, i)
			}
			e := &rel{kind: graph.EdgeAccess, from: principals[i], to: r, priv: graph.Privilege(pv),
				actions: strList(t[2]), conditions: strList(t[3]), via: strList(t[4])}
			out = append(out, ranked{i: int(i), grant: grant{e: e, actions: acts}})
			acts = nil
		}
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y ranked) int {
		if x.i != y.i {
			return x.i - y.i
		}
		return strings.Compare(x.e.to, y.e.to)
	})
	gs := make([]grant, len(out))
	for k, x := range out {
		gs[k] = x.grant
	}
	return gs, nil
}

// containment reads the outgoing relationships of every resource below
// the roots through CONTAINS edges, one level per statement.
func (v *view) containment(roots []string) error {
	seen := map[string]bool{}
	level := slices.Clone(roots)
	for _, r := range roots {
		seen[r] = true
	}
	for len(level) > 0 {
		if err := v.fetchContains(level); err != nil {
			return err
		}
		var next []string
		for _, r := range level {
			for _, e := range v.cont[r] {
				if !seen[e.to] {
					seen[e.to] = true
					next = append(next, e.to)
				}
			}
		}
		level = next
	}
	return nil
}

// containersIn maps every reached resource to the reached resources that
// contain it directly.
func containersIn(v *view, accs map[string]*reached) map[string][]string {
	out := map[string][]string{}
	for c := range accs {
		for _, e := range v.cont[c] {
			if accs[e.to] != nil {
				out[e.to] = append(out[e.to], c)
			}
		}
	}
	return out
}

// reachActions is the union of the actions of every ACCESS edge, from a
// principal the start acts as, into resource r or into any reached
// resource that contains it.
func reachActions(accs map[string]*reached, holders map[string][]string, r string) []string {
	var acts []string
	seen := map[string]bool{r: true}
	stack := []string{r}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		acts = append(acts, accs[x].actions...)
		for _, c := range holders[x] {
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	return sortedSet(acts)
}

// witnessEdges rebuilds the edges of the way resource r is reached at tier p.
func witnessEdges(c *closure, accs map[string]*reached, r string, p graph.Privilege) []*rel {
	b := accs[r].best[p]
	if b.container == "" {
		return append(c.edgesTo(b.principal), b.e)
	}
	return append(witnessEdges(c, accs, b.container, p), b.e)
}
