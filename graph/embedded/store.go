package embedded

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/accessgraph/accessgraph/graph"
)

// FileName is the database file inside the store's directory.
const FileName = "accessgraph.db"

// schemaVersion is bumped when the on-disk layout changes. Version 1 held
// JSON values and one key per edge; version 2 holds binary values and one
// edge list per From node (see codec.go).
const schemaVersion = "2"

var (
	bMeta  = []byte("meta")
	bRuns  = []byte("runs")
	bSrcs  = []byte("srcs")  // source name -> uvarint number, latest complete run ID
	bNodes = []byte("nodes") // node ID -> node value
	bFwd   = []byte("fwd")   // From node ID -> edge list
	bIdx   = []byte("idx")   // nested per source number: "n\x00"+node ID | "f\x00"+From ID -> nil
)

var (
	keySchema    = []byte("schema")
	keyNodeCount = []byte("nodes")
	keyEdgeCount = []byte("edges")
)

// initialMmap is the address space mapped for the database up front (the
// file still grows only as data is written). When a commit outgrows the
// mapping, bbolt copies every node of the transaction out of the old
// mapping before it remaps; a large run would spend seconds there.
const initialMmap = 8 << 30 * (strconv.IntSize / 64)

// Store is a graph.Store on bbolt. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB // the committed graph and the runs; every commit is fsynced
	dir string
	log *slog.Logger

	mu     sync.Mutex
	stages map[string]*stage // what active runs staged, by run ID
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
		FreelistType: bolt.FreelistMapType, InitialMmapSize: initialMmap})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: another accessgraph process holds it "+
			"(stop it, or point --store at another folder)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, dir: dir, log: opt.Logger, stages: map[string]*stage{}}
	// We hold the lock: spill files left behind belong to a dead process.
	if err := removeSpills(dir); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: clear staging: %w", path, err)
	}
	if err := s.init(); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		switch v := meta.Get(keySchema); {
		case v == nil:
			if tx.Bucket([]byte("edges")) != nil {
				return errors.New("store has no schema version; it was not written by accessgraph")
			}
			if err := meta.Put(keySchema, []byte(schemaVersion)); err != nil {
				return err
			}
		case string(v) == "1":
			return fmt.Errorf("store schema version 1 (JSON, one key per edge) was replaced by version %s "+
				"(binary edge lists); this build cannot read it: move the folder aside (or delete it) and "+
				"ingest the sources again", schemaVersion)
		case string(v) != schemaVersion:
			return fmt.Errorf("store schema version %s, this build reads %s", v, schemaVersion)
		}
		for _, b := range [][]byte{bRuns, bSrcs, bNodes, bFwd, bIdx} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
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

