package aws

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAuthorizationDetailsErrors(t *testing.T) {
	real, err := os.ReadFile(filepath.Join(datasetsDir(t), "aws", "cloudsplaining-test-account-authorization-details.json"))
	require.NoError(t, err)
	report, err := os.ReadFile(filepath.Join("testdata", "credential-report.csv"))
	require.NoError(t, err)
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		return b
	}
	// A comma removed after "Path": "/" of the first user: line 5.
	broken := bytes.Replace(real, []byte(`"Path": "/",`), []byte(`"Path": "/"`), 1)
	require.NotEqual(t, real, broken)

	for _, tc := range []struct {
		name string
		file string
		data []byte
		want []string
	}{
		{
			name: "truncated",
			file: "gaad-truncated.json",
			data: real[:5000],
			want: []string{"gaad-truncated.json: truncated JSON", "byte 5000", "line 188"},
		},
		{
			name: "malformed",
			file: "gaad-malformed.json",
			data: broken,
			want: []string{"gaad-malformed.json: malformed JSON at byte", "(line 5, column"},
		},
		{
			name: "credential report given as GAAD",
			file: "report.csv",
			data: report,
			want: []string{"report.csv: not a JSON object (it looks like an IAM credential report CSV)",
				"expected the JSON of `aws iam get-account-authorization-details` with top-level keys " +
					"UserDetailList, GroupDetailList, RoleDetailList, Policies"},
		},
		{
			name: "kubernetes yaml",
			file: "rbac.yaml",
			data: []byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"),
			want: []string{"rbac.yaml: not a JSON object (it looks like a Kubernetes YAML manifest)", "UserDetailList"},
		},
		{
			name: "other JSON",
			file: "other.json",
			data: []byte(`{"apiVersion":"v1","items":[]}`),
			want: []string{"other.json: no GAAD lists (found keys apiVersion, items)", "UserDetailList, GroupDetailList"},
		},
		{
			name: "one page of a paginated export",
			file: "page1.json",
			data: []byte(`{"UserDetailList":[],"IsTruncated":true,"Marker":"abc"}`),
			want: []string{"page1.json: IsTruncated is true"},
		},
		{
			name: "unknown element",
			file: "bad-unknown-element.json",
			data: fixture("bad-unknown-element.json"),
			want: []string{`bad-unknown-element.json: UserDetailList[1].UserPolicyList[0].PolicyDocument.Statement[2]: unknown element "Actions"`},
		},
		{
			name: "bad effect",
			file: "bad-effect.json",
			data: fixture("bad-effect.json"),
			want: []string{`bad-effect.json: RoleDetailList[2].AssumeRolePolicyDocument.Statement[0]: Effect "Maybe": expected "Allow" or "Deny"`},
		},
		{
			name: "mixed accounts",
			file: "bad-mixed-accounts.json",
			data: fixture("bad-mixed-accounts.json"),
			want: []string{"bad-mixed-accounts.json: the export mixes accounts 111122223333", "444455556666 (arn:aws:iam::444455556666:role/CrossAccount)"},
		},
		{
			name: "no account",
			file: "empty.json",
			data: []byte(`{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[],"Policies":[]}`),
			want: []string{"empty.json: no account id"},
		},
		{
			name: "attached policy missing from Policies",
			file: "filtered.json",
			data: []byte(`{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a",` +
				`"AttachedManagedPolicies":[{"PolicyName":"X","PolicyArn":"arn:aws:iam::aws:policy/X"}]}]}`),
			want: []string{`filtered.json: UserDetailList[0].AttachedManagedPolicies[0]: policy "arn:aws:iam::aws:policy/X" is not in Policies`},
		},
		{
			name: "principal in identity policy",
			file: "principal.json",
			data: []byte(`{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a","UserPolicyList":[` +
				`{"PolicyName":"p","PolicyDocument":{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}}]}]}`),
			want: []string{"principal.json: UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[0]: Principal is not allowed"},
		},
		{
			name: "action without service",
			file: "action.json",
			data: []byte(`{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a","UserPolicyList":[` +
				`{"PolicyName":"p","PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}}]}]}`),
			want: []string{`action.json: UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[0]: action "GetObject": expected "service:Action"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseAuthorizationDetails(tc.file, bytes.NewReader(tc.data), Options{})
			require.Error(t, err)
			require.Nil(t, b)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestCredentialReportErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "credential-report.csv"))
	require.NoError(t, err)
	header, _, _ := strings.Cut(string(good), "\n")

	for _, tc := range []struct {
		name string
		data string
		want []string
	}{
		{
			name: "missing columns",
			data: strings.Replace(strings.Replace(string(good), ",mfa_active,", ",mfa,", 1), "access_key_2_active", "key2_active", 1),
			want: []string{"report.csv: header: missing columns mfa_active, access_key_2_active",
				"expected the IAM credential report CSV"},
		},
		{
			name: "GAAD given as report",
			data: `{"UserDetailList":[]}`,
			want: []string{"report.csv: this is JSON, not CSV"},
		},
		{
			name: "bad boolean",
			data: strings.Replace(string(good), "bob,arn:aws:iam::111122223333:user/bob,2023-01-02T10:00:00+00:00,true",
				"bob,arn:aws:iam::111122223333:user/bob,2023-01-02T10:00:00+00:00,yes", 1),
			want: []string{`report.csv: line 4 (user bob): password_enabled "yes": expected true or false`},
		},
		{
			name: "bad time",
			data: strings.Replace(string(good), "2024-01-15T12:00:00+00:00", "15/01/2024", 1),
			want: []string{`report.csv: line 3 (user alice): access_key_1_last_rotated "15/01/2024": expected an RFC 3339 time`},
		},
		{
			name: "short row",
			data: header + "\nalice,arn:aws:iam::111122223333:user/alice,true\n",
			want: []string{"report.csv: record on line 2: wrong number of fields"},
		},
		{
			name: "header only",
			data: header + "\n",
			want: []string{"report.csv: the credential report has no rows"},
		},
		{
			name: "mixed accounts",
			data: string(good) + strings.ReplaceAll(strings.Split(string(good), "\n")[2], "111122223333", "444455556666") + "\n",
			want: []string{"report.csv: line 6: account 444455556666 differs from 111122223333"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseCredentialReport("report.csv", strings.NewReader(tc.data), Options{})
			require.Error(t, err)
			require.Nil(t, b)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}
