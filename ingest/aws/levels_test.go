package aws

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

func TestLoadActionLevels(t *testing.T) {
	lv := catalogue(t)
	// 9,107 rows, one per (action, resource type), name 7,220 distinct actions.
	require.Equal(t, 7220, lv.Len())

	for _, tc := range []struct {
		action string
		want   graph.Privilege
		level  string
	}{
		{"s3:GetObject", graph.PrivRead, "Read"},
		{"s3:ListBucket", graph.PrivRead, "List"},
		{"s3:PutObject", graph.PrivWrite, "Write"},
		{"s3:PutObjectTagging", graph.PrivWrite, "Tagging"},
		{"iam:AttachUserPolicy", graph.PrivAdmin, "Permissions management"},
		{"iam:PassRole", graph.PrivAdmin, "Permissions management"},
		{"sts:AssumeRole", graph.PrivWrite, "Write"},
		{"secretsmanager:GetSecretValue", graph.PrivRead, "Read"},
		// Action names are case-insensitive.
		{"S3:getobject", graph.PrivRead, "Read"},
		// Listed as List for one resource type and Read for another: same
		// tier, the first row's name is kept.
		{"elasticloadbalancing:DescribeLoadBalancers", graph.PrivRead, "List"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			p, ok := lv.Level(tc.action)
			require.True(t, ok)
			require.Equal(t, tc.want, p)
			require.Equal(t, tc.level, lv.AccessLevel(tc.action))
		})
	}

	for _, tc := range []struct {
		pattern string
		want    graph.Privilege
	}{
		{"*", graph.PrivAdmin},
		{"s3:*", graph.PrivAdmin}, // s3:PutBucketPolicy
		{"s3:Get*", graph.PrivRead},
		{"ec2:Describe*", graph.PrivRead},
		{"s3:Delete*", graph.PrivAdmin}, // s3:DeleteBucketPolicy
		{"s3:DeleteObject*", graph.PrivWrite},
	} {
		p, ok := lv.Level(tc.pattern)
		require.True(t, ok, tc.pattern)
		require.Equal(t, tc.want, p, tc.pattern)
	}
	require.Len(t, lv.expand("s3:Delete*"), 9)
	require.Len(t, lv.expand("s3:*"), 91)
}

func TestLevelHeuristic(t *testing.T) {
	lv := catalogue(t)
	var none *ActionLevels
	for _, tc := range []struct {
		lv     *ActionLevels
		action string
		want   graph.Privilege
	}{
		{none, "s3:GetObject", graph.PrivRead},
		{none, "ec2:DescribeInstances", graph.PrivRead},
		{none, "s3:DeleteBucket", graph.PrivWrite},
		{none, "s3:PutObject", graph.PrivWrite},
		{none, "iam:PutRolePolicy", graph.PrivAdmin},
		{none, "iam:PassRole", graph.PrivAdmin},
		{none, "sts:AssumeRole", graph.PrivAdmin},
		{none, "*", graph.PrivAdmin},
		{none, "lambda:*", graph.PrivAdmin},
		// Newer than the 2020 catalogue: the heuristic answers.
		{lv, "bedrock:ListFoundationModels", graph.PrivRead},
		{lv, "bedrock:InvokeModel", graph.PrivWrite},
	} {
		p, ok := tc.lv.Level(tc.action)
		require.False(t, ok, tc.action)
		require.Equal(t, tc.want, p, tc.action)
	}
}

func TestLoadActionLevelsErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data, want string
	}{
		{"no access_level", "service;name;description\ns3;GetObject;x\n", `missing column "access_level"`},
		{"unknown level", "service;name;description;access_level\ns3;GetObject;x;Sometimes\n",
			`line 2: action s3:GetObject: unknown access level "Sometimes"`},
		{"empty", "service;name;description;access_level\n", "no actions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".csv")
			require.NoError(t, os.WriteFile(p, []byte(tc.data), 0o600))
			_, err := LoadActionLevels(p)
			require.Error(t, err)
			require.Contains(t, err.Error(), p)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDefaultActionLevelsPath(t *testing.T) {
	want := filepath.Join(datasetsDir(t), "aws", actionLevelsFile)
	t.Setenv(ActionLevelsEnv, "")
	got := DefaultActionLevelsPath()
	require.Equal(t, filepath.Clean(want), got)

	t.Setenv(ActionLevelsEnv, "/elsewhere/levels.csv")
	require.Equal(t, "/elsewhere/levels.csv", DefaultActionLevelsPath())
}
