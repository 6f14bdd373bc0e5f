package projection

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/accessgraph/accessgraph/graph"
)

// versions numbers snapshots process-wide so cursors can tell them apart.
var versions atomic.Uint64

// Snapshot is an immutable in-memory projection of the graph in compact
// arrays (compressed sparse rows in both directions). It is safe for
// concurrent use; nothing in it changes after Build returns.
type Snapshot struct {
	nodes []nodeRec // sorted by ID; a node's position is its dense id
	text  []byte    // node IDs and names, each a uvarint length and the bytes
	strs  []string  // interned subkinds, sources and sync run IDs

	// Out-edges in CSR form. An edge's dense id is its position in outTo.
	outOff []uint32
	outTo  []int32
	// In-edges in CSR form: inFrom[i] is the source of edge inEdge[i].
	inOff  []uint32
	inFrom []int32
	inEdge []uint32
	// Per-edge attributes, indexed by dense edge id.
	ekind []graph.EdgeKind
	epriv []graph.Privilege
	eattr []uint32 // index into attrs
	attrs []edgeAttrs

	pool  sync.Pool // of *workspace
	stats Stats
}

// nodeRec is a node in the snapshot, 24 bytes: its ID and name live in
// Snapshot.text (one copy when they are equal), the strings that repeat
// across nodes (subkind, source, sync run) are interned in Snapshot.strs.
// Props are not kept: the snapshot is for reach, and a node's props are one
// store read away (graph.Store.Node).
type nodeRec struct {
	id, name      uint32 // offsets into Snapshot.text
	sub, src, run uint32 // indices into Snapshot.strs
	Kind          graph.Kind
	Sensitivity   graph.Sensitivity
}

// textAt returns the string stored at off in text. The string shares text's
// memory, which nothing changes after the build.
func textAt(text []byte, off uint32) string {
	l, w := binary.Uvarint(text[off:])
	if l == 0 {
		return ""
	}
	return unsafe.String(&text[int(off)+w], int(l))
}

// appendText stores str at the end of text and returns its offset.
func appendText(text []byte, str string) ([]byte, uint32) {
	off := uint32(len(text))
	text = binary.AppendUvarint(text, uint64(len(str)))
	return append(text, str...), off
}

// edgeAttrs is the interned, rarely-read part of an edge.
type edgeAttrs struct {
	actions, conditions, via []string
}

// Stats describes a snapshot.
type Stats struct {
	Nodes   int       `json:"nodes"`
	Edges   int       `json:"edges"`
	Version uint64    `json:"version"`
	BuiltAt time.Time `json:"builtAt"`
	// BuildTime is how long Build took.
	BuildTime time.Duration `json:"buildTime"`
	// DanglingEdges counts edges dropped because an endpoint is missing.
	DanglingEdges int `json:"danglingEdges"`
	// DistinctAttrs is the number of interned attribute sets.
	DistinctAttrs int `json:"distinctAttrs"`
}

// Build streams the committed graph out of st into a new snapshot.
func Build(ctx context.Context, st graph.Store) (*Snapshot, error) {
	start := time.Now()
	b := newBuilder()
	err := st.Scan(ctx,
		func(n *graph.Node) error { b.addNode(*n); return nil },
		func(e *graph.Edge) error { b.addEdge(e); return nil })
	if err != nil {
		return nil, fmt.Errorf("build projection: %w", err)
	}
	if b.late > 0 {
		return nil, fmt.Errorf("build projection: the store scanned %d nodes after its first edge "+
			"(graph.Store.Scan must deliver every node first); this is a bug in the store", b.late)
	}
	s := b.finish()
	s.stats.BuildTime = time.Since(start)
	return s, nil
}

// FromElements builds a snapshot from nodes and edges held in memory. Edges
// whose endpoints are missing are dropped and counted in Stats.
func FromElements(nodes []graph.Node, edges []graph.Edge) *Snapshot {
	start := time.Now()
	b := newBuilder()
	for i := range nodes {
		b.addNode(nodes[i])
	}
	for i := range edges {
		b.addEdge(&edges[i])
	}
	s := b.finish()
	s.stats.BuildTime = time.Since(start)
	return s
}

