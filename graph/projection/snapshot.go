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

// versions numbers snapshots so cursors can tell them apart, across
// processes too: the count starts at the process's start time in
// microseconds (about 1.8e15, within the 2^53 a JavaScript client reads
// exactly), so a cursor kept from a server that has since restarted on a
// re-ingested store names a version no later snapshot has.
var versions = func() *atomic.Uint64 {
	v := new(atomic.Uint64)
	v.Store(uint64(time.Now().UnixMicro()))
	return v
}()

// Snapshot is an immutable in-memory projection of the graph in compact
// arrays (compressed sparse rows in both directions). It is safe for
// concurrent use; nothing in it changes after Build returns.
type Snapshot struct {
	// Nodes, by dense id (their position in ID order).
	ids     idTable // node IDs, sorted and front-coded
	names   []byte  // node names that are not a suffix of their ID: uvarint length and bytes
	nameRef []uint32
	class   packed      // index into classes, per node
	classes []nodeClass // distinct (kind, sensitivity, subkind, source, sync run)
	strs    []string    // interned subkinds, sources and sync run IDs

	// Out-edges in CSR form. An edge's dense id is its position in outTo.
	outOff []uint32
	outTo  []int32
	// In-edges in CSR form: inFrom[i] is the source of edge inEdge[i].
	inOff  []uint32
	inFrom []int32
	inEdge []uint32
	// Per-edge attributes, indexed by dense edge id: the kind, and an index
	// into the distinct (privilege, attribute set) pairs.
	ekind  []graph.EdgeKind
	egrant packed
	gpriv  []graph.Privilege
	gattr  []uint32 // index into the attribute sets
	// Attribute set i is words[attrOff[3i]:attrOff[3i+1]] (actions), then
	// conditions up to attrOff[3i+2], then via up to attrOff[3i+3].
	words   []string
	attrOff []uint32

	pool  sync.Pool // of *workspace
	stats Stats
}

// nameSuffix marks a nameRef that is not an offset into Snapshot.names but
// the byte offset in the node's ID where its name starts: names such as
// "team-docs" for "arn:aws:iam::123456789012:group/team-docs", or the ID
// itself, cost nothing.
const nameSuffix = 1 << 31

