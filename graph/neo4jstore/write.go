package neo4jstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// A run's upserts are staged. A node is staged as one (:StagedNode) with
// its fields, the run's ID in run and the key sid (run, "|", node ID; run
// IDs never contain "|"), which a uniqueness constraint indexes, so that
// UpsertEdges can find a staged endpoint. Edges are staged in chunks, one
// (:StagedEdges) per batch of rows with each field as a list (index i is
// the batch's i-th edge; actions, conditions and via are flattened, the
// i-th edge's being the slice [xAt[i], xAt[i+1])) and a sequence number
// seq: writing a batch is a single node, and FinishRun applies the chunks
// in seq order. Staging nodes are not :Node, so no reader sees them;
// FinishRun applies them to the graph (see apply.go).

// stagedKey is the sid of node id in run.
func stagedKey(runID, id string) string { return runID + "|" + id }

// stageNodesQuery stages rows; re-staging a node replaces its fields.
const stageNodesQuery = `UNWIND $rows AS row
MERGE (s:StagedNode {sid: row.sid})
SET s = row
RETURN count(s) AS c`

// stageEdgesQuery stages one chunk of edges, numbered by the run's chunk
// counter.
const stageEdgesQuery = `MATCH (r:SyncRun {id: $run})
SET r.chunks = coalesce(r.chunks, 0) + 1
CREATE (c:StagedEdges {run: $run, seq: r.chunks})
SET c += $chunk
RETURN count(c) AS c`

// missingQuery returns up to 5 of the node IDs $ids that are neither
// staged in the run nor stored.
const missingQuery = `UNWIND $ids AS id
WITH id WHERE NOT EXISTS { MATCH (:StagedNode {sid: $run + '|' + id}) } AND NOT EXISTS { MATCH (:Node {id: id}) }
RETURN id LIMIT 5`