type builder struct {
	nodes  []nodeRec
	text   []byte
	strs   []string
	strIdx map[string]uint32
	words  map[string]string // one copy of each action, condition and via string
	edges  []denseEdge
	// snap holds the sorted nodes and index, the first edge freezes them
	// (a store's Scan delivers every node before any edge).
	snap     *Snapshot
	index    map[string]int32
	late     int // nodes that came after the first edge
	attrs    []edgeAttrs
	attrIdx  map[string]uint32
	keyBuf   strings.Builder
	dangling int
}

func newBuilder() *builder {
	b := &builder{attrIdx: map[string]uint32{}, strIdx: map[string]uint32{}, words: map[string]string{}}
	b.intern(nil, nil, nil) // attr 0: empty
	b.str("")               // string 0: empty
	return b
}

// str interns s in the snapshot's string table.
func (b *builder) str(s string) uint32 {
	if i, ok := b.strIdx[s]; ok {
		return i
	}
	i := uint32(len(b.strs))
	s = strings.Clone(s)
	b.strs = append(b.strs, s)
	b.strIdx[s] = i
	return i
}

func (b *builder) addNode(n graph.Node) {
	if b.snap != nil {
		b.late++
		return
	}
	r := nodeRec{sub: b.str(n.Subkind), src: b.str(n.Source), run: b.str(n.SyncRun),
		Kind: n.Kind, Sensitivity: n.Sensitivity}
	b.text, r.id = appendText(b.text, n.ID)
	r.name = r.id
	if n.Name != n.ID {
		b.text, r.name = appendText(b.text, n.Name)
	}
	b.nodes = append(b.nodes, r)
}

// share returns one shared copy of each string in in.
func (b *builder) share(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, w := range in {
		c, ok := b.words[w]
		if !ok {
			c = strings.Clone(w)
			b.words[c] = c
		}
		out[i] = c
	}
	return out
}

func (b *builder) addEdge(e *graph.Edge) {
	if b.snap == nil {
		b.freeze()
	}
	f, okf := b.index[e.From]
	t, okt := b.index[e.To]
	if !okf || !okt {
		b.dangling++
		return
	}
	b.edges = append(b.edges, denseEdge{from: f, to: t, kind: e.Kind, priv: e.Privilege,
		attr: b.intern(e.Actions, e.Conditions, e.Via)})
}

// freeze sorts the nodes into their final order and indexes their IDs, so
// edges are held as dense ids (8 bytes) rather than two strings each.
func (b *builder) freeze() {
	// Copies at their exact length: append's spare capacity would otherwise
	// stay with the snapshot for its whole life.
	s := &Snapshot{text: slices.Clone(b.text), strs: slices.Clone(b.strs)}
	id := func(n nodeRec) string { return textAt(s.text, n.id) }
	slices.SortStableFunc(b.nodes, func(x, y nodeRec) int { return strings.Compare(id(x), id(y)) })
	b.nodes = slices.CompactFunc(b.nodes, func(x, y nodeRec) bool { return id(x) == id(y) })
	s.nodes = slices.Clone(b.nodes)
	b.nodes, b.text, b.strs, b.strIdx = nil, nil, nil, nil
	// A map resolves edge endpoints faster than binary search while
	// building; the snapshot keeps no map (it would cost more than the node
	// records themselves).
	b.index = make(map[string]int32, len(s.nodes))
	for i := range s.nodes {
		b.index[s.id(int32(i))] = int32(i)
	}
	b.snap = s
}

