package review_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/remediate/review"
)

func result() *risk.Result {
	hit := func(r string, w float64) []risk.Hit { return []risk.Hit{{Rule: r, Weight: w, Evidence: []string{"e"}}} }
	return &risk.Result{Assessments: []risk.Assessment{
		{Item: risk.Item{ID: "acct-a", Kind: graph.KindAccount}, Subject: "id-a", Score: 90, Hits: hit("standing-admin", 15)},
		{Item: risk.Item{ID: "id-a", Kind: graph.KindIdentity, Name: "A"}, Subject: "id-a", Score: 80, Hits: hit("x", 5)},
		{Item: risk.Item{ID: "role-b", Kind: graph.KindRole}, Subject: "role-b", Score: 70, Hits: hit("open-trust", 70)},
		{Item: risk.Item{ID: "grp-c", Kind: graph.KindGroup}, Subject: "grp-c", Score: 10},
	}}
}

func TestQueueDecideExpire(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "review.db")
	svc, err := review.Open(path, review.Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	svc.Load(result(), nil)

	p, err := svc.Queue("", review.Filters{}, 1, "")
	require.NoError(t, err)
	require.Equal(t, 2, p.Total, "grp-c has no rule hit")
	require.Equal(t, "id-a", p.Items[0].ID)
	require.Equal(t, 90.0, p.Items[0].Score)
	require.ElementsMatch(t, []string{"acct-a", "id-a"}, p.Items[0].Members)
	require.True(t, p.HasNext)
	p2, err := svc.Queue("", review.Filters{}, 1, p.EndCursor)
	require.NoError(t, err)
	require.Equal(t, "role-b", p2.Items[0].ID)
	require.False(t, p2.HasNext)

	_, err = svc.Decide("role-b", review.Keep, nil, "", "ann")
	var ae *review.ArgumentError
	require.ErrorAs(t, err, &ae, "justification required")
	require.Equal(t, "justification", ae.Argument)
	past := now.Add(-time.Hour)
	_, err = svc.Decide("role-b", review.ExpireAt, &past, "too late", "ann")
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "expiresAt", ae.Argument, "the argument that is wrong is named")
	_, err = svc.Decide("role-b", review.ExpireAt, nil, "when?", "ann")
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "expiresAt", ae.Argument)
	until := now.Add(24 * time.Hour)
	rec, err := svc.Decide("role-b", review.Keep, &until, "partner upload, ticket 42", "ann")
	require.NoError(t, err)
	require.Empty(t, rec.Request)
	rv, err := svc.Decide("acct-a", review.Revoke, nil, "left the team", "bob")
	require.NoError(t, err)
	require.Equal(t, "id-a", rv.Item, "a member decides its item")
	require.NotEmpty(t, rv.Request)

	p, err = svc.Queue("", review.Filters{}, 10, "")
	require.NoError(t, err)
	require.Zero(t, p.Total, "decided items leave the queue")
	reqs, err := svc.Requests()
	require.NoError(t, err)
	require.Len(t, reqs, 1)
	require.Equal(t, "pending", reqs[0].Status)
	require.ElementsMatch(t, []string{"acct-a", "id-a"}, reqs[0].Targets)
	require.NoError(t, svc.Close())

	// Durable: reopen, the clock passes the exception's expiry, it lapses.
	now = until.Add(time.Minute)
	svc, err = review.Open(path, review.Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	defer svc.Close()
	svc.Load(result(), nil)
	n, err := svc.ExpireDue()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	p, err = svc.Queue("", review.Filters{}, 10, "")
	require.NoError(t, err)
	require.Equal(t, 1, p.Total)
	require.Equal(t, "role-b", p.Items[0].ID, "the lapsed exception is back in the queue")
	decs, err := svc.Decisions()
	require.NoError(t, err)
	require.Len(t, decs, 2)
	require.NotNil(t, decs[0].Lapsed)
}
