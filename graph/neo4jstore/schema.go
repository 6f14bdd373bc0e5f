package neo4jstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// kindLabels maps each node kind to its Neo4j label.
var kindLabels = map[graph.Kind]string{
	graph.KindIdentity:    "Identity",
	graph.KindAccount:     "Account",
	graph.KindGroup:       "Group",
	graph.KindRole:        "Role",
	graph.KindEntitlement: "Entitlement",
	graph.KindResource:    "Resource",
	graph.KindCredential:  "Credential",
	graph.KindGrant:       "Grant",
	graph.KindApplication: "Application",
}

// Label returns the Neo4j label of nodes of kind k ("" for an invalid kind).
func Label(k graph.Kind) string { return kindLabels[k] }

// allKindLabels is ":Identity:Account:..." for REMOVE.
func allKindLabels() string {
	var b strings.Builder
	for _, k := range graph.Kinds() {
		b.WriteString(":" + kindLabels[k])
	}
	return b.String()
}

// migration is one schema version: statements run in order, each in its own
// transaction (Neo4j does not mix schema and data writes).
type migration struct {
	version    int
	statements []string
}

func migrations() []migration {
	v1 := []string{
		"CREATE CONSTRAINT node_id IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE",
		"CREATE CONSTRAINT syncrun_id IF NOT EXISTS FOR (r:SyncRun) REQUIRE r.id IS UNIQUE",
		"CREATE CONSTRAINT migration_version IF NOT EXISTS FOR (m:Migration) REQUIRE m.version IS UNIQUE",
		"CREATE INDEX node_source IF NOT EXISTS FOR (n:Node) ON (n.source)",
		"CREATE INDEX node_syncrun IF NOT EXISTS FOR (n:Node) ON (n.syncRun)",
		"CREATE INDEX node_name IF NOT EXISTS FOR (n:Node) ON (n.name)",
		"CREATE INDEX syncrun_source IF NOT EXISTS FOR (r:SyncRun) ON (r.source)",
		"CREATE INDEX syncrun_status IF NOT EXISTS FOR (r:SyncRun) ON (r.status)",
	}
	for _, k := range graph.EdgeKinds() {
		t := k.String()
		lt := strings.ToLower(t)
		v1 = append(v1,
			fmt.Sprintf("CREATE INDEX rel_%s_source IF NOT EXISTS FOR ()-[r:%s]-() ON (r.source)", lt, t),
			fmt.Sprintf("CREATE INDEX rel_%s_syncrun IF NOT EXISTS FOR ()-[r:%s]-() ON (r.syncRun)", lt, t))
	}
	// v2: the staging of sync runs (see write.go).
	v2 := []string{
		"CREATE CONSTRAINT stagednode_sid IF NOT EXISTS FOR (s:StagedNode) REQUIRE s.sid IS UNIQUE",
		"CREATE INDEX stagednode_run IF NOT EXISTS FOR (s:StagedNode) ON (s.run)",
		"CREATE INDEX stagededges_run IF NOT EXISTS FOR (c:StagedEdges) ON (c.run)",
	}
	// v3: staging in chunks (see write.go), and one composite (source,
	// syncRun) index per relationship type and on nodes instead of two
	// single-property ones: each write updates one index, not two, and the
	// sweep seeks a source's stale elements by range (syncRun < or > the
	// run) without reading the rest of the source.
	v3 := []string{
		"CREATE INDEX stagednodechunk_run_seq IF NOT EXISTS FOR (c:" + labelNodeChunk + ") ON (c.run, c.seq)",
		"CREATE INDEX stagededgechunk_run_seq IF NOT EXISTS FOR (c:" + labelEdgeChunk + ") ON (c.run, c.seq)",
		"CREATE INDEX node_source_syncrun IF NOT EXISTS FOR (n:Node) ON (n.source, n.syncRun)",
		"DROP INDEX node_source IF EXISTS",
		"DROP INDEX node_syncrun IF EXISTS",
	}
	for _, k := range graph.EdgeKinds() {
		t := k.String()
		lt := strings.ToLower(t)
		v3 = append(v3,
			fmt.Sprintf("CREATE INDEX rel_%s_source_syncrun IF NOT EXISTS FOR ()-[r:%s]-() ON (r.source, r.syncRun)", lt, t),
			fmt.Sprintf("DROP INDEX rel_%s_source IF EXISTS", lt),
			fmt.Sprintf("DROP INDEX rel_%s_syncrun IF EXISTS", lt))
	}
	return []migration{{version: 1, statements: v1}, {version: 2, statements: v2}, {version: 3, statements: v3}}
}

