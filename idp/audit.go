package idp

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"
)

// audit records an event in the audit bucket and in the log. It never
// carries passwords, tokens or codes: callers pass identifiers only.
func (st *storage) audit(e auditRec) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	lvl := slog.LevelInfo
	if !e.Success {
		lvl = slog.LevelWarn
	}
	st.log.Log(context.Background(), lvl, "idp audit", "event", e.Event, "subject", e.Subject, "username", e.Username,
		"client_id", e.ClientID, "success", e.Success, "reason", e.Reason, "remote", e.Remote)
	err := st.s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key := make([]byte, 8)
		binary.BigEndian.PutUint64(key, seq)
		return putJSON(tx, bktAudit, string(key), e)
	})
	if err != nil {
		st.log.Error("write audit record", "err", err)
	}
}

// AuditEvent is one recorded login or control event.
type AuditEvent struct {
	Time     time.Time `json:"time"`
	Event    string    `json:"event"`
	Subject  string    `json:"subject,omitempty"`
	Username string    `json:"username,omitempty"`
	ClientID string    `json:"clientId,omitempty"`
	Success  bool      `json:"success"`
	Reason   string    `json:"reason,omitempty"`
	Remote   string    `json:"remote,omitempty"`
}

// AuditLog returns the recorded events, oldest first.
func (p *Provider) AuditLog() ([]AuditEvent, error) {
	var out []AuditEvent
	err := p.st.s.db.View(func(tx *bolt.Tx) error {
		return eachJSON(tx, bktAudit, func(_ string, r *auditRec) error {
			out = append(out, AuditEvent(*r))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
