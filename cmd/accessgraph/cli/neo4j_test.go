package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// neo4jURI returns the test Neo4j's URI, or skips. The tests that use it
// delete what they wrote only by sweeping their own sources.
func neo4jURI(t *testing.T) string {
	t.Helper()
	uri := os.Getenv("ACCESSGRAPH_NEO4J_URI")
	if uri == "" || os.Getenv("NEO4J_PASSWORD") == "" {
		t.Skip("no test Neo4j: set ACCESSGRAPH_NEO4J_URI and NEO4J_PASSWORD (make test does)")
	}
	return uri
}

func TestNeo4jConnectionErrors(t *testing.T) {
	t.Setenv("NEO4J_PASSWORD", "whatever-it-is")
	r := run(t, t.TempDir(), "--neo4j", "bolt://127.0.0.1:1", "runs")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "cannot connect: is it running? (deploy/neo4j/neo4j.sh start)")

	t.Setenv("NEO4J_PASSWORD", "")
	r = run(t, t.TempDir(), "--neo4j", "bolt://127.0.0.1:1", "runs")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "no password: set NEO4J_PASSWORD")
}

func TestNeo4jWrongPassword(t *testing.T) {
	uri := neo4jURI(t)
	t.Setenv("NEO4J_PASSWORD", "not-the-password")
	r := run(t, t.TempDir(), "--neo4j", uri, "runs")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, `authentication failed for user "neo4j"`)
	require.NotContains(t, r.stderr, "not-the-password", "the password is never printed")
}

// The same real export through Neo4j answers as through the embedded store.
func TestNeo4jEndToEnd(t *testing.T) {
	uri := neo4jURI(t)
	ds := datasets(t)
	gaad := filepath.Join(ds, "aws", gaadName)
	levels := filepath.Join(ds, "aws", "policy-sentry-iam-action-access-levels-2020.csv")
	out := mustRun(t, "", "--neo4j", uri, "ingest", "aws", "--action-levels", levels, gaad)
	require.Contains(t, out, "aws:012345678901: run ")
	doc := `{ whoCanReach(resource: "aws:012345678901:*:*", kinds: [ACCOUNT]) {
		reachers { edges { node { principal { id } privilege witness { length } } } } } }`
	viaNeo4j := reacherIDs(query(t, "", doc, "--neo4j", uri))

	store := t.TempDir()
	mustRun(t, store, "ingest", "aws", "--action-levels", levels, gaad)
	require.Equal(t, reacherIDs(query(t, store, doc)), viaNeo4j)
	require.Contains(t, viaNeo4j, "arn:aws:iam::012345678901:user/obama")

	// The Cypher engine, asked the same question on the same Neo4j, agrees.
	cypherDoc := `{ whoCanReach(resource: "aws:012345678901:*:*", kinds: [ACCOUNT], engine: CYPHER) {
		reachers { edges { node { principal { id } privilege witness { length } } } } } }`
	require.Equal(t, viaNeo4j, reacherIDs(query(t, "", cypherDoc, "--neo4j", uri)))
	r := run(t, store, "query", cypherDoc)
	require.Equal(t, 1, r.code, "without Neo4j, engine: CYPHER is refused")
	require.Contains(t, r.stdout, "UNAVAILABLE")
}
