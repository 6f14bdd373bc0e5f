package cypher

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph/projection"
)

// maxPathsDepth bounds Paths' MaxDepth.
const maxPathsDepth = 32

// maxExpansions bounds the edges one Paths enumeration may try, as the
// projection bounds its own; past it the paths found so far are returned.
const maxExpansions = 2_000_000

// Paths returns distinct simple paths from q.From to q.To, shortest first,
// at most q.MaxPaths of them (default 100), none longer than q.MaxDepth
// steps (default 6), in the projection's order within one length.
//
// It reads the nodes the start reaches within the depth bound (forward
// levels), the target's containers and the grants into them from those
// nodes, then, level by level backwards from the target, the relationships
// among those nodes that lead to it, and enumerates by depth-first search
// only along nodes that can still reach the target in the steps left.
func (e *Engine) Paths(ctx context.Context, q projection.PathsQuery) ([]projection.Path, error) {
	r, err := e.PathsDetailed(ctx, q)
	if err != nil {
		return nil, err
	}
	return r.Paths, nil
}

// PathsDetailed is Paths that also reports, as the projection's does,
// whether the enumeration stopped at its work bound (maxExpansions, the
// projection's own) before trying every path: Truncated. Reaching MaxPaths
// is not reported there; a caller that needs to know whether more paths
// exist asks for MaxPaths+1.
func (e *Engine) PathsDetailed(ctx context.Context, q projection.PathsQuery) (*projection.PathsResult, error) {
	maxDepth, maxPaths := q.MaxDepth, q.MaxPaths
	if maxDepth == 0 {
		maxDepth = projection.DefaultMaxDepth
	}
	if maxPaths == 0 {
		maxPaths = projection.DefaultMaxPaths
	}
	if maxDepth < 0 || maxPaths < 0 {
		return nil, fmt.Errorf("%w: maxDepth and maxPaths must be positive", projection.ErrBadQuery)
	}
	if maxDepth > maxPathsDepth {
		return nil, fmt.Errorf("%w: maxDepth %d is more than %d", projection.ErrBadQuery, maxDepth, maxPathsDepth)
	}
	var out *projection.PathsResult
	err := e.read(ctx, func(tx neo4j.ManagedTransaction) error {
		var err error
		out, err = paths(newView(ctx, tx), q.From, q.To, maxDepth, maxPaths)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cypher paths %q -> %q: %w", q.From, q.To, err)
	}
	return out, nil
}

func paths(v *view, from, to string, maxDepth, maxPaths int) (*projection.PathsResult, error) {
	if _, err := v.node(from, "from"); err != nil {
		return nil, err
	}
	if _, err := v.node(to, "to"); err != nil {
		return nil, err
	}
	res := &projection.PathsResult{}
	if from == to {
		return res, nil
	}
	// Every node of a path but its ACCESS target and containers lies within
	// maxDepth-1 traversal steps of the start.
	fwd, err := v.forward(from, maxDepth-1)
	if err != nil {
		return nil, err
	}
	v.from = fwd.order
	c, err := v.containers(to, maxDepth)
	if err != nil {
		return nil, err
	}
	if err := v.fetchIn(c.order); err != nil {
		return nil, err
	}
	g, err := v.towards(fwd, c, v.seeds(c, maxDepth), maxDepth)
	if err != nil {
		return nil, err
	}
	d0, ok := g.dist[from]
	if !ok {
		return res, nil
	}
	en := &enumerator{v: v, g: g, chain: c, dst: to, max: maxPaths, onPath: map[string]bool{from: true}}
	for l := d0; l <= maxDepth && len(en.out) < maxPaths && !en.stopped; l++ {
		en.dfs(from, l, false)
	}
	res.Paths, res.Truncated = en.out, en.stopped
	return res, nil
}

// toward is the part of the graph a paths query can use: the nodes the
// start reaches that can reach the target, with their distances to it,
// and the relationships between them.
type toward struct {
	// dist is the least number of steps of a path from a node to the target
	// (traversal edges, then ACCESS, then CONTAINS) among the nodes the
	// start reaches within the bound; nodes that cannot reach the target
	// within it are absent. Every path from the start of at most the bound
	// stays among those nodes, so these distances prune the enumeration
	// exactly as distances in the whole graph would.
	dist map[string]int
	// out lists, per node, its relationships into nodes that have a
	// distance or into the target's chain, in the projection's order.
	out map[string][]*rel
	// cont lists the CONTAINS relationships between nodes of the chain.
	cont map[string][]*rel
}

// towards computes the distances by a reverse search from the seeds, one
// statement per level, reading only relationships from nodes of fwd.
func (v *view) towards(fwd *closure, c *chain, seeds []seed, limit int) (*toward, error) {
	g := &toward{dist: map[string]int{}, out: map[string][]*rel{}, cont: map[string][]*rel{}}
	for _, x := range c.order {
		for _, e := range v.in[x] {
			if e.kind.Containment() && c.has(e.from) {
				g.cont[e.from] = append(g.cont[e.from], e)
			}
		}
	}
	buckets := make([][]string, limit+1)
	for _, sd := range seeds {
		g.out[sd.u] = append(g.out[sd.u], sd.e)
		if d, ok := g.dist[sd.u]; !ok || sd.dist < d {
			g.dist[sd.u] = sd.dist
			buckets[sd.dist] = append(buckets[sd.dist], sd.u)
		}
	}
	for d := 0; d < limit; d++ {
		var level []string
		for _, x := range buckets[d] {
			if g.dist[x] == d {
				level = append(level, x)
			}
		}
		if len(level) == 0 {
			continue
		}
		var found []*rel
		err := v.rels(qInFrom, map[string]any{"ids": level, "to": fwd.order}, false,
			func(e *rel) { found = append(found, e) }, func() {})
		if err != nil {
			return nil, err
		}
		for _, e := range found {
			g.out[e.from] = append(g.out[e.from], e)
			if c.has(e.from) {
				continue
			}
			if du, ok := g.dist[e.from]; !ok || d+1 < du {
				g.dist[e.from] = d + 1
				buckets[d+1] = append(buckets[d+1], e.from)
			}
		}
	}
	for u, l := range g.out {
		g.out[u] = sortEdges(l, true)
	}
	for u, l := range g.cont {
		g.cont[u] = sortEdges(l, true)
	}
	return g, nil
}

// enumerator lists simple paths of exactly `length` steps by depth-first
// search in the projection's edge order, pruned by the distances.
type enumerator struct {
	v       *view
	g       *toward
	chain   *chain
	dst     string
	max     int
	onPath  map[string]bool
	edges   []*rel
	out     []projection.Path
	work    int
	stopped bool
}

// dfs extends the current path from u with `remaining` steps to go. Before
// the ACCESS step (afterAccess false) it follows traversal edges or one
// ACCESS edge; after it, only CONTAINS edges.
func (en *enumerator) dfs(u string, remaining int, afterAccess bool) {
	next := en.g.out[u]
	if afterAccess {
		next = en.g.cont[u]
	}
	for _, e := range next {
		if len(en.out) >= en.max || en.stopped {
			return
		}
		en.work++
		if en.work > maxExpansions {
			en.stopped = true
			return
		}
		x := e.to
		var next bool // the path continues after x in the ACCESS phase
		switch {
		case afterAccess && e.kind.Containment(), !afterAccess && e.kind.Terminal():
			d, ok := en.chain.dist[x]
			if !ok || d > remaining-1 {
				continue
			}
			next = true
		case !afterAccess && e.kind.Traversal():
			if d, ok := en.g.dist[x]; x != en.dst && (!ok || d > remaining-1) {
				continue
			}
		default:
			continue
		}
		if en.onPath[x] {
			continue
		}
		if x == en.dst {
			if remaining == 1 {
				en.out = append(en.out, en.v.pathOf(append(append([]*rel(nil), en.edges...), e)))
			}
			continue
		}
		if remaining <= 1 {
			continue
		}
		en.onPath[x] = true
		en.edges = append(en.edges, e)
		en.dfs(x, remaining-1, next)
		en.edges = en.edges[:len(en.edges)-1]
		en.onPath[x] = false
	}
}
