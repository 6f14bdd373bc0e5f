package neo4jstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/cypher"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
)

// bulkBatches are two sources that share nodes: a's stub of b's admin
// (b's own node wins), b's stub of a's alice (never overwrites a's alice),
// and an edge both report between nodes both report (b's, the later run,
// wins). Names hold quotes, commas, a newline and non-ASCII.
func bulkBatches() (a, b *graph.Batch) {
	a = graph.NewBatch("bulk-a")
	a.AddNode(graph.Node{ID: "a:alice", Kind: graph.KindAccount, Subkind: "user", Name: `alice "al", o'neil`,
		Props: map[string]string{"email": "alice@example.com", "note": "line1\nline2"}})
	a.AddNode(graph.Node{ID: "a:eng", Kind: graph.KindGroup, Name: "eng, ünïcode"})
	a.AddNode(graph.Node{ID: "a:empty-name", Kind: graph.KindGroup})
	a.AddNode(graph.Node{ID: "a:bucket", Kind: graph.KindResource, Name: "bucket", Sensitivity: graph.SensCritical})
	a.AddNode(graph.Node{ID: "a:key", Kind: graph.KindCredential, Name: "key\nsecond line"})
	a.AddNode(graph.Node{ID: "b:admin", Kind: graph.KindRole, Name: "admin (stub)", Props: map[string]string{graph.PropStub: "true"}})
	a.AddEdge(graph.Edge{From: "a:alice", To: "a:eng", Kind: graph.EdgeMemberOf})
	a.AddEdge(graph.Edge{From: "a:eng", To: "b:admin", Kind: graph.EdgeHasRole, Via: []string{"binding/x", "binding;y"}})
	a.AddEdge(graph.Edge{From: "b:admin", To: "a:bucket", Kind: graph.EdgeAccess, Privilege: graph.PrivAdmin,
		Actions: []string{"s3:*", "s3:Get,Object"}, Conditions: []string{`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`},
		Props: map[string]string{"policy": "p1"}})
	a.AddEdge(graph.Edge{From: "a:key", To: "a:alice", Kind: graph.EdgeAuthenticates})
	a.AddEdge(graph.Edge{From: "a:alice", To: "b:admin", Kind: graph.EdgeCanAssume, Privilege: graph.PrivRead})
	for i := range 30 {
		id := fmt.Sprintf("a:user%02d", i)
		a.AddNode(graph.Node{ID: id, Kind: graph.KindAccount, Name: id})
		a.AddEdge(graph.Edge{From: id, To: "a:eng", Kind: graph.EdgeMemberOf})
	}

	b = graph.NewBatch("bulk-b")
	b.AddNode(graph.Node{ID: "b:admin", Kind: graph.KindRole, Subkind: "aws", Name: "admin"})
	b.AddNode(graph.Node{ID: "a:alice", Kind: graph.KindAccount, Name: "alice (stub)", Props: map[string]string{graph.PropStub: "true"}})
	b.AddNode(graph.Node{ID: "b:db", Kind: graph.KindResource, Name: "db", Sensitivity: graph.SensHigh})
	b.AddEdge(graph.Edge{From: "b:admin", To: "b:db", Kind: graph.EdgeAccess, Privilege: graph.PrivWrite, Actions: []string{"rds:*"}})
	b.AddEdge(graph.Edge{From: "a:alice", To: "b:admin", Kind: graph.EdgeCanAssume, Privilege: graph.PrivAdmin,
		Via: []string{"trust"}})
	return a, b
}

// bulkChanged is a's next export: user07 left (its node and edge are
// swept) and the access to the bucket dropped to read.
func bulkChanged() *graph.Batch {
	a, _ := bulkBatches()
	c := graph.NewBatch(a.Source)
	for _, n := range a.Nodes() {
		if n.ID != "a:user07" {
			c.AddNode(n)
		}
	}
	for _, e := range a.Edges() {
		if e.From == "a:user07" {
			continue
		}
		if e.Kind == graph.EdgeAccess && e.To == "a:bucket" {
			e.Privilege, e.Actions = graph.PrivRead, []string{"s3:GetObject"}
		}
		c.AddEdge(e)
	}
	return c
}

