package resolve

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
)

func links(r *Result) map[string]string {
	out := map[string]string{}
	for _, e := range r.Batch.Edges() {
		if e.Kind == graph.EdgeHasAccount {
			out[e.To] = e.From + " by " + e.Props["reason"]
		}
	}
	return out
}

func TestResolve(t *testing.T) {
	accts := []Account{
		{ID: "aws:alex", Source: "aws", Email: "Alex.Kim@example.com"},
		{ID: "hr:E17", Source: "hr", EmployeeID: "E17", Email: "alex.kim@example.com", DisplayName: "Alex Kim",
			Status: "terminated"},
		{ID: "okta:00u1", Source: "okta", UPN: "alex.kim@example.com"},
		{ID: "gh:alexk", Source: "github"}, // no key: stays alone
		{ID: "okta:00u2", Source: "okta", Email: "sam@example.com"},
		{ID: "aws:agent-7", Source: "aws", Subkind: "aws-user", Email: "agent-7@example.com",
			OnBehalfOf: "sam@example.com"},
		{ID: "aws:agent-8", Source: "aws", Email: "agent-8@example.com", OnBehalfOf: "alex.kim@example.com"},
		// Same email, another employee id: kept apart and reported.
		{ID: "hr:E99", Source: "hr", EmployeeID: "E99", Email: "alex.kim@example.com"},
	}
	r := Resolve(accts)
	require.Equal(t, map[string]string{
		"aws:alex":    "identity:employee:E17 by email:alex.kim@example.com",
		"hr:E17":      "identity:employee:E17 by email:alex.kim@example.com",
		"okta:00u1":   "identity:employee:E17 by email:alex.kim@example.com",
		"aws:agent-7": "identity:agent-7@example.com by email:agent-7@example.com",
		"aws:agent-8": "identity:agent-8@example.com by email:agent-8@example.com",
		"okta:00u2":   "identity:sam@example.com by email:sam@example.com",
		"hr:E99":      "identity:employee:E99 by employee_id:E99",
	}, links(r))
	require.Len(t, r.Conflicts, 2)
	require.Equal(t, "email:alex.kim@example.com", r.Conflicts[0].Key)
	require.Contains(t, r.Conflicts[0].Reason, "employee ids E17 and E99 differ")
	// agent-8 acts for alex.kim@example.com, which two identities claim.
	require.Equal(t, "on_behalf_of:alex.kim@example.com", r.Conflicts[1].Key)
	require.Equal(t, 5, r.Identities)

	alex, ok := r.Batch.Node("identity:employee:E17")
	require.True(t, ok)
	require.Equal(t, "Alex Kim", alex.Name)
	require.Equal(t, "offboarded", alex.Props["status"])
	agent, _ := r.Batch.Node("identity:agent-7@example.com")
	require.Equal(t, "agent", agent.Subkind)
	d, ok := r.Batch.Edge("identity:agent-7@example.com", graph.EdgeDelegates,
		"identity:sam@example.com")
	require.True(t, ok, "the agent acts on behalf of sam")
	require.Equal(t, []string{"on_behalf_of sam@example.com"}, d.Via)
	require.NoError(t, r.Batch.Validate())
}

// Accounts in three sources resolve to one identity whose blast radius
// spans all three.
func TestRunAcrossSources(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	write := func(ctx context.Context, b *graph.Batch) error {
		_, err := ingest.Write(ctx, st, b, ingest.WriteOptions{})
		return err
	}
	for _, src := range []string{"aws", "k8s", "okta"} {
		b := graph.NewBatch(src)
		b.AddNode(graph.Node{ID: src + ":alex", Kind: graph.KindAccount, Name: "alex",
			Props: map[string]string{graph.PropEmail: "alex@example.com"}})
		b.AddNode(graph.Node{ID: src + ":crown-jewel", Kind: graph.KindResource, Name: "jewel"})
		b.AddEdge(graph.Edge{From: src + ":alex", To: src + ":crown-jewel", Kind: graph.EdgeAccess,
			Privilege: graph.PrivWrite})
		require.NoError(t, write(ctx, b))
	}
	res, err := Run(ctx, st, write)
	require.NoError(t, err)
	require.Equal(t, 1, res.Identities)
	require.Equal(t, 3, res.Linked)

	snap, err := projection.Build(ctx, st)
	require.NoError(t, err)
	br, err := snap.BlastRadius(projection.BlastRadiusQuery{From: "identity:alex@example.com"})
	require.NoError(t, err)
	var got []string
	for _, x := range br.Reaches {
		got = append(got, x.Resource.ID)
	}
	require.Equal(t, []string{"aws:crown-jewel", "k8s:crown-jewel", "okta:crown-jewel"}, got)

	// One source drops alex: the next pass keeps the identity with two links.
	require.NoError(t, write(ctx, graph.NewBatch("okta")))
	res, err = Run(ctx, st, write)
	require.NoError(t, err)
	require.Equal(t, 2, res.Linked)
}
