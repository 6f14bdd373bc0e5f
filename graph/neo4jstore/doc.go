// Package neo4jstore is the graph.Store on Neo4j 5, the system of record
// when accessgraph outgrows one machine or analysts want the graph in Neo4j
// Browser.
//
// # Model
//
// Every graph.Node is a node labelled :Node plus one label for its kind
// (:Identity, :Account, :Group, :Role, :Entitlement, :Resource, :Credential,
// :Grant, :Application) with the properties id, kind (the kind's name),
// subkind, name, sensitivity (an int, graph.Sensitivity), source, syncRun,
// stub (bool) and props (graph.Node.Props as a JSON object in a string).
// Every graph.Edge is a relationship whose type is EdgeKind.String()
// (HAS_ROLE, ACCESS, ...) with the properties id, privilege (an int,
// graph.Privilege, so tiers compare with <), actions, conditions and via
// (lists of strings), source, syncRun and props (JSON). Sync runs are
// :SyncRun nodes; schema versions applied by Open are :Migration nodes.
//
// # Writes and sweeps
//
// Upserts are written as they come (UNWIND + MERGE on the stable id, in
// managed write transactions of Config.BatchSize rows), tagged with the run
// that wrote them. Unlike graph/embedded, which stages a run and applies it
// at FinishRun, what a run has upserted is visible to readers before the run
// finishes, and stays after a run fails: a failed run sweeps nothing, so what
// earlier complete runs wrote is never removed by it, and the next complete
// run of the source sweeps whatever the failed one wrote that the source no
// longer reports.
//
// FinishRun sweeps, in batches, every relationship and node of the run's
// source whose syncRun differs from the run (and every relationship of any
// source touching a swept node), and only then marks the run complete: a
// process that dies mid-sweep leaves the run active, never complete.
//
// A stub node (Props[graph.PropStub] == "true") never overwrites a node that
// another source reported as a non-stub.
//
// Only one run per source should be active at a time: finishing a run sweeps
// what a concurrent run of the same source wrote.
//
// # Abandoned runs
//
// Several processes may share one Neo4j, so Open does not abandon every
// active run: it marks abandoned only runs that have written nothing for
// Config.AbandonAfter (default 6h, see AbandonStale). Every write of a run
// refreshes its heartbeat.
package neo4jstore
