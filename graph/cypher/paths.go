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
// It reads the target's containers, then the nodes the start reaches
// within the depth bound (one statement per level), computes within them
// each node's distance to the target, and enumerates by depth-first search
// only along nodes that can still reach the target in the steps left.
func (e *Engine) Paths(ctx context.Context, q projection.PathsQuery) ([]projection.Path, error) {
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
	var out []projection.Path
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

func paths(v *view, from, to string, maxDepth, maxPaths int) ([]projection.Path, error) {
	if _, err := v.node(from, "from"); err != nil {
		return nil, err
	}
	if _, err := v.node(to, "to"); err != nil {
		return nil, err
	}
	if from == to {
		return nil, nil
	}
	c, err := v.containers(to, maxDepth)
	if err != nil {
		return nil, err
	}
	if err := v.fetchIn(c.order); err != nil {
		return nil, err
	}
	seeds := v.seeds(c, maxDepth)
	// Every node of a path but its ACCESS target and containers lies within
	// maxDepth-1 traversal steps of the start: read those levels.
	fwd, err := v.forward(from, maxDepth-1)
	if err != nil {
		return nil, err
	}
	if err := v.fetchOut(c.order[1:]); err != nil { // CONTAINS steps after ACCESS
		return nil, err
	}
	dist := distances(v, fwd, c, seeds, maxDepth)
	d0, ok := dist[from]
	if !ok {
		return nil, nil
	}
	en := &enumerator{v: v, chain: c, dist: dist, dst: to, max: maxPaths, onPath: map[string]bool{from: true}}
	for l := d0; l <= maxDepth && len(en.out) < maxPaths && !en.stopped; l++ {
		en.dfs(from, l, false)
	}
	return en.out, nil
}

// distances returns, for every node the start reaches within the bound,
// the least number of steps of a path from it to the target (traversal
// edges, then ACCESS, then CONTAINS) that stays among those nodes; nodes
// that cannot reach the target within limit are absent. Every path from the
// start of at most limit steps stays among them, so the distances bound
// the enumeration exactly as distances in the whole graph would.
func distances(v *view, fwd *closure, c *chain, seeds []seed, limit int) map[string]int {
	within := func(u string) bool {
		d, ok := fwd.dist[u]
		return ok && d <= limit-1
	}
	into := map[string][]string{} // traversal edges between reached nodes, reversed
	for _, u := range fwd.order {
		if !within(u) {
			continue
		}
		for _, e := range v.out[u] {
			if e.kind.Traversal() && within(e.to) {
				into[e.to] = append(into[e.to], u)
			}
		}
	}
	dist := map[string]int{}
	buckets := make([][]string, limit+1)
	for _, sd := range seeds {
		if within(sd.u) {
			if d, ok := dist[sd.u]; !ok || sd.dist < d {
				dist[sd.u] = sd.dist
				buckets[sd.dist] = append(buckets[sd.dist], sd.u)
			}
		}
	}
	for d := 0; d < limit; d++ {
		for _, x := range buckets[d] {
			if dist[x] != d {
				continue
			}
			for _, u := range into[x] {
				if c.has(u) {
					continue
				}
				if du, ok := dist[u]; !ok || d+1 < du {
					dist[u] = d + 1
					buckets[d+1] = append(buckets[d+1], u)
				}
			}
		}
	}
	return dist
}

// enumerator lists simple paths of exactly `length` steps by depth-first
// search in the projection's edge order, pruned by the distances.
type enumerator struct {
	v       *view
	chain   *chain
	dist    map[string]int
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
	for _, e := range en.v.out[u] {
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
			if d, ok := en.dist[x]; x != en.dst && (!ok || d > remaining-1) {
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
