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

// legacyNodesQuery applies up to $batch nodes staged by a build before
// schema version 3 (one (:StagedNode) each) and deletes them from the
// staging, in one transaction. A stub row is dropped
// when the stored node is a non-stub of another source. Labels are
// rewritten only when the kind changed ($labels is every kind's label).
const legacyNodesQuery = `MATCH (s:StagedNode {run: $run})
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

// legacyEdgesQuery applies the oldest chunk of edges staged by a build
// before schema version 3 (a (:StagedEdges) of every type) and deletes it, in one transaction; it returns 1, or 0
// when nothing is left. Rows are applied in order, so an edge staged twice
// ends with its last value. MERGE needs a static relationship type to
// expand between the two endpoints (with a dynamic one Neo4j 5.26 scans
// every relationship), so each kind has its own subquery and a row takes
// the one of its type. An edge whose endpoint is no longer stored (swept by
// another source's run since it was staged) is dropped: it would dangle.
var legacyEdgesQuery = func() string {
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
//  2. The staged chunks of nodes, then of edges, are applied in the order
//     they were staged, each in one transaction that merges its rows into
//     the graph and deletes the chunk.
//  3. The sweep deletes, in batches, every relationship and node of the
//     run's source whose syncRun is not this run, with every relationship
//     touching a swept node; each batch adds what it deleted to the run's
//     stats in the same transaction.
//  4. What the run wrote is counted (by seeks on the (source, syncRun)
//     indexes) and the run marked complete, last.
//
// Every step is idempotent, so a FinishRun that stops half-way (crash, lost
// connection, cancelled context) is resumed by calling FinishRun(runID)
// again, or by ResumeApplying (which Open calls): it applies what is left
// staged, sweeps and completes. Readers may see a run partly applied while
// it is in step 2 or 3, never a failed or abandoned run's writes.
func (s *Store) FinishRun(ctx context.Context, runID string) (*graph.SyncRun, error) {
	s.staged.forget(runID) // no more upserts, whatever happens next
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
	done, err := s.complete(ctx, r)
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

// applyNodeChunk returns the statement that applies the node chunk $seq of
// kind k and deletes it, in one transaction, returning in c how many rows
// it applied. A stub row is dropped when
// the stored node is a non-stub of another source. The kind's labels are
// rewritten only when the kind changed. Empty subkinds and props and a
// false stub are stored as absent properties.
func applyNodeChunk(k graph.Kind) string {
	l := kindLabels[k]
	return `MATCH (ch:` + labelNodeChunk + ` {run: $run, seq: $seq})
CALL (ch) {
  WITH ch.ids AS ids, ch.subkinds AS subkinds, ch.names AS names, ch.sensitivities AS sens, ch.stubs AS stubs,
       ch.props AS props
  UNWIND range(0, size(ids) - 1) AS i
  WITH ids[i] AS id, subkinds[i] AS subkind, names[i] AS name, sens[i] AS sensitivity, stubs[i] AS stub,
       props[i] AS p
  MERGE (n:Node {id: id})
  ON CREATE SET n:` + l + `
  WITH n, subkind, name, sensitivity, stub, p
  WHERE n.source IS NULL OR NOT (stub AND NOT coalesce(n.stub, false) AND n.source <> $source)
  FOREACH (_ IN CASE WHEN n.kind <> $kind THEN [1] ELSE [] END |
    REMOVE n` + allKindLabels() + `
    SET n:` + l + `)
  SET n.kind = $kind, n.subkind = CASE subkind WHEN '' THEN null ELSE subkind END, n.name = name,
      n.sensitivity = sensitivity, n.source = $source, n.syncRun = $run,
      n.stub = CASE WHEN stub THEN true ELSE null END, n.props = CASE p WHEN '' THEN null ELSE p END
  RETURN count(*) AS written
}
DELETE ch
RETURN written AS c`
}

// applyEdgeChunk returns the statement that applies the edge chunk $seq of
// kind k and deletes it, in one transaction, returning in c how many rows
// it applied. No property is read before it is set: that would make Neo4j
// buffer every row (Eager), with the chunk's lists charged to each. MERGE
// finds
// an existing relationship by expanding from the endpoint with fewer
// relationships, both found by the unique index on :Node(id); the type is
// static, so that no other type is read. Rows apply in order, so an edge
// staged twice ends with its last value. An edge whose endpoint is no
// longer stored (swept by another source's run since it was staged) is
// dropped: it would dangle. Empty lists and props are stored as absent
// properties.
func applyEdgeChunk(k graph.EdgeKind) string {
	return `MATCH (ch:` + labelEdgeChunk + ` {run: $run, seq: $seq})
