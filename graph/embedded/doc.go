// Package embedded is the default graph.Store: a single-file bbolt database
// on local disk, used by one process at a time, with no server to start.
//
// Writes of a sync run are staged in append-only spill files of the run
// (never fsynced, deleted on every open) and applied, with the sweep of what
// the run's source no longer reports, in one fsynced bbolt transaction when
// the run finishes. A run that fails, or whose process dies, therefore
// leaves the committed graph exactly as the last complete run left it.
//
// The layout (schema 2, see codec.go) is built for big runs: nodes keyed by
// ID; edges as one binary list per From node, so a run writes a key per
// node rather than per edge; a per-source index of its nodes and of the
// From nodes it has edges of, which the sweep walks. Values never hold the
// run that wrote them (every element of a source was written by the
// source's latest complete run), so a run that re-reports what is stored
// compares bytes and writes nothing. Finding the edges into a swept node
// takes one pass over every edge list; there is no reverse index.
package embedded
