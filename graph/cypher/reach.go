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

// chain is the target of a reverse search and every container whose
// access passes down to it (CONTAINS edges), in breadth-first order.
type chain struct {
	order []string
	dist  map[string]int  // CONTAINS steps down to the target
	next  map[string]*rel // the CONTAINS edge one step towards the target
}

func (c *chain) has(id string) bool {
	_, ok := c.dist[id]
	return ok
}

// containers runs a reverse search over CONTAINS edges from t, one
// statement per level, within limit steps (0: unbounded). It reads the
// incoming relationships of every node of the chain.
func (v *view) containers(t string, limit int) (*chain, error) {
	c := &chain{order: []string{t}, dist: map[string]int{t: 0}, next: map[string]*rel{}}
	for lo := 0; lo < len(c.order); {
		hi := len(c.order)
		if err := v.fetchIn(c.order[lo:hi]); err != nil {
			return nil, err
		}
		for _, x := range c.order[lo:hi] {
			if limit > 0 && c.dist[x] >= limit {
				continue
			}
			for _, e := range v.in[x] {
				if !e.kind.Containment() || c.has(e.from) {
					continue
				}
				c.dist[e.from], c.next[e.from] = c.dist[x]+1, e
				c.order = append(c.order, e.from)
			}
		}
		lo = hi
	}
	return c, nil
}

// seed is where a reverse search starts: principal u reaches the target in
// dist steps, its first step being e (into the target or a container).
type seed struct {
	u     string
	e     *rel
	dist  int
	grant graph.Privilege
}

