package cypher

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// DefaultTimeout bounds one query when the context has no earlier deadline.
const DefaultTimeout = 2 * time.Minute

// maxPathsDepth bounds Paths' MaxDepth: deeper enumerations of simple
// paths are not tractable in Cypher.
const maxPathsDepth = 32

// Engine answers the analysis questions in Cypher. It is safe for
// concurrent use.
type Engine struct {
	drv neo4j.DriverWithContext
	db  string
	// Timeout bounds each query (server-side transaction timeout too);
	// zero means DefaultTimeout. An earlier context deadline wins.
	Timeout time.Duration
}

// New returns an engine reading database (empty: the server's default)
// through driver. graph/neo4jstore's Store.Driver and Store.Database give
// both.
func New(driver neo4j.DriverWithContext, database string) *Engine {
	return &Engine{drv: driver, db: database}
}

// read runs fn in a managed read transaction bounded by the engine's
// timeout and ctx's deadline.
func (e *Engine) read(ctx context.Context, fn func(tx neo4j.ManagedTransaction) error) error {
	d := e.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = time.Until(dl)
	}
	if d <= 0 {
		return context.DeadlineExceeded
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	sess := e.drv.NewSession(ctx, neo4j.SessionConfig{DatabaseName: e.db, AccessMode: neo4j.AccessModeRead})
	defer sess.Close(context.Background())
	_, err := sess.ExecuteRead(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		return nil, fn(tx)
	}, neo4j.WithTxTimeout(d))
	return err
}

// collect runs one statement and returns all its records.
func collect(ctx context.Context, tx neo4j.ManagedTransaction, q string, params map[string]any) ([]*neo4j.Record, error) {
	res, err := tx.Run(ctx, q, params)
	if err != nil {
		return nil, err
	}
	return res.Collect(ctx)
}

// readNode reads one node's reference, or an error wrapping graph.ErrNotFound
// that names it as `what` (as the projection does).
func readNode(ctx context.Context, tx neo4j.ManagedTransaction, id, what string) (projection.NodeRef, error) {
	recs, err := collect(ctx, tx, qNode, map[string]any{"id": id})
	if err != nil {
		return projection.NodeRef{}, err
	}
	if len(recs) == 0 {
		return projection.NodeRef{}, fmt.Errorf("%s %q: %w", what, id, graph.ErrNotFound)
	}
	n, _ := recs[0].Values[0].(dbtype.Node)
	return nodeRef(n)
}

// BlastRadius returns every resource q.From reaches, with the highest
// privilege and a shortest witness among the paths granting it, as
// projection.Snapshot.BlastRadius does. An unknown ID returns an error
// wrapping graph.ErrNotFound.
func (e *Engine) BlastRadius(ctx context.Context, q projection.BlastRadiusQuery) (*projection.BlastRadiusResult, error) {
	if q.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: maxDepth %d is negative", projection.ErrBadQuery, q.MaxDepth)
	}
	maxDist := -1
	if q.MaxDepth > 0 {
		maxDist = q.MaxDepth - 1 // the ACCESS step adds one
	}
	res := &projection.BlastRadiusResult{Totals: projection.Totals{
		ByPrivilege: map[graph.Privilege]int{}, BySensitivity: map[graph.Sensitivity]int{},
	}}
	err := e.read(ctx, func(tx neo4j.ManagedTransaction) error {
		res.Reaches, res.Totals.Resources, res.Totals.Principals = nil, 0, 0
		clear(res.Totals.ByPrivilege)
		clear(res.Totals.BySensitivity)
		from, err := readNode(ctx, tx, q.From, "node")
		if err != nil {
			return err
		}
		res.From = from
		recs, err := collect(ctx, tx, qClosure, map[string]any{"from": q.From, "maxDist": maxDist})
		if err != nil {
			return fmt.Errorf("closure: %w", err)
		}
		res.Totals.Principals = len(recs)
		direct := map[string][]string{} // resource -> union of direct ACCESS actions
		for _, rec := range recs {
			acc, _ := rec.Values[1].([]any)
			for _, x := range acc {
				pair, _ := x.([]any)
				if len(pair) != 2 {
					continue
				}
				id, _ := pair[0].(string)
				direct[id] = append(direct[id], strList(pair[1])...)
			}
		}
		recs, err = collect(ctx, tx, qBlast, map[string]any{"from": q.From, "limit": q.MaxDepth,
			"minPriv": int64(q.MinPrivilege), "minSens": int64(q.MinSensitivity)})
		if err != nil {
			return fmt.Errorf("blast radius: %w", err)
		}
		for _, rec := range recs {
			tier, _ := rec.Values[0].(int64)
			p, ok := rec.Values[1].(dbtype.Path)
			if !ok {
				return fmt.Errorf("blast radius: record has no path")
			}
			wp, err := toPath(p)
			if err != nil {
				return err
			}
			r := wp.Nodes[len(wp.Nodes)-1]
			acts := sortedSet(direct[r.ID])
			if wp.Steps[len(wp.Steps)-1].Kind == graph.EdgeContains {
				acts = unionSorted(acts, wp.Actions)
			}
			pv := graph.Privilege(tier)
			res.Reaches = append(res.Reaches, projection.Reach{Resource: r, Privilege: pv, Actions: acts,
				Witness: wp})
			res.Totals.Resources++
			res.Totals.ByPrivilege[pv]++
			res.Totals.BySensitivity[r.Sensitivity]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cypher blast radius of %q: %w", q.From, err)
	}
	slices.SortFunc(res.Reaches, func(x, y projection.Reach) int {
		if x.Privilege != y.Privilege {
			return int(y.Privilege) - int(x.Privilege)
		}
		if x.Resource.Sensitivity != y.Resource.Sensitivity {
			return int(y.Resource.Sensitivity) - int(x.Resource.Sensitivity)
		}
		return strings.Compare(x.Resource.ID, y.Resource.ID)
	})
	return res, nil
}

// Paths returns distinct simple paths from q.From to q.To, shortest first,
// at most q.MaxPaths of them (default 100), none longer than q.MaxDepth
// steps (default 6), in the projection's order within one length.
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
		out = nil
		if _, err := readNode(ctx, tx, q.From, "from"); err != nil {
			return err
		}
		if _, err := readNode(ctx, tx, q.To, "to"); err != nil {
			return err
		}
		if q.From == q.To {
			return nil
		}
		recs, err := collect(ctx, tx, qPaths(maxDepth), map[string]any{"from": q.From, "to": q.To,
			"maxDepth": maxDepth, "maxPaths": maxPaths})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			p, ok := rec.Values[0].(dbtype.Path)
			if !ok {
				return fmt.Errorf("record has no path")
			}
			wp, err := toPath(p)
			if err != nil {
				return err
			}
			out = append(out, wp)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cypher paths %q -> %q: %w", q.From, q.To, err)
	}
	return out, nil
}

