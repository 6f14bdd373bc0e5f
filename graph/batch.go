package graph

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Batch is everything one source reported in one pass: connectors build a
// complete Batch in memory (parsing and validating all of their input) before
// anything is written, so a malformed export never touches the store.
type Batch struct {
	// Source names the sync source, e.g. "aws:012345678901" or "k8s:prod".
	Source string
	nodes  map[string]*Node
	edges  map[edgeKey]*Edge
}

// edgeKey identifies an edge in a batch by its parts: its strings share
// the edge's own, where a key of Edge.ID() would hold a second copy of both
// endpoints (about 150 bytes per edge of a large batch).
type edgeKey struct {
	from, to string
	kind     EdgeKind
}

func keyOf(e *Edge) edgeKey { return edgeKey{from: e.From, to: e.To, kind: e.Kind} }

// NewBatch returns an empty batch for source.
func NewBatch(source string) *Batch {
	return &Batch{Source: source, nodes: map[string]*Node{}, edges: map[edgeKey]*Edge{}}
}

// AddNode adds n, or merges its props into the node already added under the
// same ID. A later non-empty Name, Subkind or Sensitivity replaces an earlier one.
func (b *Batch) AddNode(n Node) *Node {
	n.Source = b.Source
	if old, ok := b.nodes[n.ID]; ok {
		if n.Name != "" {
			old.Name = n.Name
		}
		if n.Subkind != "" {
			old.Subkind = n.Subkind
		}
		if n.Kind != KindUnknown {
			old.Kind = n.Kind
		}
		if n.Sensitivity > old.Sensitivity {
			old.Sensitivity = n.Sensitivity
		}
		for k, v := range n.Props {
			if old.Props == nil {
				old.Props = map[string]string{}
			}
			old.Props[k] = v
		}
		return old
	}
	c := n
	b.nodes[n.ID] = &c
	return &c
}

// AddEdge adds e, merging it into an edge already added with the same ID.
func (b *Batch) AddEdge(e Edge) *Edge {
	e.Source = b.Source
	k := keyOf(&e)
	if old, ok := b.edges[k]; ok {
		old.Merge(&e)
		return old
	}
	c := e
	c.Actions = unionSorted(nil, e.Actions)
	c.Conditions = unionSorted(nil, e.Conditions)
	c.Via = unionSorted(nil, e.Via)
	b.edges[k] = &c
	return &c
}

// Node returns the node with id, if the batch has it.
func (b *Batch) Node(id string) (*Node, bool) {
	n, ok := b.nodes[id]
	return n, ok
}

// Edge returns the edge from -kind-> to, if the batch has it.
func (b *Batch) Edge(from string, kind EdgeKind, to string) (*Edge, bool) {
	e, ok := b.edges[edgeKey{from: from, to: to, kind: kind}]
	return e, ok
}

