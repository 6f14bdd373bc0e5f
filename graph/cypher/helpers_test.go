package cypher

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/neo4jstore"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
)

var quiet = slog.New(slog.DiscardHandler)

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// testConfig returns the Neo4j to test against, or skips the test. The
// tests DELETE every :Node and :SyncRun in that database.
func testConfig(t testing.TB) neo4jstore.Config {
	t.Helper()
	uri := firstEnv("ACCESSGRAPH_NEO4J_URI", "NEO4J_URI")
	if uri == "" {
		t.Skip("no Neo4j to test against: set ACCESSGRAPH_NEO4J_URI (or NEO4J_URI) and NEO4J_PASSWORD, " +
			"e.g. after deploy/neo4j/neo4j.sh start; the tests wipe that database " +
			"(run this package alone: go test -p 1 ./graph/cypher/)")
	}
	pw := firstEnv("ACCESSGRAPH_NEO4J_PASSWORD", "NEO4J_PASSWORD")
	if pw == "" {
		t.Skip("ACCESSGRAPH_NEO4J_URI is set but NEO4J_PASSWORD is not")
	}
	return neo4jstore.Config{
		URI:      uri,
		User:     firstEnv("ACCESSGRAPH_NEO4J_USER", "NEO4J_USER"),
		Password: pw,
		Database: firstEnv("ACCESSGRAPH_NEO4J_DATABASE", "NEO4J_DATABASE"),
		Logger:   quiet,
	}
}

// openClean opens the store on an emptied database; the test closes it.
func openClean(t testing.TB) *neo4jstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := neo4jstore.Open(ctx, testConfig(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, wipe(ctx, st))
	return st
}

// wipe deletes every graph node and sync run, in batches.
func wipe(ctx context.Context, st *neo4jstore.Store) error {
	sess := st.Driver().NewSession(ctx, neo4j.SessionConfig{DatabaseName: st.Database()})
	defer sess.Close(context.Background())
	for {
		out, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			res, err := tx.Run(ctx, `MATCH (n) WHERE n:Node OR n:SyncRun
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

// load writes each batch as one sync run through the real ingest path and
// builds the projection from what the store holds.
func load(t testing.TB, st *neo4jstore.Store, batches ...*graph.Batch) *projection.Snapshot {
	t.Helper()
	ctx := context.Background()
	for _, b := range batches {
		_, err := ingest.Write(ctx, st, b, ingest.WriteOptions{Logger: quiet})
		require.NoError(t, err)
	}
	snap, err := projection.Build(ctx, st)
	require.NoError(t, err)
	return snap
}

// datasets returns /work/shared/datasets resolved from the repository root,
// or skips.
func datasets(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test")
		dir = parent
	}
	ds := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(ds); err != nil {
		t.Skipf("public datasets not found at %s: %v", ds, err)
	}
	return ds
}

func node(id string, k graph.Kind, sens graph.Sensitivity) graph.Node {
	return graph.Node{ID: id, Kind: k, Name: id, Source: "test", Sensitivity: sens}
}

func edge(from string, k graph.EdgeKind, to string, p graph.Privilege, actions ...string) graph.Edge {
	return graph.Edge{From: from, To: to, Kind: k, Privilege: p, Actions: actions, Source: "test"}
}

func batchOf(source string, nodes []graph.Node, edges []graph.Edge) *graph.Batch {
	b := graph.NewBatch(source)
	for _, n := range nodes {
		n.Source = source
		b.AddNode(n)
	}
	for _, e := range edges {
		e.Source = source
		b.AddEdge(e)
	}
	return b
}

func pathIDs(p projection.Path) []string {
	out := make([]string, len(p.Nodes))
	for i, n := range p.Nodes {
		out[i] = n.ID
	}
	return out
}
