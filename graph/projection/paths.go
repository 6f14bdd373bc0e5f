package projection

import (
	"fmt"
	"slices"

	"github.com/accessgraph/accessgraph/graph"
)

// PathsResult is the answer to a Paths query.
type PathsResult struct {
	Paths []Path `json:"paths"`
	// Truncated is true when the search stopped at its work bound before
	// enumerating every path within MaxDepth (MaxPaths reached is not truncation).
	Truncated bool `json:"truncated"`
}

// Paths returns distinct simple paths from q.From to q.To, shortest first,
// at most q.MaxPaths of them, none longer than q.MaxDepth steps. Paths run
// over traversal edges and may end with an ACCESS edge into q.To. Within one
// length, paths come in a stable order (by edge kind, then node ID).
func (s *Snapshot) Paths(q PathsQuery) ([]Path, error) {
	r, err := s.PathsDetailed(q)
	if err != nil {
		return nil, err
	}
	return r.Paths, nil
}

// PathsDetailed is Paths that also reports whether the search was truncated.
func (s *Snapshot) PathsDetailed(q PathsQuery) (*PathsResult, error) {
	src, err := s.lookup(q.From, "from")
	if err != nil {
		return nil, err
	}
	dst, err := s.lookup(q.To, "to")
	if err != nil {
		return nil, err
	}
	maxDepth, maxPaths := q.MaxDepth, q.MaxPaths
	if maxDepth == 0 {
		maxDepth = DefaultMaxDepth
	}
	if maxPaths == 0 {
		maxPaths = DefaultMaxPaths
	}
	if maxDepth < 0 || maxPaths < 0 {
		return nil, fmt.Errorf("%w: maxDepth and maxPaths must be positive", ErrBadQuery)
	}
	res := &PathsResult{}
	if src == dst {
		return res, nil
	}
	w := s.getWS()
	defer s.putWS(w)
	s.distancesTo(w, dst, int32(maxDepth))
	if w.stamp2[src] != w.epoch2 {
		return res, nil
	}
	en := &enumerator{s: s, w: w, dst: dst, max: maxPaths}
	for l := w.dist2[src]; l <= int32(maxDepth) && len(en.out) < maxPaths && !en.stopped; l++ {
		w.onPath[src] = true
		en.nodes = append(en.nodes[:0], src)
		en.edges = en.edges[:0]
		en.dfs(src, l, false)
		w.onPath[src] = false
	}
	res.Paths, res.Truncated = en.out, en.stopped
	return res, nil
}

// containerChain runs a reverse BFS from t over CONTAINS edges: afterwards
// w.inChain(c) holds for every resource c whose access passes down to t,
// with w.dist3[c] steps and w.parent3/pedge3 pointing towards t.
func (s *Snapshot) containerChain(w *workspace, t int32, limit int32) {
	w.reset3()
	w.stamp3[t], w.dist3[t], w.parent3[t], w.pedge3[t] = w.epoch3, 0, -1, noEdge
	w.chain = append(w.chain, t)
	for qi := 0; qi < len(w.chain); qi++ {
		v := w.chain[qi]
		if limit > 0 && w.dist3[v] >= limit {
			continue
		}
		for i := s.inOff[v]; i < s.inOff[v+1]; i++ {
			u, e := s.inFrom[i], s.inEdge[i]
			if !s.ekind[e].Containment() || w.inChain(u) {
				continue
			}
			w.stamp3[u], w.dist3[u], w.parent3[u], w.pedge3[u] = w.epoch3, w.dist3[v]+1, v, e
			w.chain = append(w.chain, u)
		}
	}
}

// seed is where a reverse search toward t starts: principal u reaches t in
// dist steps through edge e into `via` (t itself or a container of t).
type seed struct {
	u, via int32
	e      uint32
	dist   int32
	grant  graph.Privilege
}

