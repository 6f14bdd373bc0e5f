package cypher

import (
	"strconv"
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
	// plainTravTypes are the traversal types that grant nothing when they
	// end a path into a principal (every one but ESCALATES).
	plainTravTypes = relTypes(func(k graph.EdgeKind) bool {
		return k.Traversal() && k != graph.EdgeEscalates
	})
	// kindOrder maps a relationship type to its graph.EdgeKind value, so
	// paths of one length sort as the projection enumerates them.
	kindOrder = func() string {
		var b strings.Builder
		b.WriteString("CASE type(r)")
		for _, k := range graph.EdgeKinds() {
			b.WriteString(" WHEN '" + k.String() + "' THEN " + strconv.Itoa(int(k)))
		}
		b.WriteString(" END")
		return b.String()
	}()
)

// qClosure lists every node the start acts as (traversal edges only, the
// start included) within $maxDist steps (negative: unbounded), each with
// its ACCESS edges: [resource id, actions].
var qClosure = `MATCH (s:Node {id: $from})
MATCH p = ANY SHORTEST (s)-[:` + travTypes + `]->{0,}(u)
WITH u, length(p) AS d
WHERE $maxDist < 0 OR d <= $maxDist
RETURN u.id AS id, [(u)-[a:ACCESS]->(r) | [r.id, a.actions]] AS acc`

// qBlast finds, for every resource the start reaches, a shortest path at
// each privilege tier (one ANY SHORTEST search per tier, the ACCESS edge
// pinned to it), keeps those within $limit steps (0: unbounded), and
// returns the highest tier with its shortest witness. Between equally short
// witnesses a direct ACCESS edge wins over a way through containment, as in
// the projection (a reach's actions depend on it).
var qBlast = `MATCH (s:Node {id: $from})
UNWIND [3, 2, 1] AS tier
CALL (s, tier) {
  MATCH p = ANY SHORTEST (s)-[:` + travTypes + `]->{0,}(u)-[a:ACCESS WHERE a.privilege = tier]->(r)
  RETURN r, p, 0 AS contained
  UNION ALL
  MATCH p = ANY SHORTEST (s)-[:` + travTypes + `]->{0,}(u)
        -[a:ACCESS WHERE a.privilege = tier]->(c)-[:CONTAINS]->{1,}(r)
  RETURN r, p, 1 AS contained
}
WITH r, tier, p, contained
WHERE $limit = 0 OR length(p) <= $limit
WITH r, tier, p ORDER BY tier DESC, length(p), contained
WITH r, collect([tier, p])[0] AS best
WHERE best[0] >= $minPriv AND coalesce(r.sensitivity, 0) >= $minSens
RETURN best[0] AS tier, best[1] AS p`

// qChain lists the target and every container whose access passes down to
// it (CONTAINS edges) within $limit steps (0: unbounded).
const qChain = `MATCH (t:Node {id: $to})
MATCH q = ANY SHORTEST (c)-[:CONTAINS]->{0,}(t)
WITH c, length(q) AS d
WHERE $limit = 0 OR d <= $limit
RETURN collect(c.id) AS chain`

// reachHops is the traversal part of a reverse search: every hop's source
// must lie outside the target's container chain (as the projection's
// reverse search never enters the chain through a traversal edge), and the
// last principal is not the target itself.
var reachHops = `(x:Node)((a)-[:` + travTypes + `]->(b) WHERE NOT a.id IN $chain){0,}(u WHERE u.id <> $to)`

// qReach finds every node that reaches the target, at each tier with a
// shortest witness (ACCESS at the tier then CONTAINS; ESCALATES into the
// target for admin; any other traversal edge into the target for none),
// and keeps each node's highest tier within $limit steps.
var qReach = `MATCH (t:Node {id: $to})
CALL (t) {
  UNWIND [3, 2, 1] AS tier
  CALL (t, tier) {
    MATCH p = ANY SHORTEST ` + reachHops + `
          -[r:ACCESS WHERE r.privilege = tier]->(c)-[:CONTAINS]->{0,}(t)
    RETURN x, p
  }
  RETURN x, tier, p
  UNION ALL
  MATCH p = ANY SHORTEST ` + reachHops + `-[:ESCALATES]->(t)
  RETURN x, 3 AS tier, p
  UNION ALL
  MATCH p = ANY SHORTEST ` + reachHops + `-[:` + plainTravTypes + `]->(t)
  RETURN x, 0 AS tier, p
}
WITH t, x, tier, p
WHERE x <> t AND ($limit = 0 OR length(p) <= $limit)
WITH x, tier, p ORDER BY tier DESC, length(p)
WITH x, collect([tier, p])[0] AS best
WHERE best[0] >= $minPriv AND (size($kinds) = 0 OR x.kind IN $kinds)
RETURN best[0] AS tier, best[1] AS p`

// qPaths enumerates the simple paths from $from to $to of at most depth
// steps: traversal edges only, or traversal edges, one ACCESS edge and
// CONTAINS edges. Within one length they come in the projection's order
// (by edge kind, then node ID, step by step). Quantifier bounds cannot be
// parameters, so depth (validated, positive) is written into the text.
func qPaths(depth int) string {
	d, d1 := strconv.Itoa(depth), strconv.Itoa(depth-1)
	return `MATCH (s:Node {id: $from}), (t:Node {id: $to})
CALL (s, t) {
  MATCH p = (s)-[:` + travTypes + `]->{1,` + d + `}(t)
  RETURN p
  UNION ALL
  MATCH p = (s)-[:` + travTypes + `]->{0,` + d1 + `}()-[:ACCESS]->()-[:CONTAINS]->{0,` + d1 + `}(t)
  WHERE length(p) <= $maxDepth
  RETURN p
}
WITH p
WHERE all(n IN nodes(p) WHERE single(m IN nodes(p) WHERE m = n))
RETURN p
ORDER BY length(p), [r IN relationships(p) | [` + kindOrder + `, endNode(r).id]]
LIMIT $maxPaths`
}

// qNode reads one node's reference fields.
const qNode = `MATCH (n:Node {id: $id}) RETURN n`
