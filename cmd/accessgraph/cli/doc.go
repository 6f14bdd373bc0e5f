// Package cli builds the accessgraph command line: ingest, serve, query,
// demo and gen. Each command translates flags into calls on the graph,
// ingest and gql packages; no analysis logic lives here.
package cli