// seeds lists the first steps of every path into t: ACCESS edges into t or
// into a container of t, and traversal edges into t itself. containerChain
// must have run.
func (s *Snapshot) seeds(w *workspace, t int32, limit int32) []seed {
	var out []seed
	for _, c := range w.chain {
		for i := s.inOff[c]; i < s.inOff[c+1]; i++ {
			u, e := s.inFrom[i], s.inEdge[i]
			k := s.ekind[e]
			d := w.dist3[c] + 1
			if u == t || (limit > 0 && d > limit) {
				continue
			}
			switch {
			case k.Terminal():
				out = append(out, seed{u: u, via: c, e: e, dist: d, grant: s.priv(e)})
			case k.Traversal() && c == t:
				g := graph.PrivNone
				if k == graph.EdgeEscalates {
					g = graph.PrivAdmin
				}
				out = append(out, seed{u: u, via: c, e: e, dist: d, grant: g})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b seed) int { return int(a.dist - b.dist) })
	return out
}

// distancesTo fills w.dist2 with the least number of steps from each
// principal to t along a valid path (traversal edges, then ACCESS, then
// CONTAINS), up to limit, and the containment arrays for resources.
func (s *Snapshot) distancesTo(w *workspace, t int32, limit int32) {
	s.containerChain(w, t, limit)
	w.reset2()
	s.layeredReverse(w, s.seeds(w, t, limit), limit, false, func(int32) {})
}

// layeredReverse runs a reverse BFS over traversal edges from seeds that
// start at different distances, in distance order, using the secondary
// stamps; parent pointers go in w.parent/w.pedge. visit is called for each
// node once, in nondecreasing distance. With prune, nodes already marked in
// the primary stamps are not entered.
func (s *Snapshot) layeredReverse(w *workspace, seeds []seed, limit int32, prune bool, visit func(int32)) {
	q := w.queue[:0]
	si := 0
	enterSeeds := func(upTo int32) {
		for ; si < len(seeds) && seeds[si].dist <= upTo; si++ {
			sd := seeds[si]
			if w.stamp2[sd.u] == w.epoch2 || (prune && w.seen(sd.u)) {
				continue
			}
			w.stamp2[sd.u], w.dist2[sd.u], w.parent[sd.u], w.pedge[sd.u] = w.epoch2, sd.dist, sd.via, sd.e
			q = append(q, sd.u)
		}
	}
	for qi := 0; ; qi++ {
		if qi == len(q) {
			if si == len(seeds) {
				break
			}
			enterSeeds(seeds[si].dist)
			if qi == len(q) { // every remaining seed at that distance was seen
				qi--
				continue
			}
		}
		v := q[qi]
		enterSeeds(w.dist2[v]) // seeds at v's distance come before v's children
		visit(v)
		if limit > 0 && w.dist2[v] >= limit {
			continue
		}
		enterSeeds(w.dist2[v] + 1)
		for i := s.inOff[v]; i < s.inOff[v+1]; i++ {
			u, e := s.inFrom[i], s.inEdge[i]
			if !s.ekind[e].Traversal() || w.stamp2[u] == w.epoch2 || w.inChain(u) || (prune && w.seen(u)) {
				continue
			}
			w.stamp2[u], w.dist2[u], w.parent[u], w.pedge[u] = w.epoch2, w.dist2[v]+1, v, e
			q = append(q, u)
		}
	}
	w.queue = q
}

// enumerator lists simple paths of exactly `length` steps by depth-first
// search, pruned by the distance-to-target bounds.
type enumerator struct {
	s       *Snapshot
	w       *workspace
	dst     int32
	max     int
	nodes   []int32
	edges   []uint32
	out     []Path
	work    int
	stopped bool
}

// dfs extends the current path from u with `remaining` steps to go. Before
// the ACCESS step (afterAccess false) it follows traversal edges or one
// ACCESS edge; after it, only CONTAINS edges.
func (en *enumerator) dfs(u int32, remaining int32, afterAccess bool) {
	s, w := en.s, en.w
	for e := s.outOff[u]; e < s.outOff[u+1]; e++ {
		if len(en.out) >= en.max || en.stopped {
			return
		}
		en.work++
		if en.work > maxExpansions {
			en.stopped = true
			return
		}
		v, k := s.outTo[e], s.ekind[e]
		var next bool // the path continues after v in the ACCESS phase
		switch {
		case afterAccess && k.Containment(), !afterAccess && k.Terminal():
			if !w.inChain(v) || w.dist3[v] > remaining-1 {
				continue
			}
			next = true
		case !afterAccess && k.Traversal():
			if v != en.dst && (w.stamp2[v] != w.epoch2 || w.dist2[v] > remaining-1) {
				continue
			}
		default:
			continue
		}
		if w.onPath[v] {
			continue
		}
		if v == en.dst {
			if remaining == 1 {
				en.emit(v, e)
			}
			continue
		}
		if remaining <= 1 {
			continue
		}
		w.onPath[v] = true
		en.nodes = append(en.nodes, v)
		en.edges = append(en.edges, e)
		en.dfs(v, remaining-1, next)
		en.nodes = en.nodes[:len(en.nodes)-1]
		en.edges = en.edges[:len(en.edges)-1]
		w.onPath[v] = false
	}
}

func (en *enumerator) emit(last int32, e uint32) {
	s := en.s
	nodes := append(append([]int32(nil), en.nodes...), last)
	edges := append(append([]uint32(nil), en.edges...), e)
	p := Path{Nodes: make([]NodeRef, len(nodes)), Steps: make([]Step, len(edges))}
	for i, v := range nodes {
		p.Nodes[i] = s.ref(v)
	}
	for i, x := range edges {
		p.Steps[i] = s.step(nodes[i], nodes[i+1], x)
	}
	FinishPath(&p)
	en.out = append(en.out, p)
}

// WhoCanReach returns every principal that reaches q.Resource, with the
// highest privilege it gets and a shortest witness path among those that
// grant it. Access to a container of the resource (CONTAINS edges) counts.
// For a target that is not a resource (a role, an account), the reachers are
// those that can act as it, with privilege none unless an ESCALATES edge into
// it is used. A reacher's Actions are those its witness path grants.
func (s *Snapshot) WhoCanReach(q WhoCanReachQuery) (*WhoCanReachResult, error) {
	t, err := s.lookup(q.Resource, "resource")
	if err != nil {
		return nil, err
	}
	if q.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: maxDepth %d is negative", ErrBadQuery, q.MaxDepth)
	}
	w := s.getWS()
	defer s.putWS(w)
	limit := int32(q.MaxDepth)
	s.containerChain(w, t, limit)
	all := s.seeds(w, t, limit)
	res := &WhoCanReachResult{Resource: s.ref(t), ByPrivilege: map[graph.Privilege]int{}}
	// One layered reverse BFS per privilege tier, highest first: a node first
	// reached at tier p gets p, and BFS order makes its witness the shortest
	// among paths granting p. A node already given a higher tier is not
	// listed again, but a lower tier's search may pass through it when a
	// depth bound is set (its higher-tier route may be too long there).
	var tier []seed
	type found struct {
		u    int32
		p    graph.Privilege
		dist int32
		wp   *Path // built at once when a depth bound forbids deferring
	}
	var hits []found
	for p := int(graph.PrivAdmin); p >= int(graph.PrivNone); p-- {
		tier = tier[:0]
		for _, sd := range all {
			if int(sd.grant) == p {
				tier = append(tier, sd)
			}
		}
		if len(tier) == 0 {
			continue
		}
		w.reset2()
		// Without a depth bound, everything behind a node reached at a higher
		// tier is reached at that tier too, so the search can stop there, and
		// the parent pointers of every tier survive the later tiers: the
		// witnesses can be built at the end, for the requested window only.
		s.layeredReverse(w, tier, limit, limit == 0, func(u int32) {
			if w.seen(u) {
				return
			}
			w.stamp[u] = w.epoch
			pv := graph.Privilege(p)
			if pv < q.MinPrivilege || (len(q.Kinds) > 0 && !containsKind(q.Kinds, s.nodeClass(u).kind)) {
				return
			}
			f := found{u: u, p: pv, dist: w.dist2[u]}
			if limit > 0 {
				wp := s.reversePath(w, u, t)
				f.wp = &wp
			}
			hits = append(hits, f)
			res.ByPrivilege[pv]++
		})
	}
	slices.SortFunc(hits, func(x, y found) int {
		if x.p != y.p {
			return int(y.p) - int(x.p)
		}
		if x.dist != y.dist {
			return int(x.dist - y.dist)
		}
		return int(x.u - y.u) // dense ids follow node IDs
	})
	res.Reachers = make([]Reacher, len(hits))
	for i, h := range hits {
		r := Reacher{Principal: s.ref(h.u), Privilege: h.p}
		switch {
		case h.wp != nil:
			r.Witness = *h.wp
			r.Actions = r.Witness.Actions
		case q.Witnesses.Contains(i):
			r.Witness = s.reversePath(w, h.u, t)
			r.Actions = r.Witness.Actions
		default:
			if e, ok := s.chainAccess(w, h.u, t); ok {
				r.Actions = s.actions(s.attr(e))
			}
		}
		res.Reachers[i] = r
	}
	return res, nil
}

// chainAccess finds the ACCESS edge on the reverse search's path from u to
// t without building the path.
func (s *Snapshot) chainAccess(w *workspace, u, t int32) (uint32, bool) {
	for v := u; v != t; {
		var next int32
		var e uint32
		if w.inChain(v) {
			next, e = w.parent3[v], w.pedge3[v]
		} else {
			next, e = w.parent[v], w.pedge[v]
		}
		if s.ekind[e].Terminal() {
			return e, true
		}
		v = next
	}
	return 0, false
}

// reversePath follows the reverse search's parent pointers from u to t:
// principal steps first, then the containment chain.
func (s *Snapshot) reversePath(w *workspace, u, t int32) Path {
	p := Path{}
	v := u
	p.Nodes = append(p.Nodes, s.ref(v))
	for v != t {
		var next int32
		var e uint32
		if w.inChain(v) {
			next, e = w.parent3[v], w.pedge3[v]
		} else {
			next, e = w.parent[v], w.pedge[v]
		}
		p.Steps = append(p.Steps, s.step(v, next, e))
		p.Nodes = append(p.Nodes, s.ref(next))
		v = next
	}
	FinishPath(&p)
	return p
}

func containsKind(ks []graph.Kind, k graph.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
