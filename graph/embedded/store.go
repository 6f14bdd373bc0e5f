package embedded

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/accessgraph/accessgraph/graph"
)

// FileName is the database file inside the store's directory.
const FileName = "accessgraph.db"

// StagingFileName holds what active runs have staged.
const StagingFileName = "staging.db"

// schemaVersion is bumped when the on-disk layout changes.
const schemaVersion = "1"

var (
	bMeta  = []byte("meta")
	bNodes = []byte("nodes")
	bEdges = []byte("edges")
	bAdj   = []byte("adj")   // nodeID \x00 edgeID -> nil
	bBySrc = []byte("bysrc") // nested per source: "n\x00id" | "e\x00id" -> runID
	bRuns  = []byte("runs")
)

// Store is a graph.Store on bbolt. It is safe for concurrent use.
type Store struct {
	db    *bolt.DB // the committed graph and the runs; every commit is fsynced
	stage *bolt.DB // what active runs staged; never fsynced (see openStaging)
	dir   string
	log   *slog.Logger
}

var _ graph.Store = (*Store)(nil)

// Options tunes Open.
type Options struct {
	// Logger receives lifecycle messages (default slog.Default()).
	Logger *slog.Logger
	// LockTimeout is how long to wait for another process to release the
	// store (default 2s).
	LockTimeout time.Duration
}

// Open opens (creating if needed) the store in directory dir. Runs left
// active by a process that died are marked abandoned and their staged writes
// dropped: they never look complete and nothing they wrote is visible.
func Open(dir string, opt Options) (*Store, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.LockTimeout == 0 {
		opt.LockTimeout = 2 * time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opt.LockTimeout, NoFreelistSync: true,
		FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: another accessgraph process holds it "+
			"(stop it, or point --store at another folder)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, dir: dir, log: opt.Logger}
	if s.stage, err = openStaging(dir); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.init(); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// openStaging creates a fresh staging database. Staged writes are
// disposable (a run whose process dies is abandoned, and a run only becomes
// visible when FinishRun applies it to the main database, which fsyncs), so
// the staging file skips fsync and starts empty on every open; that is what
// makes staging cheap.
func openStaging(dir string) (*bolt.DB, error) {
	path := filepath.Join(dir, StagingFileName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("clear staging: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open staging: %w", err)
	}
	db.NoSync = true
	return db, nil
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bNodes, bEdges, bAdj, bBySrc, bRuns} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		switch v := meta.Get([]byte("schema")); {
		case v == nil:
			if err := meta.Put([]byte("schema"), []byte(schemaVersion)); err != nil {
				return err
			}
		case string(v) != schemaVersion:
			return fmt.Errorf("store schema version %s, this build reads %s", v, schemaVersion)
		}
		return s.abandonActive(tx)
	})
}

// abandonActive marks runs left active by a dead process as abandoned.
func (s *Store) abandonActive(tx *bolt.Tx) error {
	runs := tx.Bucket(bRuns)
	var abandoned []graph.SyncRun
	err := runs.ForEach(func(k, v []byte) error {
		var r graph.SyncRun
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode run %s: %w", k, err)
		}
		if r.Status == graph.RunActive {
			abandoned = append(abandoned, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range abandoned {
		r.Status = graph.RunAbandoned
		r.Finished = time.Now().UTC()
		r.Error = "the process writing this run stopped before it finished; nothing it staged was applied"
		if err := putRun(tx, &r); err != nil {
			return err
		}
		s.log.Warn("sync run abandoned", "run", r.ID, "source", r.Source)
	}
	return nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.stage != nil {
		path := s.stage.Path()
		err = errors.Join(err, s.stage.Close(), os.Remove(path))
	}
	return err
}

func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(b[:])
}

func putRun(tx *bolt.Tx, r *graph.SyncRun) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bRuns).Put([]byte(r.ID), v)
}

func getRun(tx *bolt.Tx, id string) (*graph.SyncRun, error) {
	v := tx.Bucket(bRuns).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("sync run %q: %w", id, graph.ErrNotFound)
	}
	var r graph.SyncRun
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode sync run %q: %w", id, err)
	}
	return &r, nil
}

// BeginRun starts a sync run for source.
func (s *Store) BeginRun(ctx context.Context, source string) (*graph.SyncRun, error) {
	if source == "" {
		return nil, errors.New("begin run: empty source")
	}
	r := &graph.SyncRun{ID: newRunID(time.Now()), Source: source, Status: graph.RunActive,
		Started: time.Now().UTC()}
	err := s.stage.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte(r.ID))
		return err
	})
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error { return putRun(tx, r) })
	}
	if err != nil {
		return nil, fmt.Errorf("begin run for %s: %w", source, err)
	}
	return r, ctx.Err()
}

// activeRun loads runID from the main database and checks that it accepts
// writes.
func activeRun(tx *bolt.Tx, runID string) (*graph.SyncRun, error) {
	r, err := getRun(tx, runID)
	if err != nil {
		return nil, err
	}
	if r.Status != graph.RunActive {
		return nil, fmt.Errorf("sync run %s is %s: %w", runID, r.Status, graph.ErrRunNotActive)
	}
	return r, nil
}

