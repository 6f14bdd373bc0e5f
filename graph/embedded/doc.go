// Package embedded is the default graph.Store: a single-file bbolt database
// on local disk, used by one process at a time, with no server to start.
//
// Writes of a sync run are staged in a bucket of their own and applied, with
// the sweep of what the run's source no longer reports, in one transaction
// when the run finishes. A run that fails, or whose process dies, therefore
// leaves the committed graph exactly as the last complete run left it.
package embedded
