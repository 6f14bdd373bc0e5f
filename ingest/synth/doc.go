// Package synth generates a deterministic synthetic company and writes its
// identity exports in the formats real sources produce, so that the real
// connectors ingest it end to end:
//
//	aws/<account>-authorization-details.json  IAM get-account-authorization-details (ingest/aws)
//	aws/<account>-credential-report.csv       IAM credential report (ingest/aws)
//	k8s/<cluster>-rbac.yaml                   Kubernetes RBAC objects (ingest/k8s)
//	hr/people.csv                             HR roster (ingest/hr)
//	okta/...                                  Okta Management API lists (ingest/okta.ParseExport)
//	google/...                                Google Workspace Directory API lists (ingest/google.ParseExport)
//	manifest.json                             files, counts and planted patterns
//
// # The company
//
// People (92% of Options.Identities) sit in eight departments under
// managers, in teams of heavy-tailed size; services (6%) and AI agents (2%,
// each acting for one person) complete the identities. Every person has the
// same email and employee id in HR, AWS tags, Kubernetes subjects, Okta and
// Google. About 3% of managers and up are offboarded (terminated in HR).
//
// Okta (org "<slug>.okta.com"): one user per person (ACTIVE; PROVISIONED
// for some recent hires; a few PASSWORD_EXPIRED, LOCKED_OUT, RECOVERY and
// dormant; terminated people mostly DEPROVISIONED, 10% SUSPENDED and 5%
// still ACTIVE), plus former employees missing from HR (one per 80 people,
// 70% DEPROVISIONED, 15% SUSPENDED, 15% ACTIVE: orphans). Groups: Everyone,
// one per department, team and office, one "<app> Users" group per SSO app
// (and often "<app> Admins"), and project groups with Pareto sizes (about
// twelve per person before the largest are capped). SSO apps: a catalog of
// well-known SaaS (Slack, Salesforce, GitHub, Workday, Snowflake, ...) and,
// in large companies, further instances ("Salesforce (EU)"): one per 250
// identities, 12 to 400, plus the Okta Admin Console. Apps are assigned to
// their groups (the first three to Everyone) and directly to users (about
// five per person); apps/<id>/users.json lists both scopes as the API does.
// Admin roles: Super Administrator to the group "Okta Administrators", Help
// Desk to the it-helpdesk team, App Admin to it-saas-admin, Org Admin and
// Read-only Admin to a few people. Each AI agent is an OpenID Connect app its
// person consented to (okta.users.read, okta.groups.read, okta.apps.read);
// identity operations people hold API tokens. Group member lists carry each
// user's id, status, dates and login fields; users.json has the whole user.
//
// Google Workspace (tenant "<slug>.example"): users for people (terminated
// ones suspended, archived or deleted, 7% missed and still active), the all-staff group (a CUSTOMER
// member), team lists nested in department lists, office lists and
// discussion lists of Pareto sizes (about twelve per person, a few with
// outside partners), three admin roles, and OAuth tokens: about nine
// third-party apps per active person drawn by popularity from a catalog and
// a long tail (one app per 300 identities), mostly sign-in scopes, a few
// with calendar, Drive or Gmail scopes and very few with full mail or
// Drive; each agent's client holds a token on its person's account (Gmail,
// Calendar and Drive read).
//
// # Volume
//
// The default density aims at a large enterprise: about 100 graph edges per
// identity once the connectors have parsed the exports (10,000 identities:
// about 162,000 nodes and 1.0 million edges; 100,000 identities: over 10
// million edges). Okta group memberships, Google OAuth grants and group
// memberships make most of them.
//
// # Planted patterns
//
// Manifest.Planted lists known risky patterns with the exact principals,
// resources and privileges involved (AWS ARNs, Kubernetes references, or
// for Okta and Google the node IDs their connectors produce), what a correct
// analysis must report (Expect) and, in the description, why. See the
// Plant* constants.
//
// It also lists, marked Background, every risky element the company makes
// at a realistic rate rather than once, so that the risky plants are all
// the risky elements the generator makes on purpose: offboarded people's
// IAM users left behind with an active credential, forgotten passwords and
// keys (unused for a year while the user signs in with another), Okta and
// Google users of terminated people that offboarding missed, ACTIVE Okta
// orphans,
// every agent's mail, calendar and Drive grant, the Terraform user's
// AdministratorAccess and the CI deployer, which can run a pod in default
// as the cluster-admin service account. What the generator used to make by
// accident is gone: members of the admin groups have MFA (but for the
// admin-without-mfa plant), offboarding removes Kubernetes bindings (but for
// the k8s-offboarded-binding plant), and the EKS node policy is the version
// without eks-auth.
//
// # Determinism
//
// The same Options always produce byte-identical files: all randomness comes
// from math/rand/v2 PCG sources seeded from Options.Seed (one stream per part
// of the company), maps are iterated in sorted order, IDs derive from names
// by hashing and every timestamp derives from Options.Now. Sources are
// written in parallel, each from its own stream. Writers stream: memory
// stays near the company's own size (about 500 MB at 100,000 identities).
package synth
