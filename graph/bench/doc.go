// Package bench measures accessgraph on a synthetic company: it generates
// the company's exports with ingest/synth, parses them with the real
// connectors, and times ingest, projection builds and the three queries
// over sampled identities and resources. `accessgraph bench` and the Go
// benchmarks of this package both use it.
package bench
