// Package cypher answers blast radius, paths and who-can-reach from the
// Neo4j system of record (graph/neo4jstore) through Cypher, returning
// exactly the result types of graph/projection so that each engine is the
// other's oracle.
//
// The rule is the one of docs/DECISIONS.md D2: a path is traversal edges
// (HAS_ACCOUNT, MEMBER_OF, HAS_ROLE, CAN_ASSUME, AUTHENTICATES, DELEGATES,
// ESCALATES), then, for a resource, exactly one ACCESS edge, then CONTAINS
// edges. OWNS is never followed.
//
// Every search is layered and driven from Go: one parameterised Cypher
// statement per level reads the relationships around the whole frontier
// (UNWIND $ids AS id MATCH (:Node {id: id})-[r:HAS_ACCOUNT|...]->(m) ...),
// each start found through the unique index on :Node(id), while the
// visited set, distances and parent edges stay in Go for the duration of
// one read transaction. Nothing is kept between queries: every answer
// comes from the database at query time.
//
//   - BlastRadius: a forward breadth-first search over traversal edges,
//     each level returning only the nodes it meets first, with the
//     relationship the projection's search meets them by; then one
//     statement reads the ACCESS edges of all those principals aggregated
//     per resource (the nearest holder per tier and every action); the
//     resources below are read level by level over CONTAINS edges, and
//     access passes down them keeping each tier's shortest length.
//   - WhoCanReach: the target's containers (reverse CONTAINS levels), the
//     last steps into them, then one reverse breadth-first search per
//     privilege tier, highest first, reading each level's incoming
//     traversal relationships once.
//   - Paths: the nodes the start reaches within the depth bound (forward
//     levels), the target's containers and the grants into them from those
//     nodes, then backwards from the target, level by level, only the
//     relationships among those nodes, giving each its distance to the
//     target; a depth-first enumeration enters only nodes that can still
//     reach the target in the steps left.
//
// Relationships are ordered as the projection's compressed rows are (edge
// kind, then node ID), so witnesses and the order of paths within one
// length are the projection's, not only equally short ones.
//
// Compare runs the same sample of queries through both engines and reports
// latency per engine and their ratio, for the CLI and the benchmarks.
package cypher
