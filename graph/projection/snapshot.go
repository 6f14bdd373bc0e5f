package projection

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/accessgraph/accessgraph/graph"
)

// errNotImplemented marks the stubs below until the algorithms land.
var errNotImplemented = errors.New("not implemented yet")

// Snapshot is an immutable in-memory projection of the graph in compact
// arrays. It is safe for concurrent use.
type Snapshot struct {
	stats Stats
}

// Stats describes a snapshot.
type Stats struct {
	Nodes   int       `json:"nodes"`
	Edges   int       `json:"edges"`
	Version uint64    `json:"version"`
	BuiltAt time.Time `json:"builtAt"`
	// BuildTime is how long Build took.
	BuildTime time.Duration `json:"buildTime"`
}

// Build streams the committed graph out of st into a new snapshot.
func Build(ctx context.Context, st graph.Store) (*Snapshot, error) {
	_, _ = ctx, st
	return nil, errNotImplemented
}

// FromElements builds a snapshot from nodes and edges held in memory. Edges
// whose endpoints are missing are dropped.
func FromElements(nodes []graph.Node, edges []graph.Edge) *Snapshot {
	_, _ = nodes, edges
	return &Snapshot{}
}

// Stats returns the snapshot's size and version.
func (s *Snapshot) Stats() Stats { return s.stats }

// Node returns a reference to the node with id.
func (s *Snapshot) Node(id string) (NodeRef, bool) { return NodeRef{}, false }

// FullNode returns the node with id, with its props.
func (s *Snapshot) FullNode(id string) (graph.Node, bool) { return graph.Node{}, false }

// Search returns up to limit nodes whose ID or name contains text
// (case-insensitive), of the given kinds (all if empty), ordered by name.
func (s *Snapshot) Search(text string, kinds []graph.Kind, limit int) []NodeRef { return nil }

// BlastRadius returns every resource q.From reaches, with the highest
// privilege and a witness path. An unknown ID returns an error wrapping
// graph.ErrNotFound.
func (s *Snapshot) BlastRadius(q BlastRadiusQuery) (*BlastRadiusResult, error) {
	return nil, errNotImplemented
}

// Paths returns distinct simple paths from q.From to q.To, shortest first.
func (s *Snapshot) Paths(q PathsQuery) ([]Path, error) { return nil, errNotImplemented }

// WhoCanReach returns every principal that reaches q.Resource.
func (s *Snapshot) WhoCanReach(q WhoCanReachQuery) (*WhoCanReachResult, error) {
	return nil, errNotImplemented
}

// Holder publishes the current snapshot; readers never block writers.
type Holder struct{ p atomic.Pointer[Snapshot] }

// Load returns the current snapshot (nil before the first Store).
func (h *Holder) Load() *Snapshot { return h.p.Load() }

// Store publishes s.
func (h *Holder) Store(s *Snapshot) { h.p.Store(s) }
