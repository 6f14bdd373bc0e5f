package idp

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// grant returns the recorded consent of subject for clientID.
func (st *storage) grant(subject, clientID string) (*grantRec, error) {
	g := new(grantRec)
	err := st.s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bktGrants, grantID(subject, clientID), g) })
	if err != nil {
		return nil, err
	}
	return g, nil
}

// recordGrant stores or widens the consent of subject for clientID.
func (st *storage) recordGrant(subject, clientID string, scopes []string) (*grantRec, error) {
	id := grantID(subject, clientID)
	g := new(grantRec)
	err := st.s.db.Update(func(tx *bolt.Tx) error {
		now := time.Now().UTC()
		if err := getJSON(tx, bktGrants, id, g); err != nil {
			g = &grantRec{ID: id, Subject: subject, ClientID: clientID, CreatedAt: now}
		}
		for _, s := range scopes {
			if !slices.Contains(g.Scopes, s) {
				g.Scopes = append(g.Scopes, s)
			}
		}
		slices.Sort(g.Scopes)
		g.UpdatedAt = now
		return putJSON(tx, bktGrants, id, g)
	})
	if err != nil {
		return nil, fmt.Errorf("record grant: %w", err)
	}
	return g, nil
}

// userBySubject reads one user.
func (st *storage) userBySubject(subject string) (*userRec, error) {
	var u *userRec
	err := st.s.db.View(func(tx *bolt.Tx) (err error) {
		u, err = user(tx, subject)
		return err
	})
	return u, err
}
