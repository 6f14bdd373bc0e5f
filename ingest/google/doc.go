// Package google ingests Google Workspace through the Admin SDK Directory
// API: users, groups and their members, admin roles and role assignments,
// and the OAuth tokens users granted to third-party apps.
//
// # Entry points
//
// ParseExport reads export directories; Fetch reads the live API through an
// httpapi.Client (BaseURL, BearerAuth, PageToken). Both build the same
// batch for the same data, with source "google:<Options.Tenant>". Every
// file or page is parsed and validated before the batch is built; any
// error returns no batch.
//
// # Export layout
//
// A directory of Directory API list responses, saved as the API returns
// them. Each file holds one response object, or a JSON array of the pages of
// one list in order (each page an object with its nextPageToken).
//
//	users.json            users.list   {"kind":"admin#directory#users","users":[...],"nextPageToken":...}   required
//	groups.json           groups.list  {"kind":"admin#directory#groups","groups":[...]}
//	members/<key>.json    members.list for one group; <key> is the group's id, email or alias
//	roles.json            roles.list   {"kind":"admin#directory#roles","items":[...]}
//	roleassignments.json  roleAssignments.list {"kind":"admin#directory#roleAssignments","items":[...]}
//	tokens/<key>.json     tokens.list for one user; <key> is the user's id, primary email or alias
//	                      {"kind":"admin#directory#tokenList","items":[...]}
//
// A "kind" that does not match the file is an error, and so is any other
// .json file at the top level (a misnamed file would silently drop data).
//
// # Graph mapping
//
// IDs start with "google:<tenant>:".
//
//   - User: account "google-user", "user:<id>", with email (primaryEmail,
//     lower-cased), employee_id (externalIds of type "organization"),
//     display_name (name.fullName) and status: "active", "suspended", or
//     "deprovisioned" for archived users. Props also carry org_unit,
//     is_admin, is_delegated_admin, created, last_login ("never" for the
//     API's 1970 placeholder) and 2SV state.
//   - Group: group "google-group", "group:<id>". Member: member -MEMBER_OF->
//     group with the member's role (OWNER/MANAGER/MEMBER) as the action and
//     in Props with its status. A GROUP member nests groups. A CUSTOMER
//     member is group "customer" ("all users of the tenant"), of which every
//     user is a member. Members not in the export (external users, groups
//     of other tenants) are stub nodes.
//   - Admin role: role "google-admin-role", "role:<roleId>" for CUSTOMER
//     scope, "role:<roleId>@orgunit:<orgUnitId>" for ORG_UNIT scope. It has
//     ACCESS to resource "tenant" (critical) or "orgunit:<id>" (high, which
//     the tenant CONTAINS), actions = privilege names. Tier (privilegeTier):
//     super admin role admin; otherwise read when every privilege ends in
//     _RETRIEVE/_READ/_VIEW or contains READ_ONLY, admin when one changes
//     USERS, GROUPS, ROLES, ADMIN, ORGANIZATION_UNITS, DOMAIN, SECURITY or
//     DATA_TRANSFER (each lets the holder take over or empower principals),
//     write otherwise. The super admin role also ESCALATES (admin,
//     "reset_password") to every user. Assignment: assignee -HAS_ROLE-> role,
//     Via "roleassignment/<id>", with the assignment's condition. A user
//     with isAdmin has HAS_ROLE to the super admin role (Via
//     "user.isAdmin"), also when roles were not exported.
//   - OAuth token: application "google-oauth-client", "client:<clientId>"
//     named by displayText; grant "google-oauth-grant",
//     "grant:<userId>:<clientId>" with Props scopes (sorted, space-separated),
//     scope_risk (the highest risk of its scopes), unclassified_scopes and
//     ineffective_scopes. Edges: client -DELEGATES-> grant -DELEGATES-> user
//     (Actions = scopes, Privilege = the highest scope tier), user -OWNS->
//     grant, and grant -ACCESS-> one resource per service its scopes reach,
//     with that service's highest scope tier and the scopes as actions.
//
// # Services and scopes
//
// ClassifyScope maps a scope to (service, privilege, risk) from a table of
// Google's documented scopes, with a rule for the rest (see its doc).
// Services holding one user's data (identity, gmail, drive, calendar,
// contacts, tasks, chat, apps-script) are resources
// "user:<id>/<service>" that the user reaches with admin (owner) and that
// "service:<service>" CONTAINS; tenant-wide APIs (directory, reports,
// datatransfer, groups-settings, vault, cloud-platform) are
// "service:<service>" resources. The tenant CONTAINS every service.
// A token acts with its user's rights, so a grant's ACCESS to a tenant-wide
// API is capped by the user's admin tier (directory: at least read, as any
// user may read the directory); a scope that gives nothing is listed in
// ineffective_scopes. cloud-platform is not capped (Cloud IAM is not in
// this source) and says so in the edge's bounded_by prop.
//
// Resource sensitivity: tenant, directory, datatransfer, vault,
// cloud-platform critical; gmail, drive, chat, apps-script, reports,
// groups-settings, org units high; calendar, contacts medium; identity and
// tasks low; other services medium.
//
// Scope risk examples: https://mail.google.com/, gmail.modify,
// gmail.settings.sharing, drive, docs, admin.directory.user,
// admin.directory.rolemanagement, admin.datatransfer, cloud-platform
// critical; gmail.readonly, drive.readonly, documents, spreadsheets,
// calendar, admin.directory.*.readonly high; calendar.readonly, contacts,
// drive.metadata medium; openid, email, profile, userinfo.*, drive.file,
// tasks low.
//
// Reach through DELEGATES is the graph's: a client holding a grant acts as
// the user (all of the user's reach), while the grant's own ACCESS edges
// say what its scopes allow. The scoped edges are the precise answer.
package google
