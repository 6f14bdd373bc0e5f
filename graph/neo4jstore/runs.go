package neo4jstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// runFields is the RETURN list that decodeRun reads.
const runFields = `r.id AS id, r.source AS source, r.status AS status, r.started AS started,
	r.finished AS finished, r.error AS error, r.nodesUpserted AS nu, r.edgesUpserted AS eu,
	r.nodesSwept AS ns, r.edgesSwept AS es`

func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(b[:])
}

func decodeRun(rec *neo4j.Record) graph.SyncRun {
	m := rec.AsMap()
	r := graph.SyncRun{
		ID:     str(m["id"]),
		Source: str(m["source"]),
		Status: graph.RunStatus(str(m["status"])),
		Error:  str(m["error"]),
		Stats: graph.RunStats{
			NodesUpserted: int(i64(m["nu"])),
			EdgesUpserted: int(i64(m["eu"])),
			NodesSwept:    int(i64(m["ns"])),
			EdgesSwept:    int(i64(m["es"])),
		},
	}
	if v := i64(m["started"]); v != 0 {
		r.Started = time.Unix(0, v).UTC()
	}
	if v := i64(m["finished"]); v != 0 {
		r.Finished = time.Unix(0, v).UTC()
	}
	return r
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func i64(v any) int64 {
	n, _ := v.(int64)
	return n
}

// BeginRun starts a sync run for source.
func (s *Store) BeginRun(ctx context.Context, source string) (*graph.SyncRun, error) {
	if source == "" {
		return nil, errors.New("begin run: empty source")
	}
	now := time.Now().UTC()
	r := &graph.SyncRun{ID: newRunID(now), Source: source, Status: graph.RunActive, Started: now}
	err := s.autocommit(ctx, `CREATE (r:SyncRun {id: $id, source: $source, status: $status,
		started: $now, updated: $now, nodesUpserted: 0, edgesUpserted: 0, nodesSwept: 0, edgesSwept: 0})`,
		map[string]any{"id": r.ID, "source": source, "status": string(graph.RunActive), "now": now.UnixNano()})
	if err != nil {
		return nil, fmt.Errorf("begin run for %s: %w", source, err)
	}
	return r, nil
}

// Run returns one run by ID.
func (s *Store) Run(ctx context.Context, runID string) (*graph.SyncRun, error) {
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		return getRun(ctx, tx, runID)
	})
	if err != nil {
		return nil, err
	}
	return out.(*graph.SyncRun), nil
}

func getRun(ctx context.Context, tx neo4j.ManagedTransaction, runID string) (*graph.SyncRun, error) {
	res, err := tx.Run(ctx, "MATCH (r:SyncRun {id: $id}) RETURN "+runFields, map[string]any{"id": runID})
	if err != nil {
		return nil, fmt.Errorf("read sync run %q: %w", runID, err)
	}
	if !res.Next(ctx) {
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("read sync run %q: %w", runID, err)
		}
		return nil, fmt.Errorf("sync run %q: %w", runID, graph.ErrNotFound)
	}
	r := decodeRun(res.Record())
	return &r, nil
}

// Runs returns the runs of source (all sources if empty), newest first; a
// limit <= 0 returns them all.
func (s *Store) Runs(ctx context.Context, source string, limit int) ([]graph.SyncRun, error) {
	q := "MATCH (r:SyncRun) WHERE $source = '' OR r.source = $source RETURN " + runFields +
		" ORDER BY r.started DESC, r.id DESC"
	params := map[string]any{"source": source}
	if limit > 0 {
		q += " LIMIT $limit"
		params["limit"] = limit
	}
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, q, params)
		if err != nil {
			return nil, err
		}
		var runs []graph.SyncRun
		for res.Next(ctx) {
			runs = append(runs, decodeRun(res.Record()))
		}
		return runs, res.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out.([]graph.SyncRun), nil
}

