package cypher

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// fixture: alex -> account -> group (nested, with a cycle) -> role -> bucket;
// a credential that authenticates as a service account that can assume an
// admin role; an escalation edge; a wildcard scope that contains the vault.
func fixture() *graph.Batch {
	nodes := []graph.Node{
		node("alex", graph.KindIdentity, 0),
		node("alex@aws", graph.KindAccount, 0),
		node("eng", graph.KindGroup, 0),
		node("all", graph.KindGroup, 0),
		node("reader", graph.KindRole, 0),
		node("admin", graph.KindRole, 0),
		node("svc", graph.KindAccount, 0),
		node("key1", graph.KindCredential, 0),
		node("bucket", graph.KindResource, graph.SensHigh),
		node("vault", graph.KindResource, graph.SensCritical),
		node("wiki", graph.KindResource, graph.SensLow),
		node("scope", graph.KindResource, graph.SensCritical),
		node("ops", graph.KindAccount, 0),
	}
	edges := []graph.Edge{
		edge("alex", graph.EdgeHasAccount, "alex@aws", 0),
		edge("alex@aws", graph.EdgeMemberOf, "eng", 0),
		edge("eng", graph.EdgeMemberOf, "all", 0),
		edge("all", graph.EdgeMemberOf, "eng", 0), // cycle
		edge("eng", graph.EdgeHasRole, "reader", 0),
		edge("reader", graph.EdgeAccess, "bucket", graph.PrivRead, "s3:GetObject"),
		edge("all", graph.EdgeAccess, "wiki", graph.PrivWrite, "edit"),
		edge("alex@aws", graph.EdgeOwns, "key1", 0), // informational: not followed
		edge("key1", graph.EdgeAuthenticates, "svc", 0),
		edge("svc", graph.EdgeCanAssume, "admin", 0),
		edge("admin", graph.EdgeAccess, "bucket", graph.PrivAdmin, "s3:*"),
		edge("admin", graph.EdgeAccess, "vault", graph.PrivAdmin, "kms:*"),
		edge("reader", graph.EdgeEscalates, "svc", graph.PrivAdmin),
		edge("ops", graph.EdgeAccess, "scope", graph.PrivWrite, "put"),
		edge("scope", graph.EdgeContains, "vault", 0),
	}
	return batchOf("test", nodes, edges)
}

func TestFixture(t *testing.T) {
	st := openClean(t)
	snap := load(t, st, fixture())
	eng := New(st.Driver(), st.Database())
	ctx := context.Background()

	r, err := eng.BlastRadius(ctx, projection.BlastRadiusQuery{From: "alex"})
	require.NoError(t, err)
	got := map[string]graph.Privilege{}
	for _, x := range r.Reaches {
		got[x.Resource.ID] = x.Privilege
	}
	// bucket: read through reader, admin through reader -ESCALATES-> svc -> admin.
	require.Equal(t, map[string]graph.Privilege{
		"bucket": graph.PrivAdmin, "vault": graph.PrivAdmin, "wiki": graph.PrivWrite,
	}, got)
	require.Equal(t, "vault", r.Reaches[0].Resource.ID, "critical admin first")
	require.Equal(t, []string{"alex", "alex@aws", "eng", "reader", "svc", "admin", "vault"},
		pathIDs(r.Reaches[0].Witness))
	require.True(t, r.Reaches[0].Witness.Escalation)
	require.Equal(t, []string{"s3:*", "s3:GetObject"}, r.Reaches[1].Actions, "actions union over paths")
	require.Equal(t, 7, r.Totals.Principals, "key1 is only owned")
	require.Equal(t, 2, r.Totals.ByPrivilege[graph.PrivAdmin])

	// depth 4 cuts the admin route.
	r, err = eng.BlastRadius(ctx, projection.BlastRadiusQuery{From: "alex", MaxDepth: 4})
	require.NoError(t, err)
	require.Len(t, r.Reaches, 2)
	require.Equal(t, "wiki", r.Reaches[0].Resource.ID)
	require.Equal(t, graph.PrivRead, r.Reaches[1].Privilege)

	// containment: ops writes the scope and, through it, the vault.
	r, err = eng.BlastRadius(ctx, projection.BlastRadiusQuery{From: "ops"})
	require.NoError(t, err)
	require.Len(t, r.Reaches, 2)
	require.Equal(t, []string{"ops", "scope", "vault"}, pathIDs(r.Reaches[1].Witness))
	require.Equal(t, []string{"put"}, r.Reaches[1].Actions)

	ps, err := eng.Paths(ctx, projection.PathsQuery{From: "alex", To: "bucket"})
	require.NoError(t, err)
	require.Len(t, ps, 2)
	require.Equal(t, []string{"alex", "alex@aws", "eng", "reader", "bucket"}, pathIDs(ps[0]))
	require.Equal(t, []string{"alex", "alex@aws", "eng", "reader", "svc", "admin", "bucket"}, pathIDs(ps[1]))
	require.Equal(t, graph.PrivAdmin, ps[1].Privilege)
	ps, err = eng.Paths(ctx, projection.PathsQuery{From: "alex@aws", To: "key1"})
	require.NoError(t, err)
	require.Empty(t, ps, "OWNS is not followed")

	wr, err := eng.WhoCanReach(ctx, projection.WhoCanReachQuery{Resource: "vault"})
	require.NoError(t, err)
	byID := map[string]graph.Privilege{}
	for _, x := range wr.Reachers {
		byID[x.Principal.ID] = x.Privilege
	}
	require.Equal(t, graph.PrivWrite, byID["ops"])
	require.Equal(t, graph.PrivAdmin, byID["alex"])
	require.Equal(t, "admin", wr.Reachers[0].Principal.ID)

	// a principal target: svc is reached with admin through ESCALATES, and
	// key1 acts as it (privilege none).
	wr, err = eng.WhoCanReach(ctx, projection.WhoCanReachQuery{Resource: "svc"})
	require.NoError(t, err)
	byID = map[string]graph.Privilege{}
	for _, x := range wr.Reachers {
		byID[x.Principal.ID] = x.Privilege
	}
	require.Equal(t, graph.PrivAdmin, byID["reader"])
	require.Equal(t, graph.PrivNone, byID["key1"])

	_, err = eng.BlastRadius(ctx, projection.BlastRadiusQuery{From: "nobody"})
	require.ErrorIs(t, err, graph.ErrNotFound)
	_, err = eng.Paths(ctx, projection.PathsQuery{From: "alex", To: "nowhere"})
	require.ErrorIs(t, err, graph.ErrNotFound)
	_, err = eng.WhoCanReach(ctx, projection.WhoCanReachQuery{Resource: "nothing"})
	require.ErrorIs(t, err, graph.ErrNotFound)

	// and the projection agrees on everything.
	checkAgree(t, ctx, snap, eng, allIDs(snap), allIDs(snap), 0)
}
