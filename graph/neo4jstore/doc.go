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
// stub (true, or absent) and props (graph.Node.Props as a JSON object in a
// string). Every graph.Edge is a relationship whose type is
// EdgeKind.String() (HAS_ROLE, ACCESS, ...) with the properties privilege
// (an int, graph.Privilege, so tiers compare with <), actions, conditions
// and via (lists of strings), source, syncRun and props (JSON); an edge's
// ID is its endpoints' ids and its type. An empty subkind, list or props is
// an absent property. Sync runs are :SyncRun nodes; schema versions applied
// by Open are :Migration nodes. Nodes and each relationship type have a
// composite index on (source, syncRun), which the sweep and the count of
// what a run wrote seek.
//
// # Staged runs
//
// Like graph/embedded, a run's upserts are staged and only applied, with the
// sweep, by FinishRun: a run that fails, or whose process dies while it is
// staging, never changes what Node, Scan and Counts return. Upserts are
// staged in chunks, one (:StagedNodeChunk) or (:StagedEdgeChunk) per kind
// and per up to Config.BatchSize rows, holding the rows' fields as lists
// and numbered in staging order; one UpsertNodes or UpsertEdges call writes
// its chunks in one transaction. FinishRun applies the chunks in that
// order, so an element upserted twice in a run ends with its last value.
// Staging nodes carry no :Node label: no reader sees them. UpsertEdges
// checks that both endpoints are stored or staged in the run (the IDs a
// Store staged are remembered, as hashes, so this rarely asks Neo4j).
//
// FinishRun first puts the run in an internal applying phase (a phase
// property on the :SyncRun node; graph.SyncRun.Status stays active). Then,
// each its own transaction: it applies each staged chunk, nodes first
// (MERGE on the unique id index; a chunk deleted in the transaction that
// applies it); sweeps, in batches, every relationship and node of the
// run's source whose syncRun is not the run (range seeks on the (source,
// syncRun) indexes, so a run that leaves little stale reads little), with
// every relationship of any source touching a swept node (adding each
// batch's count to the run's stats in the same transaction); counts what
// the run wrote; and marks the run complete last. A Neo4j transaction
// cannot hold a large run, so while FinishRun works readers may see a run
// partly applied or partly swept; once applying has begun the run is only
// ever rolled forward. What a crash leaves behind, by where it happens:
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
// # Bulk initial load
//
// BulkLoad fills an empty database with Neo4j's offline importer
// (neo4j-admin database import full, run by deploy/neo4j/neo4j.sh import
// with the server stopped) instead of sync runs through Bolt: every batch
// is checked, then written as CSV files holding what FinishRun would have
// left after ingesting the batches in order, one complete run each (the
// stub rule and an edge two sources report decided as the apply decides
// them, one :SyncRun per batch with its counts); the server is restarted
// and Open, finding no :Migration, builds the schema this build ends with.
// Later runs are ordinary sync runs. See bulk.go.
//
// # Abandoned runs
//
// Several processes may share one Neo4j, so Open does not abandon every
// active run: it marks abandoned only runs still staging that have written
// nothing for Config.AbandonAfter (default 6h, see AbandonStale). Every
// write of a run refreshes its heartbeat.
package neo4jstore