// Close closes the database and drops what active runs staged (they are
// abandoned on the next open).
func (s *Store) Close() error {
	s.mu.Lock()
	var errs []error
	for id, st := range s.stages {
		st.mu.Lock()
		errs = append(errs, st.drop())
		st.mu.Unlock()
		delete(s.stages, id)
	}
	s.mu.Unlock()
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
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

// sourceNo returns the number of source, numbering it if it is new.
func sourceNo(tx *bolt.Tx, source string) (uint64, error) {
	b := tx.Bucket(bSrcs)
	if v := b.Get([]byte(source)); v != nil {
		d := dec{b: v}
		no := d.uvarint()
		if d.err != nil {
			return 0, fmt.Errorf("decode source %q: %w", source, d.err)
		}
		return no, nil
	}
	no, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	return no, b.Put([]byte(source), binary.AppendUvarint(nil, no))
}

// loadSources reads the source table.
func loadSources(tx *bolt.Tx) (*srcTable, error) {
	t := &srcTable{}
	err := tx.Bucket(bSrcs).ForEach(func(k, v []byte) error {
		d := dec{b: v}
		no := d.uvarint()
		if d.err != nil || no > 1<<24 {
			return fmt.Errorf("decode source %q: %w", k, errCorrupt)
		}
		for uint64(len(t.names)) <= no {
			t.names = append(t.names, "")
			t.runs = append(t.runs, "")
		}
		t.names[no], t.runs[no] = string(k), string(d.b)
		return nil
	})
	return t, err
}

// BeginRun starts a sync run for source.
func (s *Store) BeginRun(ctx context.Context, source string) (*graph.SyncRun, error) {
	if source == "" {
		return nil, errors.New("begin run: empty source")
	}
	r := &graph.SyncRun{ID: newRunID(time.Now()), Source: source, Status: graph.RunActive,
		Started: time.Now().UTC()}
	var no uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if no, err = sourceNo(tx, source); err != nil {
			return err
		}
		return putRun(tx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("begin run for %s: %w", source, err)
	}
	st, err := newStage(s.dir, r.ID, source, no)
	if err != nil {
		return nil, fmt.Errorf("begin run for %s: %w", source, err)
	}
	s.mu.Lock()
	s.stages[r.ID] = st
	s.mu.Unlock()
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

// staged runs fn on the run's stage, locked, after checking that the run is
// active.
func (s *Store) staged(runID string, fn func(st *stage) error) error {
	if err := s.db.View(func(tx *bolt.Tx) error {
		_, err := activeRun(tx, runID)
		return err
	}); err != nil {
		return err
	}
	s.mu.Lock()
	st := s.stages[runID]
	s.mu.Unlock()
	if st == nil {
		return fmt.Errorf("sync run %s has no staging area (the store was reopened since it began): %w",
			runID, graph.ErrRunNotActive)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return fmt.Errorf("sync run %s: %w", runID, graph.ErrRunNotActive)
	}
	return fn(st)
}

// UpsertNodes stages nodes in the run.
func (s *Store) UpsertNodes(ctx context.Context, runID string, nodes []graph.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.staged(runID, func(st *stage) error {
		// The stage's buffers are reused call after call: the spill copies
		// the records out.
		recs, arena := st.recs[:0], st.arena[:0]
		for i := range nodes {
			n := &nodes[i]
			if err := n.Validate(); err != nil {
				return fmt.Errorf("upsert nodes: %w", err)
			}
			if n.Source != st.source {
				return fmt.Errorf("upsert node %q: source %q differs from the run's %q", n.ID, n.Source, st.source)
			}
			start := len(arena)
			arena = append(arena, n.ID...)
			mid := len(arena)
			arena = appendNode(arena, n, st.srcNo)
			recs = append(recs, rec{key: arena[start:mid:mid], val: arena[mid:len(arena):len(arena)]})
		}
		fixArena(recs, arena)
		st.recs, st.arena = recs, arena
		return st.nodes.add(recs)
	})
}

// UpsertEdges stages edges in the run.
func (s *Store) UpsertEdges(ctx context.Context, runID string, edges []graph.Edge) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.staged(runID, func(st *stage) error {
		size := 0
		for i := range edges {
			e := &edges[i]
			size += 2*len(e.From) + 2*len(e.To) + 32
			for _, l := range [][]string{e.Actions, e.Conditions, e.Via} {
				for _, a := range l {
					size += len(a) + 2
				}
			}
		}
		recs, arena := st.recs[:0], slices.Grow(st.arena[:0], size)
		for i := range edges {
			e := &edges[i]
			if err := e.Validate(); err != nil {
				return fmt.Errorf("upsert edges: %w", err)
			}
			if e.Source != st.source {
				return fmt.Errorf("upsert edge %s: source %q differs from the run's %q", e.ID(), e.Source, st.source)
			}
			if strings.IndexByte(e.From, '|') >= 0 {
				st.pipeFrom = true
			}
			start := len(arena)
			arena = appendEdgeIDStr(arena, e.From, e.Kind, e.To)
			mid := len(arena)
			arena = binary.AppendUvarint(arena, uint64(len(e.From)))
			arena = append(arena, byte(e.Kind))
			arena = appendEdgeBody(arena, e, st.srcNo)
			recs = append(recs, rec{key: arena[start:mid:mid], val: arena[mid:len(arena):len(arena)]})
		}
		fixArena(recs, arena)
		st.recs, st.arena = recs, arena
		return st.edges.add(recs)
	})
}

// fixArena repoints recs into the final arena: appends may have moved it,
// leaving earlier records pointing into old copies (whose bytes are still
// right, but would keep them alive). It also keeps the records valid.
func fixArena(recs []rec, arena []byte) {
	off := 0
	for i := range recs {
		kl, vl := len(recs[i].key), len(recs[i].val)
		recs[i].key = arena[off : off+kl : off+kl]
		off += kl
		recs[i].val = arena[off : off+vl : off+vl]
		off += vl
	}
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
	s.dropStage(runID)
	return out, ctx.Err()
}

// dropStage deletes a run's staged writes. A failure only leaves a file
// that the next open deletes.
func (s *Store) dropStage(runID string) {
	s.mu.Lock()
	st := s.stages[runID]
	delete(s.stages, runID)
	s.mu.Unlock()
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.drop(); err != nil {
		s.log.Warn("drop staged writes", "run", runID, "err", err)
	}
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
		t, err := loadSources(tx)
		if err != nil {
			return err
		}
		out = &graph.Node{}
		if err := decodeNode(id, v, t, out); err != nil {
			return fmt.Errorf("decode node %q: %w", id, err)
		}
		return nil
	})
	return out, err
}

// Scan streams every committed node, then every committed edge.
func (s *Store) Scan(ctx context.Context, nodeFn func(*graph.Node) error, edgeFn func(*graph.Edge) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		t, err := loadSources(tx)
		if err != nil {
			return err
		}
		var n graph.Node
		err = tx.Bucket(bNodes).ForEach(func(k, v []byte) error {
			if err := decodeNode(string(k), v, t, &n); err != nil {
				return fmt.Errorf("decode node %q: %w", k, err)
			}
			return nodeFn(&n)
		})
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			e       graph.Edge
			entries []entry
		)
		return tx.Bucket(bFwd).ForEach(func(k, v []byte) error {
			var err error
			if entries, err = parseList(v, entries); err != nil {
				return fmt.Errorf("decode edges of %q: %w", k, err)
			}
			from := string(k)
			for i := range entries {
				if err := decodeEdge(from, &entries[i], t, &e); err != nil {
					return fmt.Errorf("decode edges of %q: %w", k, err)
				}
				if err := edgeFn(&e); err != nil {
					return err
				}
			}
			return ctx.Err()
		})
	})
}

// Counts returns the number of committed nodes and edges.
func (s *Store) Counts(ctx context.Context) (nodes, edges int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		nodes, edges = int(getCount(meta, keyNodeCount)), int(getCount(meta, keyEdgeCount))
		return nil
	})
	return nodes, edges, err
}

func getCount(meta *bolt.Bucket, key []byte) int64 {
	v := meta.Get(key)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func addCount(meta *bolt.Bucket, key []byte, delta int64) error {
	if delta == 0 {
		return nil
	}
	return meta.Put(key, binary.BigEndian.AppendUint64(nil, uint64(getCount(meta, key)+delta)))
}
