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

// usable reports whether edge e may be a step of a path that ends at target
// t: traversal edges anywhere, terminal edges only into t.
func (s *Snapshot) usable(e uint32, to, t int32) bool {
	k := s.ekind[e]
	return k.Traversal() || (k.Terminal() && to == t)
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
		en.length = l
		w.onPath[src] = true
		en.nodes = append(en.nodes[:0], src)
		en.edges = en.edges[:0]
		en.dfs(src, l)
		w.onPath[src] = false
	}
	res.Paths, res.Truncated = en.out, en.stopped
	return res, nil
}

// distancesTo fills w.dist2 with the least number of steps from each node to
// t over usable edges, up to limit, by a reverse BFS.
func (s *Snapshot) distancesTo(w *workspace, t int32, limit int32) {
	w.reset2()
	w.queue = append(w.queue[:0], t)
	w.stamp2[t], w.dist2[t] = w.epoch2, 0
	for qi := 0; qi < len(w.queue); qi++ {
		v := w.queue[qi]
		if w.dist2[v] >= limit {
			continue
		}
		for i := s.inOff[v]; i < s.inOff[v+1]; i++ {
			u, e := s.inFrom[i], s.inEdge[i]
			if !s.usable(e, v, t) || w.stamp2[u] == w.epoch2 {
				continue
			}
			w.stamp2[u], w.dist2[u] = w.epoch2, w.dist2[v]+1
			w.queue = append(w.queue, u)
		}
	}
}

// enumerator lists simple paths of exactly `length` steps by depth-first
// search, pruned by the distance-to-target bound.
type enumerator struct {
	s       *Snapshot
	w       *workspace
	dst     int32
	max     int
	length  int32
	nodes   []int32
	edges   []uint32
	out     []Path
	work    int
	stopped bool
}

func (en *enumerator) dfs(u int32, remaining int32) {
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
		v := s.outTo[e]
		if !s.usable(e, v, en.dst) || w.onPath[v] {
			continue
		}
		if w.stamp2[v] != w.epoch2 || w.dist2[v] > remaining-1 {
			continue
		}
		if v == en.dst {
			if remaining == 1 {
				en.emit(v, e)
			}
			continue
		}
		if remaining-1 < 1 {
			continue
		}
		w.onPath[v] = true
		en.nodes = append(en.nodes, v)
		en.edges = append(en.edges, e)
		en.dfs(v, remaining-1)
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
	finishPath(&p)
	en.out = append(en.out, p)
}

// WhoCanReach returns every principal that reaches q.Resource, with the
// highest privilege it gets and a shortest witness path among those that
// grant it. For a target that is not a resource (a role, an account), the
// reachers are those that can act as it, with privilege none unless an
// ESCALATES edge into it is used.
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
	res := &WhoCanReachResult{Resource: s.ref(t), ByPrivilege: map[graph.Privilege]int{}}
	w.stamp[t] = w.epoch // the target never reaches itself
	// One multi-source reverse BFS per privilege tier, highest first: a node
	// first reached at tier p gets p, and BFS order makes its witness the
	// shortest among paths granting p. Without a depth bound a node reached
	// at a higher tier can be pruned (everything behind it is reached at that
	// tier too); with one, a lower tier may need to pass through it.
	for p := int(graph.PrivAdmin); p >= int(graph.PrivNone); p-- {
		s.reverseTier(w, t, graph.Privilege(p), int32(q.MaxDepth), func(u int32) {
			pv := graph.Privilege(p)
			k := s.nodes[u].Kind
			if pv < q.MinPrivilege || (len(q.Kinds) > 0 && !containsKind(q.Kinds, k)) {
				return
			}
			wp := s.reversePath(w, u, t)
			res.Reachers = append(res.Reachers, Reacher{
				Principal: s.ref(u), Privilege: pv, Actions: wp.Actions, Witness: wp,
			})
			res.ByPrivilege[pv]++
		})
	}
	sortReachers(res.Reachers)
	return res, nil
}

// reverseTier runs the reverse BFS of one privilege tier using the secondary
// stamps and parent arrays, and calls found for each node it reaches first.
func (s *Snapshot) reverseTier(w *workspace, t int32, p graph.Privilege, limit int32,
	found func(u int32)) {
	w.reset2()
	q := w.queue[:0]
	enter := func(u, v int32, e uint32, d int32) {
		w.stamp2[u], w.dist2[u], w.parent[u], w.pedge[u] = w.epoch2, d, v, e
		q = append(q, u)
	}
	for i := s.inOff[t]; i < s.inOff[t+1]; i++ {
		u, e := s.inFrom[i], s.inEdge[i]
		if u == t || !s.usable(e, t, t) || edgeGrant(s, e) != p || w.stamp2[u] == w.epoch2 {
			continue
		}
		if limit == 0 && w.seen(u) {
			continue
		}
		enter(u, t, e, 1)
	}
	for qi := 0; qi < len(q); qi++ {
		v := q[qi]
		if !w.seen(v) {
			w.stamp[v] = w.epoch
			found(v)
		}
		if limit > 0 && w.dist2[v] >= limit {
			continue
		}
		for i := s.inOff[v]; i < s.inOff[v+1]; i++ {
			u, e := s.inFrom[i], s.inEdge[i]
			if u == t || !s.ekind[e].Traversal() || w.stamp2[u] == w.epoch2 {
				continue
			}
			if limit == 0 && w.seen(u) {
				continue
			}
			enter(u, v, e, w.dist2[v]+1)
		}
	}
	w.queue = q
}

// edgeGrant is what a single edge into the target grants.
func edgeGrant(s *Snapshot, e uint32) graph.Privilege {
	switch s.ekind[e] {
	case graph.EdgeAccess:
		return s.epriv[e]
	case graph.EdgeEscalates:
		return graph.PrivAdmin
	}
	return graph.PrivNone
}

// reversePath follows parent pointers of a reverse BFS from u towards t.
func (s *Snapshot) reversePath(w *workspace, u, t int32) Path {
	p := Path{}
	v := u
	p.Nodes = append(p.Nodes, s.ref(v))
	for v != t {
		next := w.parent[v]
		p.Steps = append(p.Steps, s.step(v, next, w.pedge[v]))
		p.Nodes = append(p.Nodes, s.ref(next))
		v = next
	}
	finishPath(&p)
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

func sortReachers(rs []Reacher) {
	slices.SortFunc(rs, func(x, y Reacher) int {
		if x.Privilege != y.Privilege {
			return int(y.Privilege) - int(x.Privilege)
		}
		if lx, ly := len(x.Witness.Steps), len(y.Witness.Steps); lx != ly {
			return lx - ly
		}
		switch {
		case x.Principal.ID < y.Principal.ID:
			return -1
		case x.Principal.ID > y.Principal.ID:
			return 1
		}
		return 0
	})
}
