// Package okta ingests an Okta org through its Management API (/api/v1):
// users, groups and group memberships, applications and their user and
// group assignments, admin roles of users and groups, OAuth consent grants
// users gave to apps, and API tokens.
//
// # Input
//
// ParseExport reads a directory holding one file per request, each the
// JSON array the API returns (all pages concatenated):
//
//	users.json                 GET /api/v1/users
//	groups.json                GET /api/v1/groups
//	groups/<id>/users.json     GET /api/v1/groups/{id}/users
//	groups/<id>/roles.json     GET /api/v1/groups/{id}/roles
//	apps.json                  GET /api/v1/apps
//	apps/<id>/users.json       GET /api/v1/apps/{id}/users
//	apps/<id>/groups.json      GET /api/v1/apps/{id}/groups
//	users/<id>/roles.json      GET /api/v1/users/{id}/roles
//	users/<id>/grants.json     GET /api/v1/users/{id}/grants?expand=scope
//	api-tokens.json            GET /api/v1/api-tokens
//
// export.sh in this package writes such a directory with curl and jq.
// Fetch reads the same endpoints live with "Authorization: SSWS <token>"
// (see SSWS), following Link rel="next" pages; when a response reports
// X-Rate-Limit-Remaining: 0 it waits until X-Rate-Limit-Reset (at most a
// minute) before the next request, and a 429 is retried by the httpapi
// client, which honours Retry-After. Both give the same batch for the same
// responses; any malformed file or page fails the whole read with the
// file or URL, the element ("[3].status") and what was expected.
//
// # Graph mapping
//
// IDs start with "okta:<org>:"; the batch source is "okta:<org>".
//
//   - user: account "okta-user", "user:<id>"; Props email (lower case),
//     employee_id (profile.employeeNumber), login, display_name, status
//     (ACTIVE, RECOVERY and PASSWORD_EXPIRED "active", LOCKED_OUT "locked",
//     SUSPENDED "suspended", DEPROVISIONED "deprovisioned", STAGED "staged",
//     PROVISIONED "provisioned"; okta_status keeps Okta's value), created,
//     activated, status_changed, last_login.
//   - group: group "okta-group", "group:<id>"; user -MEMBER_OF-> group.
//   - app: application "okta-app", "app:<id>" (the OAuth client; Okta's
//     client_id is the app id), and resource "appaccess:<id>"
//     ("okta-app-access"; the Admin Console "saasure" critical, others
//     medium). A group assignment is group -ACCESS-> appaccess (read,
//     Actions [assigned]); a user assignment with scope USER is user
//     -ACCESS-> appaccess; one with scope GROUP is left to the group path
//     unless none of the user's groups is assigned to the app.
//   - admin role: role "okta-admin-role", "role:<type>" (custom roles
//     "role:custom:<role id>"), principal -HAS_ROLE-> role -ACCESS->
//     resource "org" ("okta-org", critical). Privilege: SUPER_ADMIN,
//     ORG_ADMIN, APP_ADMIN, USER_ADMIN, HELP_DESK_ADMIN,
//     GROUP_MEMBERSHIP_ADMIN, API_ACCESS_MANAGEMENT_ADMIN admin;
//     READ_ONLY_ADMIN, REPORT_ADMIN read; others (and custom roles, whose
//     permissions are not read) write.
//   - grant: one "okta-oauth-grant" node per (user, client),
//     "grant:<userId>:<clientId>", Props scopes (sorted, space-separated,
//     ACTIVE grants only), client_id, user_id, issuer; app -DELEGATES->
//     grant -DELEGATES-> user, user -OWNS-> grant, grant -ACCESS-> org for
//     okta.* scopes (".read" read; ".manage" of users, groups, apps, roles,
//     factors, authorization servers, clients, policies and API tokens
//     admin; other write) and -ACCESS-> "authserver:<issuer>" for custom scopes.
//   - API token: credential "okta-api-token", "token:<id>", Props created,
//     last_updated, expires, client_name, token_window; token
//     -AUTHENTICATES-> its user (a token acts with its creator's admin
//     permissions), user -OWNS-> token.
//
// References to users, groups or apps the input does not list become stub
// nodes (Props stub=true).
package okta
