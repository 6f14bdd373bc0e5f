package neo4jstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

const nodeFields = `n.id AS id, n.kind AS kind, n.subkind AS subkind, n.name AS name,
	n.sensitivity AS sensitivity, n.source AS source, n.syncRun AS syncRun, n.props AS props`

const edgeFields = `a.id AS from, type(r) AS type, b.id AS to, r.privilege AS privilege,
	r.actions AS actions, r.conditions AS conditions, r.via AS via, r.source AS source,
	r.syncRun AS syncRun, r.props AS props`

func decodeProps(v any) (map[string]string, error) {
	s := str(v)
	if s == "" || s == "{}" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("props: %w", err)
	}
	return m, nil
}

func decodeStrings(v any) []string {
	l, _ := v.([]any)
	if len(l) == 0 {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, str(x))
	}
	return out
}

// decodeNode fills n from a record of nodeFields.
func decodeNode(rec *neo4j.Record, n *graph.Node) error {
	vals := rec.Values // id, kind, subkind, name, sensitivity, source, syncRun, props
	*n = graph.Node{
		ID:          str(vals[0]),
		Subkind:     str(vals[2]),
		Name:        str(vals[3]),
		Sensitivity: graph.Sensitivity(i64(vals[4])),
		Source:      str(vals[5]),
		SyncRun:     str(vals[6]),
	}
	k, err := graph.ParseKind(str(vals[1]))
	if err != nil {
		return fmt.Errorf("node %q: %w", n.ID, err)
	}
	n.Kind = k
	if n.Props, err = decodeProps(vals[7]); err != nil {
		return fmt.Errorf("node %q: %w", n.ID, err)
	}
	return nil
}

// decodeEdge fills e from a record of edgeFields.
func decodeEdge(rec *neo4j.Record, e *graph.Edge) error {
	vals := rec.Values // from, type, to, privilege, actions, conditions, via, source, syncRun, props
	*e = graph.Edge{
		From:       str(vals[0]),
		To:         str(vals[2]),
		Privilege:  graph.Privilege(i64(vals[3])),
		Actions:    decodeStrings(vals[4]),
		Conditions: decodeStrings(vals[5]),
		Via:        decodeStrings(vals[6]),
		Source:     str(vals[7]),
		SyncRun:    str(vals[8]),
	}
	k, err := graph.ParseEdgeKind(str(vals[1]))
	if err != nil {
		return fmt.Errorf("edge %s->%s: %w", e.From, e.To, err)
	}
	e.Kind = k
	if e.Props, err = decodeProps(vals[9]); err != nil {
		return fmt.Errorf("edge %s: %w", e.ID(), err)
	}
	return nil
}

// Node returns one node by ID.
func (s *Store) Node(ctx context.Context, id string) (*graph.Node, error) {
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, "MATCH (n:Node {id: $id}) RETURN "+nodeFields, map[string]any{"id": id})
		if err != nil {
			return nil, err
		}
		if !res.Next(ctx) {
			if err := res.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("node %q: %w", id, graph.ErrNotFound)
		}
		var n graph.Node
		if err := decodeNode(res.Record(), &n); err != nil {
			return nil, err
		}
		return &n, nil
	})
	if err != nil {
		return nil, err
	}
	return out.(*graph.Node), nil
}

// Scan streams every node, then every edge, through one read transaction.
// Records are pulled from the server in batches of 1000, so memory stays
// bounded whatever the size of the graph. The callbacks run while the
// transaction is open: they should not call back into the store.
func (s *Store) Scan(ctx context.Context, nodeFn func(*graph.Node) error, edgeFn func(*graph.Edge) error) error {
	sess := s.session(ctx, neo4j.AccessModeRead)
	defer sess.Close(context.Background())
	// An explicit transaction, not a managed one: a retry would call the
	// callbacks a second time for what they have already seen.
	tx, err := sess.BeginTransaction(ctx)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	defer tx.Close(context.Background())
	res, err := tx.Run(ctx, "MATCH (n:Node) RETURN "+nodeFields, nil)
	if err != nil {
		return fmt.Errorf("scan nodes: %w", err)
	}
	var n graph.Node
	for res.Next(ctx) {
		if err := decodeNode(res.Record(), &n); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if err := nodeFn(&n); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("scan nodes: %w", err)
	}
	res, err = tx.Run(ctx, "MATCH (a:Node)-[r]->(b:Node) RETURN "+edgeFields, nil)
	if err != nil {
		return fmt.Errorf("scan edges: %w", err)
	}
	var e graph.Edge
	for res.Next(ctx) {
		if err := decodeEdge(res.Record(), &e); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if err := edgeFn(&e); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("scan edges: %w", err)
	}
	return tx.Commit(ctx)
}

// Counts returns the number of nodes and edges, from Neo4j's count store.
func (s *Store) Counts(ctx context.Context) (nodes, edges int, err error) {
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		var c [2]int
		for i, q := range []string{"MATCH (n:Node) RETURN count(n) AS c", "MATCH (:Node)-[r]->() RETURN count(r) AS c"} {
			res, err := tx.Run(ctx, q, nil)
			if err != nil {
				return nil, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return nil, err
			}
			v, _ := rec.Get("c")
			c[i] = int(v.(int64))
		}
		return c, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("counts: %w", err)
	}
	c := out.([2]int)
	return c[0], c[1], nil
}