func (b *builder) intern(actions, conditions, via []string) uint32 {
	if len(actions)+len(conditions)+len(via) == 0 && len(b.attrs) > 0 {
		return 0
	}
	b.keyBuf.Reset()
	for _, part := range [][]string{actions, conditions, via} {
		for _, s := range part {
			b.keyBuf.WriteString(s)
			b.keyBuf.WriteByte(0)
		}
		b.keyBuf.WriteByte(1)
	}
	key := b.keyBuf.String()
	if i, ok := b.attrIdx[key]; ok {
		return i
	}
	i := uint32(len(b.attrs))
	b.attrs = append(b.attrs, edgeAttrs{
		actions: b.share(actions), conditions: b.share(conditions), via: b.share(via),
	})
	b.attrIdx[key] = i
	return i
}

type denseEdge struct {
	from, to int32
	kind     graph.EdgeKind
	priv     graph.Privilege
	attr     uint32
}

func (b *builder) finish() *Snapshot {
	if b.snap == nil {
		b.freeze()
	}
	s := b.snap
	s.attrs = slices.Clone(b.attrs)
	b.attrs, b.words, b.attrIdx, b.index = nil, nil, nil, nil
	dense := b.edges
	b.edges = nil
	slices.SortFunc(dense, func(x, y denseEdge) int {
		if x.from != y.from {
			return int(x.from - y.from)
		}
		if x.kind != y.kind {
			return int(x.kind) - int(y.kind)
		}
		return int(x.to - y.to)
	})
	// The same (from, kind, to) twice can only come from FromElements: keep
	// one edge with the higher privilege, as graph.Edge.Merge would.
	out := dense[:0]
	for _, e := range dense {
		if k := len(out) - 1; k >= 0 && out[k].from == e.from && out[k].kind == e.kind &&
			out[k].to == e.to {
			out[k].priv = max(out[k].priv, e.priv)
			continue
		}
		out = append(out, e)
	}
	dense = out
	s.buildCSR(dense)
	s.stats = Stats{
		Nodes: len(s.nodes), Edges: len(dense), Version: versions.Add(1), BuiltAt: time.Now(),
		DanglingEdges: b.dangling, DistinctAttrs: len(s.attrs),
	}
	s.pool.New = func() any { return newWorkspace(len(s.nodes)) }
	return s
}

func (s *Snapshot) buildCSR(dense []denseEdge) {
	n, m := len(s.nodes), len(dense)
	s.outOff = make([]uint32, n+1)
	s.outTo = make([]int32, m)
	s.ekind = make([]graph.EdgeKind, m)
	s.epriv = make([]graph.Privilege, m)
	s.eattr = make([]uint32, m)
	s.inOff = make([]uint32, n+1)
	for i, e := range dense {
		s.outOff[e.from+1]++
		s.inOff[e.to+1]++
		s.outTo[i] = e.to
		s.ekind[i] = e.kind
		s.epriv[i] = e.priv
		s.eattr[i] = e.attr
	}
	for i := 0; i < n; i++ {
		s.outOff[i+1] += s.outOff[i]
		s.inOff[i+1] += s.inOff[i]
	}
	s.inFrom = make([]int32, m)
	s.inEdge = make([]uint32, m)
	fill := slices.Clone(s.inOff[:n])
	for i, e := range dense {
		p := fill[e.to]
		s.inFrom[p] = e.from
		s.inEdge[p] = uint32(i)
		fill[e.to]++
	}
}

// Stats returns the snapshot's size and version.
func (s *Snapshot) Stats() Stats { return s.stats }

// MemoryBytes estimates the bytes held by the edge arrays of the snapshot
// (the part that grows with edges), excluding node records and interned
// attribute sets. The bench command measures the whole snapshot's heap.
func (s *Snapshot) MemoryBytes() int {
	m := len(s.outTo)
	return 4*2*(len(s.nodes)+1) + m*(4+4+4+1+1+4)
}

// find returns the dense id of the node with id: the nodes are sorted by ID,
// so a binary search replaces a map from ID (which would cost more than the
// node records themselves).
func (s *Snapshot) find(id string) (int32, bool) {
	i, ok := slices.BinarySearchFunc(s.nodes, id, func(n nodeRec, id string) int {
		return strings.Compare(textAt(s.text, n.id), id)
	})
	return int32(i), ok
}

