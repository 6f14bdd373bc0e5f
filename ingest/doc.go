// Package ingest writes what connectors report into a graph.Store as sync
// runs. Connectors live in subpackages (aws, k8s, ...); each parses and
// validates its whole input into a graph.Batch before anything is written,
// so a malformed export never touches the store.
package ingest
