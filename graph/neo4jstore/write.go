package neo4jstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// A run's upserts are staged, one staging node per element: a
// (:StagedNode) carries a graph.Node's fields, a (:StagedEdge) a
// graph.Edge's, both with the run's ID in run and a key sid (run, "|" and
// the element's ID) that a uniqueness constraint indexes. Staging nodes are
// not :Node, so no reader sees them; FinishRun applies them to the graph
// (see apply.go).

// stagedKey is the sid of element id in run.
func stagedKey(runID, id string) string { return runID + "|" + id }

// stageNodesQuery stages rows; re-staging an element replaces its fields.
const stageNodesQuery = `UNWIND $rows AS row
MERGE (s:StagedNode {sid: row.sid})
SET s = row
RETURN count(s) AS c`

// stageEdgesQuery stages the rows whose endpoints are both stored or staged
// in the run; a short count tells the caller to name the missing ones.
const stageEdgesQuery = `UNWIND $rows AS row
WITH row
WHERE (EXISTS { MATCH (:StagedNode {sid: $run + '|' + row.from}) } OR EXISTS { MATCH (:Node {id: row.from}) })
  AND (EXISTS { MATCH (:StagedNode {sid: $run + '|' + row.to}) } OR EXISTS { MATCH (:Node {id: row.to}) })
MERGE (s:StagedEdge {sid: row.sid})
SET s = row
RETURN count(s) AS c`

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
	if err := s.stageRows(ctx, runID, stageNodesQuery, rows, nil); err != nil {
		return fmt.Errorf("upsert nodes: %w", err)
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
	rows := make([]map[string]any, 0, len(edges))
	for i := range edges {
		e := &edges[i]
		if err := e.Validate(); err != nil {
			return fmt.Errorf("upsert edges: edges[%d]: %w", i, err)
		}
		if e.Source != r.Source {
			return fmt.Errorf("upsert edges: edges[%d] %s: source %q differs from run %s's source %q",
				i, e.ID(), e.Source, runID, r.Source)
		}
		props, err := propsJSON(e.Props)
		if err != nil {
			return fmt.Errorf("upsert edges: edges[%d] %s: props: %w", i, e.ID(), err)
		}
		id := e.ID()
		rows = append(rows, map[string]any{
			"sid": stagedKey(runID, id), "run": runID,
			"id": id, "type": e.Kind.String(), "from": e.From, "to": e.To, "privilege": int64(e.Privilege),
			"actions": strs(e.Actions), "conditions": strs(e.Conditions), "via": strs(e.Via), "props": props,
		})
	}
	if err := s.stageRows(ctx, runID, stageEdgesQuery, rows, missingEndpoints); err != nil {
		return fmt.Errorf("upsert edges: %w", err)
	}
	return nil
}

// stageRows runs q over rows in batches, each in a write transaction that
// first checks the run still accepts writes. When q returns fewer rows than
// it was given, short explains why and the batch is rolled back.
func (s *Store) stageRows(ctx context.Context, runID, q string, rows []map[string]any,
	short func(ctx context.Context, tx neo4j.ManagedTransaction, runID string, rows []map[string]any) error) error {
	for lo := 0; lo < len(rows); lo += s.cfg.BatchSize {
		chunk := rows[lo:min(lo+s.cfg.BatchSize, len(rows))]
		_, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			if _, err := lockRun(ctx, tx, runID, phaseStaging); err != nil {
				return nil, err
			}
			res, err := tx.Run(ctx, q, map[string]any{"rows": chunk, "run": runID})
			if err != nil {
				return nil, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return nil, err
			}
			c, _ := rec.Get("c")
			if int(c.(int64)) < len(chunk) {
				if short == nil {
					return nil, fmt.Errorf("%d of %d rows were not staged", len(chunk)-int(c.(int64)), len(chunk))
				}
				return nil, short(ctx, tx, runID, chunk)
			}
			return nil, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// missingEndpoints names the first edge whose endpoint is neither stored
// nor staged in the run. The transaction is rolled back by the error, so no
// edge of the batch is kept.
func missingEndpoints(ctx context.Context, tx neo4j.ManagedTransaction, runID string, rows []map[string]any) error {
	ids := make([]string, 0, 2*len(rows))
	for _, r := range rows {
		ids = append(ids, r["from"].(string), r["to"].(string))
	}
	res, err := tx.Run(ctx, `UNWIND $ids AS id
		WITH DISTINCT id
		WHERE NOT EXISTS { MATCH (:StagedNode {sid: $run + '|' + id}) } AND NOT EXISTS { MATCH (:Node {id: id}) }
		RETURN id LIMIT 5`, map[string]any{"ids": ids, "run": runID})
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
	for _, r := range rows {
		for _, end := range []string{"from", "to"} {
			if id := r[end].(string); missing[id] {
				return fmt.Errorf("edge %s: %s node %q is not stored (upsert nodes, or a stub for it, first)",
					r["id"], end, id)
			}
		}
	}
	return fmt.Errorf("%d edges were not staged", len(rows))
}
