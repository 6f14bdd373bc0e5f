package neo4jstore

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// A run's upserts are staged in chunks: one (:StagedNodeChunk) or
// (:StagedEdgeChunk) node per kind and per up to Config.BatchSize rows, each
// field a list (index i is the chunk's i-th row; an edge's actions,
// conditions and via are flattened, the i-th edge's being the slice
// [xAt[i], xAt[i+1])). A chunk has the run's ID in run and a sequence
// number seq from the run's chunk counter, so FinishRun applies the chunks
// in the order they were staged: an element upserted twice in a run ends
// with its last value. Writing a chunk is writing one node, whatever its
// number of rows. Staging nodes are not :Node, so no reader sees them;
// FinishRun applies them to the graph (see apply.go).
//
// Builds before schema version 3 staged a node per graph node
// (:StagedNode) and edges in chunks of every type (:StagedEdges); FinishRun
// still applies such staging, left by a run that an older build began to
// apply.

// Labels of the staging chunks.
const (
	labelNodeChunk = "StagedNodeChunk"
	labelEdgeChunk = "StagedEdgeChunk"
)

// stageQuery writes $chunks as staging nodes labelled label, numbered by
// the run's chunk counter, and returns how many it wrote.
func stageQuery(label string) string {
	return `MATCH (r:SyncRun {id: $run})
WITH r, coalesce(r.chunks, 0) AS base
SET r.chunks = base + size($chunks)
WITH base
UNWIND range(0, size($chunks) - 1) AS i
CREATE (c:` + label + ` {run: $run, seq: base + i + 1})
SET c += $chunks[i]
RETURN count(c) AS c`
}

// storedQuery returns which of the node IDs $ids are stored.
const storedQuery = `UNWIND $ids AS id
MATCH (n:Node {id: id})
RETURN n.id AS id`

// stagedQuery returns which of the node IDs $ids are staged in the run. It
// reads every node chunk of the run: UpsertEdges only asks it about IDs
// this Store did not stage itself, usually none.
const stagedQuery = `MATCH (c:` + labelNodeChunk + ` {run: $run})
UNWIND c.ids AS id
WITH id WHERE id IN $ids
RETURN DISTINCT id`

// stagedIDs remembers, per run, the hashes of the node IDs this Store
// staged, so that UpsertEdges finds most endpoints without asking Neo4j.
// A hash collision can only let an edge to a missing node through the
// check; FinishRun drops such an edge, as it drops one whose endpoint
// another run swept.
type stagedIDs struct {
	mu   sync.Mutex
	seed maphash.Seed
	runs map[string]map[uint64]struct{}
}

func (s *stagedIDs) hash(id string) uint64 { return maphash.String(s.seed, id) }

func (s *stagedIDs) add(runID string, nodes []graph.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs == nil {
		s.runs = map[string]map[uint64]struct{}{}
	}
	set := s.runs[runID]
	if set == nil {
		set = make(map[uint64]struct{}, len(nodes))
		s.runs[runID] = set
	}
	for i := range nodes {
		set[s.hash(nodes[i].ID)] = struct{}{}
	}
}

// unknown returns the distinct IDs of ids not staged by this Store in run.
func (s *stagedIDs) unknown(runID string, ids []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.runs[runID]
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if _, ok := set[s.hash(id)]; ok || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

func (s *stagedIDs) forget(runID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.runs, runID)
}

