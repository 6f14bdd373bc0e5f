package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/accessgraph/accessgraph/gql"
	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/cypher"
	"github.com/accessgraph/accessgraph/graph/neo4jstore"
)

// neo4jFlags select Neo4j as the store. The password never comes from a
// flag (it would show in the process list): it is read from NEO4J_PASSWORD
// or from the file --neo4j-password-file names.
type neo4jFlags struct {
	uri, user, database, passwordFile string
	password                          string // from a configuration file's secret
}

func (f *neo4jFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.uri, "neo4j", envOr("NEO4J_URI", ""),
		"use Neo4j at this bolt:// or neo4j:// URI instead of the embedded store (env NEO4J_URI)")
	fs.StringVar(&f.user, "neo4j-user", envOr("NEO4J_USER", "neo4j"), "Neo4j user (env NEO4J_USER)")
	fs.StringVar(&f.database, "neo4j-database", envOr("NEO4J_DATABASE", ""),
		"Neo4j database (env NEO4J_DATABASE; default: the server's default)")
	fs.StringVar(&f.passwordFile, "neo4j-password-file", envOr("NEO4J_PASSWORD_FILE", ""),
		"read the Neo4j password from this file (else env NEO4J_PASSWORD)")
}

func (f *neo4jFlags) open(ctx context.Context, log *slog.Logger) (*neo4jstore.Store, error) {
	cfg, err := f.config(log)
	if err != nil {
		return nil, err
	}
	return neo4jstore.Open(ctx, cfg)
}

// config is the store configuration the flags and the environment give.
func (f *neo4jFlags) config(log *slog.Logger) (neo4jstore.Config, error) {
	cfg, err := neo4jstore.ConfigFromEnv()
	if err != nil {
		return cfg, err
	}
	cfg.URI, cfg.User, cfg.Database, cfg.Logger = f.uri, f.user, f.database, log
	if f.password != "" {
		cfg.Password = f.password
	}
	if f.passwordFile != "" {
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return cfg, fmt.Errorf("--neo4j-password-file: %w", err)
		}
		cfg.Password = strings.TrimRight(string(b), "\r\n")
		cfg.PasswordFrom = "the password in --neo4j-password-file " + f.passwordFile
	}
	if cfg.Password == "" {
		return cfg, usageError{fmt.Errorf("neo4j at %s: no password: set NEO4J_PASSWORD or pass "+
			"--neo4j-password-file", f.uri)}
	}
	return cfg, nil
}

// cypherEngine returns the Cypher engine over st when st is Neo4j, so that
// queries may ask for engine: CYPHER; nil otherwise.
func cypherEngine(st graph.Store) gql.Engine {
	if n, ok := st.(*neo4jstore.Store); ok {
		return cypher.New(n.Driver(), n.Database())
	}
	return nil
}
