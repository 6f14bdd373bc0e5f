package risk

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// Input is the graph to score: its elements and a projection of them.
type Input struct {
	Nodes    []graph.Node
	Edges    []graph.Edge
	Snapshot *projection.Snapshot
	// AsOf is the clock for "days since" features. Zero: the newest
	// last-used time any credential records (the data's own clock), else now.
	AsOf time.Time
}

// LoadInput reads every committed element of st and builds its projection.
func LoadInput(ctx context.Context, st graph.Store) (*Input, error) {
	in := &Input{}
	err := st.Scan(ctx,
		func(n *graph.Node) error { in.Nodes = append(in.Nodes, *n); return nil },
		func(e *graph.Edge) error { in.Edges = append(in.Edges, *e); return nil })
	if err != nil {
		return nil, fmt.Errorf("load risk input: %w", err)
	}
	in.Snapshot = projection.FromElements(in.Nodes, in.Edges)
	return in, nil
}

// NewInput wraps elements held in memory, building their projection.
func NewInput(nodes []graph.Node, edges []graph.Edge) *Input {
	return &Input{Nodes: nodes, Edges: edges, Snapshot: projection.FromElements(nodes, edges)}
}

// index is the adjacency of an Input by node position.
type index struct {
	nodes []graph.Node
	pos   map[string]int32
	edges []graph.Edge
	out   [][]int32 // edge positions by source
	in    [][]int32 // edge positions by target
}

func newIndex(in *Input) *index {
	x := &index{pos: make(map[string]int32, len(in.Nodes)), edges: in.Edges}
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
	x.out = make([][]int32, len(x.nodes))
	x.in = make([][]int32, len(x.nodes))
	for i := range in.Edges {
		e := &in.Edges[i]
		f, ok1 := x.pos[e.From]
		t, ok2 := x.pos[e.To]
		if !ok1 || !ok2 {
			continue
		}
		x.out[f] = append(x.out[f], int32(i))
		x.in[t] = append(x.in[t], int32(i))
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