CALL (ch) {
  WITH ch.froms AS froms, ch.tos AS tos, ch.privileges AS privileges, ch.props AS props,
       ch.actions AS actions, ch.actionsAt AS actionsAt, ch.conditions AS conditions,
       ch.conditionsAt AS conditionsAt, ch.via AS via, ch.viaAt AS viaAt
  UNWIND range(0, size(froms) - 1) AS i
  WITH froms[i] AS from, tos[i] AS to, privileges[i] AS privilege, props[i] AS p,
       actions[actionsAt[i]..actionsAt[i + 1]] AS acts,
       conditions[conditionsAt[i]..conditionsAt[i + 1]] AS conds, via[viaAt[i]..viaAt[i + 1]] AS vias
  MATCH (a:Node {id: from})
  MATCH (b:Node {id: to})
  MERGE (a)-[r:` + k.String() + `]->(b)
  SET r.privilege = privilege, r.props = CASE p WHEN '' THEN null ELSE p END,
      r.actions = CASE size(acts) WHEN 0 THEN null ELSE acts END,
      r.conditions = CASE size(conds) WHEN 0 THEN null ELSE conds END,
      r.via = CASE size(vias) WHEN 0 THEN null ELSE vias END,
      r.source = $source, r.syncRun = $run
  RETURN count(*) AS written
}
DELETE ch
RETURN written AS c`
}

// Statements applying each kind's chunks, built once.
var (
	nodeChunkQueries = func() map[string]string {
		m := map[string]string{}
		for _, k := range graph.Kinds() {
			m[k.String()] = applyNodeChunk(k)
		}
		return m
	}()
	edgeChunkQueries = func() map[string]string {
		m := map[string]string{}
		for _, k := range graph.EdgeKinds() {
			m[k.String()] = applyEdgeChunk(k)
		}
		return m
	}()
)

// chunk is one staged chunk: its number and the kind of its rows.
type chunk struct {
	seq  int64
	kind string
}

// chunks lists the run's staged chunks labelled label, in staging order.
func (s *Store) chunks(ctx context.Context, runID, label, kindProp string) ([]chunk, error) {
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (c:`+label+` {run: $run}) RETURN c.seq AS seq, c.`+kindProp+` AS kind
			ORDER BY seq`, map[string]any{"run": runID})
		if err != nil {
			return nil, err
		}
		var cs []chunk
		for res.Next(ctx) {
			v := res.Record().Values
			cs = append(cs, chunk{seq: i64(v[0]), kind: str(v[1])})
		}
		return cs, res.Err()
	})
	if err != nil {
		return nil, err
	}
	return out.([]chunk), nil
}

