package entra

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// testdata/bundle.json is a small tenant in Graph's documented shapes: a
// nested group holding a role-assignable group with Privileged Role
// Administrator, a CI service principal with Directory.ReadWrite.All and a
// client secret on its application, owned by a disabled user.
func TestBundle(t *testing.T) {
	b, err := ParseExport(Options{Tenant: "contoso"}, filepath.Join("testdata", "bundle.json"))
	require.NoError(t, err)
	p := "entra:contoso:"
	ana := node(t, b, p+"user:u-ana")
	require.Equal(t, "ana.ruiz@contoso.com", ana.Props[graph.PropUPN])
	require.Equal(t, "ana.ruiz@contoso.com", ana.Props[graph.PropEmail])
	require.Equal(t, "1001", ana.Props[graph.PropEmployeeID])
	require.Equal(t, "suspended", node(t, b, p+"user:u-bo").Props[graph.PropStatus])

	// Nesting: Cloud Admins is a member of Engineering.
	edge(t, b, p+"group:g-admins", graph.EdgeMemberOf, p+"group:g-eng")
	// The group holds Privileged Role Administrator, which escalates to Global Administrator.
	pra := p + "role:e8611ab8-c189-46e8-94e1-60213ab1f814"
	edge(t, b, p+"group:g-admins", graph.EdgeHasRole, pra)
	require.Equal(t, "Privileged Role Administrator", node(t, b, pra).Name)
	edge(t, b, pra, graph.EdgeEscalates, p+"role:62e90394-69f5-4237-9190-012177145e10")
	// Ana's Application Administrator is scoped to an administrative unit.
	aa := edge(t, b, p+"user:u-ana", graph.EdgeHasRole, p+"role:9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3")
	require.Equal(t, []string{"directoryScopeId=/administrativeUnits/au1"}, aa.Conditions)
	edge(t, b, p+"role:9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", graph.EdgeEscalates, p+"sp:sp-ci")

	// Application permission Directory.ReadWrite.All: admin on critical Microsoft Graph.
	perm := edge(t, b, p+"sp:sp-ci", graph.EdgeAccess, p+"api:sp-graph")
	require.Equal(t, []string{"Directory.ReadWrite.All"}, perm.Actions)
	require.Equal(t, graph.PrivAdmin, perm.Privilege)
	require.Equal(t, graph.SensCritical, node(t, b, p+"api:sp-graph").Sensitivity)

	// The application's secret authenticates as the service principal; the
	// registration's owner can take it over.
	cred := node(t, b, p+"cred:k-1")
	require.Equal(t, graph.KindCredential, cred.Kind)
	require.Equal(t, "2026-01-01T00:00:00Z", cred.Props["expires"])
	edge(t, b, cred.ID, graph.EdgeAuthenticates, p+"sp:sp-ci")
	edge(t, b, p+"app:app-obj-ci", graph.EdgeOwns, cred.ID)
	edge(t, b, p+"app:app-obj-ci", graph.EdgeEscalates, p+"sp:sp-ci")
	edge(t, b, p+"user:u-bo", graph.EdgeEscalates, p+"app:app-obj-ci")
}
