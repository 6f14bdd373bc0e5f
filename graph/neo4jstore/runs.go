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

// Phases of an active run, in the SyncRun node's phase property (absent
// while staging). They are internal: graph.SyncRun.Status stays active
// until the run is complete.
const (
	phaseStaging  = ""         // upserts are staged
	phaseApplying = "applying" // FinishRun is applying the staging and sweeping; it only rolls forward
	phasePurge    = "purge"    // a failed or abandoned run whose staging is still being deleted
)

// lockRun takes the run's write lock inside tx (by refreshing its
// heartbeat), then checks that it is active and in phase, and returns it.
// Taking the lock first makes the check and what tx writes next atomic with
// respect to FailRun, FinishRun and AbandonStale.
func lockRun(ctx context.Context, tx neo4j.ManagedTransaction, runID, phase string) (*graph.SyncRun, error) {
	res, err := tx.Run(ctx, `MATCH (r:SyncRun {id: $id}) SET r.updated = $now
		RETURN coalesce(r.phase, '') AS phase, `+runFields,
		map[string]any{"id": runID, "now": time.Now().UTC().UnixNano()})
	if err != nil {
		return nil, fmt.Errorf("lock sync run %q: %w", runID, err)
	}
	if !res.Next(ctx) {
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("lock sync run %q: %w", runID, err)
		}
		return nil, fmt.Errorf("sync run %q: %w", runID, graph.ErrNotFound)
	}
	rec := res.Record()
	r := decodeRun(rec)
	got, _ := rec.Get("phase")
	if r.Status != graph.RunActive {
		return nil, fmt.Errorf("sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	if p := str(got); p != phase {
		if p == phaseApplying {
			return nil, fmt.Errorf("sync run %s is being applied by FinishRun (only FinishRun may continue it): %w",
				runID, graph.ErrRunNotActive)
		}
		return nil, fmt.Errorf("sync run %s is in phase %q, not %q: %w", runID, p, phase, graph.ErrRunNotActive)
	}
	return &r, nil
}

// FailRun marks the run failed with cause and deletes what it staged:
// nothing readers see changes. A run that FinishRun has started to apply
// cannot fail (ErrRunNotActive): part of it may be visible already, so it
// is only ever rolled forward (FinishRun, ResumeApplying).
func (s *Store) FailRun(ctx context.Context, runID string, cause error) (*graph.SyncRun, error) {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	now := time.Now().UTC().UnixNano()
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if _, err := lockRun(ctx, tx, runID, phaseStaging); err != nil {
			return nil, err
		}
		res, err := tx.Run(ctx, `MATCH (r:SyncRun {id: $id})
			SET r.status = $failed, r.finished = $now, r.phase = $purge,
			    r.error = CASE WHEN $error = '' THEN null ELSE $error END
			RETURN `+runFields, map[string]any{"id": runID, "failed": string(graph.RunFailed),
			"now": now, "purge": phasePurge, "error": msg})
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
		return nil, fmt.Errorf("fail run: %w", err)
	}
	r := out.(*graph.SyncRun)
	s.log.Warn("sync run failed", "run", r.ID, "source", r.Source, "error", msg)
	if err := s.purgeStaging(ctx, runID); err != nil {
		// The run is failed either way; Open deletes the rest.
		return r, fmt.Errorf("fail run %s: %w", runID, err)
	}
	return r, nil
}

// purgeStaging deletes the staging of a failed or abandoned run, in
// batches, then clears its purge phase.
func (s *Store) purgeStaging(ctx context.Context, runID string) error {
	s.staged.forget(runID)
	for _, del := range []struct {
		label string
		batch int
	}{
		// A chunk holds up to BatchSize rows: a few per transaction.
		{labelEdgeChunk, 8}, {labelNodeChunk, 8},
		// Staging of builds before schema version 3.
		{"StagedEdges", 8}, {"StagedNode", s.cfg.BatchSize},
	} {
		q := `MATCH (s:` + del.label + ` {run: $run}) WITH s LIMIT $batch DELETE s RETURN count(*) AS c`
		for {
			out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
				return single(ctx, tx, q, map[string]any{"run": runID, "batch": del.batch})
			})
			if err != nil {
				return fmt.Errorf("delete staging: %w", err)
			}
			if int(out.(int64)) < del.batch {
				break
			}
		}
	}
	err := s.autocommit(ctx, `MATCH (r:SyncRun {id: $id}) WHERE r.phase = $purge REMOVE r.phase`,
		map[string]any{"id": runID, "purge": phasePurge})
	if err != nil {
		return fmt.Errorf("delete staging: %w", err)
	}
	return nil
}

