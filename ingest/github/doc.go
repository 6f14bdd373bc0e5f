// Package github ingests a GitHub organization through the REST API
// (version 2022-11-28): members and their role, outside collaborators,
// nested teams and their members, repository permissions of teams and
// direct collaborators, GitHub App installations, and fine-grained
// personal access tokens approved for the organization.
//
// # Entry points
//
// ParseExport reads an export directory; Fetch reads the live API through
// an httpapi.Client (BaseURL, BearerAuth, which sends
// X-GitHub-Api-Version). Both build the same batch for the same data,
// with source "github:<org>". Fetch follows Link rel="next" paging, and
// waits out rate limits: 429 and 5xx are retried by httpapi; a 403 or 429
// with Retry-After (honoured first) or x-ratelimit-remaining 0 with
// x-ratelimit-reset is waited out here, up to Options.MaxRateLimitWait per
// wait. Any failure returns no batch.
//
// # Export layout
//
// The answers of these endpoints, as the API returns them (arrays; pages
// concatenated into one array):
//
//	org.json                                     GET /orgs/{org} (optional; default_repository_permission)
//	members.json                                 GET /orgs/{org}/members?role=all          (required)
//	admins.json                                  GET /orgs/{org}/members?role=admin        (required)
//	outside_collaborators.json                   GET /orgs/{org}/outside_collaborators
//	teams.json                                   GET /orgs/{org}/teams
//	teams/<slug>/members.json                    GET /orgs/{org}/teams/{slug}/members?role=all
//	teams/<slug>/maintainers.json                GET /orgs/{org}/teams/{slug}/members?role=maintainer
//	teams/<slug>/repos.json                      GET /orgs/{org}/teams/{slug}/repos
//	repos.json                                   GET /orgs/{org}/repos?type=all            (required)
//	repos/<name>/collaborators.json              GET /repos/{org}/{name}/collaborators?affiliation=direct
//	installations.json                           GET /orgs/{org}/installations (the {"total_count","installations"} object)
//	installations/<id>/repositories.json         GET /user/installations/{id}/repositories (object; required
//	                                             for repository_selection "selected")
//	personal-access-tokens.json                  GET /orgs/{org}/personal-access-tokens (GitHub App token only)
//	personal-access-tokens/<id>/repositories.json GET /orgs/{org}/personal-access-tokens/{id}/repositories
//	                                             (required for repository_selection "subset")
//
// affiliation=direct matters: the default ("all") repeats access that
// teams and the owner role already give.
//
// # Graph mapping
//
// IDs start with "github:<org>:"; users, teams, repositories, installations
// and tokens are keyed by their numeric ids (logins, slugs and names can be
// renamed).
//
//   - User: account "github-user", "user:<id>", named by login, status
//     active, org_role admin, member or outside; email and display_name
//     only when the API exposes them (usually it does not: identity
//     resolution then needs another source's link).
//   - Organization: resource "org" (critical) CONTAINS every repository and
//     "org-settings" (critical: members, teams, settings). Owners (members
//     with role admin) HAS_ROLE "role:org-admin", which has ACCESS admin to
//     "org": owners reach every repository at admin. Every member is
//     MEMBER_OF group "members", which has ACCESS to every repository at
//     the organization's default_repository_permission (from org.json).
//   - Team: group "github-team", "team:<id>"; a child team is MEMBER_OF its
//     parent (its members get the parent's repository access, as in
//     GitHub). A user is MEMBER_OF a team with role member or maintainer
//     (Actions and Props). GitHub lists the members of child teams in the
//     parent's list: a user listed in a descendant team is a member through
//     it, not directly (unless a maintainer of the parent).
//   - Repository: resource "github-repo", "repo:<id>"; sensitivity high for
//     private and internal, medium for public. Team and collaborator
//     permissions are ACCESS edges: pull read; triage and push write;
//     maintain and admin admin (maintain manages settings but not access;
//     it is the admin tier because it can change branch protection and
//     releases). Actions are the granted permissions and "role:<role_name>".
//   - App installation: application "github-app-installation",
//     "installation:<id>", named by app_slug, with ACCESS to each repository
//     it is installed on (all, or the selected ones) at the highest
//     repository permission (read, write; administration:write is admin),
//     Actions "key:level"; organization permissions (members,
//     organization_*) are ACCESS to "org-settings" (members:write and
//     organization_administration:write admin). A suspended installation
//     reaches nothing.
//   - Fine-grained PAT: credential "github-fine-grained-pat", "pat:<id>",
//     with created (= access_granted_at: GitHub does not expose the token's
//     creation), last_used and expires ("never" when null), expired, and its
//     permissions; owner -OWNS-> token. A fine-grained token acts as its
//     owner but only within its permissions and repositories, so it gets no
//     AUTHENTICATES edge (which would hand it all of its owner's power):
//     it has ACCESS to each repository it selects (all, subset, none), at
//     the lower of its permission tier and its owner's own tier there
//     (computed through teams, nesting, base permission and the owner
//     role). Organization permissions reach "org-settings", capped at read
//     unless the owner is an organization owner. An expired token reaches
//     nothing. The node's Props keep the token's full permissions, but each
//     ACCESS edge's Actions stay within that edge's tier: a permission
//     whose tier is above it is lowered to its highest level that fits
//     (contents:write on a read edge shows as contents:read;
//     administration:write, admin tier, as administration:read on a read
//     or write edge).
//
// Permission tiers (apps and tokens): a "key:level" permission is read
// tier at level read, write tier at write and admin tier at admin, except
// that write on a key that changes who has access (administration, members,
// organization_administration) is admin tier.
package github