func propsJSON(p map[string]string) (string, error) {
	if len(p) == 0 {
		return "{}", nil
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

// UpsertNodes stages nodes in the run, in transactions of Config.BatchSize
// rows; they become visible when FinishRun applies the run. Every node is
// validated first: on a bad node nothing is staged.
func (s *Store) UpsertNodes(ctx context.Context, runID string, nodes []graph.Node) error {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("upsert nodes: %w", err)
	}
	if r.Status != graph.RunActive {
		return fmt.Errorf("upsert nodes: sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	rows := make([]map[string]any, 0, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		if err := n.Validate(); err != nil {
			return fmt.Errorf("upsert nodes: nodes[%d]: %w", i, err)
		}
		if n.Source != r.Source {
			return fmt.Errorf("upsert nodes: nodes[%d] %q: source %q differs from run %s's source %q",
				i, n.ID, n.Source, runID, r.Source)
		}
		props, err := propsJSON(n.Props)
		if err != nil {
			return fmt.Errorf("upsert nodes: nodes[%d] %q: props: %w", i, n.ID, err)
		}
		rows = append(rows, map[string]any{
			"sid": stagedKey(runID, n.ID), "run": runID,
			"id": n.ID, "kind": n.Kind.String(), "label": kindLabels[n.Kind], "subkind": n.Subkind, "name": n.Name,
			"sensitivity": int64(n.Sensitivity), "stub": n.Props[graph.PropStub] == "true", "props": props,
		})
	}
	for lo := 0; lo < len(rows); lo += s.cfg.BatchSize {
		chunk := rows[lo:min(lo+s.cfg.BatchSize, len(rows))]
		err := s.stage(ctx, runID, nil, func(tx neo4j.ManagedTransaction) error {
			c, err := single(ctx, tx, stageNodesQuery, map[string]any{"rows": chunk})
			if err == nil && int(c.(int64)) != len(chunk) {
				err = fmt.Errorf("%d of %d nodes were staged", c, len(chunk))
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("upsert nodes: %w", err)
		}
	}
	return nil
}

// UpsertEdges stages edges in the run. Both endpoints must be stored, or
// staged in the same run (upsert the nodes first, including stubs for other
// sources' nodes).
func (s *Store) UpsertEdges(ctx context.Context, runID string, edges []graph.Edge) error {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("upsert edges: %w", err)
	}
	if r.Status != graph.RunActive {
		return fmt.Errorf("upsert edges: sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	for i := range edges {
		e := &edges[i]
		if err := e.Validate(); err != nil {
			return fmt.Errorf("upsert edges: edges[%d]: %w", i, err)
		}
		if e.Source != r.Source {
			return fmt.Errorf("upsert edges: edges[%d] %s: source %q differs from run %s's source %q",
				i, e.ID(), e.Source, runID, r.Source)
		}
	}
	var chunks []map[string]any
	for lo := 0; lo < len(edges); lo += s.cfg.BatchSize {
		chunk, err := edgeChunk(edges[lo:min(lo+s.cfg.BatchSize, len(edges))])
		if err != nil {
			return fmt.Errorf("upsert edges: edges[%d:]: %w", lo, err)
		}
		chunks = append(chunks, chunk)
	}
	for i, chunk := range chunks {
		lo := i * s.cfg.BatchSize
		part := edges[lo:min(lo+s.cfg.BatchSize, len(edges))]
		err := s.stage(ctx, runID, part, func(tx neo4j.ManagedTransaction) error {
			_, err := single(ctx, tx, stageEdgesQuery, map[string]any{"run": runID, "chunk": chunk})
			return err
		})
		if err != nil {
			return fmt.Errorf("upsert edges: %w", err)
		}
	}
	return nil
}

// edgeChunk lays edges out as the properties of a (:StagedEdges).
func edgeChunk(edges []graph.Edge) (map[string]any, error) {
	n := len(edges)
	ids, types, froms, tos, props := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	privs := make([]int64, n)
	var actions, conditions, via []string
	actionsAt, conditionsAt, viaAt := make([]int64, 1, n+1), make([]int64, 1, n+1), make([]int64, 1, n+1)
	for i := range edges {
		e := &edges[i]
		p, err := propsJSON(e.Props)
		if err != nil {
			return nil, fmt.Errorf("edge %s: props: %w", e.ID(), err)
		}
		ids[i], types[i], froms[i], tos[i], props[i], privs[i] = e.ID(), e.Kind.String(), e.From, e.To, p, int64(e.Privilege)
		actions, conditions, via = append(actions, e.Actions...), append(conditions, e.Conditions...), append(via, e.Via...)
		actionsAt = append(actionsAt, int64(len(actions)))
		conditionsAt = append(conditionsAt, int64(len(conditions)))
		viaAt = append(viaAt, int64(len(via)))
	}
	return map[string]any{"ids": ids, "types": types, "froms": froms, "tos": tos, "props": props,
		"privileges": privs, "actions": strs(actions), "actionsAt": actionsAt,
		"conditions": strs(conditions), "conditionsAt": conditionsAt, "via": strs(via), "viaAt": viaAt}, nil
}

// stage runs fn in a write transaction that first checks the run still
// accepts writes and, when edges is set, that each of their endpoints is
// staged in the run or stored.
func (s *Store) stage(ctx context.Context, runID string, edges []graph.Edge,
	fn func(tx neo4j.ManagedTransaction) error) error {
	_, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if _, err := lockRun(ctx, tx, runID, phaseStaging); err != nil {
			return nil, err
		}
		if edges != nil {
			if err := missingEndpoints(ctx, tx, runID, edges); err != nil {
				return nil, err
			}
		}
		return nil, fn(tx)
	})
	return err
}

// missingEndpoints names the first edge of rows whose endpoint is neither
// stored nor staged in the run. Its error rolls the transaction back, so no
// edge of the batch is kept.
func missingEndpoints(ctx context.Context, tx neo4j.ManagedTransaction, runID string, edges []graph.Edge) error {
	seen := make(map[string]bool, len(edges))
	ids := make([]string, 0, len(edges))
	for i := range edges {
		for _, id := range []string{edges[i].From, edges[i].To} {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	res, err := tx.Run(ctx, missingQuery, map[string]any{"ids": ids, "run": runID})
	if err != nil {
		return err
	}
	missing := map[string]bool{}
	for res.Next(ctx) {
		v, _ := res.Record().Get("id")
		missing[v.(string)] = true
	}
	if err := res.Err(); err != nil {
		return err
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
