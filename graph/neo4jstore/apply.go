package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// applyNodesQuery applies up to $batch staged nodes to the graph and
// deletes them from the staging, in one transaction. A stub row is dropped
// when the stored node is a non-stub of another source. Labels are
// rewritten only when the kind changed ($labels is every kind's label).
const applyNodesQuery = `MATCH (s:StagedNode {run: $run})
WITH s LIMIT $batch
OPTIONAL MATCH (o:Node {id: s.id})
WITH s, s.stub AND o IS NOT NULL AND NOT coalesce(o.stub, false) AND o.source <> $source AS skip
CALL (s, skip) {
  WITH s WHERE NOT skip
  MERGE (n:Node {id: s.id})
  FOREACH (_ IN CASE WHEN n.kind IS NULL OR n.kind <> s.kind THEN [1] ELSE [] END |
    REMOVE n:$($labels)
    SET n:$(s.label))
  SET n.kind = s.kind, n.subkind = s.subkind, n.name = s.name,
      n.sensitivity = s.sensitivity, n.source = $source, n.syncRun = $run,
      n.stub = s.stub, n.props = s.props
}
DELETE s
RETURN count(*) AS c`

// applyEdgesQuery applies the oldest staged chunk of edges (see
// stageEdgesQuery) and deletes it, in one transaction; it returns 1, or 0
// when nothing is left. Rows are applied in order, so an edge staged twice
// ends with its last value. MERGE needs a static relationship type to
// expand between the two endpoints (with a dynamic one Neo4j 5.26 scans
// every relationship), so each kind has its own subquery and a row takes
// the one of its type. An edge whose endpoint is no longer stored (swept by
// another source's run since it was staged) is dropped: it would dangle.
var applyEdgesQuery = func() string {
	var b strings.Builder
	// The lists are read once per chunk: indexing c.x[i] per row would read
	// the whole property again for every row.
	b.WriteString(`MATCH (c:StagedEdges {run: $run})
WITH c ORDER BY c.seq LIMIT 1
CALL (c) {
  WITH c.ids AS ids, c.types AS types, c.froms AS froms, c.tos AS tos, c.privileges AS privileges,
       c.props AS props, c.actions AS actions, c.actionsAt AS actionsAt, c.conditions AS conditions,
       c.conditionsAt AS conditionsAt, c.via AS via, c.viaAt AS viaAt
  UNWIND range(0, size(ids) - 1) AS i
  WITH ids[i] AS id, types[i] AS type, froms[i] AS from, tos[i] AS to, privileges[i] AS privilege,
       props[i] AS p, actions[actionsAt[i]..actionsAt[i + 1]] AS acts,
       conditions[conditionsAt[i]..conditionsAt[i + 1]] AS conds, via[viaAt[i]..viaAt[i + 1]] AS vias
`)
	for _, k := range graph.EdgeKinds() {
		b.WriteString(`  CALL (id, type, from, to, privilege, p, acts, conds, vias) {
    WITH * WHERE type = '` + k.String() + `'
    MATCH (a:Node {id: from})
    MATCH (b:Node {id: to})
    MERGE (a)-[r:` + k.String() + `]->(b)
    SET r.id = id, r.privilege = privilege, r.props = p, r.actions = acts, r.conditions = conds,
        r.via = vias, r.source = $source, r.syncRun = $run
  }
`)
	}
	b.WriteString("}\nDELETE c\nRETURN count(*) AS c")
	return b.String()
}()