// nodeClass is what many nodes share: kind, sensitivity, and the strings
// that repeat across nodes (subkind, source, sync run), interned in
// Snapshot.strs. Props are not kept: the snapshot is for reach, and a node's
// props are one store read away (graph.Store.Node).
type nodeClass struct {
	sub, src, run uint32 // indices into Snapshot.strs
	kind          graph.Kind
	sens          graph.Sensitivity
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
	nodes    []tmpNode
	text     []byte // IDs and names while building
	strs     []string
	strIdx   map[string]uint32
	classes  []nodeClass
	classIdx map[nodeClass]uint32
	words    map[string]string // one copy of each action, condition and via string
	edges    []denseEdge
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

// tmpNode is a node while building: its ID and name in builder.text.
type tmpNode struct {
	id, name, class uint32
}

func newBuilder() *builder {
	b := &builder{attrIdx: map[string]uint32{}, strIdx: map[string]uint32{}, words: map[string]string{},
		classIdx: map[nodeClass]uint32{}}
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
	c := nodeClass{sub: b.str(n.Subkind), src: b.str(n.Source), run: b.str(n.SyncRun),
		kind: n.Kind, sens: n.Sensitivity}
	ci, ok := b.classIdx[c]
	if !ok {
		ci = uint32(len(b.classes))
		b.classes = append(b.classes, c)
		b.classIdx[c] = ci
	}
	r := tmpNode{class: ci}
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

// freeze sorts the nodes into their final order, encodes them, and indexes
// their IDs, so edges are held as dense ids (8 bytes) rather than two
// strings each.
func (b *builder) freeze() {
	text := b.text
	id := func(n tmpNode) string { return textAt(text, n.id) }
	slices.SortStableFunc(b.nodes, func(x, y tmpNode) int { return strings.Compare(id(x), id(y)) })
	nodes := slices.CompactFunc(b.nodes, func(x, y tmpNode) bool { return id(x) == id(y) })
	n := len(nodes)
	// Copies at their exact length: append's spare capacity would otherwise
	// stay with the snapshot for its whole life.
	s := &Snapshot{strs: exact(b.strs), classes: exact(b.classes)}
	s.ids = newIDTable(n, func(i int) string { return id(nodes[i]) })
	s.class = newPacked(n, uint32(len(b.classes)))
	s.nameRef = make([]uint32, n)
	var names []byte
	nameAt := map[string]uint32{} // one copy of each name
	for i, r := range nodes {
		s.class.set(i, r.class)
		nid, name := id(r), textAt(text, r.name)
		if strings.HasSuffix(nid, name) && len(nid)-len(name) < nameSuffix {
			s.nameRef[i] = nameSuffix | uint32(len(nid)-len(name))
			continue
		}
		off, ok := nameAt[name]
		if !ok {
			if len(names) >= nameSuffix {
				panic("projection: node names exceed 2 GiB")
			}
			names, off = appendText(names, name)
			nameAt[name] = off
		}
		s.nameRef[i] = off
	}
	s.names = exact(names)
	b.strs, b.strIdx, b.classes, b.classIdx = nil, nil, nil, nil
	// A map resolves edge endpoints faster than binary search while
	// building; the snapshot keeps no map (it would cost more than the node
	// records themselves). Its keys share the build's text.
	b.index = make(map[string]int32, n)
	for i, r := range nodes {
		b.index[id(r)] = int32(i)
	}
	b.nodes = nil
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
	s.packAttrs(b.attrs)
	b.attrs, b.words, b.attrIdx, b.index, b.text = nil, nil, nil, nil, nil
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
		Nodes: s.ids.n, Edges: len(dense), Version: versions.Add(1), BuiltAt: time.Now(),
		DanglingEdges: b.dangling, DistinctAttrs: len(s.attrOff) / 3,
	}
	s.pool.New = func() any { return newWorkspace(s.ids.n) }
	return s
}

// packAttrs lays the attribute sets out in one slice of words.
func (s *Snapshot) packAttrs(attrs []edgeAttrs) {
	n := 0
	for _, a := range attrs {
		n += len(a.actions) + len(a.conditions) + len(a.via)
	}
	s.words = make([]string, 0, n)
	s.attrOff = make([]uint32, 0, 3*len(attrs)+1)
	for _, a := range attrs {
		for _, part := range [][]string{a.actions, a.conditions, a.via} {
			s.attrOff = append(s.attrOff, uint32(len(s.words)))
			s.words = append(s.words, part...)
		}
	}
	s.attrOff = append(s.attrOff, uint32(len(s.words)))
}

// attrPart returns part k (0 actions, 1 conditions, 2 via) of attribute set
// a, nil when empty. Its capacity ends with it, so a caller's append copies.
func (s *Snapshot) attrPart(a uint32, k int) []string {
	i, j := s.attrOff[3*int(a)+k], s.attrOff[3*int(a)+k+1]
	if i == j {
		return nil
	}
	return s.words[i:j:j]
}

func (s *Snapshot) actions(a uint32) []string { return s.attrPart(a, 0) }

// priv returns the privilege edge e grants.
func (s *Snapshot) priv(e uint32) graph.Privilege { return s.gpriv[s.egrant.get(int(e))] }

// attr returns the attribute set of edge e.
func (s *Snapshot) attr(e uint32) uint32 { return s.gattr[s.egrant.get(int(e))] }

func (s *Snapshot) buildCSR(dense []denseEdge) {
	n, m := s.ids.n, len(dense)
	// Intern (privilege, attribute set) pairs: a few thousand serve millions
	// of edges.
	type grant struct {
		priv graph.Privilege
		attr uint32
	}
	gidx := map[grant]uint32{}
	var gpriv []graph.Privilege
	var gattr []uint32
	for i, e := range dense {
		g := grant{e.priv, e.attr}
		k, ok := gidx[g]
		if !ok {
			k = uint32(len(gpriv))
			gpriv, gattr = append(gpriv, e.priv), append(gattr, e.attr)
			gidx[g] = k
		}
		dense[i].attr = k // from here on, the pair's index
	}
	s.gpriv, s.gattr = exact(gpriv), exact(gattr)
	s.egrant = newPacked(m, uint32(len(gpriv)))
	for i, e := range dense {
		s.egrant.set(i, e.attr)
	}
	s.outOff = make([]uint32, n+1)
	s.outTo = make([]int32, m)
	s.ekind = make([]graph.EdgeKind, m)
	s.inOff = make([]uint32, n+1)
	for i, e := range dense {
		s.outOff[e.from+1]++
		s.inOff[e.to+1]++
		s.outTo[i] = e.to
		s.ekind[i] = e.kind
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

// MemoryBytes counts the bytes held by the edge arrays of the snapshot (the
// part that grows with edges): the CSR offsets both ways, 4 bytes each of
// target, source and edge id, 1 of kind, and 2 (4 past 65,536 distinct
// pairs) of (privilege, attribute set) index. HeapBytes counts everything.
func (s *Snapshot) MemoryBytes() int {
	return 4*(cap(s.outOff)+cap(s.inOff)+cap(s.outTo)+cap(s.inFrom)+cap(s.inEdge)) + cap(s.ekind) +
		s.egrant.heapBytes()
}

// find returns the dense id of the node with id: the IDs are sorted, so a
// binary search over the front-coded blocks replaces a map from ID (which
// would cost more than the nodes themselves).
func (s *Snapshot) find(id string) (int32, bool) {
	i, ok := s.ids.find(id)
	return int32(i), ok
}

// id returns the ID of node i.
func (s *Snapshot) id(i int32) string { return s.ids.at(int(i)) }

// nodeClass returns what node i shares with others.
func (s *Snapshot) nodeClass(i int32) *nodeClass { return &s.classes[s.class.get(int(i))] }

// name returns the name of node i, whose ID is id.
func (s *Snapshot) name(i int32, id string) string {
	r := s.nameRef[i]
	if r&nameSuffix != 0 {
		return id[r&^nameSuffix:]
	}
	return textAt(s.names, r)
}

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
	return s.strs[s.nodeClass(i).run], true
}

func (s *Snapshot) ref(i int32) NodeRef {
	return s.refWithID(i, s.id(i))
}

func (s *Snapshot) refWithID(i int32, id string) NodeRef {
	c := s.nodeClass(i)
	return NodeRef{ID: id, Kind: c.kind, Subkind: s.strs[c.sub], Name: s.name(i, id),
		Source: s.strs[c.src], Sensitivity: c.sens}
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
	s.ids.each(func(i int, idb []byte) {
		n := int32(i)
		if len(kinds) > 0 && !slices.Contains(kinds, s.nodeClass(n).kind) {
			return
		}
		if q == "" {
			exact = append(exact, s.refWithID(n, string(idb)))
			return
		}
		nid := unsafe.String(unsafe.SliceData(idb), len(idb)) // valid during this call only
		id, name := strings.ToLower(nid), strings.ToLower(s.name(n, nid))
		switch {
		case id == q || name == q:
			exact = append(exact, s.refWithID(n, string(idb)))
		case strings.Contains(id, q) || strings.Contains(name, q):
			partial = append(partial, s.refWithID(n, string(idb)))
		}
	})
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

// HeapBytes counts the bytes the snapshot holds: the front-coded IDs and
// their block index, the names and name references, the per-node class
// indices and the classes, interned strings, the edge arrays, the
// (privilege, attribute set) pairs and the attribute sets (each distinct
// string once). Per-query workspaces, which a query borrows from a pool
// (about 50 bytes per node each), are not included.
func (s *Snapshot) HeapBytes() int {
	n := int(unsafe.Sizeof(*s))
	n += s.ids.heapBytes() + cap(s.names) + 4*cap(s.nameRef)
	n += s.class.heapBytes() + cap(s.classes)*int(unsafe.Sizeof(nodeClass{}))
	n += cap(s.strs) * int(unsafe.Sizeof(""))
	for _, x := range s.strs {
		n += len(x)
	}
	n += s.MemoryBytes()
	n += cap(s.gpriv) + 4*cap(s.gattr) + 4*cap(s.attrOff)
	n += cap(s.words) * int(unsafe.Sizeof(""))
	seen := map[string]bool{}
	for _, x := range s.words {
		if !seen[x] {
			seen[x] = true
			n += len(x)
		}
	}
	return n
}
