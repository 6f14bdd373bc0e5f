// Package generated holds the executable GraphQL schema that gqlgen writes
// from schema.graphqls and gqlgen.yml. Do not edit it: run
// `go generate ./gql` after changing the schema.
package generated
