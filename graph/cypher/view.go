package cypher

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// rel is one relationship read from Neo4j during a query.
type rel struct {
	kind                     graph.EdgeKind
	from, to                 string
	priv                     graph.Privilege
	actions, conditions, via []string
}

// step converts e to a path step.
func (e *rel) step() projection.Step {
	return projection.Step{Kind: e.kind, From: e.from, To: e.to, Privilege: e.priv,
		Actions: e.actions, Conditions: e.conditions, Via: e.via}
}

// view is what one query has read of the graph so far: the relationships
// around the nodes it expanded, and the reference fields of every node it
// has seen. It lives for one transaction only; nothing is kept between
// queries, so every answer comes from the database at query time.
type view struct {
	ctx  context.Context
	tx   neo4j.ManagedTransaction
	refs map[string]projection.NodeRef
	// Relationships read per node, each list in the projection's order
	// (outgoing: edge kind, then target ID; incoming: source ID, then
	// kind). A node is a key once its list is read, even when empty.
	in    map[string][]*rel // path relationships entering (from `from` only, when set)
	inTrv map[string][]*rel // traversal relationships entering
	cont  map[string][]*rel // CONTAINS relationships leaving
	// from, when not nil, restricts the relationships read into a node,
	// but CONTAINS ones, to those from these nodes.
	from []string
	// trips counts the statements run.
	trips int
}

func newView(ctx context.Context, tx neo4j.ManagedTransaction) *view {
	return &view{ctx: ctx, tx: tx, refs: map[string]projection.NodeRef{},
		in: map[string][]*rel{}, inTrv: map[string][]*rel{}, cont: map[string][]*rel{}}
}

// run runs one statement.
func (v *view) run(q string, params map[string]any) (neo4j.ResultWithContext, error) {
	v.trips++
	return v.tx.Run(v.ctx, q, params)
}

// node reads one node's reference, or an error wrapping graph.ErrNotFound
// that names it as `what` (as the projection does).
func (v *view) node(id, what string) (projection.NodeRef, error) {
	if r, ok := v.refs[id]; ok {
		return r, nil
	}
	res, err := v.run(qNode, map[string]any{"id": id})
	if err != nil {
		return projection.NodeRef{}, err
	}
	recs, err := res.Collect(v.ctx)
	if err != nil {
		return projection.NodeRef{}, err
	}
	if len(recs) == 0 {
		return projection.NodeRef{}, fmt.Errorf("%s %q: %w", what, id, graph.ErrNotFound)
	}
	r, err := refOf(id, recs[0].Values)
	if err != nil {
		return projection.NodeRef{}, err
	}
	v.refs[id] = r
	return r, nil
}

// ref returns the reference of a node the view has seen.
func (v *view) ref(id string) projection.NodeRef { return v.refs[id] }

// fetchIn reads the incoming path relationships (see view.from) of the
// nodes of ids not read yet, in one statement.
func (v *view) fetchIn(ids []string) error {
	if v.from != nil {
		return v.fetch(ids, v.in, qInChain, false)
	}
	return v.fetch(ids, v.in, qIn, false)
}

// fetchInTrav reads the incoming traversal relationships of the nodes of
// ids whose incoming relationships are not read yet.
func (v *view) fetchInTrav(ids []string) error {
	var want []string
	for _, id := range ids {
		if _, ok := v.in[id]; !ok {
			want = append(want, id)
		}
	}
	return v.fetch(want, v.inTrv, qInTrav, false)
}

// inTraversal returns the incoming relationships read for id (every path
// kind or only traversal ones) and whether they were read.
func (v *view) inTraversal(id string) ([]*rel, bool) {
	if l, ok := v.in[id]; ok {
		return l, true
	}
	l, ok := v.inTrv[id]
	return l, ok
}

// fetchContains reads the outgoing CONTAINS relationships of every node of
// ids not read yet.
func (v *view) fetchContains(ids []string) error { return v.fetch(ids, v.cont, qContains, true) }

