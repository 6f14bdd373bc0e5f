// Package entra ingests Microsoft Entra ID (Azure AD) through Microsoft
// Graph v1.0: users, groups and their (nested) members and owners,
// directory roles and role assignments, service principals and
// applications with their credentials, app role assignments (app access of
// users and groups, and application permissions of service principals) and
// oauth2PermissionGrants (delegated consents).
//
// # Input
//
// ParseExport reads Graph JSON responses, Fetch reads the live API; both
// route each response body by its API path, so the same responses give the
// same batch. A body is a collection ({"@odata.context", "value": [...],
// "@odata.nextLink"}), a single entity, or (exports only) a bare JSON
// array of entities. An export is one of:
//
//   - a directory whose files are named by API path:
//
//     users.json                          GET /users
//     groups.json                         GET /groups
//     groups/<id>/members.json            GET /groups/{id}/members (nested groups appear as members)
//     groups/<id>/transitiveMembers.json  optional; edges carry Props transitive=true
//     groups/<id>/owners.json             GET /groups/{id}/owners
//     directoryRoles.json                 GET /directoryRoles
//     directoryRoles/<id>/members.json    GET /directoryRoles/{id}/members
//     roleManagement/directory/roleAssignments.json  and .../roleDefinitions.json
//     servicePrincipals.json              GET /servicePrincipals
//     servicePrincipals/<id>/appRoleAssignedTo.json   (or .../appRoleAssignments.json)
//     servicePrincipals/<id>/owners.json, applications.json, applications/<id>/owners.json
//     oauth2PermissionGrants.json         GET /oauth2PermissionGrants
//     users/<id>/memberOf.json, users/<id>/appRoleAssignments.json,
//     users/<id>/oauth2PermissionGrants.json are read too.
//
//   - a bundle: one JSON object whose keys are those paths without ".json"
//     ("users", "groups/<id>/members") and whose values are the bodies;
//
//   - a Dev Proxy mocks file ({"mocks":[{"request":{"url","exampleUrl",
//     "method"},"response":{"statusCode","body"}}]}): the GET 200 responses
//     whose URL path is one of the above are read; a "*" segment takes the
//     id of the mock's exampleUrl. Such a file holds documentation
//     examples, not one tenant, so a mock or element that cannot be read
//     (no id, a placeholder parent, a body that is not JSON) is listed in
//     Report.Skipped instead of failing; directories, bundles and the live
//     API never skip, they fail with the file or URL, the element and what
//     was expected.
//
// # Graph mapping
//
// IDs start with "entra:<tenant>:"; the batch source is "entra:<tenant>".
//
//   - user: account "entra-user", "user:<id>"; Props upn, email (lower
//     case), employee_id, status (accountEnabled true "active", false
//     "suspended"; deletedDateTime set "deprovisioned"), display_name,
//     user_type, last_sign_in.
//   - group: group "entra-group", "group:<id>"; member -MEMBER_OF-> group
//     for users, groups (nesting) and service principals; devices and
//     contacts are not principals and are left out.
//   - owners: owner -ESCALATES-> group / service principal / application
//     (admin; an owner can add members, or add a credential and sign in as
//     the application).
//   - directory role: role "entra-directory-role", "role:<roleTemplateId>"
//     (the id role assignments call roleDefinitionId), -ACCESS-> resource
//     "tenant" ("entra-tenant", critical) with Privilege admin for the
//     takeover roles of tables.go, read for "... Reader(s)", write
//     otherwise, and Actions the definition's allowedResourceActions when
//     roleDefinitions were read. Members and role assignments give
//     principal -HAS_ROLE-> role (a scoped assignment carries Conditions
//     "directoryScopeId=<scope>"). Privileged Role Administrator
//     -ESCALATES-> Global Administrator; Application and Cloud Application
//     Administrator -ESCALATES-> every application and service principal.
//   - service principal: application "entra-service-principal", "sp:<id>";
//     application registration: application "entra-application",
//     "app:<id>", -ESCALATES-> the service principal with its appId.
//     passwordCredentials and keyCredentials: credential
//     "entra-client-secret" / "entra-certificate", "cred:<keyId>" (Props
//     created, expires, hint) -AUTHENTICATES-> the service principal, and
//     its holder -OWNS-> it.
//   - app role assignment: principal -ACCESS-> resource "api:<resource sp
//     id>" ("entra-api"), Actions the app role's value (from the resource's
//     appRoles, or Microsoft Graph's published ids, or the raw id;
//     "default-access" for the all-zero id), Via "appRoleAssignment/<id>".
//     A service principal's assignment is an application permission
//     (Props permission_type=application).
//   - oauth2PermissionGrant: grant "entra-delegated-grant", "grant:<id>",
//     Props scopes (sorted, space-separated), consent_type, client_id,
//     resource_id, principal_id; client -DELEGATES-> grant -DELEGATES->
//     the consenting user (AllPrincipals: every user of the batch), user
//     -OWNS-> grant, grant -ACCESS-> the resource API with the scopes.
//
// Privilege of a scope or app role (tables.go): admin for permissions that
// take over the tenant (Directory.ReadWrite.All, RoleManagement.ReadWrite.Directory,
// AppRoleAssignment.ReadWrite.All, Application.ReadWrite.All,
// Directory.AccessAsUser.All, ...), read for sign-in scopes and ".Read"
// names, write otherwise. API sensitivity: Microsoft Graph, Azure AD Graph
// and Azure Service Management critical; Exchange Online and SharePoint
// Online high; other APIs medium.
//
// References to objects the input does not hold become stub nodes
// (Props stub=true) of the type the reference gives (principalType,
// @odata.type, or "entra-directory-object" when unknown).
package entra