// FailRun marks the run failed with cause; nothing is swept.
func (s *Store) FailRun(ctx context.Context, runID string, cause error) (*graph.SyncRun, error) {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	r, err := s.endRun(ctx, runID, graph.RunFailed, msg, nil)
	if err != nil {
		return nil, fmt.Errorf("fail run: %w", err)
	}
	s.log.Warn("sync run failed", "run", r.ID, "source", r.Source, "error", msg)
	return r, nil
}

// endRun moves an active run to status, atomically: a run that is no longer
// active is left alone and ErrRunNotActive returned.
func (s *Store) endRun(ctx context.Context, runID string, status graph.RunStatus, msg string,
	stats *graph.RunStats) (*graph.SyncRun, error) {
	params := map[string]any{"id": runID, "status": string(status), "error": msg,
		"now": time.Now().UTC().UnixNano(), "active": string(graph.RunActive)}
	set := ""
	if stats != nil {
		set = `, r.nodesUpserted = $nu, r.edgesUpserted = $eu, r.nodesSwept = $ns, r.edgesSwept = $es`
		params["nu"], params["eu"] = stats.NodesUpserted, stats.EdgesUpserted
		params["ns"], params["es"] = stats.NodesSwept, stats.EdgesSwept
	}
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		cur, err := getRun(ctx, tx, runID)
		if err != nil {
			return nil, err
		}
		if cur.Status != graph.RunActive {
			return nil, fmt.Errorf("sync run %s is %s: %w", runID, cur.Status, graph.ErrRunNotActive)
		}
		res, err := tx.Run(ctx, `MATCH (r:SyncRun {id: $id}) WHERE r.status = $active
			SET r.status = $status, r.finished = $now, r.updated = $now,
			    r.error = CASE WHEN $error = '' THEN null ELSE $error END`+set+`
			RETURN `+runFields, params)
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

// AbandonStale marks abandoned every active run that has written nothing for
// olderThan: its process is taken to have died. Open calls it with
// Config.AbandonAfter. It returns the runs it abandoned. What they wrote
// stays (see the package doc) and is swept by the source's next complete run.
func (s *Store) AbandonStale(ctx context.Context, olderThan time.Duration) ([]graph.SyncRun, error) {
	now := time.Now().UTC()
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (r:SyncRun) WHERE r.status = $active AND r.updated < $cutoff
			SET r.status = $abandoned, r.finished = $now,
			    r.error = 'no write for more than ' + $age + ': the process writing this run is taken to have stopped'
			RETURN `+runFields, map[string]any{
			"active": string(graph.RunActive), "abandoned": string(graph.RunAbandoned),
			"cutoff": now.Add(-olderThan).UnixNano(), "now": now.UnixNano(), "age": olderThan.String(),
		})
		if err != nil {
			return nil, err
		}
		var runs []graph.SyncRun
		for res.Next(ctx) {
			runs = append(runs, decodeRun(res.Record()))
		}
		return runs, res.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("abandon stale runs: %w", err)
	}
	runs := out.([]graph.SyncRun)
	for _, r := range runs {
		s.log.Warn("sync run abandoned", "run", r.ID, "source", r.Source, "started", r.Started)
	}
	return runs, nil
}

// activeRun checks, inside a write transaction, that runID accepts writes,
// refreshes its heartbeat and returns it.
func activeRun(ctx context.Context, tx neo4j.ManagedTransaction, runID string) (*graph.SyncRun, error) {
	r, err := getRun(ctx, tx, runID)
	if err != nil {
		return nil, err
	}
	if r.Status != graph.RunActive {
		return nil, fmt.Errorf("sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	res, err := tx.Run(ctx, "MATCH (r:SyncRun {id: $id}) SET r.updated = $now",
		map[string]any{"id": runID, "now": time.Now().UTC().UnixNano()})
	if err != nil {
		return nil, err
	}
	if _, err := res.Consume(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// FinishRun sweeps, in batches, what the run's source no longer reports and
// then marks the run complete. The sweep deletes the source's relationships
// and nodes whose syncRun is not this run, with every relationship touching
// a swept node. The run is marked complete last, so a crash mid-sweep never
// looks complete.
func (s *Store) FinishRun(ctx context.Context, runID string) (*graph.SyncRun, error) {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("finish run: %w", err)
	}
	if r.Status != graph.RunActive {
		return nil, fmt.Errorf("finish run: sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	var st graph.RunStats
	p := map[string]any{"source": r.Source, "run": runID, "batch": s.cfg.BatchSize}
	// 1. The source's own stale relationships, one type at a time (indexed).
	for _, k := range graph.EdgeKinds() {
		n, err := s.sweepLoop(ctx, runID, fmt.Sprintf(`MATCH ()-[r:%s]->() WHERE r.source = $source AND r.syncRun <> $run
			WITH r LIMIT $batch DELETE r RETURN count(*) AS c`, k), p)
		if err != nil {
			return nil, fmt.Errorf("finish run %s: sweep %s edges: %w", runID, k, err)
		}
		st.EdgesSwept += n
	}
	// 2. Relationships of any source that touch a stale node of the source.
	n, err := s.sweepLoop(ctx, runID, `MATCH (n:Node {source: $source}) WHERE n.syncRun <> $run
		MATCH (n)-[r]-() WITH DISTINCT r LIMIT $batch DELETE r RETURN count(*) AS c`, p)
	if err != nil {
		return nil, fmt.Errorf("finish run %s: sweep edges of stale nodes: %w", runID, err)
	}
	st.EdgesSwept += n
	// 3. The stale nodes.
	n, err = s.sweepLoop(ctx, runID, `MATCH (n:Node {source: $source}) WHERE n.syncRun <> $run
		WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS c`, p)
	if err != nil {
		return nil, fmt.Errorf("finish run %s: sweep nodes: %w", runID, err)
	}
	st.NodesSwept = n
	// 4. What the run wrote, counted once per element.
	if st.NodesUpserted, st.EdgesUpserted, err = s.writtenBy(ctx, runID); err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	// 5. Complete, last.
	done, err := s.endRun(ctx, runID, graph.RunComplete, "", &st)
	if err != nil {
		return nil, fmt.Errorf("finish run: %w", err)
	}
	s.log.Info("sync run complete", "run", done.ID, "source", done.Source,
		"nodes", st.NodesUpserted, "edges", st.EdgesUpserted,
		"nodes_swept", st.NodesSwept, "edges_swept", st.EdgesSwept)
	return done, nil
}

// sweepLoop runs a deleting statement that returns count c, each time in its
// own transaction, until it deletes fewer than a batch. Each step checks
// that the run is still active, so a run failed meanwhile stops sweeping.
func (s *Store) sweepLoop(ctx context.Context, runID, q string, p map[string]any) (int, error) {
	total := 0
	for {
		out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			if _, err := activeRun(ctx, tx, runID); err != nil {
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
			c, _ := rec.Get("c")
			return c, nil
		})
		if err != nil {
			return total, err
		}
		c := int(out.(int64))
		total += c
		if c < s.cfg.BatchSize {
			return total, nil
		}
	}
}

// writtenBy counts the nodes and relationships whose syncRun is runID.
func (s *Store) writtenBy(ctx context.Context, runID string) (nodes, edges int, err error) {
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		counts := [2]int{}
		res, err := tx.Run(ctx, "MATCH (n:Node {syncRun: $run}) RETURN count(n) AS c", map[string]any{"run": runID})
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		c, _ := rec.Get("c")
		counts[0] = int(c.(int64))
		for _, k := range graph.EdgeKinds() {
			res, err := tx.Run(ctx, fmt.Sprintf("MATCH ()-[r:%s]->() WHERE r.syncRun = $run RETURN count(r) AS c", k),
				map[string]any{"run": runID})
			if err != nil {
				return nil, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return nil, err
			}
			c, _ := rec.Get("c")
			counts[1] += int(c.(int64))
		}
		return counts, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count what the run wrote: %w", err)
	}
	c := out.([2]int)
	return c[0], c[1], nil
}
