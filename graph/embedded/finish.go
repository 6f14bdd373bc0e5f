package embedded

import (
	"bytes"
	"context"
	"fmt"
	json "github.com/goccy/go-json"
	"reflect"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/accessgraph/accessgraph/graph"
)

// FinishRun applies what the run staged and sweeps every element of the
// run's source that the run did not write, in one transaction: either all of
// it happens or none does.
func (s *Store) FinishRun(ctx context.Context, runID string) (*graph.SyncRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *graph.SyncRun
	stx, err := s.stage.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("finish run %s: read staging: %w", runID, err)
	}
	defer func() { _ = stx.Rollback() }()
	err = s.db.Update(func(tx *bolt.Tx) error {
		r, err := activeRun(tx, runID)
		if err != nil {
			return err
		}
		st := stx.Bucket([]byte(runID))
		if st == nil {
			return fmt.Errorf("sync run %s has no staging area (the store was reopened since it began): %w",
				runID, graph.ErrRunNotActive)
		}
		a := applier{tx: tx, run: r, src: tx.Bucket(bBySrc)}
		if a.idx, err = a.src.CreateBucketIfNotExists([]byte(r.Source)); err != nil {
			return err
		}
		if err := a.apply(st); err != nil {
			return err
		}
		if err := a.sweep(); err != nil {
			return err
		}
		r.Stats.Drift = &a.drift
		r.Status, r.Finished = graph.RunComplete, time.Now().UTC()
		out = r
		return putRun(tx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("finish run %s: %w", runID, err)
	}
	_ = stx.Rollback()
	s.dropStaging(runID)
	s.log.Info("sync run complete", "run", out.ID, "source", out.Source,
		"nodes", out.Stats.NodesUpserted, "edges", out.Stats.EdgesUpserted,
		"nodes_swept", out.Stats.NodesSwept, "edges_swept", out.Stats.EdgesSwept)
	return out, nil
}

// applier carries the state of one FinishRun transaction.
type applier struct {
	tx    *bolt.Tx
	run   *graph.SyncRun
	src   *bolt.Bucket // bysrc
	idx   *bolt.Bucket // bysrc/<run source>
	adj   [][]byte     // adjacency keys to write
	drift graph.Drift  // what the run changed
}

func (a *applier) apply(st *bolt.Bucket) error {
	nodes, edges := a.tx.Bucket(bNodes), a.tx.Bucket(bEdges)
	err := st.ForEach(func(k, v []byte) error {
		id := k[2:]
		switch k[0] {
		case 'n':
			var n graph.Node
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("decode staged node %s: %w", id, err)
			}
			old := nodes.Get(id)
			if old == nil {
				a.drift.Note("added", true, n.ID)
			} else {
				var o graph.Node
				if err := json.Unmarshal(old, &o); err != nil {
					return fmt.Errorf("decode node %s: %w", id, err)
				}
				// A stub never replaces a node its owner reported.
				if o.Source != n.Source && isStub(&n) && !isStub(&o) {
					return nil
				}
				if o.Source != n.Source || !sameNode(o, n) {
					a.drift.Note("changed", true, n.ID)
				}
				if o.Source != n.Source {
					if err := a.disown(o.Source, 'n', id); err != nil {
						return err
					}
				}
			}
			if err := nodes.Put(id, v); err != nil {
				return err
			}
			a.run.Stats.NodesUpserted++
		case 'e':
			var e graph.Edge
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode staged edge %s: %w", id, err)
			}
			if old := edges.Get(id); old == nil {
				a.drift.Note("added", false, string(id))
			} else {
				var o graph.Edge
				if err := json.Unmarshal(old, &o); err != nil {
					return fmt.Errorf("decode edge %s: %w", id, err)
				}
				if !sameEdge(o, e) {
					a.drift.Note("changed", false, string(id))
				}
				if o.Source != e.Source {
					if err := a.disown(o.Source, 'e', id); err != nil {
						return err
					}
				}
			}
			if err := edges.Put(id, v); err != nil {
				return err
			}
			// Adjacency keys are written after the loop, sorted: bbolt
			// inserts in key order cost an append, random ones a memmove.
			a.adj = append(a.adj, adjKey(e.From, id), adjKey(e.To, id))
			a.run.Stats.EdgesUpserted++
		}
		return a.idx.Put(k, []byte(a.run.ID))
	})
	if err != nil {
		return err
	}
	slices.SortFunc(a.adj, bytes.Compare)
	adj := a.tx.Bucket(bAdj)
	for _, k := range a.adj {
		if err := adj.Put(k, nil); err != nil {
			return err
		}
	}
	a.adj = nil
	return nil
}

