package cypher

import (
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

// pathTypes are the relationship types a path may use: traversal edges,
// ACCESS and CONTAINS (OWNS is never followed).
var pathTypes = relTypes(func(k graph.EdgeKind) bool {
	return k.Traversal() || k.Terminal() || k.Containment()
})

// refFields are the fields of a node reference, read from m.
const refFields = `m.kind, m.subkind, m.name, m.source, m.sensitivity`

// qOut reads the path relationships leaving each node of $ids, one level of
// a forward search: every start is found through the unique index on
// :Node(id).
var qOut = `UNWIND $ids AS id
MATCH (:Node {id: id})-[r:` + pathTypes + `]->(m:Node)
RETURN id, type(r), m.id, r.privilege, r.actions, r.conditions, r.via, ` + refFields

// qIn reads the path relationships entering each node of $ids, one level
// of a reverse search.
var qIn = `UNWIND $ids AS id
MATCH (m:Node)-[r:` + pathTypes + `]->(:Node {id: id})
RETURN id, type(r), m.id, r.privilege, r.actions, r.conditions, r.via, ` + refFields

// qNode reads one node's reference fields.
const qNode = `MATCH (m:Node {id: $id}) RETURN ` + refFields
