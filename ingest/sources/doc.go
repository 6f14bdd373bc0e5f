// Package sources maps a configured source (ingest/config) to its
// connector: it reads the source's export files or live API and returns its
// batches, one per sync source. The scheduler and `accessgraph sync` use it.
package sources
