package entra

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// The answers below were read off the mocks file by hand; each comment names
// the mock (its request URL) that holds the fact.
func TestMocksFileRealAnswers(t *testing.T) {
	b, rep, err := ParseExportReport(Options{Tenant: "contoso"}, mocksFile(t))
	require.NoError(t, err)
	require.NoError(t, b.Validate())
	p := "entra:contoso:"

	// GET /users?$filter=endswith(mail,*)...: Grady Archie.
	grady := node(t, b, p+"user:e8b753b5-4117-464e-9a08-713e1ff266b3")
	require.Equal(t, graph.KindAccount, grady.Kind)
	require.Equal(t, "gradya@contoso.com", grady.Props[graph.PropUPN])
	require.Equal(t, "gradya@contoso.com", grady.Props[graph.PropEmail])
	require.NotContains(t, grady.Props, graph.PropStub)

	// GET /groups/{id}/owners of HR Taskforce: three enabled users who own
	// the group and so can add anyone to it.
	hr := p + "group:02bd9fd6-8f93-4758-87c3-1fb73740a315"
	require.Equal(t, "HR Taskforce", node(t, b, hr).Name)
	admin := node(t, b, p+"user:4562bcc8-c436-4f95-b7c0-4f8ce89dca5e")
	require.Equal(t, "admin@contoso.com", admin.Props[graph.PropUPN])
	require.Equal(t, "active", admin.Props[graph.PropStatus])
	require.Equal(t, []string{
		p + "user:4562bcc8-c436-4f95-b7c0-4f8ce89dca5e",
		p + "user:5c70937c-d9ea-4a47-8852-ab77630f803d",
		p + "user:f0206b06-7c5d-461c-ae24-08f68b7ef463",
	}, edgesTo(b, graph.EdgeEscalates, hr))
	require.Equal(t, graph.PrivAdmin, edge(t, b, admin.ID, graph.EdgeEscalates, hr).Privilege)

	// GET /groups/{id}/members and /transitiveMembers of HR Taskforce.
	m := edge(t, b, p+"group:11111111-2222-3333-4444-555555555555", graph.EdgeMemberOf, hr)
	require.Equal(t, []string{"groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/members",
		"groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/transitiveMembers"}, m.Via)

	// GET /users?$select=displayName,userPrincipalName,signInActivity.
	alex := node(t, b, p+"user:f0662ee5-84b1-43d6-8338-769cce1bc141")
	require.Equal(t, "alexw@contoso.com", alex.Props[graph.PropUPN])
	require.Equal(t, "2021-07-29T15:53:27Z", alex.Props["last_sign_in"])

	// GET /directoryRoles: three activated roles.
	require.Equal(t, "Azure AD Joined Device Local Administrator",
		node(t, b, p+"role:9f06204d-73c1-4d4c-880a-6edb90606fd8").Name)
	// GET /roleManagement/directory/roleAssignments?$filter=principalId eq *:
	// f1847572 holds Global Administrator and Global Reader.
	holder := p + "object:f1847572-48aa-47aa-96a3-2ec61904f41f"
	require.Equal(t, []string{p + "role:62e90394-69f5-4237-9190-012177145e10",
		p + "role:f2ef992c-3afb-46b9-b7cf-a126ee74c451"}, edgesFrom(b, holder, graph.EdgeHasRole))
	require.Equal(t, graph.PrivAdmin,
		edge(t, b, p+"role:62e90394-69f5-4237-9190-012177145e10", graph.EdgeAccess, p+"tenant").Privilege)
	require.Equal(t, graph.PrivRead,
		edge(t, b, p+"role:f2ef992c-3afb-46b9-b7cf-a126ee74c451", graph.EdgeAccess, p+"tenant").Privilege)
	// GET /roleManagement/directory/roleDefinitions: Helpdesk Administrator
	// may reset passwords.
	hd := edge(t, b, p+"role:729827e3-9c14-49f7-bb1b-9608f156bbb8", graph.EdgeAccess, p+"tenant")
	require.Contains(t, hd.Actions, "microsoft.directory/users/password/update")

	// GET /users/{id}/oauth2PermissionGrants: a user consent.
	g := p + "grant:E3NHhUPqfUy4pFT-010LYFo5-ycA-_5Fhl7nHbaJ7qACy1R9o6oWQJ-cpLSUIt2b"
	gn := node(t, b, g)
	require.Equal(t, graph.KindGrant, gn.Kind)
	require.Equal(t, "Contacts.ReadWrite openid profile", gn.Props["scopes"])
	require.Equal(t, "Principal", gn.Props["consent_type"])
	user := p + "user:7d54cb02-aaa3-4016-9f9c-a4b49422dd9b"
	client := p + "sp:85477313-ea43-4c7d-b8a4-54fed35d0b60"
	require.Equal(t, []string{"Contacts.ReadWrite", "openid", "profile"},
		edge(t, b, client, graph.EdgeDelegates, g).Actions)
	edge(t, b, g, graph.EdgeOnBehalfOf, user)
	edge(t, b, user, graph.EdgeOwns, g)
	require.Equal(t, graph.PrivWrite,
		edge(t, b, g, graph.EdgeAccess, p+"api:27fb395a-fb00-45fe-865e-e71db689eea0").Privilege)

	// GET /oauth2PermissionGrants: an admin consent for all users.
	all := p + "grant:AVs6JuUDjkCFV7q2gd8QTPimBBgj5iBFj0C6GwwRxC0"
	require.Equal(t, "Group.ReadWrite.All User.Read", node(t, b, all).Props["scopes"])
	require.Equal(t, "AllPrincipals", node(t, b, all).Props["consent_type"])
	edge(t, b, p+"sp:263a5b01-03e5-408e-8557-bab681df104c", graph.EdgeDelegates, all)
	edge(t, b, all, graph.EdgeOnBehalfOf, grady.ID)
	// The second one carries Directory.AccessAsUser.All: admin.
	big := p + "grant:AVs6JuUDjkCFV7q2gd8QTOQDNpSH5-lPk9HjD3Sarjk"
	require.True(t, strings.Contains(node(t, b, big).Props["scopes"], "Directory.ReadWrite.All"))
	require.Equal(t, graph.PrivAdmin,
		edge(t, b, big, graph.EdgeAccess, p+"api:943603e4-e787-4fe9-93d1-e30f749aae39").Privilege)

	// GET /servicePrincipals(appId=*)/appRoleAssignedTo/*: Postman holds the
	// application permission User.Read.All on Microsoft Graph, whose service
	// principal (GET /servicePrincipals/*?$select=id,appId,...) is in the file.
	graphAPI := node(t, b, p+"api:7408235b-7540-4850-82fe-a5f15ed019e2")
	require.Equal(t, graph.SensCritical, graphAPI.Sensitivity)
	perm := edge(t, b, p+"sp:2a8f9e7a-af01-413a-9592-c32ec0e5c1a7", graph.EdgeAccess, graphAPI.ID)
	require.Equal(t, []string{"User.Read.All"}, perm.Actions)
	require.Equal(t, graph.PrivRead, perm.Privilege)
	require.Equal(t, "application", perm.Props["permission_type"])
	// GET /servicePrincipals/*/appRoleAssignments: Mail.ReadWrite.
	mail := edge(t, b, p+"sp:8e881353-1735-45af-af21-ee1344582a4d", graph.EdgeAccess,
		p+"api:fea94d6d-b5bf-44d2-a887-4f72a8d74f44")
	require.Equal(t, []string{"Mail.ReadWrite"}, mail.Actions)
	require.Equal(t, graph.PrivWrite, mail.Privilege)
	// GET /servicePrincipals/*/appRoleAssignedTo: a user's default access.
	da := edge(t, b, p+"user:cdb555e3-b33e-4fd5-a427-17fadacbdfa7", graph.EdgeAccess,
		p+"api:8e881353-1735-45af-af21-ee1344582a4d")
	require.Equal(t, []string{"default-access"}, da.Actions)
	// GET /groups/*/appRoleAssignments: a group assigned to Yammer.
	require.Equal(t, "Yammer", node(t, b, p+"api:076e8b57-bac8-49d7-9396-e3449b685055").Name)
	edge(t, b, p+"group:7679d9a4-2323-44cd-b5c2-673ec88d8b12", graph.EdgeAccess,
		p+"api:076e8b57-bac8-49d7-9396-e3449b685055")

	// Documentation examples that cannot be read are listed, not fatal.
	joined := strings.Join(rep.Skipped, "\n")
	require.Contains(t, joined, "(GET https://graph.microsoft.com/v1.0/directoryRoles/*/members): value[0].id: missing")
	require.Contains(t, joined, `value[0].consentType: expected AllPrincipals or Principal, got "consentType-value"`)
}
