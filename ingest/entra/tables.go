package entra

import (
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// defaultAccess is the appRoleId of an assignment without a specific app
// role ("default access": the principal may sign in to the app).
const defaultAccess = "00000000-0000-0000-0000-000000000000"

// Well-known application ids of Microsoft first-party APIs and the
// sensitivity of reaching them.
var apiSensitivity = map[string]graph.Sensitivity{
	"00000003-0000-0000-c000-000000000000": graph.SensCritical, // Microsoft Graph
	"00000002-0000-0000-c000-000000000000": graph.SensCritical, // Azure AD Graph (legacy)
	"797f4846-ba00-4fd7-ba43-dac1f8f63013": graph.SensCritical, // Azure Service Management
	"00000002-0000-0ff1-ce00-000000000000": graph.SensHigh,     // Office 365 Exchange Online
	"00000003-0000-0ff1-ce00-000000000000": graph.SensHigh,     // Office 365 SharePoint Online
}

// graphAppRoles names the application permissions (app roles) of Microsoft
// Graph by id, from Microsoft's published permissions reference, for
// assignments whose resource service principal (and so its appRoles list)
// is not in the input. Only ids we are sure of are listed.
var graphAppRoles = map[string]string{
	"df021288-bdef-4463-88db-98f22de89214": "User.Read.All",
	"741f803b-c850-494e-b5df-cde7c675a1ca": "User.ReadWrite.All",
	"7ab1d382-f21e-4acd-a863-ba3e13f7da61": "Directory.Read.All",
	"19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
	"5b567255-7703-4780-807c-7be8301ae99b": "Group.Read.All",
	"62a82d76-70ea-41e2-9197-370581804d09": "Group.ReadWrite.All",
	"9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
	"06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
	"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
	"9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30": "Application.Read.All",
	"810c84a8-4a9e-49e6-bf7d-12d183f40d01": "Mail.Read",
	"e2a3a72e-5f79-4c64-b1b1-878b674786c9": "Mail.ReadWrite",
	"b633e1c5-b582-4048-a93e-9f11b44c7e96": "Mail.Send",
}

// adminPermissions are delegated scopes and application permissions that
// let the holder take over the tenant or any principal in it: change role
// assignments, grant itself more permissions, add credentials to any
// application, or act as the signed-in user on the whole directory.
var adminPermissions = map[string]bool{
	"Directory.ReadWrite.All":                    true,
	"Directory.AccessAsUser.All":                 true,
	"RoleManagement.ReadWrite.Directory":         true,
	"AppRoleAssignment.ReadWrite.All":            true,
	"Application.ReadWrite.All":                  true,
	"DelegatedPermissionGrant.ReadWrite.All":     true,
	"Policy.ReadWrite.ConditionalAccess":         true,
	"PrivilegedAccess.ReadWrite.AzureAD":         true,
	"UserAuthenticationMethod.ReadWrite.All":     true,
	"DeviceManagementRBAC.ReadWrite.All":         true,
	"full_access_as_app":                         true,
	"RoleAssignmentSchedule.ReadWrite.Directory": true,
}

// signInScopes are OpenID Connect scopes that only identify the user.
var signInScopes = map[string]bool{"openid": true, "profile": true, "email": true,
	"offline_access": true, "User.Read": true, "default-access": true}

// permissionPrivilege is the tier of a delegated scope or application
// permission: admin for the takeover permissions above, read for sign-in
// scopes and names with ".Read" but not "ReadWrite", write otherwise.
func permissionPrivilege(p string) graph.Privilege {
	switch {
	case adminPermissions[p]:
		return graph.PrivAdmin
	case signInScopes[p]:
		return graph.PrivRead
	case strings.Contains(p, ".Read") && !strings.Contains(p, "ReadWrite"):
		return graph.PrivRead
	}
	return graph.PrivWrite
}

// maxPrivilege is the highest tier of perms.
func maxPrivilege(perms []string) graph.Privilege {
	p := graph.PrivNone
	for _, s := range perms {
		p = max(p, permissionPrivilege(s))
	}
	return p
}

// Directory role template ids with special meaning.
const (
	tmplGlobalAdmin         = "62e90394-69f5-4237-9190-012177145e10"
	tmplPrivRoleAdmin       = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	tmplAppAdmin            = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	tmplCloudAppAdmin       = "158c047a-c907-4556-b7ef-446551a6b5f7"
	tmplPrivAuthAdmin       = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
	tmplUserAdmin           = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	tmplGlobalReader        = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	tmplDirectoryReaders    = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	tmplHybridIdentityAdmin = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
)

// roleNames names the built-in roles above for role assignments whose role
// definition is not in the input.
var roleNames = map[string]string{
	tmplGlobalAdmin:         "Global Administrator",
	tmplPrivRoleAdmin:       "Privileged Role Administrator",
	tmplAppAdmin:            "Application Administrator",
	tmplCloudAppAdmin:       "Cloud Application Administrator",
	tmplPrivAuthAdmin:       "Privileged Authentication Administrator",
	tmplUserAdmin:           "User Administrator",
	tmplGlobalReader:        "Global Reader",
	tmplDirectoryReaders:    "Directory Readers",
	tmplHybridIdentityAdmin: "Hybrid Identity Administrator",
}

// adminRoles are directory roles whose holders can take over the tenant or
// every non-admin account in it (by name, as Graph spells displayName).
var adminRoles = map[string]bool{
	"Global Administrator":                    true,
	"Privileged Role Administrator":           true,
	"Privileged Authentication Administrator": true,
	"Application Administrator":               true,
	"Cloud Application Administrator":         true,
	"User Administrator":                      true,
	"Authentication Administrator":            true,
	"Helpdesk Administrator":                  true,
	"Groups Administrator":                    true,
	"Hybrid Identity Administrator":           true,
	"Conditional Access Administrator":        true,
	"Security Administrator":                  true,
	"Intune Administrator":                    true,
	"Exchange Administrator":                  true,
	"SharePoint Administrator":                true,
	"Partner Tier2 Support":                   true,
	"Directory Synchronization Accounts":      true,
}

// rolePrivilege is the tier a directory role grants on the tenant: admin
// for the roles above, read for "... Reader(s)" roles, write otherwise.
func rolePrivilege(name string) graph.Privilege {
	switch {
	case adminRoles[name]:
		return graph.PrivAdmin
	case strings.HasSuffix(name, "Reader") || strings.HasSuffix(name, "Readers"):
		return graph.PrivRead
	}
	return graph.PrivWrite
}
