package projection

import (
	"fmt"
	"slices"

	"github.com/accessgraph/accessgraph/graph"
)

// Default bounds for path enumeration.
const (
	DefaultMaxDepth = 6
	DefaultMaxPaths = 100
	// maxExpansions bounds the work of one Paths query; past it the query
	// returns what it found and reports truncation.
	maxExpansions = 2_000_000
)

// ErrBadQuery marks a query whose arguments are invalid.
var ErrBadQuery = fmt.Errorf("invalid query")

// step builds the Step for dense edge e from -> to.
func (s *Snapshot) step(from, to int32, e uint32) Step {
	a := s.attr(e)
	return Step{
		Kind: s.ekind[e], From: s.id(from), To: s.id(to), Privilege: s.priv(e),
		Actions: s.attrPart(a, 0), Conditions: s.attrPart(a, 1), Via: s.attrPart(a, 2),
	}
}

// FinishPath fills a path's summary fields (Privilege, Actions, Conditional,
// Escalation) from its steps. Every engine builds its paths' summaries with
// it, so they agree on what a path grants.
func FinishPath(p *Path) {
	for _, st := range p.Steps {
		if len(st.Conditions) > 0 {
			p.Conditional = true
		}
		if st.Kind == graph.EdgeEscalates {
			p.Escalation = true
		}
	}
	// What the path grants is decided by its ACCESS step (CONTAINS steps
	// after it pass the same access on), or by a final ESCALATES step.
	p.Privilege, p.Actions = graph.PrivNone, nil
	for i := len(p.Steps) - 1; i >= 0; i-- {
		st := p.Steps[i]
		if st.Kind.Containment() {
			continue
		}
		switch {
		case st.Kind == graph.EdgeAccess:
			p.Privilege, p.Actions = st.Privilege, st.Actions
		case st.Kind == graph.EdgeEscalates && i == len(p.Steps)-1:
			p.Privilege = graph.PrivAdmin
		}
		break
	}
}

// treePath walks the BFS tree from node i back to the root and returns the
// path root -> ... -> i, optionally extended by one more edge to `tail`.
func (s *Snapshot) treePath(w *workspace, i int32, tail int32, tailEdge uint32) Path {
	var rev []int32
	for v := i; ; v = w.parent[v] {
		rev = append(rev, v)
		if w.pedge[v] == noEdge {
			break
		}
	}
	slices.Reverse(rev)
	p := Path{Nodes: make([]NodeRef, 0, len(rev)+1), Steps: make([]Step, 0, len(rev))}
	for k, v := range rev {
		p.Nodes = append(p.Nodes, s.ref(v))
		if k > 0 {
			p.Steps = append(p.Steps, s.step(rev[k-1], v, w.pedge[v]))
		}
	}
	if tailEdge != noEdge {
		p.Nodes = append(p.Nodes, s.ref(tail))
		p.Steps = append(p.Steps, s.step(i, tail, tailEdge))
	}
	FinishPath(&p)
	return p
}

// forwardClosure runs a BFS from root over traversal edges, leaving
// w.visited in BFS order. maxDist bounds the distance (negative: none).
func (s *Snapshot) forwardClosure(w *workspace, root int32, maxDist int32) {
	w.visit(root, -1, noEdge, 0)
	for qi := 0; qi < len(w.visited); qi++ {
		u := w.visited[qi]
		if maxDist >= 0 && w.dist[u] >= maxDist {
			continue
		}
		for e := s.outOff[u]; e < s.outOff[u+1]; e++ {
			if !s.ekind[e].Traversal() {
				continue
			}
			v := s.outTo[e]
			if !w.seen(v) {
				w.visit(v, u, e, w.dist[u]+1)
			}
		}
	}
}

// tierBest is the best way found to reach a resource at one privilege tier.
type tierBest struct {
	length    int32  // steps; 0 means none found
	principal int32  // for a direct ACCESS: the principal holding it
	parent    int32  // for containment: the container it came through (-1: direct)
	edge      uint32 // the ACCESS or CONTAINS edge into the resource
}

