package entra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
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
			"users.json: value[0]: json: cannot unmarshal string into Go struct field object.accountEnabled of type bool"},
		{"malformed JSON", "groups.json", `{"value":[{"id":"g"}`, "groups.json: malformed JSON"},
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