// fullDump is every node and edge as Scan returns them, with each syncRun
// replaced by "source#k" (the k-th run of its source), sorted.
func fullDump(t *testing.T, st *Store) []string {
	t.Helper()
	ctx := context.Background()
	runs, err := st.Runs(ctx, "", 0)
	require.NoError(t, err)
	name := map[string]string{}
	seen := map[string]int{}
	for _, r := range slices.Backward(runs) {
		seen[r.Source]++
		name[r.ID] = fmt.Sprintf("%s#%d", r.Source, seen[r.Source])
	}
	var out []string
	err = st.Scan(ctx, func(n *graph.Node) error {
		c := *n
		c.SyncRun = name[c.SyncRun]
		out = append(out, fmt.Sprintf("node %+v", c))
		return nil
	}, func(e *graph.Edge) error {
		c := *e
		c.SyncRun = name[c.SyncRun]
		out = append(out, fmt.Sprintf("edge %+v", c))
		return nil
	})
	require.NoError(t, err)
	slices.Sort(out)
	return out
}

func TestWriteBulkFiles(t *testing.T) {
	a, b := bulkBatches()
	dir := filepath.Join(t.TempDir(), "csv")
	f, err := WriteBulkFiles(dir, []*graph.Batch{a, b}, time.Unix(1700000000, 0))
	require.NoError(t, err)
	an, ae := a.Len()
	bn, be := b.Len()
	require.Equal(t, an+bn-2, f.Nodes, "the two shared nodes are written once")
	require.Equal(t, ae+be-1, f.Edges, "the shared edge is written once")
	require.Len(t, f.Runs, 2)
	require.Equal(t, an, f.Runs[0].Stats.NodesUpserted)
	require.Equal(t, bn-1, f.Runs[1].Stats.NodesUpserted, "b's stub of a's alice is not applied")
	require.Equal(t, be, f.Runs[1].Stats.EdgesUpserted)
	require.Less(t, f.Runs[0].ID, f.Runs[1].ID)
	require.Contains(t, f.Args, "--multiline-fields=true", "a newline in a value needs multi-line parsing")
	nodes, err := os.ReadFile(filepath.Join(dir, "nodes.csv"))
	require.NoError(t, err)
	require.Contains(t, string(nodes), `"a:alice","Node`+"\x1f"+`Account","account","user","alice ""al"", o'neil",0,"bulk-a",`)
	require.Contains(t, string(nodes), `"b:admin","Node`+"\x1f"+`Role","role","aws","admin",0,"bulk-b",`)
	require.Contains(t, string(nodes), `"a:empty-name","Node`+"\x1f"+`Group","group",,"",0,`, "an empty subkind is absent, an empty name is \"\"")

	// A malformed batch fails before any file is written.
	for name, bad := range map[string]func() []*graph.Batch{
		"missing endpoint": func() []*graph.Batch {
			x := graph.NewBatch("bad")
			x.AddNode(graph.Node{ID: "x:1", Kind: graph.KindAccount})
			x.AddEdge(graph.Edge{From: "x:1", To: "x:2", Kind: graph.EdgeMemberOf})
			return []*graph.Batch{a, x}
		},
		"two batches of one source": func() []*graph.Batch { return []*graph.Batch{a, a} },
		"list delimiter in a value": func() []*graph.Batch {
			x := graph.NewBatch("bad")
			x.AddNode(graph.Node{ID: "x:1", Kind: graph.KindAccount})
			x.AddEdge(graph.Edge{From: "x:1", To: "x:1", Kind: graph.EdgeAccess, Actions: []string{"a\x1fb"}})
			return []*graph.Batch{a, x}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "csv")
			_, err := WriteBulkFiles(dir, bad(), time.Now())
			require.Error(t, err)
			_, serr := os.Stat(dir)
			require.True(t, os.IsNotExist(serr), "nothing written: %v", serr)
		})
	}
	// A directory that is not empty is refused.
	_, err = WriteBulkFiles(dir, []*graph.Batch{a}, time.Now())
	require.ErrorContains(t, err, "not empty")
}

