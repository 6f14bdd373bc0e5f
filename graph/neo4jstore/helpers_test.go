package neo4jstore

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"
)

// testConfig returns the Neo4j to test against, or skips the test. The
// tests DELETE every :Node and :SyncRun in that database: never point them
// at a database whose graph you want to keep.
func testConfig(t testing.TB) Config {
	t.Helper()
	uri := firstEnv("ACCESSGRAPH_NEO4J_URI", "NEO4J_URI")
	if uri == "" {
		t.Skip("no Neo4j to test against: set ACCESSGRAPH_NEO4J_URI (or NEO4J_URI) and NEO4J_PASSWORD, " +
			"e.g. after deploy/neo4j/neo4j.sh start; the tests wipe that database")
	}
	pw := firstEnv("ACCESSGRAPH_NEO4J_PASSWORD", "NEO4J_PASSWORD")
	if pw == "" {
		t.Skip("ACCESSGRAPH_NEO4J_URI is set but NEO4J_PASSWORD is not")
	}
	return Config{
		URI:      uri,
		User:     firstEnv("ACCESSGRAPH_NEO4J_USER", "NEO4J_USER"),
		Password: pw,
		Database: firstEnv("ACCESSGRAPH_NEO4J_DATABASE", "NEO4J_DATABASE"),
		Logger:   slog.New(slog.DiscardHandler),
	}
}

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// openClean opens a store on an emptied database; the test closes it.
func openClean(t testing.TB) *Store {
	t.Helper()
	return openCleanWith(t, testConfig(t))
}

func openCleanWith(t testing.TB, cfg Config) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, wipe(ctx, s))
	return s
}

// wipe deletes every graph node, staging node and sync run, in batches; the schema and
// the :Migration nodes stay.
func wipe(ctx context.Context, s *Store) error {
	for {
		out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			res, err := tx.Run(ctx, `MATCH (n) WHERE n:Node OR n:SyncRun OR n:StagedNode OR n:StagedEdges OR n:StagedNodeChunk OR n:StagedEdgeChunk
				WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS c`, nil)
			if err != nil {
				return nil, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return nil, err
			}
			c, _ := rec.Get("c")
			return c, nil
		})
		if err != nil {
			return err
		}
		if out.(int64) == 0 {
			return nil
		}
	}
}