// reachAcc accumulates what one query learns about one resource: the
// shortest way in at each privilege tier, and the actions of direct ACCESS
// edges into it.
type reachAcc struct {
	res   int32
	best  [graph.PrivAdmin + 1]tierBest
	attrs []uint32 // distinct attribute sets of direct ACCESS edges
}

// offer records a way to reach the resource at privilege p in length steps
// and reports whether it improved on what was known.
func (a *reachAcc) offer(p graph.Privilege, t tierBest) bool {
	b := &a.best[p]
	if b.length != 0 && b.length <= t.length {
		return false
	}
	*b = t
	return true
}

// top returns the highest tier reached.
func (a *reachAcc) top() graph.Privilege {
	for p := graph.PrivAdmin; p > graph.PrivNone; p-- {
		if a.best[p].length != 0 {
			return p
		}
	}
	return graph.PrivNone
}

// addAttr records the attribute set of one more ACCESS edge into the
// resource. Attribute sets are interned, so many edges share one index.
func (a *reachAcc) addAttr(i uint32) {
	if i == 0 || slices.Contains(a.attrs, i) {
		return
	}
	a.attrs = append(a.attrs, i)
}

// actionList returns the union of the recorded edges' actions, sorted.
func (a *reachAcc) actionList(s *Snapshot) []string {
	switch len(a.attrs) {
	case 0:
		return nil
	case 1:
		return s.actions(a.attrs[0])
	}
	var out []string
	for _, i := range a.attrs {
		out = append(out, s.actions(i)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// BlastRadius returns every resource q.From reaches, with the highest
// privilege, and for the results in q.Witnesses a witness path and the
// actions. An unknown ID returns an error wrapping
// graph.ErrNotFound.
//
// A resource is reached by an ACCESS edge from any principal the start acts
// as, or through CONTAINS edges from a reached resource, at the container's
// privilege. Actions are those of ACCESS edges into the resource itself,
// plus, for a resource reached through containment, those of the container
// its witness passes through.
func (s *Snapshot) BlastRadius(q BlastRadiusQuery) (*BlastRadiusResult, error) {
	root, err := s.lookup(q.From, "node")
	if err != nil {
		return nil, err
	}
	if q.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: maxDepth %d is negative", ErrBadQuery, q.MaxDepth)
	}
	w := s.getWS()
	defer s.putWS(w)
	limit := int32(q.MaxDepth)
	maxDist := int32(-1)
	if limit > 0 {
		maxDist = limit - 1 // the ACCESS step adds one
	}
	s.forwardClosure(w, root, maxDist)

	accs := &w.accs
	accs.reset(s.ids.n)
	var work []int32
	for _, u := range w.visited {
		for e := s.outOff[u]; e < s.outOff[u+1]; e++ {
			if !s.ekind[e].Terminal() {
				continue
			}
			r := s.outTo[e]
			a := accs.get(r)
			if a.offer(s.priv(e), tierBest{length: w.dist[u] + 1, principal: u, parent: -1, edge: e}) {
				work = append(work, r)
			}
			a.addAttr(s.attr(e))
		}
	}
	// Pass access down CONTAINS edges until nothing improves. Each tier
	// keeps its own shortest length, so a depth bound never hides a lower
	// tier that fits within it.
	for len(work) > 0 {
		r := work[len(work)-1]
		work = work[:len(work)-1]
		best := accs.at(r).best // a copy: accs.get below may move the entries
		for e := s.outOff[r]; e < s.outOff[r+1]; e++ {
			if !s.ekind[e].Containment() {
				continue
			}
			c, improved := s.outTo[e], false
			for p := graph.PrivRead; p <= graph.PrivAdmin; p++ {
				l := best[p].length
				if l == 0 || (limit > 0 && l+1 > limit) {
					continue
				}
				if accs.get(c).offer(p, tierBest{length: l + 1, principal: -1, parent: r, edge: e}) {
					improved = true
				}
			}
			if improved {
				work = append(work, c)
			}
		}
	}

	res := &BlastRadiusResult{From: s.ref(root), Totals: newTotals()}
	res.Totals.Principals = len(w.visited)
	type item struct {
		res  int32
		p    graph.Privilege
		sens graph.Sensitivity
	}
	items := make([]item, 0, len(accs.list))
	for i := range accs.list {
		a := &accs.list[i]
		sens := s.nodeClass(a.res).sens
		p := a.top()
		if p == graph.PrivNone || p < q.MinPrivilege || sens < q.MinSensitivity {
			continue
		}
		items = append(items, item{res: a.res, p: p, sens: sens})
		res.Totals.add(p, sens)
	}
	// Dense ids follow node IDs, so comparing them orders by ID.
	slices.SortFunc(items, func(x, y item) int {
		if x.p != y.p {
			return int(y.p) - int(x.p)
		}
		if x.sens != y.sens {
			return int(y.sens) - int(x.sens)
		}
		return int(x.res - y.res)
	})
	res.Reaches = make([]Reach, len(items))
	for i, it := range items {
		r := Reach{Resource: s.ref(it.res), Privilege: it.p}
		if q.Witnesses.Contains(i) {
			r.Actions = s.reachActions(accs, accs.at(it.res))
			r.Witness = s.witness(w, accs, it.res, it.p)
		}
		res.Reaches[i] = r
	}
	return res, nil
}

// reachActions is the union of the actions of every ACCESS edge, from a
// principal the start acts as, into the resource or into any reached
// resource that contains it: everything the start may do to it.
func (s *Snapshot) reachActions(accs *accTable, a *reachAcc) []string {
	if a.best[graph.PrivRead].parent < 0 && a.best[graph.PrivWrite].parent < 0 &&
		a.best[graph.PrivAdmin].parent < 0 && !s.hasContainerIn(a.res) {
		return a.actionList(s)
	}
	all := &reachAcc{res: a.res}
	seen := map[int32]bool{a.res: true}
	stack := []int32{a.res}
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, x := range accs.at(r).attrs {
			all.addAttr(x)
		}
		for i := s.inOff[r]; i < s.inOff[r+1]; i++ {
			c := s.inFrom[i]
			if !s.ekind[s.inEdge[i]].Containment() || seen[c] || accs.at(c) == nil {
				continue
			}
			seen[c] = true
			stack = append(stack, c)
		}
	}
	return all.actionList(s)
}

// LeadsOut reports whether a traversal or ACCESS edge leaves the node id
// (an unknown id reports false). A node with none has an empty blast
// radius, whatever its kind.
func (s *Snapshot) LeadsOut(id string) bool {
	i, ok := s.find(id)
	if !ok {
		return false
	}
	for e := s.outOff[i]; e < s.outOff[i+1]; e++ {
		if k := s.ekind[e]; k.Traversal() || k.Terminal() {
			return true
		}
	}
	return false
}

// hasContainerIn reports whether any CONTAINS edge points at r.
func (s *Snapshot) hasContainerIn(r int32) bool {
	for i := s.inOff[r]; i < s.inOff[r+1]; i++ {
		if s.ekind[s.inEdge[i]].Containment() {
			return true
		}
	}
	return false
}

// witness rebuilds the path by which resource r is reached at tier p.
func (s *Snapshot) witness(w *workspace, accs *accTable, r int32, p graph.Privilege) Path {
	b := accs.at(r).best[p]
	if b.parent < 0 {
		return s.treePath(w, b.principal, r, b.edge)
	}
	wp := s.witness(w, accs, b.parent, p)
	wp.Nodes = append(wp.Nodes, s.ref(r))
	wp.Steps = append(wp.Steps, s.step(b.parent, r, b.edge))
	FinishPath(&wp)
	return wp
}

func newTotals() Totals {
	return Totals{ByPrivilege: map[graph.Privilege]int{}, BySensitivity: map[graph.Sensitivity]int{}}
}

func (t *Totals) add(p graph.Privilege, s graph.Sensitivity) {
	t.Resources++
	t.ByPrivilege[p]++
	t.BySensitivity[s]++
}