// propsJSON is p as a JSON object, or "" when p is empty.
func propsJSON(p map[string]string) (string, error) {
	if len(p) == 0 {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

func strs(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// UpsertNodes stages nodes in the run, one chunk per kind and per
// Config.BatchSize nodes, all in one transaction; they become visible when
// FinishRun applies the run. Every node is validated first: on a bad node
// nothing is staged.
func (s *Store) UpsertNodes(ctx context.Context, runID string, nodes []graph.Node) error {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("upsert nodes: %w", err)
	}
	if r.Status != graph.RunActive {
		return fmt.Errorf("upsert nodes: sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	byKind := map[graph.Kind][]int{}
	var kinds []graph.Kind
	for i := range nodes {
		n := &nodes[i]
		if err := n.Validate(); err != nil {
			return fmt.Errorf("upsert nodes: nodes[%d]: %w", i, err)
		}
		if n.Source != r.Source {
			return fmt.Errorf("upsert nodes: nodes[%d] %q: source %q differs from run %s's source %q",
				i, n.ID, n.Source, runID, r.Source)
		}
		if byKind[n.Kind] == nil {
			kinds = append(kinds, n.Kind)
		}
		byKind[n.Kind] = append(byKind[n.Kind], i)
	}
	var chunks []map[string]any
	for _, k := range kinds {
		idx := byKind[k]
		for lo := 0; lo < len(idx); lo += s.cfg.BatchSize {
			chunk, err := nodeChunk(k, nodes, idx[lo:min(lo+s.cfg.BatchSize, len(idx))])
			if err != nil {
				return fmt.Errorf("upsert nodes: %w", err)
			}
			chunks = append(chunks, chunk)
		}
	}
	if len(chunks) == 0 {
		return nil
	}
	err = s.stage(ctx, runID, nil, func(tx neo4j.ManagedTransaction) error {
		return stageChunks(ctx, tx, runID, labelNodeChunk, chunks)
	})
	if err != nil {
		return fmt.Errorf("upsert nodes: %w", err)
	}
	s.staged.add(runID, nodes)
	return nil
}

// nodeChunk lays out nodes[idx], all of kind k, as the properties of a
// (:StagedNodeChunk).
func nodeChunk(k graph.Kind, nodes []graph.Node, idx []int) (map[string]any, error) {
	n := len(idx)
	ids, subkinds, names, props := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sens, stubs := make([]int64, n), make([]bool, n)
	for j, i := range idx {
		nd := &nodes[i]
		p, err := propsJSON(nd.Props)
		if err != nil {
			return nil, fmt.Errorf("nodes[%d] %q: props: %w", i, nd.ID, err)
		}
		ids[j], subkinds[j], names[j], props[j] = nd.ID, nd.Subkind, nd.Name, p
		sens[j], stubs[j] = int64(nd.Sensitivity), nd.Props[graph.PropStub] == "true"
	}
	return map[string]any{"kind": k.String(), "ids": ids, "subkinds": subkinds, "names": names,
		"sensitivities": sens, "stubs": stubs, "props": props}, nil
}

// stageChunks writes chunks as staging nodes labelled label.
func stageChunks(ctx context.Context, tx neo4j.ManagedTransaction, runID, label string, chunks []map[string]any) error {
	c, err := single(ctx, tx, stageQuery(label), map[string]any{"run": runID, "chunks": chunks})
	if err == nil && int(c.(int64)) != len(chunks) {
		err = fmt.Errorf("%d of %d chunks were staged", c, len(chunks))
	}
	return err
}

// UpsertEdges stages edges in the run, one chunk per kind and per
// Config.BatchSize edges, all in one transaction. Both endpoints must be
// stored, or staged in the same run (upsert the nodes first, including
// stubs for other sources' nodes).
func (s *Store) UpsertEdges(ctx context.Context, runID string, edges []graph.Edge) error {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("upsert edges: %w", err)
	}
	if r.Status != graph.RunActive {
		return fmt.Errorf("upsert edges: sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	byKind := map[graph.EdgeKind][]int{}
	var kinds []graph.EdgeKind
	for i := range edges {
		e := &edges[i]
		if err := e.Validate(); err != nil {
			return fmt.Errorf("upsert edges: edges[%d]: %w", i, err)
		}
		if e.Source != r.Source {
			return fmt.Errorf("upsert edges: edges[%d] %s: source %q differs from run %s's source %q",
				i, e.ID(), e.Source, runID, r.Source)
		}
		if byKind[e.Kind] == nil {
			kinds = append(kinds, e.Kind)
		}
		byKind[e.Kind] = append(byKind[e.Kind], i)
	}
	var chunks []map[string]any
	for _, k := range kinds {
		idx := byKind[k]
		for lo := 0; lo < len(idx); lo += s.cfg.BatchSize {
			chunk, err := edgeChunk(k, edges, idx[lo:min(lo+s.cfg.BatchSize, len(idx))])
			if err != nil {
				return fmt.Errorf("upsert edges: %w", err)
			}
			chunks = append(chunks, chunk)
		}
	}
	if len(chunks) == 0 {
		return nil
	}
	err = s.stage(ctx, runID, edges, func(tx neo4j.ManagedTransaction) error {
		return stageChunks(ctx, tx, runID, labelEdgeChunk, chunks)
	})
	if err != nil {
		return fmt.Errorf("upsert edges: %w", err)
	}
	return nil
}

// edgeChunk lays out edges[idx], all of kind k, as the properties of a
// (:StagedEdgeChunk).
func edgeChunk(k graph.EdgeKind, edges []graph.Edge, idx []int) (map[string]any, error) {
	n := len(idx)
	froms, tos, props := make([]string, n), make([]string, n), make([]string, n)
	privs := make([]int64, n)
	var actions, conditions, via []string
	actionsAt, conditionsAt, viaAt := make([]int64, 1, n+1), make([]int64, 1, n+1), make([]int64, 1, n+1)
	for j, i := range idx {
		e := &edges[i]
		p, err := propsJSON(e.Props)
		if err != nil {
			return nil, fmt.Errorf("edges[%d] %s: props: %w", i, e.ID(), err)
		}
		froms[j], tos[j], props[j], privs[j] = e.From, e.To, p, int64(e.Privilege)
		actions, conditions, via = append(actions, e.Actions...), append(conditions, e.Conditions...), append(via, e.Via...)
		actionsAt = append(actionsAt, int64(len(actions)))
		conditionsAt = append(conditionsAt, int64(len(conditions)))
		viaAt = append(viaAt, int64(len(via)))
	}
	return map[string]any{"type": k.String(), "froms": froms, "tos": tos, "props": props,
		"privileges": privs, "actions": strs(actions), "actionsAt": actionsAt,
		"conditions": strs(conditions), "conditionsAt": conditionsAt, "via": strs(via), "viaAt": viaAt}, nil
}

// stage runs fn in a write transaction that first checks the run still
// accepts writes and, when edges is set, that each of their endpoints is
// staged in the run or stored.
func (s *Store) stage(ctx context.Context, runID string, edges []graph.Edge,
	fn func(tx neo4j.ManagedTransaction) error) error {
	var ids []string
	if edges != nil {
		all := make([]string, 0, 2*len(edges))
		for i := range edges {
			all = append(all, edges[i].From, edges[i].To)
		}
		ids = s.staged.unknown(runID, all)
	}
	_, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if _, err := lockRun(ctx, tx, runID, phaseStaging); err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			if err := missingEndpoints(ctx, tx, runID, edges, ids); err != nil {
				return nil, err
			}
		}
		return nil, fn(tx)
	})
	return err
}

// missingEndpoints checks that each of ids (endpoints of edges that this
// Store did not stage) is stored or staged in the run, and otherwise names
// the first edge with a missing endpoint. Its error rolls the transaction
// back, so no edge of the batch is kept.
func missingEndpoints(ctx context.Context, tx neo4j.ManagedTransaction, runID string, edges []graph.Edge, ids []string) error {
	missing := make(map[string]bool, len(ids))
	for _, id := range ids {
		missing[id] = true
	}
	found := func(q string, p map[string]any) error {
		res, err := tx.Run(ctx, q, p)
		if err != nil {
			return err
		}
		for res.Next(ctx) {
			v, _ := res.Record().Get("id")
			delete(missing, str(v))
		}
		return res.Err()
	}
	if err := found(storedQuery, map[string]any{"ids": ids}); err != nil {
		return err
	}
	if len(missing) > 0 {
		left := make([]string, 0, len(missing))
		for id := range missing {
			left = append(left, id)
		}
		if err := found(stagedQuery, map[string]any{"ids": left, "run": runID}); err != nil {
			return err
		}
	}
	if len(missing) == 0 {
		return nil
	}
	for i := range edges {
		e := &edges[i]
		for _, end := range [2][2]string{{"from", e.From}, {"to", e.To}} {
			if id := end[1]; missing[id] {
				return fmt.Errorf("edge %s: %s node %q is not stored (upsert nodes, or a stub for it, first)",
					e.ID(), end[0], id)
			}
		}
	}
	return nil
}
