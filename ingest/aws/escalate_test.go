package aws

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

const (
	prAcct = "444455556666"
	prPre  = "arn:aws:iam::444455556666:"
)

func TestPassRoleNeedsALaunchPath(t *testing.T) {
	b := parseFile(t, filepath.Join("testdata", "passrole.json"), Options{Levels: catalogue(t)})
	role := func(n string) string { return prPre + "role/" + n }

	// Answers worked out from passrole.json: fn-runner trusts Lambda, ec2-box
	// EC2, task-role ECS tasks, ssm-hybrid SSM, mystery a service the launch
	// table does not know.
	for _, tc := range []struct {
		user string
		want []string
		why  string
	}{
		{"lambda-dev", []string{role("fn-runner")},
			"PassRole on *, lambda:CreateFunction on dev-* functions only: still a launch"},
		{"scoped", []string{role("fn-runner")},
			"may launch EC2 too, but iam:PassedToService only lets roles go to Lambda"},
		{"not-ec2", []string{role("fn-runner")}, "StringNotLike ec2.* excludes EC2"},
		{"task-def-only", nil, "ecs:RegisterTaskDefinition alone starts nothing"},
		{"task-runner", []string{role("task-role")}, "ecs:RunTask with overrides.taskRoleArn"},
		{"denied", nil, "ec2:* allowed but the three EC2 launch actions denied on *"},
		{"activator", []string{role("ssm-hybrid")}, "PassRole on ssm-* and ssm:CreateActivation"},
		{"everything", []string{role("ec2-box"), role("fn-runner"), role("ssm-hybrid"), role("task-role")},
			"a launch action for every service but the unknown one"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			require.Equal(t, tc.want, edgesFrom(b, prPre+"user/"+tc.user, graph.EdgeEscalates), tc.why)
		})
	}
	require.Empty(t, edgesTo(b, graph.EdgeEscalates, role("mystery")))

	e := edge(t, b, prPre+"user/lambda-dev", graph.EdgeEscalates, role("fn-runner"))
	require.Equal(t, []string{"iam:PassRole", "lambda:CreateFunction"}, e.Actions)
	require.Equal(t, []string{"iam:PassRole to lambda.amazonaws.com, run with lambda:CreateFunction",
		"inline/lambda-dev-policy"}, e.Via)
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	require.Empty(t, e.Conditions)

	e = edge(t, b, prPre+"user/scoped", graph.EdgeEscalates, role("fn-runner"))
	require.Equal(t, []string{`{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}`}, e.Conditions)
	e = edge(t, b, prPre+"user/task-runner", graph.EdgeEscalates, role("task-role"))
	require.Equal(t, []string{"ecs:RunTask", "iam:PassRole"}, e.Actions)
}

func TestPassedToServiceTests(t *testing.T) {
	for _, tc := range []struct {
		cond    string
		admits  []string
		refuses []string
	}{
		{`{}`, []string{"ec2.amazonaws.com"}, nil},
		{`{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}`,
			[]string{"lambda.amazonaws.com"}, []string{"ec2.amazonaws.com", "LAMBDA.amazonaws.com"}},
		{`{"StringEqualsIgnoreCase":{"iam:passedtoservice":["LAMBDA.amazonaws.com"]}}`,
			[]string{"lambda.amazonaws.com"}, []string{"ec2.amazonaws.com"}},
		{`{"StringLike":{"iam:PassedToService":["ec2.*","ecs-tasks.amazonaws.com"]}}`,
			[]string{"ec2.amazonaws.com", "ecs-tasks.amazonaws.com"}, []string{"lambda.amazonaws.com"}},
		{`{"ForAnyValue:StringNotEqualsIfExists":{"iam:PassedToService":"ec2.amazonaws.com"}}`,
			[]string{"lambda.amazonaws.com"}, []string{"ec2.amazonaws.com"}},
		{`{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"StringNotLike":{"iam:PassedToService":"lambda*"}}`,
			nil, []string{"lambda.amazonaws.com", "ec2.amazonaws.com"}},
		{`{"ArnLike":{"iam:PassedToService":"x"},"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`,
			[]string{"ec2.amazonaws.com"}, nil},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			doc := `{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":` + tc.cond + `}}`
			d, err := parsePolicy("p", []byte(doc), identityDoc)
			require.NoError(t, err)
			st := &d.statements[0]
			for _, s := range tc.admits {
				require.True(t, st.admitsService(s), s)
			}
			for _, s := range tc.refuses {
				require.False(t, st.admitsService(s), s)
			}
		})
	}
}

func TestPassedToServiceBadValue(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "passrole.json"))
	require.NoError(t, err)
	bad := strings.Replace(string(data), `"iam:PassedToService": "lambda.amazonaws.com"`, `"iam:PassedToService": 7`, 1)
	require.NotEqual(t, string(data), bad)
	_, err = ParseAuthorizationDetails("passrole-bad.json", strings.NewReader(bad), Options{})
	require.ErrorContains(t, err, "passrole-bad.json")
	require.ErrorContains(t, err, "UserDetailList[1]")
	require.ErrorContains(t, err, ".Condition.StringEquals.iam:PassedToService: expected a string or a list of strings")
}
