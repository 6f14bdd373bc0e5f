package risk_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/datasets"

	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/ingest/aws"
)

// datasetsDir returns the shared datasets folder (repo root +
// /../shared/datasets), skipping the test if it is absent.
func datasetsDir(t *testing.T) string {
	return datasets.Dir(t, "aws", "this test needs the public AWS exports")
}

// The cloudsplaining test account (a public GAAD export): IAM users obama,
// biden and userwithlotsofpermissions are people (IAM users with no sign of
// software), so none is a "workload with admin"; role OverprivilegedEC2 is
// trusted by ec2.amazonaws.com only and holds InsecurePolicy, so it is.
func TestRulesOnCloudsplaining(t *testing.T) {
	ds := datasetsDir(t)
	levels, err := aws.LoadActionLevels(filepath.Join(ds, "aws", "policy-sentry-iam-action-access-levels-2020.csv"))
	require.NoError(t, err)
	path := filepath.Join(ds, "aws", "cloudsplaining-test-account-authorization-details.json")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	b, err := aws.ParseAuthorizationDetails(path, f, aws.Options{Levels: levels})
	require.NoError(t, err)
	res := score(t, risk.NewInput(b.Nodes(), b.Edges()))

	got := map[string][]string{}
	for i := range res.Assessments {
		a := &res.Assessments[i]
		if r := rules(a); len(r) > 0 {
			slices.Sort(r)
			got[a.Item.ID] = r
			t.Logf("%s %v human=%v workload=%v tier=%v", a.Item.ID, r, a.Facts["human"], a.Facts["workload"],
				a.Facts["privilege_tier"])
		}
	}
	const acct = "arn:aws:iam::012345678901:"
	for _, u := range []string{"obama", "biden", "userwithlotsofpermissions"} {
		a := find(res, acct+"user/"+u)
		require.NotNil(t, a, u)
		require.Equal(t, true, a.Facts["human"], "%s is a person", u)
		require.Equal(t, false, a.Facts["workload"], u)
		require.NotContains(t, rules(a), "non-human-admin", u)
	}
	// No HR roster was loaded: nobody is called an orphan.
	require.Equal(t, []string{"standing-admin"}, got[acct+"user/obama"], "obama: AdministratorAccess via group admin")
	require.Equal(t, []string{"standing-admin"}, got[acct+"user/userwithlotsofpermissions"])
	require.Equal(t, []string{"standing-admin", "toxic-combination"}, got[acct+"user/biden"],
		"biden: iam:PassRole with lambda:CreateFunction (AWSLambdaFullAccess)")
	// The service roles are software's: their admin is a workload's admin.
	for _, r := range []string{"MyRole", "MyOtherRole", "OverprivilegedEC2"} {
		a := find(res, acct+"role/"+r)
		require.NotNil(t, a, r)
		require.Equal(t, true, a.Facts["workload"], "%s is trusted by an AWS service only", r)
		require.Contains(t, rules(a), "non-human-admin", r)
	}
	require.Len(t, got, 7, "four users and roles above, the account root")
}
