package embedded

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// stagePrefix starts the names of the spill files of active runs. They are
// never fsynced and are deleted on every open: staged writes are disposable
// (a run whose process dies is abandoned), and a run only becomes visible
// when FinishRun applies it to the main database in one fsynced transaction.
const stagePrefix = "staging-"

// stage holds what one active run wrote: its nodes and its edges, each an
// append-only spill file of sorted runs of records.
type stage struct {
	mu     sync.Mutex
	runID  string
	source string
	srcNo  uint64
	nodes  *spill
	edges  *spill
	// pipeFrom is set when an edge's From contains '|': edges of one From
	// may then not be contiguous in edge ID order, and FinishRun sorts them
	// by From in memory.
	pipeFrom bool
	closed   bool
	// recs and arena are the Upsert calls' buffers, reused call after call.
	recs  []rec
	arena []byte
}

func newStage(dir, runID, source string, srcNo uint64) (*stage, error) {
	st := &stage{runID: runID, source: source, srcNo: srcNo}
	var err error
	if st.nodes, err = newSpill(filepath.Join(dir, stagePrefix+runID+"-nodes.spill")); err != nil {
		return nil, err
	}
	if st.edges, err = newSpill(filepath.Join(dir, stagePrefix+runID+"-edges.spill")); err != nil {
		_ = st.nodes.remove()
		return nil, err
	}
	return st, nil
}

// drop deletes the stage's files.
func (st *stage) drop() error {
	st.closed = true
	st.recs, st.arena = nil, nil
	return errors.Join(st.nodes.remove(), st.edges.remove())
}

