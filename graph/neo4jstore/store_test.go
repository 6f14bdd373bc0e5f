package neo4jstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/storetest"
)

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("NEO4J_URI", "bolt://db.internal:7687")
	t.Setenv("NEO4J_USER", "ingest")
	t.Setenv("NEO4J_PASSWORD", "s3cret-pass")
	t.Setenv("NEO4J_DATABASE", "graph")
	t.Setenv("NEO4J_BATCH_SIZE", "500")
	t.Setenv("NEO4J_MAX_RETRIES", "")
	c, err := ConfigFromEnv()
	require.NoError(t, err)
	require.Equal(t, Config{URI: "bolt://db.internal:7687", User: "ingest", Password: "s3cret-pass",
		Database: "graph", BatchSize: 500}, c)

	t.Setenv("NEO4J_BATCH_SIZE", "lots")
	_, err = ConfigFromEnv()
	require.EqualError(t, err, `NEO4J_BATCH_SIZE="lots": want an integer`)
}

func TestOpenNotRunning(t *testing.T) {
	// A port nothing listens on: bind one, note it, release it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	uri := "bolt://" + addr
	start := time.Now()
	_, err = Open(context.Background(), Config{URI: uri, Password: "whatever-pass"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "neo4j at "+uri+": cannot connect: is it running? (deploy/neo4j/neo4j.sh start)")
	require.NotContains(t, err.Error(), "whatever-pass")
	require.Less(t, time.Since(start), 20*time.Second, "a refused connection fails fast")
}

func TestOpenNoPassword(t *testing.T) {
	_, err := Open(context.Background(), Config{URI: "bolt://127.0.0.1:1"})
	require.EqualError(t, err, "neo4j at bolt://127.0.0.1:1: no password: set NEO4J_PASSWORD")
}

func TestOpenWrongPassword(t *testing.T) {
	cfg := testConfig(t)
	cfg.Password = "not-the-password-42"
	_, err := Open(context.Background(), cfg)
	require.Error(t, err)
	user := cfg.User
	if user == "" {
		user = DefaultUser
	}
	require.Contains(t, err.Error(),
		fmt.Sprintf("neo4j at %s: authentication failed for user %q: check NEO4J_PASSWORD (", cfg.URI, user))
	require.NotContains(t, err.Error(), "not-the-password-42")
}

// fixture is what source "aws:1" reports in its first pass: 7 nodes, 6 edges.
func fixture(withBob bool) *graph.Batch {
	b := graph.NewBatch("aws:1")
	b.AddNode(graph.Node{ID: "aws:1:user/alice", Kind: graph.KindAccount, Subkind: "aws-user", Name: "alice",
		Props: map[string]string{"arn": "arn:aws:iam::1:user/alice"}})
	b.AddNode(graph.Node{ID: "aws:1:group/devs", Kind: graph.KindGroup, Name: "devs"})
	b.AddNode(graph.Node{ID: "aws:1:role/admin", Kind: graph.KindRole, Subkind: "aws-role", Name: "admin"})
	b.AddNode(graph.Node{ID: "aws:1:s3/payroll", Kind: graph.KindResource, Name: "payroll",
		Sensitivity: graph.SensCritical})
	b.AddNode(graph.Node{ID: "aws:1:key/AKIA1", Kind: graph.KindCredential, Subkind: "access-key", Name: "AKIA1"})
	b.AddNode(graph.Node{ID: "aws:2:role/ci", Kind: graph.KindRole, Name: "ci (other account)",
		Props: map[string]string{graph.PropStub: "true"}})
	b.AddEdge(graph.Edge{From: "aws:1:user/alice", To: "aws:1:group/devs", Kind: graph.EdgeMemberOf})
	b.AddEdge(graph.Edge{From: "aws:1:group/devs", To: "aws:1:role/admin", Kind: graph.EdgeCanAssume,
		Via: []string{"policy/assume-admin via group/devs"}})
	b.AddEdge(graph.Edge{From: "aws:1:role/admin", To: "aws:1:s3/payroll", Kind: graph.EdgeAccess,
		Privilege: graph.PrivAdmin, Actions: []string{"s3:PutObject", "s3:GetObject", "s3:PutBucketPolicy"},
		Via: []string{"policy/AdministratorAccess"}})
	b.AddEdge(graph.Edge{From: "aws:1:key/AKIA1", To: "aws:1:user/alice", Kind: graph.EdgeAuthenticates})
	b.AddEdge(graph.Edge{From: "aws:2:role/ci", To: "aws:1:role/admin", Kind: graph.EdgeCanAssume})
	if withBob {
		b.AddNode(graph.Node{ID: "aws:1:user/bob", Kind: graph.KindAccount, Subkind: "aws-user", Name: "bob"})
		b.AddEdge(graph.Edge{From: "aws:1:user/bob", To: "aws:1:group/devs", Kind: graph.EdgeMemberOf})
	}
	return b
}

func TestRunCycleAndSweep(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	first := storetest.Ingest(t, s, fixture(true))
	require.Equal(t, graph.RunStats{NodesUpserted: 7, EdgesUpserted: 6}, first.Stats)
	n, e, err := s.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, [2]int{7, 6}, [2]int{n, e})

	// bob left: his node and his membership go; nothing else does.
	second := storetest.Ingest(t, s, fixture(false))
	require.Equal(t, graph.RunStats{NodesUpserted: 6, EdgesUpserted: 5, NodesSwept: 1, EdgesSwept: 1}, second.Stats)
	nodes, edges := storetest.Dump(t, s)
	require.NotContains(t, nodes, "aws:1:user/bob")
	require.Equal(t, []string{
		"aws:1:group/devs|CAN_ASSUME|aws:1:role/admin@none",
		"aws:1:key/AKIA1|AUTHENTICATES|aws:1:user/alice@none",
		"aws:1:role/admin|ACCESS|aws:1:s3/payroll@admin",
		"aws:1:user/alice|MEMBER_OF|aws:1:group/devs@none",
		"aws:2:role/ci|CAN_ASSUME|aws:1:role/admin@none",
	}, edges)

	runs, err := s.Runs(ctx, "aws:1", 0)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	require.Equal(t, second.ID, runs[0].ID, "newest first")
	require.Equal(t, graph.RunComplete, runs[1].Status)
	require.False(t, runs[0].Finished.Before(runs[0].Started))

	// The model round-trips: labels, kinds, props, lists.
	alice, err := s.Node(ctx, "aws:1:user/alice")
	require.NoError(t, err)
	require.Equal(t, graph.Node{ID: "aws:1:user/alice", Kind: graph.KindAccount, Subkind: "aws-user", Name: "alice",
		Source: "aws:1", SyncRun: second.ID, Props: map[string]string{"arn": "arn:aws:iam::1:user/alice"}}, *alice)
	rec, err := neo4j.ExecuteQuery(ctx, s.Driver(), `MATCH (n:Node:Resource {id: 'aws:1:s3/payroll'})
		-[]-(:Role) RETURN n.sensitivity AS sens, labels(n) AS labels`, nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	require.Len(t, rec.Records, 1)
	sens, _ := rec.Records[0].Get("sens")
	require.Equal(t, int64(graph.SensCritical), sens)
	var access graph.Edge
	require.NoError(t, s.Scan(ctx, func(*graph.Node) error { return nil }, func(e *graph.Edge) error {
		if e.Kind == graph.EdgeAccess {
			access = *e
		}
		return nil
	}))
	require.Equal(t, []string{"s3:GetObject", "s3:PutBucketPolicy", "s3:PutObject"}, access.Actions)
	require.Equal(t, []string{"policy/AdministratorAccess"}, access.Via)
	require.Nil(t, access.Conditions)
	require.Equal(t, second.ID, access.SyncRun)
}

func TestReingestIsIdempotent(t *testing.T) {
	s := openClean(t)
	storetest.Ingest(t, s, fixture(true))
	n1, e1 := storetest.Dump(t, s)
	again := storetest.Ingest(t, s, fixture(true))
	n2, e2 := storetest.Dump(t, s)
	require.Equal(t, n1, n2)
	require.Equal(t, e1, e2)
	require.Equal(t, graph.RunStats{NodesUpserted: 7, EdgesUpserted: 6}, again.Stats)
	n, e, err := s.Counts(context.Background())
	require.NoError(t, err)
	require.Equal(t, [2]int{7, 6}, [2]int{n, e})
}

func TestFailedRunSweepsNothing(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	storetest.Ingest(t, s, fixture(true))
	r, err := s.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	require.NoError(t, s.UpsertNodes(ctx, r.ID, fixture(false).Nodes()[:1]))
	failed, err := s.FailRun(ctx, r.ID, errors.New("GetAccountAuthorizationDetails: throttled"))
	require.NoError(t, err)
	require.Equal(t, graph.RunFailed, failed.Status)
	require.Equal(t, "GetAccountAuthorizationDetails: throttled", failed.Error)
	n, e, err := s.Counts(ctx)
	require.NoError(t, err)
	require.Equal(t, [2]int{7, 6}, [2]int{n, e}, "bob and his edge are still there")

	_, err = s.FinishRun(ctx, r.ID)
	require.ErrorIs(t, err, graph.ErrRunNotActive)
	err = s.UpsertEdges(ctx, r.ID, fixture(false).Edges())
	require.ErrorIs(t, err, graph.ErrRunNotActive)
	_, err = s.FailRun(ctx, r.ID, errors.New("again"))
	require.ErrorIs(t, err, graph.ErrRunNotActive)
	got, err := s.Run(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, graph.RunFailed, got.Status, "still failed")
	require.Equal(t, "GetAccountAuthorizationDetails: throttled", got.Error)
}

func TestStubPrecedence(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	// aws:1 references aws:2's role before aws:2 was ever ingested: the stub
	// is stored, owned by aws:1.
	storetest.Ingest(t, s, fixture(false))
	ci, err := s.Node(ctx, "aws:2:role/ci")
	require.NoError(t, err)
	require.Equal(t, "aws:1", ci.Source)
	require.Equal(t, "ci (other account)", ci.Name)

	// The owner reports it: the owner's node replaces the stub.
	own := graph.NewBatch("aws:2")
	own.AddNode(graph.Node{ID: "aws:2:role/ci", Kind: graph.KindRole, Subkind: "aws-role", Name: "ci"})
	storetest.Ingest(t, s, own)
	ci, err = s.Node(ctx, "aws:2:role/ci")
	require.NoError(t, err)
	require.Equal(t, "aws:2", ci.Source)
	require.Equal(t, "ci", ci.Name)
	require.Empty(t, ci.Props[graph.PropStub])

	// aws:1 reports its stub again: the owner's node stays as it is.
	storetest.Ingest(t, s, fixture(false))
	ci, err = s.Node(ctx, "aws:2:role/ci")
	require.NoError(t, err)
	require.Equal(t, "aws:2", ci.Source)
	require.Equal(t, "ci", ci.Name)
	require.Equal(t, "aws-role", ci.Subkind)

	// aws:1 drops everything: its edges go, aws:2's role stays.
	done := storetest.Ingest(t, s, graph.NewBatch("aws:1"))
	require.Equal(t, 5, done.Stats.NodesSwept)
	require.Equal(t, 5, done.Stats.EdgesSwept)
	nodes, edges := storetest.Dump(t, s)
	require.Equal(t, []string{"aws:2:role/ci"}, nodes)
	require.Empty(t, edges)
}

func TestEdgeToMissingNode(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	r, err := s.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	b := fixture(false)
	require.NoError(t, s.UpsertNodes(ctx, r.ID, b.Nodes()[:5])) // everything but the stub (sorted last)
	err = s.UpsertEdges(ctx, r.ID, b.Edges())
	require.EqualError(t, err, `upsert edges: edge aws:2:role/ci|CAN_ASSUME|aws:1:role/admin: `+
		`from node "aws:2:role/ci" is not stored (upsert nodes, or a stub for it, first)`)
	bad := graph.Node{ID: "aws:1:x", Kind: graph.KindAccount, Source: "aws:9"}
	err = s.UpsertNodes(ctx, r.ID, []graph.Node{b.Nodes()[0], bad})
	require.EqualError(t, err, fmt.Sprintf(`upsert nodes: nodes[1] "aws:1:x": source "aws:9" differs from run %s's source "aws:1"`, r.ID))
	_, err = s.FailRun(ctx, r.ID, err)
	require.NoError(t, err)
}

func TestAbandonStale(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	old, err := s.BeginRun(ctx, "aws:1")
	require.NoError(t, err)
	abandoned, err := s.AbandonStale(ctx, time.Hour)
	require.NoError(t, err)
	require.Empty(t, abandoned, "a run that wrote a moment ago is alive")
	time.Sleep(20 * time.Millisecond)
	abandoned, err = s.AbandonStale(ctx, 10*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, abandoned, 1)
	require.Equal(t, old.ID, abandoned[0].ID)
	require.Equal(t, graph.RunAbandoned, abandoned[0].Status)
	_, err = s.FinishRun(ctx, old.ID)
	require.ErrorIs(t, err, graph.ErrRunNotActive, "an abandoned run never completes")

	// Open abandons stale runs too.
	r, err := s.BeginRun(ctx, "aws:2")
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	cfg := testConfig(t)
	cfg.AbandonAfter = 10 * time.Millisecond
	s2, err := Open(ctx, cfg)
	require.NoError(t, err)
	defer s2.Close()
	got, err := s2.Run(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, graph.RunAbandoned, got.Status)
	require.Contains(t, got.Error, "no write for more than 10ms")
}

func TestMigrationsRecorded(t *testing.T) {
	s := openClean(t)
	ctx := context.Background()
	s2, err := Open(ctx, testConfig(t)) // a second Open migrates nothing
	require.NoError(t, err)
	require.NoError(t, s2.Close())
	res, err := neo4j.ExecuteQuery(ctx, s.Driver(), `MATCH (m:Migration) RETURN m.version AS v ORDER BY v`,
		nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	var versions []int64
	for _, r := range res.Records {
		v, _ := r.Get("v")
		versions = append(versions, v.(int64))
	}
	require.Equal(t, []int64{1, 2, 3}, versions)
	res, err = neo4j.ExecuteQuery(ctx, s.Driver(), `SHOW CONSTRAINTS YIELD name RETURN name`,
		nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	var names []string
	for _, r := range res.Records {
		v, _ := r.Get("name")
		names = append(names, v.(string))
	}
	sort.Strings(names)
	require.Subset(t, names, []string{"migration_version", "node_id", "syncrun_id"})
}

func TestScanStopsOnCallbackError(t *testing.T) {
	s := openClean(t)
	storetest.Ingest(t, s, fixture(true))
	stop := errors.New("enough")
	seen := 0
	err := s.Scan(context.Background(), func(*graph.Node) error {
		seen++
		if seen == 3 {
			return stop
		}
		return nil
	}, func(*graph.Edge) error { t.Fatal("edges after a node error"); return nil })
	require.ErrorIs(t, err, stop)
	require.Equal(t, 3, seen)
}

func TestConformance(t *testing.T) {
	cfg := testConfig(t)
	storetest.Run(t, func(t *testing.T) graph.Store {
		s, err := Open(context.Background(), cfg)
		require.NoError(t, err)
		require.NoError(t, wipe(context.Background(), s))
		return s
	})
}

// BenchmarkUpsert ingests a synthetic source as one run (upsert, finish)
// and reports elements per second: "first" into an empty database, "steady"
// the same data again over it (every element rewritten by the new run,
// nothing swept). Sizes are 400k elements (100k nodes, 300k edges) and 1M
// (250k nodes, 750k edges). Run it with
//
//	go test ./graph/neo4jstore -run '^$' -bench Upsert -benchtime 1x
//
// With ACCESSGRAPH_NEO4J_PID set to the pid of a local Neo4j, it also
// reports the CPU seconds the server and this process spent, which the
// machine's load does not change as much as the wall time.
func BenchmarkUpsert(b *testing.B) {
	cfg := testConfig(b)
	for _, size := range []struct {
		name         string
		nodes, edges int
	}{{"400k", 100_000, 300_000}, {"1M", 250_000, 750_000}} {
		batch := synthetic(size.nodes, size.edges)
		for _, mode := range []string{"first", "steady"} {
			b.Run(size.name+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				s := openCleanWith(b, cfg)
				if mode == "steady" {
					upsertRun(b, s, batch)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if mode == "first" && i > 0 {
						b.StopTimer()
						require.NoError(b, wipe(ctx, s))
						b.StartTimer()
					}
					cpu := cpuNow(b)
					m := upsertRun(b, s, batch)
					server, client := cpuNow(b).since(cpu)
					n, e := batch.Len()
					b.ReportMetric(float64(n+e)/m.total.Seconds(), "elements/s")
					b.ReportMetric(float64(n)/m.nodes.Seconds(), "staged-nodes/s")
					b.ReportMetric(float64(e)/m.edges.Seconds(), "staged-edges/s")
					b.ReportMetric(float64(n+e)/m.finish.Seconds(), "applied/s")
					if server > 0 {
						b.ReportMetric(server, "neo4j-cpu-s")
					}
					b.ReportMetric(client, "go-cpu-s")
				}
			})
		}
	}
}

// upsertTimes are the phases of one run.
type upsertTimes struct{ nodes, edges, finish, total time.Duration }

// upsertRun writes batch as one run, in calls of 20,000 elements as
// accessgraph bench does, and checks what it wrote.
func upsertRun(b *testing.B, s *Store, batch *graph.Batch) upsertTimes {
	b.Helper()
	ctx := context.Background()
	nodes, edges := batch.Nodes(), batch.Edges()
	const call = 20_000
	var m upsertTimes
	start := time.Now()
	r, err := s.BeginRun(ctx, batch.Source)
	require.NoError(b, err)
	for lo := 0; lo < len(nodes); lo += call {
		require.NoError(b, s.UpsertNodes(ctx, r.ID, nodes[lo:min(lo+call, len(nodes))]))
	}
	m.nodes = time.Since(start)
	for lo := 0; lo < len(edges); lo += call {
		require.NoError(b, s.UpsertEdges(ctx, r.ID, edges[lo:min(lo+call, len(edges))]))
	}
	m.edges = time.Since(start) - m.nodes
	done, err := s.FinishRun(ctx, r.ID)
	require.NoError(b, err)
	m.total = time.Since(start)
	m.finish = m.total - m.nodes - m.edges
	require.Equal(b, len(nodes), done.Stats.NodesUpserted)
	require.Equal(b, len(edges), done.Stats.EdgesUpserted)
	require.Zero(b, done.Stats.NodesSwept+done.Stats.EdgesSwept)
	return m
}

// cpuTimes are CPU seconds used so far by the Neo4j server named by
// ACCESSGRAPH_NEO4J_PID (0 when unset) and by this process.
type cpuTimes struct{ server, client float64 }

func cpuNow(b *testing.B) cpuTimes {
	b.Helper()
	var c cpuTimes
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	c.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	if pid := os.Getenv("ACCESSGRAPH_NEO4J_PID"); pid != "" {
		stat, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
		require.NoError(b, err, "ACCESSGRAPH_NEO4J_PID")
		// Fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th, in clock ticks (100 per second).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		c.server = (ut + st) / 100
	}
	return c
}

func (c cpuTimes) since(before cpuTimes) (server, client float64) {
	return c.server - before.server, c.client - before.client
}

// synthetic builds a deterministic source: accounts in groups holding
// roles that reach resources, n nodes and about e distinct edges.
func synthetic(n, e int) *graph.Batch {
	b := graph.NewBatch("bench")
	kinds := []graph.Kind{graph.KindAccount, graph.KindGroup, graph.KindRole, graph.KindResource}
	for i := range n {
		k := kinds[i%len(kinds)]
		b.AddNode(graph.Node{ID: fmt.Sprintf("bench:%s/%d", k, i), Kind: k, Name: fmt.Sprintf("%s %d", k, i),
			Sensitivity: graph.Sensitivity(i % 5), Props: map[string]string{"i": fmt.Sprint(i)}})
	}
	edgeKinds := map[graph.Kind]graph.EdgeKind{graph.KindAccount: graph.EdgeMemberOf,
		graph.KindGroup: graph.EdgeHasRole, graph.KindRole: graph.EdgeAccess}
	x := uint64(42)
	for added := 0; added < e; {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		from := int(x % uint64(n))
		fk := kinds[from%len(kinds)]
		ek, ok := edgeKinds[fk]
		if !ok {
			continue
		}
		to := (from/len(kinds))*len(kinds) + (from%len(kinds) + 1) // next kind in the chain
		to = (to + 4*int(x>>33%1000)) % n
		tk := kinds[to%len(kinds)]
		edge := graph.Edge{From: fmt.Sprintf("bench:%s/%d", fk, from), To: fmt.Sprintf("bench:%s/%d", tk, to), Kind: ek}
		if ek == graph.EdgeAccess {
			edge.Privilege = graph.Privilege(1 + to%3)
			edge.Actions = []string{"s3:GetObject", "s3:PutObject"}
		}
		if _, dup := b.Edge(edge.From, edge.Kind, edge.To); dup {
			continue
		}
		b.AddEdge(edge)
		added++
	}
	return b
}