func (v *view) fetch(ids []string, into map[string][]*rel, q string, outgoing bool) error {
	var want []string
	for _, id := range ids {
		if _, ok := into[id]; !ok {
			into[id] = nil
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return v.rels(q, map[string]any{"ids": want, "to": v.from}, outgoing, func(e *rel) {
		k := e.to
		if outgoing {
			k = e.from
		}
		into[k] = append(into[k], e)
	}, func() {
		for _, id := range want {
			into[id] = sortEdges(into[id], outgoing)
		}
	})
}

// rels runs a statement returning relFields and passes each relationship
// to add, then calls done. The id field is a node ID, or an index into
// params["ids"].
func (v *view) rels(q string, params map[string]any, outgoing bool, add func(*rel), done func()) error {
	ids, _ := params["ids"].([]string)
	res, err := v.run(q, params)
	if err != nil {
		return err
	}
	for res.Next(v.ctx) {
		// id, type, other id, privilege, actions, conditions, via, then the
		// other node's kind, subkind, name, source, sensitivity.
		vals := res.Record().Values
		if len(vals) != 12 {
			return fmt.Errorf("relationship record of %d fields", len(vals))
		}
		id, other := str(vals[0]), str(vals[2])
		if i, ok := vals[0].(int64); ok {
			if i < 0 || int(i) >= len(ids) {
				return fmt.Errorf("relationship record names node %d of %d", i, len(ids))
			}
			id = ids[i]
		}
		k, err := graph.ParseEdgeKind(str(vals[1]))
		if err != nil {
			return fmt.Errorf("relationship of %q: %w", id, err)
		}
		if err := v.see(other, vals[7:]); err != nil {
			return err
		}
		pv, _ := vals[3].(int64)
		e := &rel{kind: k, from: other, to: id, priv: graph.Privilege(pv), actions: strList(vals[4]),
			conditions: strList(vals[5]), via: strList(vals[6])}
		if outgoing {
			e.from, e.to = id, other
		}
		add(e)
	}
	if err := res.Err(); err != nil {
		return err
	}
	done()
	return nil
}

// see records the reference of node id from its fields, once.
func (v *view) see(id string, fields []any) error {
	if _, ok := v.refs[id]; ok {
		return nil
	}
	r, err := refOf(id, fields)
	if err != nil {
		return err
	}
	v.refs[id] = r
	return nil
}

// sortEdges orders one node's relationships as the projection's compressed
// rows do (outgoing: kind, then target ID; incoming: source ID, then kind)
// and keeps one of each (from, kind, to), with the higher privilege.
func sortEdges(es []*rel, outgoing bool) []*rel {
	cmp := func(x, y *rel) int {
		if outgoing {
			if x.kind != y.kind {
				return int(x.kind) - int(y.kind)
			}
			return strings.Compare(x.to, y.to)
		}
		if c := strings.Compare(x.from, y.from); c != 0 {
			return c
		}
		return int(x.kind) - int(y.kind)
	}
	slices.SortStableFunc(es, cmp)
	out := es[:0]
	for _, e := range es {
		if k := len(out) - 1; k >= 0 && cmp(out[k], e) == 0 {
			out[k].priv = max(out[k].priv, e.priv)
			continue
		}
		out = append(out, e)
	}
	return out
}

// refOf decodes kind, subkind, name, source and sensitivity into a
// reference to node id.
func refOf(id string, vals []any) (projection.NodeRef, error) {
	k, err := graph.ParseKind(str(vals[0]))
	if err != nil {
		return projection.NodeRef{}, fmt.Errorf("node %q: %w", id, err)
	}
	sens, _ := vals[4].(int64)
	return projection.NodeRef{ID: id, Kind: k, Subkind: str(vals[1]), Name: str(vals[2]),
		Source: str(vals[3]), Sensitivity: graph.Sensitivity(sens)}, nil
}

// pathOf builds a path from its node IDs' references and its edges.
func (v *view) pathOf(edges []*rel) projection.Path {
	p := projection.Path{Nodes: make([]projection.NodeRef, 0, len(edges)+1),
		Steps: make([]projection.Step, len(edges))}
	p.Nodes = append(p.Nodes, v.ref(edges[0].from))
	for i, e := range edges {
		p.Nodes = append(p.Nodes, v.ref(e.to))
		p.Steps[i] = e.step()
	}
	projection.FinishPath(&p)
	return p
}
