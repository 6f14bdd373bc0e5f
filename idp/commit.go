package idp

import (
	bolt "go.etcd.io/bbolt"
)

// Group commit. bbolt's own Batch closes a batch after a fixed delay, so
// under load many small batches queue for the single writer, each paying
// for its own fsync. The committer instead takes every write that arrived
// while the previous commit was running and applies them in one
// transaction: batches grow with load and a lone write waits for nothing.

type pendingWrite struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// maxGroup bounds one transaction.
const maxGroup = 512

func (s *store) startCommitter() {
	s.writes = make(chan pendingWrite, 4096)
	s.committerDone = make(chan struct{})
	go s.commitLoop()
}

func (s *store) commitLoop() {
	defer close(s.committerDone)
	group := make([]pendingWrite, 0, maxGroup)
	for w := range s.writes {
		group = append(group[:0], w)
	drain:
		for len(group) < maxGroup {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break drain
				}
				group = append(group, w)
			default:
				break drain
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup runs every write in one transaction; if any fails, the
// transaction is rolled back and each write is retried alone so one bad
// write cannot fail the others.
func (s *store) commitGroup(group []pendingWrite) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, w := range group {
			if err := w.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(group) == 1 {
		for _, w := range group {
			w.done <- err
		}
		return
	}
	for _, w := range group {
		w.done <- s.db.Update(w.fn)
	}
}

// batch applies fn in a group commit and waits for it to be durable. fn may
// run more than once (after another write's failure) and must only depend
// on the transaction.
func (s *store) batch(fn func(*bolt.Tx) error) error {
	done := make(chan error, 1)
	s.writes <- pendingWrite{fn: fn, done: done}
	return <-done
}

func (s *store) stopCommitter() {
	if s.writes != nil {
		close(s.writes)
		<-s.committerDone
	}
}
