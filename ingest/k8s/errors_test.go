package k8s

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const saDoc = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ok\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, file, input, want string
	}{
		{
			name: "malformed YAML in second document",
			file: "bad.yaml",
			input: saDoc + "---\n# comment\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: [unclosed\n" +
				"  namespace: x\n",
			want: "bad.yaml: document 2 (line 7): malformed YAML at line 10: did not find expected ',' or ']'",
		},
		{
			name:  "malformed JSON",
			file:  "bad.json",
			input: "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [}\n",
			want:  "bad.json: document 1 (line 1): malformed JSON at line 4: invalid character '}' looking for beginning of value",
		},
		{
			name:  "missing kind",
			file:  "nokind.yaml",
			input: saDoc + "---\napiVersion: v1\nmetadata:\n  name: x\n",
			want:  "nokind.yaml: document 2 (line 6): missing kind: expected Kubernetes objects with apiVersion and kind (top-level keys: apiVersion, metadata)",
		},
		{
			name:  "scalar document",
			file:  "scalar.yaml",
			input: "just a string\n",
			want:  "scalar.yaml: document 1 (line 1): got a string: expected Kubernetes objects with apiVersion and kind",
		},
		{
			name:  "empty file",
			file:  "empty.yaml",
			input: "# nothing here\n---\n",
			want:  "empty.yaml: no documents: expected Kubernetes objects with apiVersion and kind",
		},
		{
			name:  "list item without apiVersion",
			file:  "list.json",
			input: `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a"}},{"kind":"Role"}]}`,
			want:  "list.json: document 1 (line 1): items[1]: missing apiVersion: expected Kubernetes objects with apiVersion and kind (top-level keys: kind)",
		},
		{
			name:  "verbs not a list",
			file:  "role.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: get\n",
			want:  "role.yaml: document 1 (line 1): decode Role: rules.verbs: found a JSON string, expected an array of strings",
		},
		{
			name:  "unknown field in a rule",
			file:  "role.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\nrules:\n- apiGroups: ['']\n  resource: [pods]\n  verbs: [get]\n",
			want:  "role.yaml: document 1 (line 1): decode Role: unknown field \"resource\"",
		},
		{
			name:  "rule without verbs",
			file:  "cr.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: c\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n- apiGroups: ['']\n  resources: [pods]\n",
			want:  "cr.yaml: document 1 (line 1): ClusterRole c: rules[1].verbs: required",
		},
		{
			name:  "nonResourceURLs in a Role",
			file:  "role.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: dev\nrules:\n- nonResourceURLs: [/healthz]\n  verbs: [get]\n",
			want:  "role.yaml: document 1 (line 1): Role dev/r: rules[0].nonResourceURLs: not allowed in a namespaced Role",
		},
		{
			name:  "bad subject kind",
			file:  "rb.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\nroleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}\nsubjects:\n- {kind: User, name: u}\n- {kind: Robot, name: r2d2}\n",
			want:  "rb.yaml: document 1 (line 1): RoleBinding default/b: subjects[1].kind: want ServiceAccount, User or Group, got \"Robot\"",
		},
		{
			name:  "ClusterRoleBinding SA without namespace",
			file:  "crb.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\nroleRef: {kind: ClusterRole, name: r, apiGroup: rbac.authorization.k8s.io}\nsubjects:\n- {kind: ServiceAccount, name: sa}\n",
			want:  "crb.yaml: document 1 (line 1): ClusterRoleBinding b: subjects[0].namespace: required for a ServiceAccount in a ClusterRoleBinding",
		},
		{
			name:  "ClusterRoleBinding to a Role",
			file:  "crb.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\nroleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}\n",
			want:  "crb.yaml: document 1 (line 1): ClusterRoleBinding b: roleRef.kind: a ClusterRoleBinding must reference a ClusterRole, got Role",
		},
		{
			name:  "invalid aggregation selector",
			file:  "agg.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: agg\naggregationRule:\n  clusterRoleSelectors:\n  - matchExpressions:\n    - {key: a, operator: Near, values: [b]}\n",
			want:  "agg.yaml: document 1 (line 1): ClusterRole agg: aggregationRule.clusterRoleSelectors[0]: \"Near\" is not a valid label selector operator",
		},
		{
			name:  "RBAC object without name",
			file:  "noname.yaml",
			input: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  labels: {a: b}\n",
			want:  "noname.yaml: document 1 (line 1): ClusterRole: metadata.name: required",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, rep, err := ParseWithReport(Options{}, File{Name: tc.file, R: strings.NewReader(tc.input)})
			require.Nil(t, b)
			require.Nil(t, rep)
			require.EqualError(t, err, tc.want)
			var pe *ParseError
			require.True(t, errors.As(err, &pe))
			require.Equal(t, tc.file, pe.File)
		})
	}
}

// An AWS GAAD export given as Kubernetes input.
func TestParseAWSExportAsK8s(t *testing.T) {
	p := datasetPath(t, "aws", "cloudsplaining-test-account-authorization-details.json")
	b, err := ParseFiles(Options{}, p)
	require.Nil(t, b)
	require.EqualError(t, err, p+": document 1 (line 1): missing apiVersion and kind: "+
		"expected Kubernetes objects with apiVersion and kind "+
		"(top-level keys: GroupDetailList, Policies, RoleDetailList, UserDetailList)")
}

// One bad file among good ones: no batch at all.
func TestNoPartialBatch(t *testing.T) {
	good, err := os.Open("testdata/scoped.yaml")
	require.NoError(t, err)
	defer good.Close()
	b, err := Parse(Options{}, File{Name: "scoped.yaml", R: good},
		File{Name: "second.yaml", R: strings.NewReader(saDoc + "---\nkind: Role\n")})
	require.Nil(t, b)
	require.EqualError(t, err, "second.yaml: document 2 (line 6): missing apiVersion: "+
		"expected Kubernetes objects with apiVersion and kind (top-level keys: kind)")
}

func TestParseFilesMissing(t *testing.T) {
	_, err := ParseFiles(Options{}, "testdata/does-not-exist.yaml")
	require.EqualError(t, err, "k8s: open testdata/does-not-exist.yaml: no such file or directory")
	require.True(t, errors.Is(err, os.ErrNotExist))
}

func TestOptionsErrors(t *testing.T) {
	_, err := Parse(Options{Cluster: "a:b"}, File{Name: "x", R: strings.NewReader(saDoc)})
	require.EqualError(t, err, "k8s: cluster name \"a:b\" must not contain ':'")
	_, err = Parse(Options{})
	require.EqualError(t, err, "k8s: no input files")
}
