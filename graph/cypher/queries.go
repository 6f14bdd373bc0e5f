package cypher

import (
	"fmt"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// relTypes joins the relationship types of the edge kinds that keep(k)
// accepts as a Cypher alternation ("HAS_ACCOUNT|MEMBER_OF|...").
func relTypes(keep func(graph.EdgeKind) bool) string {
	var out []string
	for _, k := range graph.EdgeKinds() {
		if keep(k) {
			out = append(out, k.String())
		}
	}
	return strings.Join(out, "|")
}

var (
	// travTypes are the traversal relationship types.
	travTypes = relTypes(graph.EdgeKind.Traversal)
	// pathTypes are the relationship types a path may use: traversal
	// edges, ACCESS and CONTAINS (OWNS is never followed).
	pathTypes = relTypes(func(k graph.EdgeKind) bool {
		return k.Traversal() || k.Terminal() || k.Containment()
	})
)

// kindOrder is the graph.EdgeKind value of relationship r's type, the
// order of the projection's compressed rows.
var kindOrder = func() string {
	var b strings.Builder
	b.WriteString("CASE type(r)")
	for _, k := range graph.EdgeKinds() {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", k, int(k))
	}
	b.WriteString(" END")
	return b.String()
}()

// refFields are the fields of a node reference, read from m.
const refFields = `m.kind, m.subkind, m.name, m.source, m.sensitivity`

// relFields are the fields of one relationship r between the node of id
// and m, then m's reference fields (see view.fetch).
const relFields = `id, type(r), m.id, r.privilege, r.actions, r.conditions, r.via, ` + refFields

// Every statement below starts from a list of node IDs ($ids: one level of
// a search), each found through the unique index on :Node(id).
var (
	// qForward is one level of a forward search over traversal edges: of
	// the nodes the level ($ids, in search order) leads to that are not in
	// $seen, each with the first relationship the projection's search would
	// meet it by (the earliest node of $ids, then the lowest edge kind); id
	// is that node's index in $ids.
	qForward = `UNWIND range(0, size($ids) - 1) AS i
MATCH (:Node {id: $ids[i]})-[r:` + travTypes + `]->(m:Node)
WHERE NOT m.id IN $seen
WITH m, collect([i, ` + kindOrder + `, r]) AS xs
WITH m, reduce(b = xs[0], x IN xs | CASE WHEN x[0] < b[0] OR (x[0] = b[0] AND x[1] < b[1]) THEN x ELSE b END) AS b
WITH m, b[0] AS id, b[2] AS r
RETURN ` + relFields

	// qIn reads every path relationship entering each node.
	qIn = `UNWIND $ids AS id
MATCH (m:Node)-[r:` + pathTypes + `]->(:Node {id: id})
RETURN ` + relFields

	// qInTrav reads the traversal relationships entering each node.
	qInTrav = `UNWIND $ids AS id
MATCH (m:Node)-[r:` + travTypes + `]->(:Node {id: id})
RETURN ` + relFields

	// qInFrom reads the traversal relationships entering each node from a
	// node of $to (the nodes a paths query's start reaches).
	qInFrom = `UNWIND $ids AS id
MATCH (m:Node)-[r:` + travTypes + `]->(:Node {id: id})
WHERE m.id IN $to
RETURN ` + relFields

	// qInChain reads the CONTAINS relationships entering each node and the
	// other path relationships entering it from a node of $to.
	qInChain = `UNWIND $ids AS id
MATCH (m:Node)-[r:` + pathTypes + `]->(:Node {id: id})
WHERE type(r) = 'CONTAINS' OR m.id IN $to
RETURN ` + relFields

	// qContains reads the CONTAINS relationships leaving each node.
	qContains = `UNWIND $ids AS id
MATCH (:Node {id: id})-[r:CONTAINS]->(m:Node)
RETURN ` + relFields
)

// qGrants reads the ACCESS relationships of the principals $ids (a forward
// search's nodes in breadth-first order), aggregated per resource: for each
// privilege tier, the first principal of $ids holding it (its index, so
// the nearest) with that relationship's fields, and the actions of every
// such relationship.
const qGrants = `UNWIND range(0, size($ids) - 1) AS i
MATCH (:Node {id: $ids[i]})-[r:ACCESS]->(m:Node)
WITH m, r.privilege AS p, collect([i, r]) AS xs, collect(r.actions) AS acts
WITH m, p, acts, reduce(b = xs[0], x IN xs | CASE WHEN x[0] < b[0] THEN x ELSE b END) AS best
WITH m, collect([p, best[0], best[1].actions, best[1].conditions, best[1].via]) AS tiers, collect(acts) AS acts
RETURN m.id, tiers, acts, ` + refFields

// qNode reads one node's reference fields.
const qNode = `MATCH (m:Node {id: $id}) RETURN ` + refFields
