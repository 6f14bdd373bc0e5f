// Package cypher answers blast radius, paths and who-can-reach in Cypher on
// the Neo4j system of record (graph/neo4jstore), returning exactly the
// result types of graph/projection so that each engine is the other's
// oracle.
//
// The rule is the one of docs/DECISIONS.md D2: a path is traversal edges
// (HAS_ACCOUNT, MEMBER_OF, HAS_ROLE, CAN_ASSUME, AUTHENTICATES, DELEGATES,
// ESCALATES), then, for a resource, exactly one ACCESS edge, then CONTAINS
// edges. OWNS is never followed.
//
// Every graph search is one Cypher statement built on quantified path
// patterns and the ANY SHORTEST selector of Neo4j 5 (no APOC): "highest
// privilege, then shortest witness" is one ANY SHORTEST search per privilege
// tier, with the tier pinned by an inline predicate on the ACCESS (or final
// ESCALATES) relationship, merged in Cypher by ORDER BY tier DESC,
// length(p). Go only decodes the records, merges action sets and sorts the
// way the projection does. Every query is parameterised; the only text built
// at run time is relationship-type lists from graph.EdgeKind constants and,
// for Paths, the quantifier bound (a validated integer: Cypher does not take
// a parameter there).
//
// Compare runs the same sample of queries through both engines and reports
// latency per engine and their ratio, for the CLI and the benchmarks.
package cypher