// purgeLeftovers finishes deleting the staging of failed and abandoned runs
// whose deletion was interrupted.
func (s *Store) purgeLeftovers(ctx context.Context) error {
	ids, err := s.runIDs(ctx, `MATCH (r:SyncRun) WHERE r.phase = $purge RETURN r.id AS id`,
		map[string]any{"purge": phasePurge})
	if err != nil {
		return fmt.Errorf("find staging to delete: %w", err)
	}
	for _, id := range ids {
		if err := s.purgeStaging(ctx, id); err != nil {
			return fmt.Errorf("run %s: %w", id, err)
		}
	}
	return nil
}

func (s *Store) runIDs(ctx context.Context, q string, p map[string]any) ([]string, error) {
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, q, p)
		if err != nil {
			return nil, err
		}
		var ids []string
		for res.Next(ctx) {
			v, _ := res.Record().Get("id")
			ids = append(ids, str(v))
		}
		return ids, res.Err()
	})
	if err != nil {
		return nil, err
	}
	return out.([]string), nil
}

// single runs q in tx and returns the int64 column c of its one record.
func single(ctx context.Context, tx neo4j.ManagedTransaction, q string, p map[string]any) (any, error) {
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
}

// AbandonStale marks abandoned every active run that is still staging and
// has written nothing for olderThan: its process is taken to have died.
// Open calls it with Config.AbandonAfter. What such a run staged is
// deleted, so nothing visible changes. A run in the applying phase is never
// abandoned: part of it may be visible, so it is rolled forward instead
// (FinishRun, ResumeApplying). It returns the runs it abandoned.
func (s *Store) AbandonStale(ctx context.Context, olderThan time.Duration) ([]graph.SyncRun, error) {
	now := time.Now().UTC()
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (r:SyncRun) WHERE r.status = $active AND r.phase IS NULL AND r.updated < $cutoff
			SET r.status = $abandoned, r.finished = $now, r.phase = $purge,
			    r.error = 'no write for more than ' + $age + ': the process writing this run is taken to have stopped; nothing it staged was applied'
			RETURN `+runFields, map[string]any{
			"active": string(graph.RunActive), "abandoned": string(graph.RunAbandoned), "purge": phasePurge,
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
		if err := s.purgeStaging(ctx, r.ID); err != nil {
			return runs, fmt.Errorf("abandon stale runs: run %s: %w", r.ID, err)
		}
	}
	return runs, nil
}

// ResumeApplying finishes every run left in the applying phase: FinishRun
// had started to apply it and sweep, and stopped (crash, lost connection)
// before marking it complete. A run counts as left when it has made no
// progress for Config.ResumeAfter, so that a FinishRun still working in
// another process is not raced. Open calls it. It returns the runs it
// completed; when some cannot be finished it returns the others and an
// error naming them (they stay applying, and a later call retries).
func (s *Store) ResumeApplying(ctx context.Context) ([]graph.SyncRun, error) {
	cutoff := time.Now().UTC().Add(-max(s.cfg.ResumeAfter, 0)).UnixNano()
	ids, err := s.runIDs(ctx, `MATCH (r:SyncRun) WHERE r.status = $active AND r.phase = $applying
		AND r.updated <= $cutoff RETURN r.id AS id ORDER BY r.started, r.id`,
		map[string]any{"active": string(graph.RunActive), "applying": phaseApplying, "cutoff": cutoff})
	if err != nil {
		return nil, fmt.Errorf("resume applying runs: %w", err)
	}
	var done []graph.SyncRun
	var errs []error
	for _, id := range ids {
		s.log.Warn("resuming a sync run left applying", "run", id)
		r, err := s.FinishRun(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, *r)
	}
	if err := errors.Join(errs...); err != nil {
		return done, fmt.Errorf("resume applying runs: %w", err)
	}
	return done, nil
}
