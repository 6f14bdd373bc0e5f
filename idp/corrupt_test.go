package idp

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
)

// badKey sorts before every stored ID (base64url and "u-..." subjects), so
// a reader that stopped at it would miss every real record of the bucket.
const badKey = "!corrupt"

// mustGraphBatch is GraphBatch for tests whose store is sound.
func mustGraphBatch(t *testing.T, p *Provider) *graph.Batch {
	t.Helper()
	b, err := p.GraphBatch()
	require.NoError(t, err)
	return b
}

// corrupt writes a record that is not JSON under badKey in bucket, straight
// through bbolt.
func corrupt(t *testing.T, p *Provider, bucket []byte) {
	t.Helper()
	require.NoError(t, p.st.s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put([]byte(badKey), []byte(`{"id": "truncated`))
	}))
}

// repair deletes the record corrupt wrote.
func repair(t *testing.T, p *Provider, bucket []byte) {
	t.Helper()
	require.NoError(t, p.st.s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Delete([]byte(badKey))
	}))
}

// TestGraphSyncUnreadableRecord: one unreadable record in any exported
// bucket fails GraphBatch and SyncGraph, and the graph keeps its previous
// state instead of losing the session, refresh token and grant the partial
// read would have missed.
func TestGraphSyncUnreadableRecord(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	loginTokens(t, o, newBrowser(t), "web", webSecret, "openid email offline_access")

	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	_, err = o.p.SyncGraph(ctx, st)
	require.NoError(t, err)

	acct := o.p.accountID("u-alice")
	// held lists the credential and grant nodes of the source in the store.
	held := func() map[string]string {
		out := map[string]string{}
		require.NoError(t, st.Scan(ctx, func(n *graph.Node) error {
			if (n.Kind == graph.KindCredential || n.Kind == graph.KindGrant) && n.Source == o.p.Source() {
				out[n.ID] = n.Subkind
			}
			return nil
		}, func(*graph.Edge) error { return nil }))
		return out
	}
	want := held()
	require.Len(t, want, 3)
	require.ElementsMatch(t, []string{"idp-session", "idp-refresh-token", "oidc-consent"}, values(want))
	runs, err := st.Runs(ctx, o.p.Source(), 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)

	for _, bucket := range [][]byte{bktUsers, bktClients, bktSessions, bktFamilies, bktGrants} {
		t.Run(string(bucket), func(t *testing.T) {
			corrupt(t, o.p, bucket)
			b, err := o.p.GraphBatch()
			require.Error(t, err)
			require.Nil(t, b, "no partial batch")
			require.ErrorContains(t, err, "decode "+string(bucket)+"/"+badKey)

			run, err := o.p.SyncGraph(ctx, st)
			require.Error(t, err)
			require.Nil(t, run)
			require.ErrorContains(t, err, "sync idp graph")
			require.Equal(t, want, held(), "nothing swept")
			n, err := st.Node(ctx, acct)
			require.NoError(t, err)
			require.Equal(t, "alice", n.Name)
			runs, err := st.Runs(ctx, o.p.Source(), 10)
			require.NoError(t, err)
			require.Len(t, runs, 1, "no sync run was started")
			repair(t, o.p, bucket)
		})
	}

	// Repaired, the sync runs again and still finds the same items.
	_, err = o.p.SyncGraph(ctx, st)
	require.NoError(t, err)
	require.Equal(t, want, held())
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestRevokeAllUnreadableRecord: RevokeAll over an unreadable record fails
// without ending anything, and a verification whose re-read meets one is
// not OK and says why, although nothing readable remains.
func TestRevokeAllUnreadableRecord(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	loginTokens(t, o, newBrowser(t), "web", webSecret, "openid email offline_access")

	corrupt(t, o.p, bktFamilies)
	_, err := o.p.RevokeAll(ctx, "u-alice")
	require.ErrorContains(t, err, "revoke all")
	require.ErrorContains(t, err, "decode "+string(bktFamilies)+"/"+badKey)
	repair(t, o.p, bktFamilies)
	state, err := o.p.ListIdentityState(ctx, "u-alice")
	require.NoError(t, err)
	require.Len(t, state.Sessions, 1, "the failed call ended nothing")

	res, err := o.p.RevokeAll(ctx, "u-alice")
	require.NoError(t, err)
	require.True(t, res.Verification.OK, "%+v", res.Verification)
	require.Empty(t, res.Verification.Error)

	// The record turns unreadable between the revocation and its proof.
	for _, bucket := range [][]byte{bktSessions, bktFamilies, bktAccess, bktGrants} {
		t.Run(string(bucket), func(t *testing.T) {
			corrupt(t, o.p, bucket)
			defer repair(t, o.p, bucket)
			v := o.p.verify(revokeAllSelection("u-alice"), res.Ended, nil)
			require.False(t, v.OK)
			require.Empty(t, v.Remaining)
			require.Contains(t, v.Error, "revoke all: verify: decode "+string(bucket)+"/"+badKey)
		})
	}
	v := o.p.verify(revokeAllSelection("u-alice"), res.Ended, nil)
	require.True(t, v.OK, "%+v", v)
}

// TestSweepSkipsUnreadableRecord: the expiry sweep removes expired records
// around an unreadable one and reports it.
func TestSweepSkipsUnreadableRecord(t *testing.T) {
	o := newTestOP(t)
	past := time.Now().Add(-time.Hour)
	require.NoError(t, o.p.st.s.db.Update(func(tx *bolt.Tx) error {
		for _, id := range []string{"aaa-expired", "zzz-expired"} {
			s := sessionRec{ID: id, Subject: "u-bob", CreatedAt: past.Add(-time.Hour), ExpiresAt: past}
			if err := putJSON(tx, bktSessions, id, s); err != nil {
				return err
			}
		}
		return nil
	}))
	corrupt(t, o.p, bktSessions)

	err := o.p.st.sweep(time.Now())
	require.ErrorContains(t, err, "sweep: 1 unreadable records skipped")
	require.ErrorContains(t, err, "decode sessions/"+badKey)
	var keys []string
	require.NoError(t, o.p.st.s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktSessions).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	}))
	require.Equal(t, []string{badKey}, keys, "both expired sessions swept, the bad record kept")
}

// TestLoginUnreadableUser: a user whose record cannot be read cannot log in,
// and the failure is an error, not "unknown username".
func TestLoginUnreadableUser(t *testing.T) {
	o := newTestOP(t)
	require.NoError(t, o.p.st.s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bktUsers).Put([]byte("u-bob"), []byte("not json"))
	}))
	u, reason, err := o.p.checkPassword("bob", bobPassword)
	require.Nil(t, u)
	require.Equal(t, "user record unreadable", reason)
	require.ErrorContains(t, err, `decode users/u-bob`)

	u, reason, err = o.p.checkPassword("alice", alicePassword)
	require.NoError(t, err)
	require.Empty(t, reason)
	require.Equal(t, "u-alice", u.Subject)
}
