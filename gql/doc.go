// Package gql serves the accessgraph GraphQL API (schema.graphqls at the
// repository root) with gqlgen on gin: blast radius, paths and reverse reach
// over the projection snapshot, identity lookup and search, and sync-run
// status.
//
// Resolvers are thin: they check and translate arguments, call an Engine
// (the projection snapshot, or a Cypher engine plugged in by another
// package), and page the results. Domain errors become GraphQL errors in one
// place, presentError. The executable schema lives in gql/generated and the
// generated models in gql/model; both are written by gqlgen:
//
//	go generate ./gql
package gql

//go:generate go run github.com/99designs/gqlgen generate