func TestSquashedSchema(t *testing.T) {
	sq := squash(migrations())
	all := strings.Join(sq, "\n")
	require.NotContains(t, all, "DROP")
	require.NotContains(t, all, "INDEX node_source IF", "v3 drops it")
	require.Contains(t, all, "INDEX node_source_syncrun IF NOT EXISTS")
	require.Contains(t, all, "CONSTRAINT node_id IF NOT EXISTS")
	require.Contains(t, all, "INDEX rel_access_source_syncrun IF NOT EXISTS")
	require.NotContains(t, all, "INDEX rel_access_syncrun IF")
}

// TestBulkImport starts a Neo4j of its own and checks that a bulk-loaded
// database is the one the transactional path writes: the same full Scan,
// runs, Node reads and Cypher answers; that a later transactional run of a
// source sweeps and updates it the same way; that a database holding data
// is refused; and that a failing importer leaves the database as it was.
// It needs deploy/neo4j's jars (make test installs them) and takes a few
// minutes: it runs when ACCESSGRAPH_NEO4J_RESTART_TEST is set.
func TestBulkImport(t *testing.T) {
	if os.Getenv("ACCESSGRAPH_NEO4J_RESTART_TEST") == "" {
		t.Skip("set ACCESSGRAPH_NEO4J_RESTART_TEST=1 (make test does) to start a Neo4j and bulk-import into it")
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	home := firstEnv("NEO4J_HOME_DIR")
	if home == "" {
		home = filepath.Join(repo, ".cache", "neo4j")
	}
	if jars, _ := filepath.Glob(filepath.Join(home, "*", "lib", "neo4j-import-tool-*.jar")); len(jars) == 0 {
		t.Skipf("no Neo4j importer in %s: run deploy/neo4j/neo4j.sh install (make test does)", home)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	const pw = "bulk-test-password"
	env := []string{
		fmt.Sprintf("NEO4J_BOLT_PORT=%d", port),
		"NEO4J_DATA_DIR=" + t.TempDir(),
		"NEO4J_HOME_DIR=" + home,
		"NEO4J_PASSWORD=" + pw,
		"NEO4J_HEAP=512m", "NEO4J_PAGECACHE=256m", "NEO4J_IMPORT_HEAP=512m", "NEO4J_IMPORT_MEMORY=512m",
	}
	srv := ScriptServer{Script: filepath.Join(repo, "deploy", "neo4j", "neo4j.sh"), Env: append(os.Environ(), env...)}
	ctx := context.Background()
	require.NoError(t, srv.Start(ctx))
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	cfg := Config{URI: fmt.Sprintf("bolt://127.0.0.1:%d", port), User: "neo4j", Password: pw,
		Logger: slog.New(slog.DiscardHandler), BatchSize: 20}

	// The reference: the same batches through the transactional path.
	st, err := Open(ctx, cfg)
	require.NoError(t, err)
	a, b := bulkBatches()
	var refRuns []graph.SyncRun
	for _, x := range []*graph.Batch{a, b} {
		r, err := ingest.Write(ctx, st, x, ingest.WriteOptions{})
		require.NoError(t, err)
		refRuns = append(refRuns, *r)
	}
	refInit := fullDump(t, st)
	refBlast := blast(t, st, "a:alice")
	refNext, err := ingest.Write(ctx, st, bulkChanged(), ingest.WriteOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, refNext.Stats.NodesSwept)
	require.Equal(t, 1, refNext.Stats.EdgesSwept)
	refAfter := fullDump(t, st)

	// A database holding data is refused before any file is written.
	refused := filepath.Join(t.TempDir(), "refused")
	_, err = BulkLoad(ctx, cfg, []*graph.Batch{a, b}, BulkOptions{Dir: refused, Server: srv})
	require.ErrorContains(t, err, "bulk import needs an empty database")
	_, serr := os.Stat(refused)
	require.True(t, os.IsNotExist(serr))

	// A failing importer leaves the database as it was.
	require.NoError(t, st.Close())
	bad, err := WriteBulkFiles(filepath.Join(t.TempDir(), "bad"), []*graph.Batch{a}, time.Now())
	require.NoError(t, err)
	f, err := os.OpenFile(filepath.Join(bad.Dir, "nodes.csv"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`"a:alice","Node` + "\x1f" + `Account","account",,"dup",0,"bulk-a","x",,` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, srv.Stop(ctx))
	err = srv.Import(ctx, bad.Args)
	require.Error(t, err)
	require.Contains(t, err.Error(), "a:alice", "the error shows the importer's log")
	require.NoError(t, srv.Start(ctx))
	st, err = Open(ctx, cfg)
	require.NoError(t, err)
	require.Equal(t, refAfter, fullDump(t, st), "the database is as it was")

	// The bulk load of the same batches is the reference, read by every path.
	require.NoError(t, wipe(ctx, st))
	require.NoError(t, st.Close())
	res, err := BulkLoad(ctx, cfg, []*graph.Batch{a, b}, BulkOptions{Dir: filepath.Join(t.TempDir(), "csv"), Server: srv})
	require.NoError(t, err)
	st = res.Store
	defer st.Close()
	require.Equal(t, refInit, fullDump(t, st))
	runs, err := st.Runs(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	for i, r := range slices.Backward(runs) {
		require.Equal(t, graph.RunComplete, r.Status)
		require.Equal(t, refRuns[1-i].Source, r.Source)
		require.Equal(t, refRuns[1-i].Stats, r.Stats)
		got, err := st.Run(ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, r, *got)
	}
	alice, err := st.Node(ctx, "a:alice")
	require.NoError(t, err)
	require.Equal(t, "bulk-a", alice.Source, "b's stub did not overwrite a's alice")
	require.Equal(t, "line1\nline2", alice.Props["note"])
	admin, err := st.Node(ctx, "b:admin")
	require.NoError(t, err)
	require.Equal(t, "admin", admin.Name, "b's own admin replaced a's stub")
	n, e, err := st.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, [2]int{res.Files.Nodes, res.Files.Edges}, [2]int{n, e})
	require.Equal(t, refBlast, blast(t, st, "a:alice"), "the Cypher engine answers the same")
	snap, err := projection.Build(ctx, st)
	require.NoError(t, err)
	require.Equal(t, e, snap.Stats().Edges)
	migrated, err := st.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		return single(ctx, tx, "MATCH (m:Migration) RETURN count(m) AS c", nil)
	})
	require.NoError(t, err)
	require.EqualValues(t, SchemaVersion(), migrated)

	// The next transactional run sweeps and updates it as it did the reference.
	next, err := ingest.Write(ctx, st, bulkChanged(), ingest.WriteOptions{})
	require.NoError(t, err)
	require.Equal(t, refNext.Stats, next.Stats)
	require.Equal(t, refAfter, fullDump(t, st))
}

// blast is the Cypher engine's blast radius of from, as JSON.
func blast(t *testing.T, st *Store, from string) string {
	t.Helper()
	r, err := cypher.New(st.Driver(), st.Database()).BlastRadius(context.Background(),
		projection.BlastRadiusQuery{From: from})
	require.NoError(t, err)
	out, err := json.Marshal(r)
	require.NoError(t, err)
	return string(out)
}