// WhoCanReach returns every node that reaches q.Resource, with the highest
// privilege it gets and a shortest witness among the paths granting it, as
// projection.Snapshot.WhoCanReach does.
func (e *Engine) WhoCanReach(ctx context.Context, q projection.WhoCanReachQuery) (*projection.WhoCanReachResult, error) {
	if q.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: maxDepth %d is negative", projection.ErrBadQuery, q.MaxDepth)
	}
	kinds := make([]string, 0, len(q.Kinds))
	for _, k := range q.Kinds {
		kinds = append(kinds, k.String())
	}
	res := &projection.WhoCanReachResult{ByPrivilege: map[graph.Privilege]int{}}
	err := e.read(ctx, func(tx neo4j.ManagedTransaction) error {
		res.Reachers = nil
		clear(res.ByPrivilege)
		t, err := readNode(ctx, tx, q.Resource, "resource")
		if err != nil {
			return err
		}
		res.Resource = t
		recs, err := collect(ctx, tx, qChain, map[string]any{"to": q.Resource, "limit": q.MaxDepth})
		if err != nil {
			return fmt.Errorf("container chain: %w", err)
		}
		var chain []string
		if len(recs) > 0 {
			chain = strList(recs[0].Values[0])
		}
		recs, err = collect(ctx, tx, qReach, map[string]any{"to": q.Resource, "limit": q.MaxDepth,
			"chain": chain, "minPriv": int64(q.MinPrivilege), "kinds": kinds})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			tier, _ := rec.Values[0].(int64)
			p, ok := rec.Values[1].(dbtype.Path)
			if !ok {
				return fmt.Errorf("record has no path")
			}
			wp, err := toPath(p)
			if err != nil {
				return err
			}
			pv := graph.Privilege(tier)
			res.Reachers = append(res.Reachers, projection.Reacher{Principal: wp.Nodes[0], Privilege: pv,
				Actions: wp.Actions, Witness: wp})
			res.ByPrivilege[pv]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cypher who can reach %q: %w", q.Resource, err)
	}
	slices.SortFunc(res.Reachers, func(x, y projection.Reacher) int {
		if x.Privilege != y.Privilege {
			return int(y.Privilege) - int(x.Privilege)
		}
		if lx, ly := len(x.Witness.Steps), len(y.Witness.Steps); lx != ly {
			return lx - ly
		}
		return strings.Compare(x.Principal.ID, y.Principal.ID)
	})
	return res, nil
}