// SchemaVersion is the highest migration this build applies.
func SchemaVersion() int {
	ms := migrations()
	return ms[len(ms)-1].version
}

// migrate applies the migrations newer than the database's version. Every
// statement is idempotent, so two processes migrating at once is harmless.
func (s *Store) migrate(ctx context.Context) error {
	cur, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, "MATCH (m:Migration) RETURN coalesce(max(m.version), 0) AS v", nil)
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		v, _ := rec.Get("v")
		return v, nil
	})
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	have := int(cur.(int64))
	if have > SchemaVersion() {
		return fmt.Errorf("database schema version %d is newer than this build's %d: upgrade accessgraph",
			have, SchemaVersion())
	}
	ms := migrations()
	if have == 0 {
		// A new database (or one the bulk importer just wrote) gets the
		// schema the migrations end with, without building the indexes that
		// later versions drop.
		ms = []migration{{version: SchemaVersion(), statements: squash(ms)}}
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		for _, stmt := range m.statements {
			if err := s.autocommit(ctx, stmt, nil); err != nil {
				return fmt.Errorf("migration %d: %s: %w", m.version, stmt, err)
			}
		}
		if err := s.autocommit(ctx, "CALL db.awaitIndexes(300)", nil); err != nil {
			return fmt.Errorf("migration %d: wait for indexes: %w", m.version, err)
		}
		// Every version up to m's is recorded (a squashed schema holds them all).
		err := s.autocommit(ctx, `UNWIND range($from, $v) AS v MERGE (m:Migration {version: v}) ON CREATE SET m.applied = $now`,
			map[string]any{"from": have + 1, "v": m.version, "now": time.Now().UTC().UnixNano()})
		if err != nil {
			return fmt.Errorf("record migration %d: %w", m.version, err)
		}
		have = m.version
		s.log.Info("neo4j schema migrated", "version", m.version, "uri", s.cfg.URI)
	}
	return nil
}

// squash returns the statements that take an empty database to the schema
// the migrations ms end with: every CREATE whose index or constraint a
// later statement drops is left out, and so are the DROPs.
func squash(ms []migration) []string {
	type entry struct{ name, stmt string } // name "" for a statement that is neither
	var order []entry
	live := map[string]string{}
	for _, m := range ms {
		for _, stmt := range m.statements {
			f := strings.Fields(stmt)
			if len(f) < 3 || (f[0] != "CREATE" && f[0] != "DROP") {
				order = append(order, entry{stmt: stmt})
				continue
			}
			name := f[1] + " " + f[2] // e.g. "INDEX node_source"
			if f[0] == "DROP" {
				delete(live, name)
				continue
			}
			if _, ok := live[name]; !ok {
				order = append(order, entry{name: name})
			}
			live[name] = stmt
		}
	}
	var out []string
	for _, e := range order {
		switch {
		case e.name == "":
			out = append(out, e.stmt)
		case live[e.name] != "":
			out = append(out, live[e.name])
			delete(live, e.name)
		}
	}
	return out
}

// autocommit runs one statement in an auto-commit transaction.
func (s *Store) autocommit(ctx context.Context, stmt string, params map[string]any) error {
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(context.Background())
	res, err := sess.Run(ctx, stmt, params)
	if err != nil {
		return err
	}
	_, err = res.Consume(ctx)
	return err
}