// id returns the ID of node i.
func (s *Snapshot) id(i int32) string { return textAt(s.text, s.nodes[i].id) }

// Node returns a reference to the node with id.
func (s *Snapshot) Node(id string) (NodeRef, bool) {
	i, ok := s.find(id)
	if !ok {
		return NodeRef{}, false
	}
	return s.ref(i), true
}

// SyncRun returns the sync run that last wrote the node with id.
func (s *Snapshot) SyncRun(id string) (string, bool) {
	i, ok := s.find(id)
	if !ok {
		return "", false
	}
	return s.strs[s.nodes[i].run], true
}

func (s *Snapshot) ref(i int32) NodeRef {
	n := &s.nodes[i]
	return NodeRef{ID: textAt(s.text, n.id), Kind: n.Kind, Subkind: s.strs[n.sub], Name: textAt(s.text, n.name),
		Source: s.strs[n.src], Sensitivity: n.Sensitivity}
}

func (s *Snapshot) lookup(id, what string) (int32, error) {
	i, ok := s.find(id)
	if !ok {
		return 0, fmt.Errorf("%s %q: %w", what, id, graph.ErrNotFound)
	}
	return i, nil
}

// Search returns up to limit nodes whose ID or name contains text
// (case-insensitive), of the given kinds (all if empty). Exact ID or name
// matches come first, then the rest ordered by name and ID.
func (s *Snapshot) Search(text string, kinds []graph.Kind, limit int) []NodeRef {
	q := strings.ToLower(strings.TrimSpace(text))
	var exact, partial []NodeRef
	for i := range s.nodes {
		n := &s.nodes[i]
		if len(kinds) > 0 && !slices.Contains(kinds, n.Kind) {
			continue
		}
		id, name := strings.ToLower(textAt(s.text, n.id)), strings.ToLower(textAt(s.text, n.name))
		switch {
		case q == "" || id == q || name == q:
			exact = append(exact, s.ref(int32(i)))
		case strings.Contains(id, q) || strings.Contains(name, q):
			partial = append(partial, s.ref(int32(i)))
		}
	}
	byName := func(a, b NodeRef) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortFunc(exact, byName)
	slices.SortFunc(partial, byName)
	out := append(exact, partial...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Holder publishes the current snapshot; readers never block writers.
type Holder struct{ p atomic.Pointer[Snapshot] }

// Load returns the current snapshot (nil before the first Store).
func (h *Holder) Load() *Snapshot { return h.p.Load() }

// Store publishes s.
func (h *Holder) Store(s *Snapshot) { h.p.Store(s) }

// HeapBytes counts the bytes the snapshot holds: node records, the ID and
// name text, interned strings, the edge arrays and the interned attribute
// sets (each distinct string once). Per-query workspaces, which a query
// borrows from a pool (about 50 bytes per node each), are not included.
func (s *Snapshot) HeapBytes() int {
	n := cap(s.nodes)*int(unsafe.Sizeof(nodeRec{})) + cap(s.text)
	n += cap(s.strs) * int(unsafe.Sizeof(""))
	for _, x := range s.strs {
		n += len(x)
	}
	n += 4 * (cap(s.outOff) + cap(s.inOff) + cap(s.outTo) + cap(s.inFrom) + cap(s.inEdge) + cap(s.eattr))
	n += cap(s.ekind) + cap(s.epriv)
	n += cap(s.attrs) * int(unsafe.Sizeof(edgeAttrs{}))
	seen := map[string]bool{}
	for _, a := range s.attrs {
		for _, part := range [][]string{a.actions, a.conditions, a.via} {
			n += cap(part) * int(unsafe.Sizeof(""))
			for _, x := range part {
				if !seen[x] {
					seen[x] = true
					n += len(x)
				}
			}
		}
	}
	return n
}
