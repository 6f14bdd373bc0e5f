package risk

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// Input is the graph to score: its elements and a projection of them.
type Input struct {
	Nodes []graph.Node
	// Edges are the edges NewInput was given. LoadInput leaves it nil: it
	// keeps the edges it reads compactly (one copy of each endpoint ID and
	// of each list of actions, conditions and via), which at 100,000
	// identities (12 million edges) is a few hundred MB instead of several GB.
	Edges    []graph.Edge
	Snapshot *projection.Snapshot
	// AsOf is the clock for "days since" features. Zero: the newest
	// last-used time any credential records (the data's own clock), else now.
	AsOf time.Time

	edges []edge // LoadInput's edges
	lists *listTable
}

// LoadInput reads every committed element of st and builds its projection
// (from a second scan of st, so that the edges are never all held as
// graph.Edge values).
func LoadInput(ctx context.Context, st graph.Store) (*Input, error) {
	in := &Input{lists: newListTable()}
	nn, ne, err := st.Counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("load risk input: %w", err)
	}
	in.Nodes = make([]graph.Node, 0, nn)
	in.edges = make([]edge, 0, ne)
	var ids map[string]string // node ID -> the node's own copy of it
	id := func(s string) string {
		if c, ok := ids[s]; ok {
			return c
		}
		return s
	}
	err = st.Scan(ctx,
		func(n *graph.Node) error { in.Nodes = append(in.Nodes, *n); return nil },
		func(e *graph.Edge) error {
			if ids == nil {
				ids = make(map[string]string, len(in.Nodes))
				for i := range in.Nodes {
					ids[in.Nodes[i].ID] = in.Nodes[i].ID
				}
			}
			in.edges = append(in.edges, edge{From: id(e.From), To: id(e.To), Kind: e.Kind, Privilege: e.Privilege,
				attr: in.lists.intern(e.Actions, e.Conditions, e.Via)})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("load risk input: %w", err)
	}
	ids = nil
	if in.Snapshot, err = projection.Build(ctx, st); err != nil {
		return nil, fmt.Errorf("load risk input: %w", err)
	}
	return in, nil
}

// NewInput wraps elements held in memory, building their projection.
func NewInput(nodes []graph.Node, edges []graph.Edge) *Input {
	return &Input{Nodes: nodes, Edges: edges, Snapshot: projection.FromElements(nodes, edges)}
}

// edge is an edge as the scorer reads it. From and To are node IDs; the
// edge's actions, conditions and via lists are index.lists.at(attr).
type edge struct {
	From, To  string
	Kind      graph.EdgeKind
	Privilege graph.Privilege
	attr      uint32
}

// edgeLists are the lists of one edge.
type edgeLists struct {
	actions, conditions, via []string
}

// listTable keeps one copy of each distinct (actions, conditions, via)
// triple; 0 is the empty triple.
type listTable struct {
	lists []edgeLists
	index map[string]uint32
	key   []byte
}

func newListTable() *listTable {
	return &listTable{lists: []edgeLists{{}}, index: map[string]uint32{}}
}

func (t *listTable) intern(actions, conditions, via []string) uint32 {
	if len(actions) == 0 && len(conditions) == 0 && len(via) == 0 {
		return 0
	}
	k := t.key[:0]
	for _, l := range [3][]string{actions, conditions, via} {
		for _, s := range l {
			k = strconv.AppendInt(k, int64(len(s)), 10)
			k = append(k, ':')
			k = append(k, s...)
		}
		k = append(k, '|')
	}
	t.key = k
	if i, ok := t.index[string(k)]; ok {
		return i
	}
	i := uint32(len(t.lists))
	t.lists = append(t.lists, edgeLists{actions: slices.Clip(actions), conditions: slices.Clip(conditions),
		via: slices.Clip(via)})
	t.index[string(k)] = i
	return i
}

func (t *listTable) at(i uint32) *edgeLists { return &t.lists[i] }

// index is the adjacency of an Input by node position.
type index struct {
	nodes []graph.Node
	pos   map[string]int32
	edges []edge
	lists *listTable
	out   [][]int32 // edge positions by source
	in    [][]int32 // edge positions by target
}

func newIndex(in *Input) *index {
	x := &index{pos: make(map[string]int32, len(in.Nodes)), edges: in.edges, lists: in.lists}
	dup := false
	for i := range in.Nodes {
		if _, ok := x.pos[in.Nodes[i].ID]; ok {
			dup = true
			break
		}
		x.pos[in.Nodes[i].ID] = int32(i)
	}
	if !dup {
		x.nodes = in.Nodes // a store's nodes: one per ID
	} else {
		clear(x.pos)
		x.nodes = make([]graph.Node, 0, len(in.Nodes))
		for i := range in.Nodes {
			n := in.Nodes[i]
			if p, ok := x.pos[n.ID]; ok {
				// A stub yields to the node its owner reported.
				if n.Props[graph.PropStub] == "true" {
					continue
				}
				x.nodes[p] = n
				continue
			}
			x.pos[n.ID] = int32(len(x.nodes))
			x.nodes = append(x.nodes, n)
		}
	}
	if x.edges == nil {
		x.lists = newListTable()
		x.edges = make([]edge, len(in.Edges))
		for i := range in.Edges {
			e := &in.Edges[i]
			x.edges[i] = edge{From: e.From, To: e.To, Kind: e.Kind, Privilege: e.Privilege,
				attr: x.lists.intern(e.Actions, e.Conditions, e.Via)}
		}
	}
	// Adjacency lists carved out of two arrays, one slot per edge.
	outN := make([]int32, len(x.nodes)+1)
	inN := make([]int32, len(x.nodes)+1)
	ends := make([][2]int32, len(x.edges))
	for i := range x.edges {
		e := &x.edges[i]
		f, ok1 := x.pos[e.From]
		t, ok2 := x.pos[e.To]
		if !ok1 || !ok2 {
			ends[i] = [2]int32{-1, -1}
			continue
		}
		ends[i] = [2]int32{f, t}
		outN[f+1]++
		inN[t+1]++
	}
	for i := range x.nodes {
		outN[i+1] += outN[i]
		inN[i+1] += inN[i]
	}
	outAll := make([]int32, outN[len(x.nodes)])
	inAll := make([]int32, inN[len(x.nodes)])
	x.out = make([][]int32, len(x.nodes))
	x.in = make([][]int32, len(x.nodes))
	for i := range x.nodes {
		x.out[i] = outAll[outN[i]:outN[i]:outN[i+1]]
		x.in[i] = inAll[inN[i]:inN[i]:inN[i+1]]
	}
	for i, fe := range ends {
		from, to := fe[0], fe[1]
		if from < 0 {
			continue
		}
		x.out[from] = append(x.out[from], int32(i))
		x.in[to] = append(x.in[to], int32(i))
	}
	return x
}

// asOf returns the newest last-used time recorded by any credential.
func (x *index) asOf() time.Time {
	var best time.Time
	for i := range x.nodes {
		n := &x.nodes[i]
		if n.Kind != graph.KindCredential {
			continue
		}
		if t, ok := lastUsed(n.Props); ok && t.After(best) {
			best = t
		}
	}
	if best.IsZero() {
		return time.Now().UTC()
	}
	return best
}

var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05Z07:00", "2006-01-02"}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func lastUsed(p map[string]string) (time.Time, bool) {
	for _, k := range []string{"last_used_date", "last_used", "last_login", "last_sign_in"} {
		if v := p[k]; v != "" {
			if t, ok := parseTime(v); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func atoiDefault(s string, d int) int {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return d
	}
	return v
}

var reflectStrings = reflect.TypeOf([]string(nil))
