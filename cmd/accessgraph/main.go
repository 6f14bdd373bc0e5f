// Command accessgraph ingests identity and access exports into a graph and
// answers blast radius, paths and reverse reach over GraphQL.
package main

import (
	"os"

	"github.com/accessgraph/accessgraph/cmd/accessgraph/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