// staged runs fn on the run's staging bucket in a staging write transaction,
// after checking that the run is active.
func (s *Store) staged(runID string, fn func(r *graph.SyncRun, st *bolt.Bucket) error) error {
	var r *graph.SyncRun
	if err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = activeRun(tx, runID)
		return err
	}); err != nil {
		return err
	}
	return s.stage.Update(func(tx *bolt.Tx) error {
		st := tx.Bucket([]byte(runID))
		if st == nil {
			return fmt.Errorf("sync run %s has no staging area (the store was reopened since it began): %w",
				runID, graph.ErrRunNotActive)
		}
		return fn(r, st)
	})
}

func stageKey(kind byte, id string) []byte {
	k := make([]byte, 0, len(id)+2)
	k = append(k, kind, 0)
	return append(k, id...)
}

// UpsertNodes stages nodes in the run.
func (s *Store) UpsertNodes(ctx context.Context, runID string, nodes []graph.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.staged(runID, func(r *graph.SyncRun, st *bolt.Bucket) error {
		for i := range nodes {
			n := nodes[i]
			if err := n.Validate(); err != nil {
				return fmt.Errorf("upsert nodes: %w", err)
			}
			if n.Source != r.Source {
				return fmt.Errorf("upsert node %q: source %q differs from the run's %q", n.ID, n.Source, r.Source)
			}
			n.SyncRun = runID
			v, err := json.Marshal(&n)
			if err != nil {
				return err
			}
			if err := st.Put(stageKey('n', n.ID), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpsertEdges stages edges in the run.
func (s *Store) UpsertEdges(ctx context.Context, runID string, edges []graph.Edge) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.staged(runID, func(r *graph.SyncRun, st *bolt.Bucket) error {
		for i := range edges {
			e := edges[i]
			if err := e.Validate(); err != nil {
				return fmt.Errorf("upsert edges: %w", err)
			}
			if e.Source != r.Source {
				return fmt.Errorf("upsert edge %s: source %q differs from the run's %q", e.ID(), e.Source, r.Source)
			}
			e.SyncRun = runID
			v, err := json.Marshal(&e)
			if err != nil {
				return err
			}
			if err := st.Put(stageKey('e', e.ID()), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// FailRun marks the run failed and drops what it staged.
func (s *Store) FailRun(ctx context.Context, runID string, cause error) (*graph.SyncRun, error) {
	var out *graph.SyncRun
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := getRun(tx, runID)
		if err != nil {
			return err
		}
		if r.Status != graph.RunActive {
			return fmt.Errorf("fail run %s: it is %s: %w", runID, r.Status, graph.ErrRunNotActive)
		}
		r.Status, r.Finished = graph.RunFailed, time.Now().UTC()
		if cause != nil {
			r.Error = cause.Error()
		}
		out = r
		return putRun(tx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("fail run: %w", err)
	}
	s.dropStaging(runID)
	return out, ctx.Err()
}

// Run returns one run by ID.
func (s *Store) Run(ctx context.Context, runID string) (*graph.SyncRun, error) {
	var out *graph.SyncRun
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := getRun(tx, runID)
		out = r
		return err
	})
	return out, err
}

// Runs returns the runs of source (all if empty), newest first.
func (s *Store) Runs(ctx context.Context, source string, limit int) ([]graph.SyncRun, error) {
	var out []graph.SyncRun
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRuns).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var r graph.SyncRun
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode run %s: %w", k, err)
			}
			if source != "" && r.Source != source {
				continue
			}
			out = append(out, r)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// Node returns one committed node.
func (s *Store) Node(ctx context.Context, id string) (*graph.Node, error) {
	var out *graph.Node
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bNodes).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("node %q: %w", id, graph.ErrNotFound)
		}
		out = &graph.Node{}
		return json.Unmarshal(v, out)
	})
	return out, err
}

// Scan streams every committed node, then every committed edge.
func (s *Store) Scan(ctx context.Context, nodeFn func(*graph.Node) error, edgeFn func(*graph.Edge) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		var n graph.Node
		err := tx.Bucket(bNodes).ForEach(func(k, v []byte) error {
			n = graph.Node{}
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("decode node %s: %w", k, err)
			}
			return nodeFn(&n)
		})
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var e graph.Edge
		return tx.Bucket(bEdges).ForEach(func(k, v []byte) error {
			e = graph.Edge{}
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode edge %s: %w", k, err)
			}
			return edgeFn(&e)
		})
	})
}

// Counts returns the number of committed nodes and edges.
func (s *Store) Counts(ctx context.Context) (nodes, edges int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		nodes = tx.Bucket(bNodes).Stats().KeyN
		edges = tx.Bucket(bEdges).Stats().KeyN
		return nil
	})
	return nodes, edges, err
}

func isStub(n *graph.Node) bool { return n.Props[graph.PropStub] == "true" }

func hasPrefix(k []byte, p []byte) bool { return bytes.HasPrefix(k, p) }

// dropStaging deletes a run's staging bucket. A failure only leaves garbage
// in the staging file, which is recreated on the next open.
func (s *Store) dropStaging(runID string) {
	err := s.stage.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(runID)) })
	if err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		s.log.Warn("drop staged writes", "run", runID, "err", err)
	}
}
