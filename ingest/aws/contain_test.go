package aws

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// contained returns every node reachable from id along CONTAINS edges.
func contained(b *graph.Batch, id string) map[string]bool {
	seen := map[string]bool{}
	queue := []string{id}
	edges := b.Edges()
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range edges {
			if e.From == cur && e.Kind == graph.EdgeContains && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	return seen
}

// containsPairs lists the batch's CONTAINS edges as "from -> to", sorted.
func containsPairs(b *graph.Batch) []string {
	var out []string
	for _, e := range b.Edges() {
		if e.Kind == graph.EdgeContains {
			out = append(out, e.From+" -> "+e.To)
		}
	}
	return out
}

func TestContainsFixture(t *testing.T) {
	b := parseFile(t, filepath.Join("testdata", "contains.json"), Options{Levels: catalogue(t)})
	all, s3, sAny, iam := ResourceID(prAcct, "*"), ResourceID(prAcct, "s3"), ResourceID(prAcct, "s*"), ResourceID(prAcct, "iam")
	orders := "arn:aws:dynamodb:us-east-1:" + prAcct + ":table/orders"
	// Worked out from contains.json; only covering pairs. role/app-batch is
	// named by no policy (no ACCESS edge) and is not linked; the orders
	// table has no dynamodb:* node above it, so *:* links it directly.
	require.ElementsMatch(t, []string{
		all + " -> " + orders,
		all + " -> " + iam,
		all + " -> " + sAny,
		sAny + " -> " + s3, // s* covers s3
		s3 + " -> arn:aws:s3:::data-*",
		s3 + " -> arn:aws:s3:::logs/app.log",
		"arn:aws:s3:::data-* -> arn:aws:s3:::data-prod/*", // pattern includes pattern
		"arn:aws:s3:::data-prod/* -> arn:aws:s3:::data-prod/reports/q1.csv",
		iam + " -> " + prPre + "role/app-*",
		prPre + "role/app-* -> " + prPre + "role/app-web", // an IAM entity ACCESS targets
	}, containsPairs(b))

	in := contained(b, all)
	require.Len(t, in, 10, "every other resource node and the role app-web")
	require.True(t, in[prPre+"role/app-web"])
	require.False(t, in[prPre+"role/app-batch"])
	require.True(t, contained(b, s3)["arn:aws:s3:::data-prod/reports/q1.csv"])
	require.False(t, contained(b, s3)[orders])

	e := edge(t, b, s3, graph.EdgeContains, "arn:aws:s3:::data-*")
	require.Equal(t, []string{"wildcard resource * (all s3 resources)"}, e.Via)
	require.Equal(t, graph.PrivNone, e.Privilege)
	require.Empty(t, e.Actions)
	e = edge(t, b, "arn:aws:s3:::data-*", graph.EdgeContains, "arn:aws:s3:::data-prod/*")
	require.Equal(t, []string{"wildcard ARN pattern arn:aws:s3:::data-*"}, e.Via)
	n, _ := b.Node(prPre + "role/app-web")
	require.Equal(t, graph.KindRole, n.Kind, "containment does not change an entity's kind")
}

func TestContainsCloudsplaining(t *testing.T) {
	b := cloudsplaining(t, Options{Levels: catalogue(t)})
	all := ResourceID(csAcct, "*")
	// The export's resource nodes: the root's *:*, Resource "*" of 21
	// services (18 in AWSLambdaFullAccess; rds and application-autoscaling
	// from AmazonRDSFullAccess; secretsmanager from OverprivilegedEC2's
	// SupYo) and AmazonRDSFullAccess's pi pattern. No service node has
	// another node under it, so *:* covers each of the 22 directly, the
	// pattern too (there is no pi:* node).
	out := edgesFrom(b, all, graph.EdgeContains)
	require.Len(t, out, 22)
	for _, svc := range []string{"s3", "iam", "secretsmanager", "lambda", "ec2", "rds", "dynamodb"} {
		require.Contains(t, out, ResourceID(csAcct, svc))
	}
	require.Contains(t, out, "arn:aws:pi:*:*:metrics/rds/*")
	require.Equal(t, []string{all}, edgesTo(b, graph.EdgeContains, ResourceID(csAcct, "s3")))
	e := edge(t, b, all, graph.EdgeContains, ResourceID(csAcct, "s3"))
	require.Equal(t, []string{"wildcard resource * (all resources)"}, e.Via)

	// Every resource node is in *:*, nothing contains *:*.
	var resources int
	for _, n := range b.Nodes() {
		if n.Kind == graph.KindResource && n.ID != all {
			resources++
			require.True(t, contained(b, all)[n.ID], n.ID)
		}
	}
	require.Equal(t, 22, resources)
	require.Empty(t, edgesTo(b, graph.EdgeContains, all))
}