// Nodes returns the batch's nodes sorted by ID.
func (b *Batch) Nodes() []Node {
	out := make([]Node, 0, len(b.nodes))
	for _, n := range b.nodes {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Edges returns the batch's edges sorted by ID.
func (b *Batch) Edges() []Edge {
	refs := make([]*Edge, 0, len(b.edges))
	for _, e := range b.edges {
		refs = append(refs, e)
	}
	refs = sortEdgeRefs(refs)
	out := make([]Edge, len(refs))
	for i, e := range refs {
		out[i] = *e
	}
	return out
}

// Release drops every node and edge (the Source stays), so that their memory
// can be reclaimed while the batch itself is still referenced: a writer that
// has staged a big batch releases it before the store applies the run.
func (b *Batch) Release() {
	b.nodes = map[string]*Node{}
	b.edges = map[edgeKey]*Edge{}
}

// Len returns the number of nodes and edges in the batch.
func (b *Batch) Len() (nodes, edges int) { return len(b.nodes), len(b.edges) }

// Merge adds every node and edge of o into b (o's source is replaced by b's).
func (b *Batch) Merge(o *Batch) {
	for _, n := range o.nodes {
		b.AddNode(*n)
	}
	for _, e := range o.edges {
		b.AddEdge(*e)
	}
}

// Validate checks every element and that every edge's endpoints are nodes of
// the batch. Connectors that reference nodes owned by another source (for
// example a principal in another AWS account) must add a stub node for them.
func (b *Batch) Validate() error {
	if b.Source == "" {
		return fmt.Errorf("batch: empty source")
	}
	for _, n := range b.nodes {
		if err := n.Validate(); err != nil {
			return err
		}
	}
	var from string
	for _, e := range b.edges {
		if err := b.checkEdge(e, &from); err != nil {
			return err
		}
	}
	return nil
}

// checkEdge validates e and that its endpoints are nodes of the batch.
// *from is the From already looked up (edges in ID order mostly share it
// with the one before); it is updated.
func (b *Batch) checkEdge(e *Edge, from *string) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.From != *from {
		if _, ok := b.nodes[e.From]; !ok {
			return fmt.Errorf("edge %s: source node %q is not in the batch", e.ID(), e.From)
		}
		*from = e.From
	}
	if _, ok := b.nodes[e.To]; !ok {
		return fmt.Errorf("edge %s: target node %q is not in the batch", e.ID(), e.To)
	}
	return nil
}

// Sorted is a validated batch's nodes and edges in ID order. It points into
// the batch (it copies no element) and is valid while the batch is not
// changed.
type Sorted struct {
	Source string
	nodes  []*Node
	edges  []*Edge
}

// Sorted validates b as Validate does and returns its elements in ID order,
// for a writer that hands them to a store in chunks (see AppendNodes). It
// allocates two slices of pointers and, to sort the edges (rankSortEdges),
// a map of node ranks and a slice of 24-byte keys, but nothing per element;
// the error, if any, is the first invalid element in ID order (nodes
// first).
func (b *Batch) Sorted() (*Sorted, error) {
	if b.Source == "" {
		return nil, fmt.Errorf("batch: empty source")
	}
	s := &Sorted{Source: b.Source, nodes: make([]*Node, 0, len(b.nodes)), edges: make([]*Edge, 0, len(b.edges))}
	for _, n := range b.nodes {
		s.nodes = append(s.nodes, n)
	}
	slices.SortFunc(s.nodes, func(x, y *Node) int { return strings.Compare(x.ID, y.ID) })
	for _, n := range s.nodes {
		if err := n.Validate(); err != nil {
			return nil, err
		}
	}
	for _, e := range b.edges {
		s.edges = append(s.edges, e)
	}
	if rankSortEdges(s.nodes, s.edges) {
		return s, nil // every edge checked
	}
	// Something is invalid (or a From holds '|'): sorting by comparing IDs
	// finds the first invalid edge in ID order.
	s.edges = sortEdgeRefs(s.edges)
	var from string
	for _, e := range s.edges {
		if err := b.checkEdge(e, &from); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parallelSort is the number of edges from which sortEdgeRefs sorts on two
// goroutines.
const parallelSort = 1 << 16

// CompareEdgeIDs orders edges as strings.Compare orders their IDs
// (EdgeID: from|KIND|to) without building them.
func CompareEdgeIDs(x, y *Edge) int {
	if x.From != y.From {
		// Decided within the shorter From unless it is a prefix of the
		// other ("u1" and "u10": then "|" meets "0").
		n := min(len(x.From), len(y.From))
		if c := strings.Compare(x.From[:n], y.From[:n]); c != 0 {
			return c
		}
	} else if x.Kind == y.Kind {
		return strings.Compare(x.To, y.To)
	}
	return compareParts([5]string{x.From, "|", x.Kind.String(), "|", x.To},
		[5]string{y.From, "|", y.Kind.String(), "|", y.To})
}

// compareParts compares the concatenation of a's parts with b's, byte by
// byte, without building either.
func compareParts(a, b [5]string) int {
	i, j := 0, 0
	var sa, sb string
	for {
		for sa == "" && i < len(a) {
			sa, i = a[i], i+1
		}
		for sb == "" && j < len(b) {
			sb, j = b[j], j+1
		}
		switch {
		case sa == "" && sb == "":
			return 0
		case sa == "":
			return -1
		case sb == "":
			return 1
		}
		n := min(len(sa), len(sb))
		if c := strings.Compare(sa[:n], sb[:n]); c != 0 {
			return c
		}
		sa, sb = sa[n:], sb[n:]
	}
}

// sortEdgeRefs sorts refs by ID. Many are sorted in two halves at once, then
// merged: a million edges take about half a second of one core to sort.
func sortEdgeRefs(refs []*Edge) []*Edge {
	a, b := sortHalves(refs, CompareEdgeIDs)
	if len(b) == 0 {
		return a
	}
	return mergeHalves(a, b, CompareEdgeIDs, make([]*Edge, 0, len(refs)), func(e *Edge) *Edge { return e })
}

// sortHalves sorts s by cmp: at once when it is short or there is one core,
// and then returns it as a with b empty; else its two halves on two
// goroutines, returned sorted for mergeHalves.
func sortHalves[T any](s []T, cmp func(x, y T) int) (a, b []T) {
	if len(s) < parallelSort || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(s, cmp)
		return s, nil
	}
	a, b = s[:len(s)/2], s[len(s)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(a, cmp) })
	slices.SortFunc(b, cmp)
	wg.Wait()
	return a, b
}

// mergeHalves appends to out, in cmp order, conv of every element of a and
// b, each sorted by cmp with no key in both.
func mergeHalves[T, U any](a, b []T, cmp func(x, y T) int, out []U, conv func(T) U) []U {
	for len(a) > 0 && len(b) > 0 {
		if cmp(a[0], b[0]) < 0 {
			out, a = append(out, conv(a[0])), a[1:]
		} else {
			out, b = append(out, conv(b[0])), b[1:]
		}
	}
	for _, x := range a {
		out = append(out, conv(x))
	}
	for _, x := range b {
		out = append(out, conv(x))
	}
	return out
}

// Len returns the number of nodes and edges.
func (s *Sorted) Len() (nodes, edges int) { return len(s.nodes), len(s.edges) }

// AppendNodes appends (shallow) copies of the nodes i to j-1, in ID order,
// to dst: a writer reuses one chunk's slice for every chunk.
func (s *Sorted) AppendNodes(dst []Node, i, j int) []Node {
	for _, n := range s.nodes[i:j] {
		dst = append(dst, *n)
	}
	return dst
}

// AppendEdges appends (shallow) copies of the edges i to j-1, in ID order,
// to dst.
func (s *Sorted) AppendEdges(dst []Edge, i, j int) []Edge {
	for _, e := range s.edges[i:j] {
		dst = append(dst, *e)
	}
	return dst
}