// apply moves the staging into the graph, nodes first so that edges find
// their endpoints.
func (s *Store) apply(ctx context.Context, r *graph.SyncRun) error {
	if err := s.applyLegacy(ctx, r); err != nil {
		return err
	}
	for _, part := range []struct {
		name, label, kindProp string
		queries               map[string]string
	}{
		{"nodes", labelNodeChunk, "kind", nodeChunkQueries},
		{"edges", labelEdgeChunk, "type", edgeChunkQueries},
	} {
		cs, err := s.chunks(ctx, r.ID, part.label, part.kindProp)
		if err != nil {
			return fmt.Errorf("apply %s: list staged chunks: %w", part.name, err)
		}
		for _, c := range cs {
			q, ok := part.queries[c.kind]
			if !ok {
				return fmt.Errorf("apply %s: staged chunk %d has unknown kind %q", part.name, c.seq, c.kind)
			}
			p := map[string]any{"run": r.ID, "source": r.Source, "seq": c.seq, "kind": c.kind}
			if _, err := s.once(ctx, r.ID, q, p, nil); err != nil {
				return fmt.Errorf("apply %s: chunk %d: %w", part.name, c.seq, err)
			}
			if err := s.step(part.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyLegacy applies what a build before schema version 3 staged.
func (s *Store) applyLegacy(ctx context.Context, r *graph.SyncRun) error {
	labels := make([]string, 0, len(kindLabels))
	for _, k := range graph.Kinds() {
		labels = append(labels, kindLabels[k])
	}
	p := map[string]any{"run": r.ID, "source": r.Source, "batch": s.cfg.BatchSize, "labels": labels}
	for _, part := range []struct{ name, label, q string }{
		{"nodes", "StagedNode", legacyNodesQuery},
		{"edges", "StagedEdges", legacyEdgesQuery},
	} {
		out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			return single(ctx, tx, `MATCH (s:`+part.label+` {run: $run}) RETURN count(s) AS c`, p)
		})
		if err != nil {
			return fmt.Errorf("apply %s: %w", part.name, err)
		}
		if i64(out) == 0 {
			continue
		}
		batch := s.cfg.BatchSize
		if part.name == "edges" {
			batch = 1 // one chunk per transaction
		}
		if err := s.loop(ctx, r.ID, part.name, part.q, p, batch, nil); err != nil {
			return fmt.Errorf("apply %s: %w", part.name, err)
		}
	}
	return nil
}

// staleNodes is a subquery returning the source's nodes that the run did
// not write, found by range seeks on the (source, syncRun) index; each
// part returns at most limit nodes when it is set (a statement that deletes
// what it reads materializes it first: the limit bounds what it reads).
func staleNodes(limit string) string {
	return `CALL () {
  MATCH (n:Node) WHERE n.source = $source AND n.syncRun < $run RETURN n` + limit + `
  UNION ALL
  MATCH (n:Node) WHERE n.source = $source AND n.syncRun > $run RETURN n` + limit + `
}
`
}

// sweep deletes the source's elements that the run did not write. Each
// step finds them by range seeks on the (source, syncRun) indexes, so a
// run that leaves little stale reads little.
func (s *Store) sweep(ctx context.Context, r *graph.SyncRun) error {
	p := map[string]any{"source": r.Source, "run": r.ID, "batch": s.cfg.BatchSize}
	edges := func(n int) string { return fmt.Sprintf("SET r.edgesSwept = r.edgesSwept + %d", n) }
	// 1. The source's own stale relationships (each type by its index).
	stale := overEdgeKinds(`MATCH ()-[r]->() WHERE r.source = $source AND r.syncRun < $run RETURN r LIMIT $batch
  UNION ALL
  MATCH ()-[r]->() WHERE r.source = $source AND r.syncRun > $run RETURN r LIMIT $batch`)
	err := s.loop(ctx, r.ID, "sweep", stale+`WITH r LIMIT $batch DELETE r RETURN count(*) AS c`,
		p, s.cfg.BatchSize, edges)
	if err != nil {
		return fmt.Errorf("sweep edges: %w", err)
	}
	// 2. Relationships of any source that touch a stale node of the source.
	err = s.loop(ctx, r.ID, "sweep", staleNodes("")+`MATCH (n)-[r]-() WITH DISTINCT r LIMIT $batch
		DELETE r RETURN count(*) AS c`, p, s.cfg.BatchSize, edges)
	if err != nil {
		return fmt.Errorf("sweep edges of stale nodes: %w", err)
	}
	// 3. The stale nodes.
	err = s.loop(ctx, r.ID, "sweep", staleNodes(" LIMIT $batch")+`WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS c`,
		p, s.cfg.BatchSize, func(n int) string { return fmt.Sprintf("SET r.nodesSwept = r.nodesSwept + %d", n) })
	if err != nil {
		return fmt.Errorf("sweep nodes: %w", err)
	}
	return nil
}

// once runs a statement that returns a count c in its own transaction, which first checks that the run is still applying
// (and refreshes its heartbeat); count, when set, returns a SET on the run
// r that records them in the same transaction.
func (s *Store) once(ctx context.Context, runID, q string, p map[string]any,
	count func(c int) string) (int, error) {
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if _, err := lockRun(ctx, tx, runID, phaseApplying); err != nil {
			return nil, err
		}
		res, err := tx.Run(ctx, q, p)
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		cv, _ := rec.Get("c")
		c := int(i64(cv))
		if c > 0 && count != nil {
			if _, err := single(ctx, tx, `MATCH (r:SyncRun {id: $id}) `+count(c)+` RETURN 1 AS c`,
				map[string]any{"id": runID}); err != nil {
				return nil, err
			}
		}
		return c, nil
	})
	if err != nil {
		return 0, err
	}
	return out.(int), nil
}

// loop runs a statement that handles up to batch rows and returns their
// count c, each time in its own transaction (see once), until it handles
// fewer than a batch.
func (s *Store) loop(ctx context.Context, runID, step, q string, p map[string]any, batch int,
	count func(c int) string) error {
	for {
		c, err := s.once(ctx, runID, q, p, count)
		if err != nil {
			return err
		}
		if err := s.step(step); err != nil {
			return err
		}
		if c < batch {
			return nil
		}
	}
}

// complete counts what the run wrote and marks it complete; the sweep
// stats are already on it.
func (s *Store) complete(ctx context.Context, r *graph.SyncRun) (*graph.SyncRun, error) {
	nu, eu, err := s.writtenBy(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := s.step("complete"); err != nil {
		return nil, err
	}
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if _, err := lockRun(ctx, tx, r.ID, phaseApplying); err != nil {
			return nil, err
		}
		res, err := tx.Run(ctx, `MATCH (r:SyncRun {id: $id})
			SET r.status = $complete, r.finished = $now, r.nodesUpserted = $nu, r.edgesUpserted = $eu
			REMOVE r.phase, r.error
			RETURN `+runFields, map[string]any{"id": r.ID, "complete": string(graph.RunComplete),
			"now": time.Now().UTC().UnixNano(), "nu": nu, "eu": eu})
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

// writtenBy counts the nodes and relationships whose syncRun is the run's.
func (s *Store) writtenBy(ctx context.Context, r *graph.SyncRun) (nodes, edges int, err error) {
	q := `CALL () { MATCH (n:Node) WHERE n.source = $source AND n.syncRun = $run RETURN count(n) AS nodes }
` + overEdgeKinds(`MATCH ()-[r]->() WHERE r.source = $source AND r.syncRun = $run RETURN count(r) AS c`) +
		`RETURN nodes, sum(c) AS edges`
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, q, map[string]any{"run": r.ID, "source": r.Source})
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