// removeSpills deletes spill files a previous process left behind.
func removeSpills(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if (strings.HasPrefix(n, stagePrefix) && strings.HasSuffix(n, ".spill")) || n == "staging.db" {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// span is one sorted run of records in a spill file.
type span struct{ start, end int64 }

// spill is an append-only file of records (uvarint key length, key, uvarint
// value length, value), grouped in sorted runs: a write whose keys all
// follow the previous write's extends its run, any other starts a new one.
// Its first spillMem bytes are held in memory (blocks of spillBlock bytes)
// and only the rest goes to the file: a run of a few hundred thousand
// elements then makes no write or read system calls for its staging.
type spill struct {
	path string
	f    *os.File
	w    *bufio.Writer
	off  int64
	runs []span
	last []byte
	n    int
	buf  []byte
	mem  [][]byte // the spill's bytes [0, memLen), full blocks but the last
	// memLen is how many of the spill's bytes are in mem; the file holds
	// the rest (spill offset memLen is file offset 0).
	memLen int64
}

// spillMem is how much of a spill is held in memory; spillBlock is the size
// of one of its blocks. Tests make them small to exercise the file.
var (
	spillMem   int64 = 128 << 20
	spillBlock       = 4 << 20
)

func newSpill(path string) (*spill, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create staging file: %w", err)
	}
	return &spill{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (s *spill) remove() error {
	s.mem = nil
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// rec is one staged record; key and val point into a batch's arena.
type rec struct{ key, val []byte }

// add appends recs (in any order; a later record with the same key wins)
// as sorted records.
func (s *spill) add(recs []rec) error {
	if len(recs) == 0 {
		return nil
	}
	if !slices.IsSortedFunc(recs, func(a, b rec) int { return bytes.Compare(a.key, b.key) }) {
		slices.SortStableFunc(recs, func(a, b rec) int { return bytes.Compare(a.key, b.key) })
	}
	// Keep the last of equal keys.
	out := recs[:0]
	for i := range recs {
		if i+1 < len(recs) && bytes.Equal(recs[i].key, recs[i+1].key) {
			continue
		}
		out = append(out, recs[i])
	}
	recs = out
	if len(s.runs) == 0 || bytes.Compare(recs[0].key, s.last) <= 0 {
		s.runs = append(s.runs, span{start: s.off, end: s.off})
	}
	for _, r := range recs {
		b := binary.AppendUvarint(s.buf[:0], uint64(len(r.key)))
		b = append(b, r.key...)
		b = binary.AppendUvarint(b, uint64(len(r.val)))
		b = append(b, r.val...)
		s.buf = b
		if err := s.write(b); err != nil {
			return err
		}
	}
	s.runs[len(s.runs)-1].end = s.off
	s.last = append(s.last[:0], recs[len(recs)-1].key...)
	s.n += len(recs)
	return nil
}

// write appends b to the spill: to memory while it has room, then to the file.
func (s *spill) write(b []byte) error {
	for len(b) > 0 && s.memLen < spillMem && s.memLen == s.off {
		if len(s.mem) == 0 || len(s.mem[len(s.mem)-1]) == spillBlock {
			s.mem = append(s.mem, make([]byte, 0, spillBlock))
		}
		last := &s.mem[len(s.mem)-1]
		n := int(min(int64(len(b)), int64(spillBlock-len(*last)), spillMem-s.memLen))
		*last = append(*last, b[:n]...)
		b = b[n:]
		s.memLen += int64(n)
		s.off += int64(n)
	}
	if len(b) == 0 {
		return nil
	}
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("write staging file: %w", err)
	}
	s.off += int64(len(b))
	return nil
}

// ReadAt reads the spill's bytes at off, from memory and then the file.
func (s *spill) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for len(p) > 0 && off < s.memLen {
		blk := s.mem[off/int64(spillBlock)]
		c := copy(p, blk[off%int64(spillBlock):]) // a block's length is what it holds
		p, off, n = p[c:], off+int64(c), n+c
	}
	if len(p) == 0 {
		return n, nil
	}
	m, err := s.f.ReadAt(p, off-s.memLen)
	return n + m, err
}

// reader returns a merged, de-duplicated reader over every record, in key
// order. The spill must not be written while it is read.
func (s *spill) reader() (*merger, error) {
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("flush staging file: %w", err)
	}
	m := &merger{}
	bufSize := 256 << 10
	if len(s.runs) > 16 {
		bufSize = max(16<<10, (4<<20)/len(s.runs))
	}
	for i, r := range s.runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(s, r.start, r.end-r.start), bufSize), seq: i}
		ok, err := rr.advance()
		if err != nil {
			return nil, err
		}
		if ok {
			m.h = append(m.h, rr)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

// runReader reads one sorted run.
type runReader struct {
	r        *bufio.Reader
	key, val []byte
	seq      int
}

func (r *runReader) advance() (bool, error) {
	kl, err := binary.ReadUvarint(r.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read staging file: %w", err)
	}
	r.key = slices.Grow(r.key[:0], int(kl))[:kl]
	if _, err := io.ReadFull(r.r, r.key); err != nil {
		return false, fmt.Errorf("read staging file: %w", err)
	}
	vl, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, fmt.Errorf("read staging file: %w", err)
	}
	r.val = slices.Grow(r.val[:0], int(vl))[:vl]
	if _, err := io.ReadFull(r.r, r.val); err != nil {
		return false, fmt.Errorf("read staging file: %w", err)
	}
	return true, nil
}

type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].seq > h[j].seq // the later write first
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merger yields the records of every run in key order; of equal keys, the
// one written last.
type merger struct {
	h        runHeap
	key, val []byte
}

// next returns the next record; its slices are valid until the next call.
func (m *merger) next() (key, val []byte, ok bool, err error) {
	if len(m.h) == 0 {
		return nil, nil, false, nil
	}
	top := m.h[0]
	m.key = append(m.key[:0], top.key...)
	m.val = append(m.val[:0], top.val...)
	for len(m.h) > 0 && bytes.Equal(m.h[0].key, m.key) {
		r := m.h[0]
		more, err := r.advance()
		if err != nil {
			return nil, nil, false, err
		}
		if more {
			heap.Fix(&m.h, 0)
		} else {
			heap.Pop(&m.h)
		}
	}
	return m.key, m.val, true, nil
}
