package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/accessgraph/accessgraph/graph"
)

// FinishRun applies what the run staged and sweeps every element of the
// run's source that the run did not write, in one transaction: either all of
// it happens or none does.
func (s *Store) FinishRun(ctx context.Context, runID string) (*graph.SyncRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	st := s.stages[runID]
	s.mu.Unlock()
	var (
		out     *graph.SyncRun
		applied time.Time
	)
	start := time.Now()
	err := s.update(&applied, func(tx *bolt.Tx) error {
		r, err := activeRun(tx, runID)
		if err != nil {
			return err
		}
		if st == nil {
			return fmt.Errorf("sync run %s has no staging area (the store was reopened since it began): %w",
				runID, graph.ErrRunNotActive)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.closed {
			return fmt.Errorf("sync run %s: %w", runID, graph.ErrRunNotActive)
		}
		a := newApplier(tx, r, st.srcNo)
		if err := a.apply(ctx, st); err != nil {
			return err
		}
		r.Stats.Drift = a.drift()
		r.Status, r.Finished = graph.RunComplete, time.Now().UTC()
		out = r
		// Every element of the source now carries this run (see codec.go).
		v := binary.AppendUvarint(nil, st.srcNo)
		if err := tx.Bucket(bSrcs).Put([]byte(r.Source), append(v, r.ID...)); err != nil {
			return err
		}
		return putRun(tx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	s.dropStage(runID)
	s.log.Info("sync run complete", "run", out.ID, "source", out.Source,
		"nodes", out.Stats.NodesUpserted, "edges", out.Stats.EdgesUpserted,
		"nodes_swept", out.Stats.NodesSwept, "edges_swept", out.Stats.EdgesSwept,
		"apply", applied.Sub(start).Round(time.Millisecond), "commit", time.Since(applied).Round(time.Millisecond))
	return out, nil
}

// update is bolt's Update, noting in applied when fn returned (the rest is
// the commit: writing pages and fsync).
func (s *Store) update(applied *time.Time, fn func(tx *bolt.Tx) error) error {
	tx, err := s.db.Begin(true)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	*applied = time.Now()
	return tx.Commit()
}

// applier carries the state of one FinishRun transaction.
type applier struct {
	tx    *bolt.Tx
	run   *graph.SyncRun
	src   uint64
	nodes *bolt.Bucket
	fwd   *bolt.Bucket
	idxes *bolt.Bucket // idx
	idx   *bolt.Bucket // idx/<run source>
	meta  *bolt.Bucket

	nodeDelta, edgeDelta int64
	counts               graph.Drift // counts only; samples below
	added, changed       sampler
	removed              sampler
	froms                fromSet // From IDs the run wrote edges of
	lists, newFroms      []rec   // puts deferred to go in key order
	staleNodes           [][]byte
	oldList              []entry
	fwdRead              seeker
	scratch              []byte
	// mem holds the keys and values put in the transaction, which bbolt
	// keeps until the commit: one block per MiB rather than one each.
	mem bump
}

// bump hands out byte slices carved from large blocks, so that what a
// transaction puts costs one allocation per MiB rather than one per key and
// value. A block is never reused: a slice stays valid while referenced.
type bump struct{ block []byte }

// bumpBlock is the size of a bump block.
const bumpBlock = 1 << 20

// take reserves n bytes and returns them as an empty slice of capacity n
// (appending past n moves the slice out of the block, which is only waste).
func (m *bump) take(n int) []byte {
	if n > bumpBlock/4 {
		return make([]byte, 0, n)
	}
	if cap(m.block)-len(m.block) < n {
		m.block = make([]byte, 0, bumpBlock)
	}
	l := len(m.block)
	m.block = m.block[:l+n]
	return m.block[l : l : l+n]
}

// clone copies b into the bump's memory.
func (m *bump) clone(b []byte) []byte { return append(m.take(len(b)), b...) }

// idxKey is idxKey in the bump's memory.
func (m *bump) idxKey(kind byte, id []byte) []byte {
	return append(append(m.take(len(id)+2), kind, 0), id...)
}

func newApplier(tx *bolt.Tx, r *graph.SyncRun, src uint64) *applier {
	return &applier{tx: tx, run: r, src: src, nodes: tx.Bucket(bNodes), fwd: tx.Bucket(bFwd),
		idxes: tx.Bucket(bIdx), meta: tx.Bucket(bMeta)}
}

func srcKey(no uint64) []byte { return binary.BigEndian.AppendUint64(nil, no) }

func idxKey(kind byte, id []byte) []byte {
	k := make([]byte, 0, len(id)+2)
	k = append(k, kind, 0)
	return append(k, id...)
}

func (a *applier) apply(ctx context.Context, st *stage) error {
	var err error
	if a.idx, err = a.idxes.CreateBucketIfNotExists(srcKey(a.src)); err != nil {
		return err
	}
	for _, b := range []*bolt.Bucket{a.idx, a.fwd, a.nodes} {
		b.FillPercent = 0.9
	}
	if err := a.findStaleNodes(st); err != nil {
		return err
	}
	if err := a.applyEdges(st); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := a.applyNodes(st); err != nil {
		return err
	}
	if err := a.sweepFroms(); err != nil {
		return err
	}
	if err := a.sweepNodes(); err != nil {
		return err
	}
	if err := addCount(a.meta, keyNodeCount, a.nodeDelta); err != nil {
		return err
	}
	return addCount(a.meta, keyEdgeCount, a.edgeDelta)
}

// findStaleNodes lists the nodes of the source that the run did not write:
// staged node IDs and the source's index are both in key order.
func (a *applier) findStaleNodes(st *stage) error {
	m, err := st.nodes.reader()
	if err != nil {
		return err
	}
	key, _, ok, err := m.next()
	if err != nil {
		return err
	}
	prefix := []byte{'n', 0}
	c := a.idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := k[2:]
		for ok && bytes.Compare(key, id) < 0 {
			if key, _, ok, err = m.next(); err != nil {
				return err
			}
		}
		if ok && bytes.Equal(key, id) {
			continue
		}
		a.staleNodes = append(a.staleNodes, bytes.Clone(id))
	}
	return nil
}

func (a *applier) applyNodes(st *stage) error {
	m, err := st.nodes.reader()
	if err != nil {
		return err
	}
	read := seeker{c: a.nodes.Cursor()}
	puts, idxPuts := make([]rec, 0, st.nodes.n), make([]rec, 0, st.nodes.n)
	for {
		id, v, ok, err := m.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		_, stub, err := nodeHead(v)
		if err != nil {
			return fmt.Errorf("decode staged node %q: %w", id, err)
		}
		old := read.get(id)
		if old == nil {
			a.counts.NodesAdded++
			a.added.offer(a.key('n', id), id)
			a.nodeDelta++
			idxPuts = append(idxPuts, rec{key: a.mem.idxKey('n', id)})
		} else {
			oldSrc, oldStub, err := nodeHead(old)
			if err != nil {
				return fmt.Errorf("decode node %q: %w", id, err)
			}
			// A stub never replaces a node its owner reported.
			if oldSrc != a.src && stub && !oldStub {
				continue
			}
			if bytes.Equal(old, v) {
				a.run.Stats.NodesUpserted++
				continue
			}
			a.counts.NodesChanged++
			a.changed.offer(a.key('n', id), id)
			if oldSrc != a.src {
				if err := a.disown(oldSrc, 'n', id); err != nil {
					return err
				}
				idxPuts = append(idxPuts, rec{key: a.mem.idxKey('n', id)})
			}
		}
		puts = append(puts, rec{key: a.mem.clone(id), val: a.mem.clone(v)})
		a.run.Stats.NodesUpserted++
	}
	// The reads are done: write in key order.
	if err := putSorted(a.nodes, puts); err != nil {
		return err
	}
	return putSorted(a.idx, idxPuts)
}

// key builds a sample ordering key in a scratch buffer: a kind byte, 0, id.
func (a *applier) key(kind byte, id []byte) []byte {
	a.scratch = append(append(a.scratch[:0], kind, 0), id...)
	return a.scratch
}

// disown removes an element from another source's index when this run takes
// it over.
func (a *applier) disown(src uint64, kind byte, id []byte) error {
	b := a.idxes.Bucket(srcKey(src))
	if b == nil {
		return nil
	}
	return b.Delete(idxKey(kind, id))
}

// stEntry is one staged edge of the From being applied.
type stEntry struct {
	kind graph.EdgeKind
	to   []byte
	body []byte
}

// edgeGroups yields the staged edges grouped by From, each group sorted by
// edge ID.
type edgeGroups struct {
	m     *merger
	mem   []memEdge // when the edges were sorted in memory
	pos   int
	from  []byte
	group []stEntry
	arena []byte
	// pending is the first record of the next group.
	pendFrom, pendTo, pendBody []byte
	pendKind                   graph.EdgeKind
	pending, done              bool
	spans                      [][2]int
	// ownTo and ownBody hold the pending record's bytes when they are
	// copied (pendTo and pendBody may point into the reader's buffers).
	ownTo, ownBody []byte
}

type memEdge struct {
	from, to, body []byte
	kind           graph.EdgeKind
}

func splitStagedEdge(key, val []byte) (from []byte, kind graph.EdgeKind, to, body []byte, err error) {
	d := dec{b: val}
	fl := d.uvarint()
	k := d.byte1()
	if d.err != nil || fl > uint64(len(key)) {
		return nil, 0, nil, nil, errCorrupt
	}
	kind = graph.EdgeKind(k)
	from = key[:fl]
	toStart := int(fl) + 1 + len(kind.String()) + 1
	if toStart > len(key) {
		return nil, 0, nil, nil, errCorrupt
	}
	return from, kind, key[toStart:], d.b, nil
}

func newEdgeGroups(st *stage) (*edgeGroups, error) {
	m, err := st.edges.reader()
	if err != nil {
		return nil, err
	}
	g := &edgeGroups{m: m}
	if !st.pipeFrom {
		return g, nil
	}
	// An ID with '|' can split a From's edges in ID order: sort by From.
	for {
		key, val, ok, err := m.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		from, kind, to, body, err := splitStagedEdge(key, val)
		if err != nil {
			return nil, fmt.Errorf("decode staged edge %q: %w", key, err)
		}
		g.mem = append(g.mem, memEdge{from: bytes.Clone(from), to: bytes.Clone(to), body: bytes.Clone(body), kind: kind})
	}
	slices.SortStableFunc(g.mem, func(x, y memEdge) int {
		if c := bytes.Compare(x.from, y.from); c != 0 {
			return c
		}
		return cmpEntry(x.kind, x.to, y.kind, y.to)
	})
	g.m = nil
	return g, nil
}

// read returns the next staged edge.
func (g *edgeGroups) read() (from []byte, kind graph.EdgeKind, to, body []byte, ok bool, err error) {
	if g.m == nil {
		if g.pos >= len(g.mem) {
			return nil, 0, nil, nil, false, nil
		}
		e := &g.mem[g.pos]
		g.pos++
		return e.from, e.kind, e.to, e.body, true, nil
	}
	key, val, ok, err := g.m.next()
	if err != nil || !ok {
		return nil, 0, nil, nil, false, err
	}
	from, kind, to, body, err = splitStagedEdge(key, val)
	if err != nil {
		return nil, 0, nil, nil, false, fmt.Errorf("decode staged edge %q: %w", key, err)
	}
	return from, kind, to, body, true, nil
}

// push copies one staged edge into the group's arena.
func (g *edgeGroups) push(kind graph.EdgeKind, to, body []byte) {
	s := len(g.arena)
	g.arena = append(g.arena, to...)
	g.arena = append(g.arena, body...)
	g.spans = append(g.spans, [2]int{s, len(to)})
	g.group = append(g.group, stEntry{kind: kind})
}

// next fills g.from and g.group with the next From's edges.
func (g *edgeGroups) next() (bool, error) {
	if g.done {
		return false, nil
	}
	g.group, g.arena, g.spans = g.group[:0], g.arena[:0], g.spans[:0]
	if !g.pending {
		from, kind, to, body, ok, err := g.read()
		if err != nil {
			return false, err
		}
		if !ok {
			g.done = true
			return false, nil
		}
		g.from = append(g.from[:0], from...)
		g.pendKind, g.pendTo, g.pendBody = kind, to, body
	} else {
		g.from = append(g.from[:0], g.pendFrom...)
	}
	// The group's slices must outlive the reader's buffers: copy them.
	g.push(g.pendKind, g.pendTo, g.pendBody)
	g.pending = false
	for {
		from, kind, to, body, ok, err := g.read()
		if err != nil {
			return false, err
		}
		if !ok {
			g.done = true
			break
		}
		if !bytes.Equal(from, g.from) {
			g.pendFrom = append(g.pendFrom[:0], from...)
			g.pendKind = kind
			g.ownTo = append(g.ownTo[:0], to...)
			g.ownBody = append(g.ownBody[:0], body...)
			g.pendTo, g.pendBody = g.ownTo, g.ownBody
			g.pending = true
			break
		}
		g.push(kind, to, body)
	}
	for i, sp := range g.spans {
		end := len(g.arena)
		if i+1 < len(g.spans) {
			end = g.spans[i+1][0]
		}
		g.group[i].to = g.arena[sp[0] : sp[0]+sp[1]]
		g.group[i].body = g.arena[sp[0]+sp[1] : end]
	}
	return true, nil
}

func (a *applier) applyEdges(st *stage) error {
	g, err := newEdgeGroups(st)
	if err != nil {
		return err
	}
	a.fwdRead = seeker{c: a.fwd.Cursor()}
	for {
		ok, err := g.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := a.applyGroup(g.from, g.group); err != nil {
			return err
		}
	}
	if err := putSorted(a.fwd, a.lists); err != nil {
		return err
	}
	a.lists = nil
	if err := putSorted(a.idx, a.newFroms); err != nil {
		return err
	}
	a.newFroms = nil
	return nil
}

// seeker reads a bucket that is not written while it reads, at keys that
// mostly ascend: it steps the cursor forward a few times before it seeks.
type seeker struct {
	c    *bolt.Cursor
	k, v []byte
	init bool
}

func (s *seeker) get(key []byte) []byte {
	if s.init {
		for range 4 {
			if s.k == nil {
				break
			}
			c := bytes.Compare(s.k, key)
			if c == 0 {
				return s.v
			}
			if c > 0 {
				break // behind us: seek
			}
			s.k, s.v = s.c.Next()
		}
		if s.k != nil && bytes.Equal(s.k, key) {
			return s.v
		}
	}
	s.init = true
	s.k, s.v = s.c.Seek(key)
	if s.k != nil && bytes.Equal(s.k, key) {
		return s.v
	}
	return nil
}

// putSorted writes recs in key order: bbolt appends sorted keys to a page
// cheaply, and inserts anywhere else in a large transaction's node with a
// copy. Edge ID order is not From order ("u10|" < "u1|").
func putSorted(b *bolt.Bucket, recs []rec) error {
	slices.SortFunc(recs, func(x, y rec) int { return bytes.Compare(x.key, y.key) })
	for _, r := range recs {
		if err := b.Put(r.key, r.val); err != nil {
			return err
		}
	}
	return nil
}

// applyGroup merges the staged edges of one From into its stored list.
func (a *applier) applyGroup(from []byte, staged []stEntry) error {
	a.froms.add(from)
	a.run.Stats.EdgesUpserted += len(staged)
	old := a.fwdRead.get(from)
	var err error
	if a.oldList, err = parseList(old, a.oldList); err != nil {
		return fmt.Errorf("decode edges of %q: %w", from, err)
	}
	if same, hadOwn := a.sameGroup(staged); same {
		if !hadOwn {
			a.newFroms = append(a.newFroms, rec{key: a.mem.idxKey('f', from)})
		}
		return nil
	}
	var (
		out      []byte
		modified bool
		hadOwn   bool
		lost     []uint64 // other sources that lost an entry
	)
	size := len(old) // the merged list is at most the old and the staged entries
	for k := range staged {
		size += entrySize(len(staged[k].to), len(staged[k].body))
	}
	out = a.mem.take(size)
	i, j := 0, 0
	for i < len(a.oldList) || j < len(staged) {
		var c int
		switch {
		case i == len(a.oldList):
			c = 1
		case j == len(staged):
			c = -1
		default:
			c = cmpEntry(a.oldList[i].kind, a.oldList[i].to, staged[j].kind, staged[j].to)
		}
		switch {
		case c < 0: // stored, not staged
			o := &a.oldList[i]
			i++
			if o.src == a.src {
				hadOwn = true
				modified = true
				a.edgeRemoved(a.removedKey('0', nil, from, o.kind, o.to), from, o.kind, o.to)
				continue
			}
			out = appendEntry(out, o.kind, o.to, o.body)
		case c > 0: // new
			n := &staged[j]
			j++
			modified = true
			a.counts.EdgesAdded++
			a.edgeDelta++
			a.offerEdge(&a.added, from, n.kind, n.to)
			out = appendEntry(out, n.kind, n.to, n.body)
		default:
			o, n := &a.oldList[i], &staged[j]
			i, j = i+1, j+1
			if o.src == a.src {
				hadOwn = true
			}
			if !bytes.Equal(o.body, n.body) {
				modified = true
				a.counts.EdgesChanged++
				a.offerEdge(&a.changed, from, n.kind, n.to)
				if o.src != a.src {
					lost = append(lost, o.src)
				}
			}
			out = appendEntry(out, n.kind, n.to, n.body)
		}
	}
	if !hadOwn {
		a.newFroms = append(a.newFroms, rec{key: a.mem.idxKey('f', from)})
	}
	if !modified {
		return nil
	}
	a.lists = append(a.lists, rec{key: a.mem.clone(from), val: out})
	return a.disownLost(from, out, lost)
}

// sameGroup reports whether the staged edges of a From are exactly the
// source's entries of its stored list (a.oldList), byte for byte, and
// whether the source had any entry in it.
func (a *applier) sameGroup(staged []stEntry) (same, hadOwn bool) {
	j := 0
	for i := range a.oldList {
		o := &a.oldList[i]
		if o.src != a.src {
			// Another source's entry with a staged key is a takeover.
			if j < len(staged) && staged[j].kind == o.kind && bytes.Equal(staged[j].to, o.to) {
				return false, hadOwn
			}
			continue
		}
		hadOwn = true
		if j == len(staged) || staged[j].kind != o.kind || !bytes.Equal(staged[j].to, o.to) ||
			!bytes.Equal(staged[j].body, o.body) {
			return false, hadOwn
		}
		j++
	}
	return j == len(staged), hadOwn
}

// disownLost removes From from the index of each source in lost that has no
// entry left in list.
func (a *applier) disownLost(from, list []byte, lost []uint64) error {
	if len(lost) == 0 {
		return nil
	}
	var err error
	if a.oldList, err = parseList(list, a.oldList); err != nil {
		return err
	}
	for _, src := range lost {
		if !slices.ContainsFunc(a.oldList, func(e entry) bool { return e.src == src }) {
			if err := a.disown(src, 'f', from); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) offerEdge(s *sampler, from []byte, kind graph.EdgeKind, to []byte) {
	a.scratch = appendEdgeID(append(a.scratch[:0], 'e', 0), from, kind, to)
	s.offer(a.scratch, a.scratch[2:])
}

// removedKey orders removals as the sweep did before schema 2: the
// source's own stale edges first, then each swept node (in ID order)
// after the edges that went with it.
func (a *applier) removedKey(group byte, node []byte, from []byte, kind graph.EdgeKind, to []byte) []byte {
	b := append(a.scratch[:0], group, 0)
	if group == '1' {
		b = append(append(b, node...), 0, '0', 0)
	}
	a.scratch = appendEdgeID(b, from, kind, to)
	return a.scratch
}

func (a *applier) edgeRemoved(key []byte, from []byte, kind graph.EdgeKind, to []byte) {
	a.counts.EdgesRemoved++
	a.run.Stats.EdgesSwept++
	a.edgeDelta--
	idStart := len(key) - (len(from) + 1 + len(kind.String()) + 1 + len(to))
	a.removed.offer(key, key[idStart:])
}

// sweepFroms drops the source's edges from every From the run wrote no edge of.
func (a *applier) sweepFroms() error {
	prefix := []byte{'f', 0}
	var stale [][]byte
	froms := a.froms.sorted()
	c := a.idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		for len(froms) > 0 && bytes.Compare(froms[0], k[2:]) < 0 {
			froms = froms[1:]
		}
		if len(froms) == 0 || !bytes.Equal(froms[0], k[2:]) {
			stale = append(stale, bytes.Clone(k[2:]))
		}
	}
	for _, from := range stale {
		if err := a.idx.Delete(idxKey('f', from)); err != nil {
			return err
		}
		old := a.fwd.Get(from)
		var err error
		if a.oldList, err = parseList(old, a.oldList); err != nil {
			return fmt.Errorf("decode edges of %q: %w", from, err)
		}
		var out []byte
		for _, o := range a.oldList {
			if o.src == a.src {
				a.edgeRemoved(a.removedKey('0', nil, from, o.kind, o.to), from, o.kind, o.to)
				continue
			}
			out = appendEntry(out, o.kind, o.to, o.body)
		}
		if err := a.putList(from, out); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) putList(from, list []byte) error {
	if len(list) == 0 {
		return a.fwd.Delete(from)
	}
	return a.fwd.Put(from, list)
}

// sweepNodes deletes the source's nodes that the run did not write, with
// every edge (of any source) that touches one of them.
func (a *applier) sweepNodes() error {
	if len(a.staleNodes) == 0 {
		return nil
	}
	stale := make(map[string]struct{}, len(a.staleNodes))
	for _, id := range a.staleNodes {
		stale[string(id)] = struct{}{}
	}
	// Incoming edges: one pass over every list (there is no reverse index).
	type update struct{ from, list []byte }
	var updates []update
	err := a.fwd.ForEach(func(k, v []byte) error {
		if _, ok := stale[string(k)]; ok {
			return nil // goes with its node below
		}
		var err error
		if a.oldList, err = parseList(v, a.oldList); err != nil {
			return fmt.Errorf("decode edges of %q: %w", k, err)
		}
		if !slices.ContainsFunc(a.oldList, func(e entry) bool { _, ok := stale[string(e.to)]; return ok }) {
			return nil
		}
		var out []byte
		for _, o := range a.oldList {
			if _, ok := stale[string(o.to)]; ok {
				a.edgeRemoved(a.removedKey('1', o.to, k, o.kind, o.to), k, o.kind, o.to)
				continue
			}
			out = appendEntry(out, o.kind, o.to, o.body)
		}
		updates = append(updates, update{from: bytes.Clone(k), list: out})
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range updates {
		if err := a.putList(u.from, u.list); err != nil {
			return err
		}
		if err := a.dropEmptyIdx(u.from, u.list); err != nil {
			return err
		}
	}
	for _, id := range a.staleNodes {
		// Outgoing edges.
		if v := a.fwd.Get(id); v != nil {
			var err error
			if a.oldList, err = parseList(v, a.oldList); err != nil {
				return fmt.Errorf("decode edges of %q: %w", id, err)
			}
			srcs := map[uint64]bool{}
			for _, o := range a.oldList {
				node := id
				if _, ok := stale[string(o.to)]; ok && bytes.Compare(o.to, id) < 0 {
					node = o.to
				}
				a.edgeRemoved(a.removedKey('1', node, id, o.kind, o.to), id, o.kind, o.to)
				srcs[o.src] = true
			}
			for src := range srcs {
				if err := a.disown(src, 'f', id); err != nil {
					return err
				}
			}
			if err := a.fwd.Delete(id); err != nil {
				return err
			}
		}
		if err := a.nodes.Delete(id); err != nil {
			return err
		}
		if err := a.idx.Delete(idxKey('n', id)); err != nil {
			return err
		}
		a.counts.NodesRemoved++
		a.run.Stats.NodesSwept++
		a.nodeDelta--
		a.scratch = append(append(append(a.scratch[:0], '1', 0), id...), 0, '1')
		a.removed.offer(a.scratch, id)
	}
	return nil
}

// dropEmptyIdx removes From from the index of every source with no entry
// left in its list, after a sweep removed some.
func (a *applier) dropEmptyIdx(from, list []byte) error {
	var err error
	if a.oldList, err = parseList(list, a.oldList); err != nil {
		return err
	}
	return a.idxes.ForEachBucket(func(k []byte) error {
		src := binary.BigEndian.Uint64(k)
		if slices.ContainsFunc(a.oldList, func(e entry) bool { return e.src == src }) {
			return nil
		}
		return a.idxes.Bucket(k).Delete(idxKey('f', from))
	})
}

func (a *applier) drift() *graph.Drift {
	d := a.counts
	d.Added, d.Changed, d.Removed = a.added.ids(), a.changed.ids(), a.removed.ids()
	return &d
}

// sampler keeps the MaxDriftSamples IDs with the smallest ordering keys, so
// a drift lists the same samples whatever order FinishRun meets them in.
type sampler struct {
	keys [][]byte
	list []string
}

func (s *sampler) offer(key, id []byte) {
	n := len(s.keys)
	if n == graph.MaxDriftSamples && bytes.Compare(key, s.keys[n-1]) >= 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(s.keys, key, bytes.Compare)
	if n == graph.MaxDriftSamples {
		s.keys, s.list = s.keys[:n-1], s.list[:n-1]
	}
	s.keys = slices.Insert(s.keys, i, bytes.Clone(key))
	s.list = slices.Insert(s.list, i, string(id))
}

func (s *sampler) ids() []string { return s.list }

// fromSet collects IDs in one arena, without an allocation or a hash each.
type fromSet struct {
	arena []byte
	ends  []int
}

func (f *fromSet) add(id []byte) {
	f.arena = append(f.arena, id...)
	f.ends = append(f.ends, len(f.arena))
}

// sorted returns the IDs in order.
func (f *fromSet) sorted() [][]byte {
	out := make([][]byte, len(f.ends))
	start := 0
	for i, end := range f.ends {
		out[i] = f.arena[start:end:end]
		start = end
	}
	if !slices.IsSortedFunc(out, bytes.Compare) {
		slices.SortFunc(out, bytes.Compare)
	}
	return out
}