// seeds lists the last steps of every path into the target: ACCESS edges
// into it or into one of its containers, and traversal edges into the
// target itself; shortest first.
func (v *view) seeds(c *chain, limit int) []seed {
	t := c.order[0]
	var out []seed
	for _, x := range c.order {
		for _, e := range v.in[x] {
			d := c.dist[x] + 1
			if e.from == t || (limit > 0 && d > limit) {
				continue
			}
			switch {
			case e.kind.Terminal():
				out = append(out, seed{u: e.from, e: e, dist: d, grant: e.priv})
			case e.kind.Traversal() && x == t:
				g := graph.PrivNone
				if e.kind == graph.EdgeEscalates {
					g = graph.PrivAdmin
				}
				out = append(out, seed{u: e.from, e: e, dist: d, grant: g})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b seed) int { return a.dist - b.dist })
	return out
}

// reverse is the state of the reverse searches of one who-can-reach query.
type reverse struct {
	v     *view
	chain *chain
	limit int
	dist  map[string]int  // this tier's distances
	next  map[string]*rel // the edge one step towards the target (kept across tiers)
	seen  map[string]bool // listed already (at a higher tier)
}

// search runs a breadth-first search backwards over traversal edges from
// seeds that start at different distances, in distance order, calling
// visit once per node in nondecreasing distance. The incoming
// traversal relationships of the queue's unread nodes are read in one statement
// whenever the search reaches one of them, so one statement serves a level.
// With prune, nodes already listed are not entered.
func (r *reverse) search(seeds []seed, prune bool, visit func(string)) error {
	r.dist = map[string]int{}
	var q []string
	si := 0
	enter := func(upTo int) {
		for ; si < len(seeds) && seeds[si].dist <= upTo; si++ {
			sd := seeds[si]
			if _, ok := r.dist[sd.u]; ok || (prune && r.seen[sd.u]) {
				continue
			}
			r.dist[sd.u], r.next[sd.u] = sd.dist, sd.e
			q = append(q, sd.u)
		}
	}
	for qi := 0; ; qi++ {
		if qi == len(q) {
			if si == len(seeds) {
				break
			}
			enter(seeds[si].dist)
			if qi == len(q) {
				qi--
				continue
			}
		}
		x := q[qi]
		enter(r.dist[x])
		visit(x)
		if r.limit > 0 && r.dist[x] >= r.limit {
			continue
		}
		enter(r.dist[x] + 1)
		in, ok := r.v.inTraversal(x)
		if !ok {
			var unread []string
			for _, y := range q[qi:] {
				if _, ok := r.v.inTraversal(y); !ok && (r.limit == 0 || r.dist[y] < r.limit) {
					unread = append(unread, y)
				}
			}
			if err := r.v.fetchInTrav(unread); err != nil {
				return err
			}
			in, _ = r.v.inTraversal(x)
		}
		for _, e := range in {
			u := e.from
			if !e.kind.Traversal() || r.chain.has(u) || (prune && r.seen[u]) {
				continue
			}
			if _, ok := r.dist[u]; ok {
				continue
			}
			r.dist[u], r.next[u] = r.dist[x]+1, e
			q = append(q, u)
		}
	}
	return nil
}

// edgesFrom follows the search's edges from u to the target: principal
// steps first, then the containment chain.
func (r *reverse) edgesFrom(u string) []*rel {
	var out []*rel
	t := r.chain.order[0]
	for x := u; x != t; {
		var e *rel
		if r.chain.has(x) {
			e = r.chain.next[x]
		} else {
			e = r.next[x]
		}
		out = append(out, e)
		x = e.to
	}
	return out
}

// WhoCanReach returns every node that reaches q.Resource, with the highest
// privilege it gets and a shortest witness among the paths granting it (for
// the results q.Witnesses selects), as projection.Snapshot.WhoCanReach does.
func (e *Engine) WhoCanReach(ctx context.Context, q projection.WhoCanReachQuery) (*projection.WhoCanReachResult, error) {
	if q.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: maxDepth %d is negative", projection.ErrBadQuery, q.MaxDepth)
	}
	var res *projection.WhoCanReachResult
	err := e.read(ctx, func(tx neo4j.ManagedTransaction) error {
		var err error
		res, err = whoCanReach(newView(ctx, tx), q)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cypher who can reach %q: %w", q.Resource, err)
	}
	return res, nil
}

func whoCanReach(v *view, q projection.WhoCanReachQuery) (*projection.WhoCanReachResult, error) {
	t, err := v.node(q.Resource, "resource")
	if err != nil {
		return nil, err
	}
	limit := q.MaxDepth
	c, err := v.containers(t.ID, limit)
	if err != nil {
		return nil, err
	}
	if err := v.fetchIn(c.order); err != nil { // the chain's last level
		return nil, err
	}
	all := v.seeds(c, limit)
	res := &projection.WhoCanReachResult{Resource: t, ByPrivilege: map[graph.Privilege]int{}}
	rv := &reverse{v: v, chain: c, limit: limit, next: map[string]*rel{}, seen: map[string]bool{}}
	// One search per tier, highest first: a node first met at tier p gets
	// p, and the search order makes its witness a shortest one among the
	// paths granting p. Without a depth bound a lower tier's search need not
	// enter nodes listed already (what lies behind them got the higher tier
	// too), so every tier's edges stay and witnesses are built at the end;
	// with a bound they are built when found.
	type hit struct {
		u     string
		p     graph.Privilege
		dist  int
		edges []*rel
	}
	var hits []hit
	var tier []seed
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
		err := rv.search(tier, limit == 0, func(u string) {
			if rv.seen[u] {
				return
			}
			rv.seen[u] = true
			pv := graph.Privilege(p)
			if pv < q.MinPrivilege || (len(q.Kinds) > 0 && !slices.Contains(q.Kinds, v.ref(u).Kind)) {
				return
			}
			h := hit{u: u, p: pv, dist: rv.dist[u]}
			if limit > 0 {
				h.edges = rv.edgesFrom(u)
			}
			hits = append(hits, h)
			res.ByPrivilege[pv]++
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(hits, func(x, y hit) int {
		if x.p != y.p {
			return int(y.p) - int(x.p)
		}
		if x.dist != y.dist {
			return x.dist - y.dist
		}
		return strings.Compare(x.u, y.u)
	})
	res.Reachers = make([]projection.Reacher, len(hits))
	for i, h := range hits {
		r := projection.Reacher{Principal: v.ref(h.u), Privilege: h.p}
		edges := h.edges
		if edges == nil {
			edges = rv.edgesFrom(h.u)
		}
		if h.edges != nil || q.Witnesses.Contains(i) {
			r.Witness = v.pathOf(edges)
			r.Actions = r.Witness.Actions
		} else {
			for _, e := range edges {
				if e.kind.Terminal() {
					r.Actions = e.actions
					break
				}
			}
		}
		res.Reachers[i] = r
	}
	return res, nil
}
