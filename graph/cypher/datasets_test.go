package cypher

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/k8s"
)

// TestAgreeDatasets compares the two engines on every public dataset
// accessgraph ingests: blastRadius from every non-resource node, whoCanReach
// on every resource and on every principal, paths on reachable pairs.
func TestAgreeDatasets(t *testing.T) {
	ds := datasets(t)
	cases := []struct {
		name  string
		parse func(t *testing.T) *graph.Batch
	}{
		{"aws-gaad", func(t *testing.T) *graph.Batch {
			levels, err := aws.LoadActionLevels(filepath.Join(ds, "aws", "policy-sentry-iam-action-access-levels-2020.csv"))
			require.NoError(t, err)
			path := filepath.Join(ds, "aws", "cloudsplaining-test-account-authorization-details.json")
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			b, err := aws.ParseAuthorizationDetails(path, f, aws.Options{Levels: levels})
			require.NoError(t, err)
			return b
		}},
		{"k8s-argo", func(t *testing.T) *graph.Batch {
			b, err := k8s.ParseFiles(k8s.Options{Cluster: "argo", DefaultNamespace: "argocd"},
				filepath.Join(ds, "k8s", "argo-cd-install.yaml"))
			require.NoError(t, err)
			return b
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openClean(t)
			snap := load(t, st, c.parse(t))
			eng := New(st.Driver(), st.Database())
			principals, resources := idsOfKind(snap, false), idsOfKind(snap, true)
			require.NotEmpty(t, principals)
			require.NotEmpty(t, resources)
			a := checkAgree(t, context.Background(), snap, eng, principals, append(resources, principals...), 0)
			t.Logf("%s: %d nodes, %d edges; %s", c.name, snap.Stats().Nodes, snap.Stats().Edges, a)
			require.Positive(t, a.reaches, "the dataset grants something")
			require.Positive(t, a.paths)
			a = checkAgree(t, context.Background(), snap, eng, principals, resources, 0, 2, 3)
			t.Logf("%s at depth bounds 2 and 3: %s", c.name, a)
		})
	}
}
