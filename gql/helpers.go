package gql

import (
	"context"
	"fmt"
	"sort"

	"github.com/accessgraph/accessgraph/gql/model"
	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// Bounds of analysis arguments.
const (
	maxReachDepth = 64   // blastRadius and whoCanReach maxDepth
	maxPathDepth  = 20   // paths maxDepth
	maxPathCount  = 1000 // paths maxPaths
	maxSyncRuns   = 500  // syncRuns first
)

// engine returns the engine selected by the engine argument.
func (r *Resolver) engine(s *projection.Snapshot, e *model.Engine) (Engine, error) {
	if e == nil || *e == model.EngineProjection {
		return ProjectionEngine{Snapshot: s}, nil
	}
	if r.Cypher == nil {
		return nil, errNoCypher
	}
	return r.Cypher, nil
}

// lookup returns the node with id from the operation's snapshot; arg names
// the argument that carried id.
func (r *Resolver) lookup(ctx context.Context, arg, id string) (*projection.Snapshot, projection.NodeRef, error) {
	s, err := r.snapshot(ctx)
	if err != nil {
		return nil, projection.NodeRef{}, err
	}
	if id == "" {
		return nil, projection.NodeRef{}, inputErrorf(arg, "must not be empty")
	}
	ref, ok := s.Node(id)
	if !ok {
		return nil, projection.NodeRef{}, &NotFoundError{ID: id}
	}
	return s, ref, nil
}

// checkPrincipalKinds rejects kinds that cannot act.
func checkPrincipalKinds(arg string, kinds []graph.Kind) error {
	for _, k := range kinds {
		if !k.IsPrincipal() {
			return inputErrorf(arg, "%s is not a principal kind", k)
		}
	}
	return nil
}

// privilegeCounts lists the non-zero counts of m, highest tier first.
func privilegeCounts(m map[graph.Privilege]int) []model.PrivilegeCount {
	out := make([]model.PrivilegeCount, 0, len(m))
	for p, n := range m {
		if n > 0 {
			out = append(out, model.PrivilegeCount{Privilege: p, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Privilege > out[j].Privilege })
	return out
}

// sensitivityCounts lists the non-zero counts of m, highest first.
func sensitivityCounts(m map[graph.Sensitivity]int) []model.SensitivityCount {
	out := make([]model.SensitivityCount, 0, len(m))
	for s, n := range m {
		if n > 0 {
			out = append(out, model.SensitivityCount{Sensitivity: s, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sensitivity > out[j].Sensitivity })
	return out
}

// intArg returns *v, or def when v is nil.
func intArg(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

// checkRange rejects v outside [lo, hi].
func checkRange(arg string, v, lo, hi int) error {
	if v < lo || v > hi {
		return inputErrorf(arg, "must be between %d and %d, got %d", lo, hi, v)
	}
	return nil
}

// resourceBlastRadiusError refuses blastRadius(id:) of a resource: a
// resource reaches nothing (a path ends with its ACCESS step, then only
// CONTAINS edges), so the caller surely meant who reaches it.
func resourceBlastRadiusError(ref projection.NodeRef) error {
	kind := "a resource"
	if ref.Subkind != "" {
		kind = fmt.Sprintf("a resource (%s)", ref.Subkind)
	}
	return inputErrorf("id", "node %q is %s, not a principal: a resource reaches nothing (access ends at it), "+
		"so its blast radius is always empty; whoCanReach(resource: %q) answers who reaches it", ref.ID, kind, ref.ID)
}
