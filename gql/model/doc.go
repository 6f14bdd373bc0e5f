// Package model holds the GraphQL types that gqlgen generates for
// schema.graphqls (connections, edges, counts and the Engine enum); the
// other types are bound to the graph and projection packages in gqlgen.yml.
// Do not edit models_gen.go: run `go generate ./gql`.
package model
