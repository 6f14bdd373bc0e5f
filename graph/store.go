package graph

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a node, edge or run does not exist.
var ErrNotFound = errors.New("not found")

// ErrRunNotActive is returned when writing to a run that has finished or failed.
var ErrRunNotActive = errors.New("sync run is not active")

// RunStatus is the state of a sync run.
type RunStatus string

// Run states. Only a RunComplete run has swept anything.
const (
	RunActive    RunStatus = "active"
	RunComplete  RunStatus = "complete"
	RunFailed    RunStatus = "failed"
	RunAbandoned RunStatus = "abandoned" // the process died while the run was active
)

// SyncRun is one ingest pass of one source.
type SyncRun struct {
	ID       string    `json:"id"`
	Source   string    `json:"source"`
	Status   RunStatus `json:"status"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Error is why the run failed, if it did.
	Error string   `json:"error,omitempty"`
	Stats RunStats `json:"stats"`
}

// RunStats counts what a run wrote and swept.
type RunStats struct {
	NodesUpserted int `json:"nodesUpserted"`
	EdgesUpserted int `json:"edgesUpserted"`
	NodesSwept    int `json:"nodesSwept"`
	EdgesSwept    int `json:"edgesSwept"`
	// Drift is what changed since the source's previous complete run; nil
	// when the store does not compute it.
	Drift *Drift `json:"drift,omitempty"`
}

// MaxDriftSamples bounds the IDs a Drift lists per category.
const MaxDriftSamples = 20

// Drift is what a complete run changed in its source's part of the graph.
type Drift struct {
	NodesAdded   int `json:"nodesAdded"`
	NodesChanged int `json:"nodesChanged"`
	NodesRemoved int `json:"nodesRemoved"`
	EdgesAdded   int `json:"edgesAdded"`
	EdgesChanged int `json:"edgesChanged"`
	EdgesRemoved int `json:"edgesRemoved"`
	// Added, Changed and Removed list up to MaxDriftSamples element IDs each,
	// so a reviewer sees what moved.
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// Note records one element's change in d.
func (d *Drift) Note(kind string, node bool, id string) {
	var list *[]string
	switch kind {
	case "added":
		list = &d.Added
		if node {
			d.NodesAdded++
		} else {
			d.EdgesAdded++
		}
	case "changed":
		list = &d.Changed
		if node {
			d.NodesChanged++
		} else {
			d.EdgesChanged++
		}
	case "removed":
		list = &d.Removed
		if node {
			d.NodesRemoved++
		} else {
			d.EdgesRemoved++
		}
	default:
		return
	}
	if len(*list) < MaxDriftSamples {
		*list = append(*list, id)
	}
}

// Empty reports whether nothing changed.
func (d *Drift) Empty() bool {
	return d.NodesAdded+d.NodesChanged+d.NodesRemoved+d.EdgesAdded+d.EdgesChanged+d.EdgesRemoved == 0
}

// Store is the system of record for the graph. Writes happen inside a sync
// run: Begin, any number of Upsert calls, then Finish (which sweeps every
// element of the run's source that the run did not write) or Fail (which
// sweeps nothing). A Store must make the following true, and the conformance
// suite in graph/storetest checks it:
//
//   - Upserts are idempotent: writing the same element twice changes nothing.
//   - What a run upserts is staged: Node, Scan and Counts do not return it
//     (neither new elements nor changed values) until FinishRun applies it,
//     together with the sweep. FinishRun either applies all of the run or,
//     if it stops part-way, leaves the run not complete; a store that cannot
//     apply a run in one transaction (graph/neo4jstore) may let readers see
//     it partly applied while FinishRun works, and then only ever rolls it
//     forward to complete (never back, never to failed or abandoned).
//   - A run that fails or is abandoned changes nothing readers see: what
//     earlier complete runs wrote stays exactly as it was, it sweeps
//     nothing, and it never looks complete.
//   - Finish sweeps only elements of the run's own source.
//   - Edges whose endpoint was swept are swept too.
type Store interface {
	// BeginRun starts a sync run for source.
	BeginRun(ctx context.Context, source string) (*SyncRun, error)
	// UpsertNodes writes nodes in the run. Their Source must be the run's
	// source. The store does not keep the slice after it returns (ingest.Write
	// reuses it for the next chunk); it may keep the strings.
	UpsertNodes(ctx context.Context, runID string, nodes []Node) error
	// UpsertEdges writes edges in the run. Their Source must be the run's
	// source. As with UpsertNodes, the slice is the caller's again on return.
	UpsertEdges(ctx context.Context, runID string, edges []Edge) error
	// FinishRun completes the run and sweeps what its source no longer reports.
	FinishRun(ctx context.Context, runID string) (*SyncRun, error)
	// FailRun marks the run failed with cause; nothing is swept.
	FailRun(ctx context.Context, runID string, cause error) (*SyncRun, error)
	// Run returns one run by ID.
	Run(ctx context.Context, runID string) (*SyncRun, error)
	// Runs returns the runs of source (all sources if empty), newest first.
	Runs(ctx context.Context, source string, limit int) ([]SyncRun, error)

	// Node returns one node by ID.
	Node(ctx context.Context, id string) (*Node, error)
	// Scan streams every committed node, then every committed edge. It holds
	// memory bounded by the callbacks, not by the graph.
	Scan(ctx context.Context, nodeFn func(*Node) error, edgeFn func(*Edge) error) error
	// Counts returns the number of committed nodes and edges.
	Counts(ctx context.Context) (nodes, edges int, err error)

	// Close releases the store.
	Close() error
}
