package resolve_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
	"github.com/accessgraph/accessgraph/ingest/resolve"
	"github.com/accessgraph/accessgraph/ingest/synth"
)

// The person the generator offboarded in HR still has an IAM user with an
// active key and a Kubernetes admin binding. Resolution links all three
// accounts (HR record, IAM user by its email tag, Kubernetes user by its
// email name) to one identity, marked offboarded, whose blast radius spans
// AWS and Kubernetes.
func TestOffboardedPersonAcrossThreeSources(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := synth.Generate(dir, synth.Options{Identities: 1000, Seed: 7}, nil)
	require.NoError(t, err)
	batches, err := bench.Parse(dir, m, nil)
	require.NoError(t, err)
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	write := func(ctx context.Context, b *graph.Batch) error {
		_, err := ingest.Write(ctx, st, b, ingest.WriteOptions{})
		return err
	}
	for _, b := range batches {
		require.NoError(t, write(ctx, b))
	}
	res, err := resolve.Run(ctx, st, write)
	require.NoError(t, err)
	require.Empty(t, res.Conflicts)

	var email string
	for _, p := range m.Planted {
		if p.Kind == synth.PlantOffboardedActiveKey {
			email = p.Identity
		}
	}
	require.NotEmpty(t, email)
	snap, err := projection.Build(ctx, st)
	require.NoError(t, err)

	var person graph.Node
	for _, n := range res.Batch.Nodes() {
		if n.Kind == graph.KindIdentity && strings.Contains(","+n.Props["keys"]+",", ",email:"+email+",") {
			person = n
		}
	}
	require.NotEmpty(t, person.ID, "an identity for %s", email)
	require.True(t, strings.HasPrefix(person.ID, "identity:employee:E"), "keyed by the HR employee id")
	require.Equal(t, "offboarded", person.Props["status"])

	paths := map[string]bool{}
	br, err := snap.BlastRadius(projection.BlastRadiusQuery{From: person.ID})
	require.NoError(t, err)
	for _, r := range br.Reaches {
		src := r.Resource.Source
		paths[strings.SplitN(src, ":", 2)[0]] = true
	}
	require.True(t, paths["aws"], "the offboarded person still reaches AWS")
	require.True(t, paths["k8s"], "and Kubernetes")

	var kinds []string
	for _, e := range res.Batch.Edges() {
		if e.From == person.ID && e.Kind == graph.EdgeHasAccount {
			to, _ := snap.Node(e.To)
			kinds = append(kinds, to.Subkind)
		}
	}
	require.Subset(t, kinds, []string{"hr-record", "aws-user", "k8s-user"})
}
