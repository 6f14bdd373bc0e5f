package entra

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/ingest/datasets"
)

func TestExportErrors(t *testing.T) {
	tests := []struct {
		name, file, body, want string
	}{
		{"user without id", "users.json", `{"value":[{"id":"u1"},{"displayName":"x"}]}`,
			"users.json: value[1].id: missing: expected the object's id (a GUID)"},
		{"bad consent type", "oauth2PermissionGrants.json",
			`{"value":[{"id":"g","clientId":"c","resourceId":"r","consentType":"Everyone","scope":"a"}]}`,
			`oauth2PermissionGrants.json: value[0].consentType: expected AllPrincipals or Principal, got "Everyone"`},
		{"principal consent without principal", "oauth2PermissionGrants.json",
			`{"value":[{"id":"g","clientId":"c","resourceId":"r","consentType":"Principal","scope":"a"}]}`,
			"oauth2PermissionGrants.json: value[0].principalId: missing: expected the consenting user's id for consentType Principal"},
		{"bad principal type", "servicePrincipals/s/appRoleAssignedTo.json",
			`{"value":[{"id":"a","appRoleId":"r","principalId":"p","principalType":"Device","resourceId":"s"}]}`,
			`appRoleAssignedTo.json: value[0].principalType: expected User, Group or ServicePrincipal, got "Device"`},
		{"accountEnabled not a bool", "users.json", `{"value":[{"id":"u","accountEnabled":"yes"}]}`,
			"users.json: value[0]: accountEnabled: found a JSON string, expected true or false"},
		{"truncated JSON", "groups.json", `{"value":[{"id":"g"}`,
			"groups.json: truncated JSON: input ends at byte 20 (line 1, column 21) inside an unfinished value"},
		{"malformed JSON", "groups.json", "{\"value\":[\n{\"id\":\"g\"}}", "groups.json: malformed JSON at byte 22 (line 2, column 11)"},
		{"malformed after blank lines", "groups.json", "\n\n[{\"id\":\"g\"},,]", "groups.json: malformed JSON at byte 15 (line 3, column 13)"},
		{"unexpected file", "user.json", `{"value":[]}`, "user.json: unexpected file"},
		{"value not a list", "groups.json", `{"value":3}`, `groups.json: value: expected an array of entities, got "3"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, tc.file)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(tc.body), 0o600))
			b, err := ParseExport(Options{Tenant: "t"}, dir)
			require.Nil(t, b)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := ParseExport(Options{}, t.TempDir())
	require.ErrorContains(t, err, "Options.Tenant is empty")
}

// TestTruncatedFile: a bundle or mocks file cut short is reported as broken
// JSON with its position, not as a file of the wrong shape; a JSON file of
// another shape says what was expected.
func TestTruncatedFile(t *testing.T) {
	ds := datasets.Dir(t, "msgraph", "the public Graph docs mocks file to truncate")
	data, err := os.ReadFile(filepath.Join(ds, "msgraph", "graph-v1_0-docs-examples-dev-proxy-mocks.json"))
	require.NoError(t, err)
	dir := t.TempDir()
	cut := filepath.Join(dir, "mocks-trunc.json")
	require.NoError(t, os.WriteFile(cut, data[:len(data)/2], 0o600))
	_, err = ParseExport(Options{Tenant: "t"}, cut)
	require.ErrorContains(t, err, "mocks-trunc.json: truncated JSON: input ends at byte "+strconv.Itoa(len(data)/2)+" (line ")
	require.NotContains(t, err.Error(), "expected a bundle object")

	list := filepath.Join(dir, "list.json")
	require.NoError(t, os.WriteFile(list, []byte(`[{"id":"u1"}]`), 0o600))
	_, err = ParseExport(Options{Tenant: "t"}, list)
	require.EqualError(t, err, list+": the top-level value (line 1, column 1): found a JSON array, expected an object: "+
		`expected a bundle object (keys are API paths: users, groups, ...) or a Dev Proxy mocks file ({"mocks":[...]})`)

	mocks := filepath.Join(dir, "mocks.json")
	require.NoError(t, os.WriteFile(mocks, []byte(`{"mocks":[{"request":{"url":7}}]}`), 0o600))
	_, err = ParseExport(Options{Tenant: "t"}, mocks)
	require.ErrorContains(t, err, mocks+": mocks: request.url: found a JSON number, expected a string")
	require.NotContains(t, err.Error(), "Go struct")
}
