package cypher

import (
	"fmt"
	"slices"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// nodeRef decodes a stored node (see graph/neo4jstore) into a reference.
func nodeRef(n dbtype.Node) (projection.NodeRef, error) {
	id, _ := n.Props["id"].(string)
	k, err := graph.ParseKind(str(n.Props["kind"]))
	if err != nil {
		return projection.NodeRef{}, fmt.Errorf("node %q: %w", id, err)
	}
	sens, _ := n.Props["sensitivity"].(int64)
	return projection.NodeRef{ID: id, Kind: k, Subkind: str(n.Props["subkind"]), Name: str(n.Props["name"]),
		Source: str(n.Props["source"]), Sensitivity: graph.Sensitivity(sens)}, nil
}

// toPath decodes a Cypher path whose relationships all point forward. The
// driver lists a path's distinct nodes once each (a witness may pass a node
// twice, e.g. ACCESS to a role's own node), so the node sequence is rebuilt
// from the relationships' endpoints.
func toPath(p dbtype.Path) (projection.Path, error) {
	if len(p.Nodes) == 0 || len(p.Relationships) == 0 {
		return projection.Path{}, fmt.Errorf("path of %d nodes and %d relationships", len(p.Nodes),
			len(p.Relationships))
	}
	refs := make(map[string]projection.NodeRef, len(p.Nodes))
	for _, n := range p.Nodes {
		r, err := nodeRef(n)
		if err != nil {
			return projection.Path{}, err
		}
		refs[n.ElementId] = r
	}
	out := projection.Path{Nodes: make([]projection.NodeRef, 0, len(p.Relationships)+1),
		Steps: make([]projection.Step, len(p.Relationships))}
	cur := p.Nodes[0].ElementId
	out.Nodes = append(out.Nodes, refs[cur])
	for i, r := range p.Relationships {
		k, err := graph.ParseEdgeKind(r.Type)
		if err != nil {
			return projection.Path{}, err
		}
		next, ok := refs[r.EndElementId]
		if r.StartElementId != cur || !ok {
			return projection.Path{}, fmt.Errorf("path step %d (%s) does not run forward", i, r.Type)
		}
		cur = r.EndElementId
		out.Nodes = append(out.Nodes, next)
		pv, _ := r.Props["privilege"].(int64)
		out.Steps[i] = projection.Step{Kind: k, From: out.Nodes[i].ID, To: next.ID,
			Privilege: graph.Privilege(pv), Actions: strList(r.Props["actions"]),
			Conditions: strList(r.Props["conditions"]), Via: strList(r.Props["via"])}
	}
	projection.FinishPath(&out)
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// strList decodes a list of strings; an empty list is nil, as in the
// projection.
func strList(v any) []string {
	l, _ := v.([]any)
	if len(l) == 0 {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, str(x))
	}
	return out
}

// sortedSet sorts and deduplicates v (nil when empty).
func sortedSet(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v)
}

// unionSorted merges two sorted string sets.
func unionSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