// overEdgeKinds is a subquery that unions pattern, with its relationship
// variable r typed by each edge kind in turn (each part can use that type's
// indexes), and returns what each part returns.
func overEdgeKinds(part string) string {
	var b strings.Builder
	b.WriteString("CALL () {\n")
	for i, k := range graph.EdgeKinds() {
		if i > 0 {
			b.WriteString("  UNION ALL\n")
		}
		b.WriteString("  " + strings.ReplaceAll(part, "[r]", "[r:"+k.String()+"]") + "\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// FinishRun applies the run and sweeps what its source no longer reports,
// then marks the run complete, in these steps:
//
//  1. The run enters the applying phase (its Status stays active): from
//     here it accepts no upserts, cannot fail and is never abandoned.
//  2. The staged nodes, then edges, are applied in batches; each batch
//     merges its rows into the graph and deletes them from the staging in
//     one transaction (edges in the order they were staged).
//  3. The sweep deletes, in batches, every relationship and node of the
//     run's source whose syncRun is not this run, with every relationship
//     touching a swept node; each batch adds what it deleted to the run's
//     stats in the same transaction.
//  4. What the run wrote is counted and the run marked complete, last.
//
// Every step is idempotent, so a FinishRun that stops half-way (crash, lost
// connection, cancelled context) is resumed by calling FinishRun(runID)
// again, or by ResumeApplying (which Open calls): it applies what is left
// staged, sweeps and completes. Readers may see a run partly applied while
// it is in step 2 or 3, never a failed or abandoned run's writes.
func (s *Store) FinishRun(ctx context.Context, runID string) (*graph.SyncRun, error) {
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		r, err := lockRun(ctx, tx, runID, phaseStaging)
		if errors.Is(err, graph.ErrRunNotActive) {
			// Resuming: a run already applying goes on from where it stopped.
			return lockRun(ctx, tx, runID, phaseApplying)
		}
		if err != nil {
			return nil, err
		}
		_, err = single(ctx, tx, `MATCH (r:SyncRun {id: $id}) SET r.phase = $applying RETURN 1 AS c`,
			map[string]any{"id": runID, "applying": phaseApplying})
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("finish run: %w", err)
	}
	r := out.(*graph.SyncRun)
	if err := s.step("applying"); err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	if err := s.apply(ctx, r); err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	if err := s.sweep(ctx, r); err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	nu, eu, err := s.writtenBy(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	if err := s.step("complete"); err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	done, err := s.complete(ctx, runID, nu, eu)
	if err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	st := done.Stats
	s.log.Info("sync run complete", "run", done.ID, "source", done.Source,
		"nodes", st.NodesUpserted, "edges", st.EdgesUpserted,
		"nodes_swept", st.NodesSwept, "edges_swept", st.EdgesSwept)
	return done, nil
}

// step calls the test hook that simulates a crash at a named point.
func (s *Store) step(name string) error {
	if s.crashAt == nil {
		return nil
	}
	return s.crashAt(name)
}

// apply moves the staging into the graph, nodes first so that edges find
// their endpoints.
func (s *Store) apply(ctx context.Context, r *graph.SyncRun) error {
	labels := make([]string, 0, len(kindLabels))
	for _, k := range graph.Kinds() {
		labels = append(labels, kindLabels[k])
	}
	p := map[string]any{"run": r.ID, "source": r.Source, "batch": s.cfg.BatchSize, "labels": labels}
	if _, err := s.loop(ctx, r.ID, "nodes", applyNodesQuery, p, s.cfg.BatchSize, nil); err != nil {
		return fmt.Errorf("apply nodes: %w", err)
	}
	if _, err := s.loop(ctx, r.ID, "edges", applyEdgesQuery, p, 1, nil); err != nil {
		return fmt.Errorf("apply edges: %w", err)
	}
	return nil
}

// sweep deletes the source's elements that the run did not write.
func (s *Store) sweep(ctx context.Context, r *graph.SyncRun) error {
	p := map[string]any{"source": r.Source, "run": r.ID, "batch": s.cfg.BatchSize}
	edges := func(n int) string { return fmt.Sprintf("SET r.edgesSwept = r.edgesSwept + %d", n) }
	// 1. The source's own stale relationships (each type by its index).
	_, err := s.loop(ctx, r.ID, "sweep", overEdgeKinds(
		`MATCH ()-[r]->() WHERE r.source = $source AND r.syncRun <> $run RETURN r`)+
		`WITH r LIMIT $batch DELETE r RETURN count(*) AS c`, p, s.cfg.BatchSize, edges)
	if err != nil {
		return fmt.Errorf("sweep edges: %w", err)
	}
	// 2. Relationships of any source that touch a stale node of the source.
	_, err = s.loop(ctx, r.ID, "sweep", `MATCH (n:Node {source: $source}) WHERE n.syncRun <> $run
		MATCH (n)-[r]-() WITH DISTINCT r LIMIT $batch DELETE r RETURN count(*) AS c`, p, s.cfg.BatchSize, edges)
	if err != nil {
		return fmt.Errorf("sweep edges of stale nodes: %w", err)
	}
	// 3. The stale nodes.
	_, err = s.loop(ctx, r.ID, "sweep", `MATCH (n:Node {source: $source}) WHERE n.syncRun <> $run
		WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS c`, p, s.cfg.BatchSize,
		func(n int) string { return fmt.Sprintf("SET r.nodesSwept = r.nodesSwept + %d", n) })
	if err != nil {
		return fmt.Errorf("sweep nodes: %w", err)
	}
	return nil
}

// loop runs a statement that handles up to batch rows and returns their
// count c, each time in its own transaction, until it handles fewer than a
// batch. Each transaction first checks that the run is still applying (and
// refreshes its heartbeat); count, when set, returns a SET on the run r
// that records the c rows in the same transaction.
func (s *Store) loop(ctx context.Context, runID, step, q string, p map[string]any, batch int,
	count func(c int) string) (int, error) {
	total := 0
	for {
		out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			if _, err := lockRun(ctx, tx, runID, phaseApplying); err != nil {
				return nil, err
			}
			c, err := single(ctx, tx, q, p)
			if err != nil {
				return nil, err
			}
			if n := int(c.(int64)); n > 0 && count != nil {
				if _, err := single(ctx, tx, `MATCH (r:SyncRun {id: $id}) `+count(n)+` RETURN 1 AS c`,
					map[string]any{"id": runID}); err != nil {
					return nil, err
				}
			}
			return c, nil
		})
		if err != nil {
			return total, err
		}
		c := int(out.(int64))
		total += c
		if err := s.step(step); err != nil {
			return total, err
		}
		if c < batch {
			return total, nil
		}
	}
}

// complete marks an applying run complete with what it wrote; the sweep
// stats are already on it.
func (s *Store) complete(ctx context.Context, runID string, nodes, edges int) (*graph.SyncRun, error) {
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if _, err := lockRun(ctx, tx, runID, phaseApplying); err != nil {
			return nil, err
		}
		res, err := tx.Run(ctx, `MATCH (r:SyncRun {id: $id})
			SET r.status = $complete, r.finished = $now, r.nodesUpserted = $nu, r.edgesUpserted = $eu
			REMOVE r.phase, r.error
			RETURN `+runFields, map[string]any{"id": runID, "complete": string(graph.RunComplete),
			"now": time.Now().UTC().UnixNano(), "nu": nodes, "eu": edges})
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		r := decodeRun(rec)
		return &r, nil
	})
	if err != nil {
		return nil, err
	}
	return out.(*graph.SyncRun), nil
}

// writtenBy counts the nodes and relationships whose syncRun is runID.
func (s *Store) writtenBy(ctx context.Context, runID string) (nodes, edges int, err error) {
	q := `CALL () { MATCH (n:Node {syncRun: $run}) RETURN count(n) AS nodes }
` + overEdgeKinds(`MATCH ()-[r]->() WHERE r.syncRun = $run RETURN count(r) AS c`) +
		`RETURN nodes, sum(c) AS edges`
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, q, map[string]any{"run": runID})
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		n, _ := rec.Get("nodes")
		e, _ := rec.Get("edges")
		return [2]int{int(i64(n)), int(i64(e))}, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count what the run wrote: %w", err)
	}
	c := out.([2]int)
	return c[0], c[1], nil
}
