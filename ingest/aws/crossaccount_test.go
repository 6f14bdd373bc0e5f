package aws

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// A grant on a role or user this export does not hold (another account's)
// points at a stub of the kind its ARN names, not at a resource node: the
// owning account's full node then wins whichever sync runs last, and the
// principal keeps its blast radius. Wildcards and other services stay
// resources.
func TestGrantOnForeignPrincipalIsAStub(t *testing.T) {
	const export = `{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a","UserPolicyList":[
	  {"PolicyName":"p","PolicyDocument":{"Statement":[
	    {"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::222222222222:role/deploy"},
	    {"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::222222222222:user/ops"},
	    {"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::222222222222:role/team-*"},
	    {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}}]}]}`
	b, err := ParseAuthorizationDetails("cross.json", strings.NewReader(export), Options{})
	require.NoError(t, err)
	for id, want := range map[string]graph.Kind{
		"arn:aws:iam::222222222222:role/deploy": graph.KindRole,
		"arn:aws:iam::222222222222:user/ops":    graph.KindAccount,
		"arn:aws:iam::222222222222:role/team-*": graph.KindResource,
		"arn:aws:s3:::reports/*":                graph.KindResource,
	} {
		n, ok := b.Node(id)
		require.True(t, ok, id)
		require.Equal(t, want, n.Kind, id)
		require.Equal(t, want != graph.KindResource, n.Props[graph.PropStub] == "true", id)
	}
	edge(t, b, "arn:aws:iam::111122223333:user/a", graph.EdgeAccess, "arn:aws:iam::222222222222:role/deploy")
}
