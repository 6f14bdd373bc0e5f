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
// # Staged runs
//
// Like graph/embedded, a run's upserts are staged and only applied, with the
// sweep, by FinishRun: a run that fails, or whose process dies while it is
// staging, never changes what Node, Scan and Counts return. A node is staged
// as one (:StagedNode) with its fields, merged (UNWIND + MERGE,
// Config.BatchSize rows per transaction) on a key of run and node ID, so
// upserting it again in the same run replaces its staged copy. Edges are
// staged a batch at a time as one (:StagedEdges) node holding the batch's
// fields as lists, numbered in order, and applied in that order, so an edge
// upserted twice in a run ends with its last value. Staging nodes carry no
// :Node label: no reader sees them. UpsertEdges checks that both endpoints
// are stored or staged in the run.
//
// FinishRun first puts the run in an internal applying phase (a phase
// property on the :SyncRun node; graph.SyncRun.Status stays active). Then,
// in batches, each its own transaction: it merges the staged nodes, then
// edges, into the graph (deleting each batch's staging in the same
// transaction); sweeps every relationship and node of the run's source whose
// syncRun is not the run, with every relationship of any source touching a
// swept node (adding each batch's count to the run's stats in the same
// transaction); and marks the run complete last. A Neo4j transaction cannot
// hold a large run, so while FinishRun works readers may see a run partly
// applied or partly swept; once applying has begun the run is only ever
// rolled forward. What a crash leaves behind, by where it happens:
//
//   - while staging, or in FailRun: the run is active (or failed) and its
//     staging invisible. AbandonStale marks it abandoned after
//     Config.AbandonAfter without writes and deletes the staging; FailRun
//     deletes it at once, and Open deletes what an interrupted FailRun left
//     (the run keeps phase "purge" until its staging is gone).
//   - after the run entered the applying phase, at any batch of applying or
//     sweeping, or just before the run is marked complete: the run stays
//     active in phase applying. It accepts no upserts, FailRun refuses it
//     and AbandonStale never abandons it. FinishRun(runID) resumes it
//     (applying what is still staged, sweeping what is still stale, then
//     completing), and so does ResumeApplying, which Open calls, for a run
//     that made no progress for Config.ResumeAfter (so that a FinishRun still
//     running in another process is not raced). Every step is idempotent.
//
// A stub node (Props[graph.PropStub] == "true") never overwrites a node that
// another source reported as a non-stub.
//
// Only one run per source should be active at a time: finishing a run sweeps
// what a concurrent run of the same source applied before it.
//
// # Abandoned runs
//
// Several processes may share one Neo4j, so Open does not abandon every
// active run: it marks abandoned only runs still staging that have written
// nothing for Config.AbandonAfter (default 6h, see AbandonStale). Every
// write of a run refreshes its heartbeat.
package neo4jstore