func adjKey(node string, edgeID []byte) []byte {
	k := make([]byte, 0, len(node)+1+len(edgeID))
	k = append(k, node...)
	k = append(k, 0)
	return append(k, edgeID...)
}

// disown removes an element from another source's index when this run takes
// it over.
func (a *applier) disown(source string, kind byte, id []byte) error {
	b := a.src.Bucket([]byte(source))
	if b == nil {
		return nil
	}
	return b.Delete(stageKey(kind, string(id)))
}

// sweep deletes the elements of the run's source that the run did not write,
// and every edge left without an endpoint.
func (a *applier) sweep() error {
	var staleNodes, staleEdges [][]byte
	err := a.idx.ForEach(func(k, v []byte) error {
		if string(v) == a.run.ID {
			return nil
		}
		key := append([]byte(nil), k...)
		if k[0] == 'n' {
			staleNodes = append(staleNodes, key)
		} else {
			staleEdges = append(staleEdges, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range staleEdges {
		if err := a.deleteEdge(k[2:]); err != nil {
			return err
		}
	}
	for _, k := range staleNodes {
		if err := a.deleteNode(k[2:]); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) deleteEdge(id []byte) error {
	edges := a.tx.Bucket(bEdges)
	v := edges.Get(id)
	if v == nil {
		return a.idx.Delete(stageKey('e', string(id)))
	}
	var e graph.Edge
	if err := json.Unmarshal(v, &e); err != nil {
		return fmt.Errorf("decode edge %s: %w", id, err)
	}
	adj := a.tx.Bucket(bAdj)
	if err := adj.Delete(adjKey(e.From, id)); err != nil {
		return err
	}
	if err := adj.Delete(adjKey(e.To, id)); err != nil {
		return err
	}
	if err := edges.Delete(id); err != nil {
		return err
	}
	a.run.Stats.EdgesSwept++
	a.drift.Note("removed", false, string(id))
	if e.Source != a.run.Source {
		if err := a.disown(e.Source, 'e', id); err != nil {
			return err
		}
	}
	return a.idx.Delete(stageKey('e', string(id)))
}

func (a *applier) deleteNode(id []byte) error {
	// Edges of any source that touch the node go with it.
	prefix := append(append([]byte(nil), id...), 0)
	var touching [][]byte
	c := a.tx.Bucket(bAdj).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		touching = append(touching, append([]byte(nil), k[len(prefix):]...))
	}
	for _, eid := range touching {
		if err := a.deleteEdge(eid); err != nil {
			return err
		}
	}
	if err := a.tx.Bucket(bNodes).Delete(id); err != nil {
		return err
	}
	a.run.Stats.NodesSwept++
	a.drift.Note("removed", true, string(id))
	return a.idx.Delete(stageKey('n', string(id)))
}

// sameNode reports whether two versions of a node say the same thing (the
// run that wrote them aside).
func sameNode(a, b graph.Node) bool {
	a.SyncRun, b.SyncRun = "", ""
	return reflect.DeepEqual(a, b)
}

// sameEdge is sameNode for edges.
func sameEdge(a, b graph.Edge) bool {
	a.SyncRun, b.SyncRun = "", ""
	return reflect.DeepEqual(a, b)
}
