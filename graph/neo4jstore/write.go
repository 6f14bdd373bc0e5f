package neo4jstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// nodeQuery is the upsert of one kind's nodes. For stub rows (stubs true)
// a row is skipped when the stored node is a non-stub of another source.
// Labels are rewritten only when the kind changed.
func nodeQuery(k graph.Kind, stubs bool) string {
	q := "UNWIND $rows AS row\n"
	if stubs {
		q += `OPTIONAL MATCH (o:Node {id: row.id})
WITH row, o
WHERE o IS NULL OR coalesce(o.stub, false) OR o.source = $source
`
	}
	return q + `MERGE (n:Node {id: row.id})
FOREACH (_ IN CASE WHEN n.kind IS NULL OR n.kind <> row.kind THEN [1] ELSE [] END |
  REMOVE n` + allKindLabels() + `
  SET n:` + kindLabels[k] + `)
SET n.kind = row.kind, n.subkind = row.subkind, n.name = row.name,
    n.sensitivity = row.sensitivity, n.source = $source, n.syncRun = $run,
    n.stub = row.stub, n.props = row.props
RETURN count(n) AS c`
}

// edgeQuery is the upsert of one kind's edges.
func edgeQuery(k graph.EdgeKind) string {
	return `UNWIND $rows AS row
MATCH (a:Node {id: row.from})
MATCH (b:Node {id: row.to})
MERGE (a)-[r:` + k.String() + `]->(b)
SET r.id = row.id, r.privilege = row.privilege, r.actions = row.actions,
    r.conditions = row.conditions, r.via = row.via, r.source = $source,
    r.syncRun = $run, r.props = row.props
RETURN count(r) AS c`
}

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

// UpsertNodes writes nodes in the run, in transactions of Config.BatchSize
// rows. Every node is validated first: on a bad node nothing is written.
func (s *Store) UpsertNodes(ctx context.Context, runID string, nodes []graph.Node) error {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("upsert nodes: %w", err)
	}
	if r.Status != graph.RunActive {
		return fmt.Errorf("upsert nodes: sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	type group struct {
		kind graph.Kind
		stub bool
	}
	byKind := map[group][]map[string]any{}
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
		stub := n.Props[graph.PropStub] == "true"
		g := group{n.Kind, stub}
		byKind[g] = append(byKind[g], map[string]any{
			"id": n.ID, "kind": n.Kind.String(), "subkind": n.Subkind, "name": n.Name,
			"sensitivity": int64(n.Sensitivity), "stub": stub, "props": props,
		})
	}
	groups := make([]group, 0, len(byKind))
	for g := range byKind {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].kind != groups[j].kind {
			return groups[i].kind < groups[j].kind
		}
		return !groups[i].stub && groups[j].stub
	})
	for _, g := range groups {
		if err := s.writeRows(ctx, runID, r.Source, nodeQuery(g.kind, g.stub), byKind[g], nil); err != nil {
			return fmt.Errorf("upsert %s nodes: %w", g.kind, err)
		}
	}
	return nil
}

// UpsertEdges writes edges in the run. Both endpoints must already be stored
// (upsert the nodes first, including stubs for other sources' nodes).
func (s *Store) UpsertEdges(ctx context.Context, runID string, edges []graph.Edge) error {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("upsert edges: %w", err)
	}
	if r.Status != graph.RunActive {
		return fmt.Errorf("upsert edges: sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	byKind := map[graph.EdgeKind][]map[string]any{}
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
		byKind[e.Kind] = append(byKind[e.Kind], map[string]any{
			"id": e.ID(), "from": e.From, "to": e.To, "privilege": int64(e.Privilege),
			"actions": strs(e.Actions), "conditions": strs(e.Conditions), "via": strs(e.Via), "props": props,
		})
	}
	kinds := make([]graph.EdgeKind, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	for _, k := range kinds {
		if err := s.writeRows(ctx, runID, r.Source, edgeQuery(k), byKind[k], missingEndpoints); err != nil {
			return fmt.Errorf("upsert %s edges: %w", k, err)
		}
	}
	return nil
}

// writeRows runs q over rows in batches, each in a write transaction that
// first checks the run is active. When q returns fewer rows than it was
// given, short explains why (nil: that is allowed, e.g. skipped stubs).
func (s *Store) writeRows(ctx context.Context, runID, source, q string, rows []map[string]any,
	short func(ctx context.Context, tx neo4j.ManagedTransaction, rows []map[string]any) error) error {
	for lo := 0; lo < len(rows); lo += s.cfg.BatchSize {
		chunk := rows[lo:min(lo+s.cfg.BatchSize, len(rows))]
		_, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			if _, err := activeRun(ctx, tx, runID); err != nil {
				return nil, err
			}
			res, err := tx.Run(ctx, q, map[string]any{"rows": chunk, "source": source, "run": runID})
			if err != nil {
				return nil, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return nil, err
			}
			c, _ := rec.Get("c")
			if int(c.(int64)) < len(chunk) && short != nil {
				return nil, short(ctx, tx, chunk)
			}
			return nil, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// missingEndpoints names the first edges whose endpoint is not stored. The
// transaction is rolled back by the error, so no edge of the batch is kept.
func missingEndpoints(ctx context.Context, tx neo4j.ManagedTransaction, rows []map[string]any) error {
	ids := make([]string, 0, 2*len(rows))
	for _, r := range rows {
		ids = append(ids, r["from"].(string), r["to"].(string))
	}
	res, err := tx.Run(ctx, `UNWIND $ids AS id OPTIONAL MATCH (n:Node {id: id})
		WITH id, n WHERE n IS NULL RETURN DISTINCT id LIMIT 5`, map[string]any{"ids": ids})
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
	return fmt.Errorf("%d edges were not written", len(rows))
}
