package synth

// Manifest describes one generated company: its files, the options that made
// it, counts of everything written and the planted risky patterns. It is
// written as manifest.json beside the exports.
type Manifest struct {
	// Generator names the generator and its output format version.
	Generator string `json:"generator"`
	// Company is the company's display name; Domain is its email domain.
	Company string `json:"company"`
	Domain  string `json:"domain"`
	// Options are the options used, with defaults filled in.
	Options Options `json:"options"`
	// Files lists every file written, by kind, relative to the output dir.
	Files Files `json:"files"`
	// Counts are the numbers of entities written.
	Counts Counts `json:"counts"`
	// Planted lists known risky patterns with the exact IDs they involve.
	Planted []Plant `json:"planted"`
}

// Files lists the generated files by kind. Paths are relative to the output
// directory and use forward slashes.
type Files struct {
	AWSAuthorizationDetails []AWSFile `json:"awsAuthorizationDetails"`
	AWSCredentialReports    []AWSFile `json:"awsCredentialReports"`
	K8s                     []K8sFile `json:"k8s"`
	// HR is the roster of people (email, department, manager, status).
	HR string `json:"hr"`
	// Okta is the Okta export directory (read by ingest/okta.ParseExport).
	Okta *OktaExport `json:"okta,omitempty"`
	// Google is the Google Workspace export directory (read by
	// ingest/google.ParseExport).
	Google *GoogleExport `json:"google,omitempty"`
}

// OktaExport is the export of the company's Okta org: Path is the directory,
// Org the org host (the connector's Options.Org).
type OktaExport struct {
	Path string `json:"path"`
	Org  string `json:"org"`
}

// GoogleExport is the export of the company's Google Workspace: Path is the
// directory, Tenant the primary domain (the connector's Options.Tenant).
type GoogleExport struct {
	Path   string `json:"path"`
	Tenant string `json:"tenant"`
}

// AWSFile is one export of one AWS account.
type AWSFile struct {
	Path      string `json:"path"`
	AccountID string `json:"accountId"`
	Alias     string `json:"alias"`
}

// K8sFile is the RBAC export of one cluster: objects without
// metadata.namespace belong to DefaultNamespace.
type K8sFile struct {
	Path             string `json:"path"`
	Cluster          string `json:"cluster"`
	DefaultNamespace string `json:"defaultNamespace"`
}

// Counts are the numbers of entities written, summed over all files.
type Counts struct {
	People           int `json:"people"`
	OffboardedPeople int `json:"offboardedPeople"`
	Teams            int `json:"teams"`
	Services         int `json:"services"`
	Agents           int `json:"agents"`

	AWSAccounts     int `json:"awsAccounts"`
	IAMUsers        int `json:"iamUsers"`
	IAMHumanUsers   int `json:"iamHumanUsers"`
	IAMServiceUsers int `json:"iamServiceUsers"`
	IAMAgentUsers   int `json:"iamAgentUsers"`
	IAMGroups       int `json:"iamGroups"`
	IAMRoles        int `json:"iamRoles"`
	// IAMPolicies counts entries of the Policies lists (customer managed and
	// attached AWS managed policies, once per account).
	IAMPolicies             int `json:"iamPolicies"`
	CustomerManagedPolicies int `json:"customerManagedPolicies"`
	// CredentialReportRows counts data rows, the <root_account> rows included.
	CredentialReportRows int `json:"credentialReportRows"`
	ActiveAccessKeys     int `json:"activeAccessKeys"`
	// UsersWithoutMFA counts users with a console password and no MFA.
	UsersWithoutMFA int `json:"usersWithoutMfa"`
	// StaleUsers counts users that hold a credential (password or active key)
	// none of which was used in the 180 days before Now (never used counts as
	// unused when the user is older than 180 days).
	StaleUsers int `json:"staleUsers"`

	Clusters               int `json:"clusters"`
	Namespaces             int `json:"namespaces"`
	K8sServiceAccounts     int `json:"k8sServiceAccounts"`
	K8sRoles               int `json:"k8sRoles"`
	K8sClusterRoles        int `json:"k8sClusterRoles"`
	K8sRoleBindings        int `json:"k8sRoleBindings"`
	K8sClusterRoleBindings int `json:"k8sClusterRoleBindings"`
	K8sDeployments         int `json:"k8sDeployments"`

	// OktaUsers counts users.json entries; OktaOrphanUsers those with no
	// person in the HR roster.
	OktaUsers       int `json:"oktaUsers"`
	OktaOrphanUsers int `json:"oktaOrphanUsers"`
	OktaGroups      int `json:"oktaGroups"`
	// OktaMemberships counts entries of the groups/<id>/users.json lists.
	OktaMemberships int `json:"oktaMemberships"`
	// OktaApps counts SSO apps, without the agents' OAuth clients.
	OktaApps int `json:"oktaApps"`
	// OktaDirectAssignments counts app assignments of scope USER.
	OktaDirectAssignments int `json:"oktaDirectAssignments"`
	OktaAdminRoles        int `json:"oktaAdminRoles"`
	OktaGrants            int `json:"oktaGrants"`
	OktaAPITokens         int `json:"oktaApiTokens"`

	GoogleUsers  int `json:"googleUsers"`
	GoogleGroups int `json:"googleGroups"`
	// GoogleMemberships counts entries of the members/<group>.json lists.
	GoogleMemberships int `json:"googleMemberships"`
	// GoogleTokens counts OAuth tokens; GoogleClients distinct clients.
	GoogleTokens  int `json:"googleTokens"`
	GoogleClients int `json:"googleClients"`
}

// Plant is one known risky pattern placed in the exports. IDs are AWS ARNs
// (an access key: "<user ARN>#access_key_1", as the credential report
// connector names it), or "<Kind>/<namespace>/<name>" (cluster-scoped:
// "<Kind>/<name>") for Kubernetes objects and "User/<name>", "Group/<name>"
// for RBAC subjects, or for Okta and Google the graph node IDs their
// connectors produce ("okta:<org>:user:<id>", "google:<tenant>:grant:<user
// id>:<client id>").
type Plant struct {
	// ID names the plant, unique within a manifest.
	ID string `json:"id"`
	// Kind is the pattern, one of the Plant* constants.
	Kind string `json:"kind"`
	// Description says in words what is planted and what is expected.
	Description string `json:"description"`
	// Source is "aws:<account id>", "k8s:<cluster>", "okta:<org>" or
	// "google:<tenant>"; File is its export.
	Source string `json:"source"`
	File   string `json:"file"`
	// Principal is who holds the access (ARN or RBAC subject).
	Principal string `json:"principal"`
	// Identity is the email of the person involved, if any.
	Identity string `json:"identity,omitempty"`
	// Resource is what is reached: an ARN or ARN pattern, "*" for everything,
	// or for Kubernetes "<resource>" in Namespace ("" for cluster-wide).
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	// Service is the AWS service prefix or Kubernetes API group ("" core).
	Service string `json:"service,omitempty"`
	// Actions are the actions or verbs concerned.
	Actions []string `json:"actions"`
	// Privilege is the expected tier: none, read, write or admin.
	Privilege string `json:"privilege"`
	// Expect is "allow" (the principal reaches Resource with Privilege),
	// "deny" (it must not, despite an apparent grant) or "escalate" (it can
	// take over Target).
	Expect string `json:"expect"`
	// Target is the principal taken over, for Expect "escalate".
	Target string `json:"target,omitempty"`
	// Via names what grants it: policies, groups, roles, bindings.
	Via []string `json:"via"`
	// IDs are every entity involved, for lookups.
	IDs []string `json:"ids"`
	// Background marks a risk the company produces at a realistic rate (an
	// offboarded person's IAM user left behind, a forgotten key, an
	// agent's mail grant ...) rather than a pattern planted once: listed
	// so that Planted holds every risky element the generator makes.
	Background bool `json:"background,omitempty"`
}

// Plant kinds.
const (
	PlantOffboardedActiveKey     = "offboarded-active-key"
	PlantTrustAnyPrincipal       = "trust-any-principal"
	PlantInlineIAMAdmin          = "inline-iam-admin"
	PlantExternalAccountTrust    = "external-account-trust"
	PlantDenyOverridesAdmin      = "deny-overrides-admin"
	PlantPermissionBoundary      = "permission-boundary"
	PlantNonDefaultPolicyVersion = "non-default-policy-version"
	PlantPassRoleEscalation      = "passrole-escalation"
	PlantAgentExceedsPerson      = "agent-exceeds-person"
	PlantAdminWithoutMFA         = "admin-without-mfa"
	PlantIRSAAdmin               = "irsa-admin"
	PlantK8sSAClusterAdmin       = "k8s-sa-cluster-admin"
	PlantK8sSecretsAuthenticated = "k8s-secrets-authenticated" //nolint:gosec // a pattern name, not a credential
	PlantK8sAggregatedSecrets    = "k8s-aggregated-secrets"    //nolint:gosec // a pattern name, not a credential
	PlantK8sOffboardedBinding    = "k8s-offboarded-binding"
	PlantK8sImpersonate          = "k8s-impersonate"
	PlantK8sAgentDelegation      = "k8s-agent-delegation"
	// PlantOrphanedSaaSAdmin is an Okta admin account whose person is not
	// in the HR roster.
	PlantOrphanedSaaSAdmin = "orphaned-saas-admin"
	// PlantBroadOAuthGrant is a third-party app holding full mail and
	// Drive scopes on a person's Google account.
	PlantBroadOAuthGrant = "broad-oauth-grant"
	// PlantToxicPair is a person holding both sides of a
	// separation-of-duties pair (write secrets and change IAM).
	PlantToxicPair = "toxic-pair"
	// PlantStaleAccessKey is an old active access key unused for a year.
	PlantStaleAccessKey = "stale-access-key"

	// Background risks: what the company produces at realistic rates
	// rather than once, listed with their exact IDs so that the planted
	// set is every risky element the generator makes on purpose.

	// PlantOffboardedIAMUser is a terminated person's IAM user left behind
	// with an active password or access key.
	PlantOffboardedIAMUser = "offboarded-iam-user"
	// PlantForgottenCredential is an active password or access key unused
	// (or never used) for over a year while its user signs in with another
	// credential.
	PlantForgottenCredential = "forgotten-credential" //nolint:gosec // a pattern name, not a credential
	// PlantServiceUserAdmin is a service's IAM user with AdministratorAccess
	// (the Terraform user).
	PlantServiceUserAdmin = "service-user-admin"
	// PlantServiceRoleAdmin is a role an AWS service assumes that has
	// AdministratorAccess (the target of the PassRole escalation).
	PlantServiceRoleAdmin = "service-role-admin"
	// PlantK8sDeployerEscalation is the CI deployer, whose cluster-wide
	// ClusterRole writes deployments in every namespace, default included,
	// where a pod may run as a cluster-admin service account.
	PlantK8sDeployerEscalation = "k8s-deployer-escalation"
	// PlantAgentMailGrant is an AI agent's OAuth client holding Gmail,
	// Calendar and Drive read on the Google account of the person it acts
	// for.
	PlantAgentMailGrant = "agent-mail-grant"
	// PlantOrphanedSaaSAccount is an ACTIVE Okta user of a former employee
	// missing from HR (an orphan that can still sign in).
	PlantOrphanedSaaSAccount = "orphaned-saas-account"
	// PlantOffboardedSaaSAccount is a terminated person's Okta user that
	// offboarding missed (still ACTIVE).
	PlantOffboardedSaaSAccount = "offboarded-saas-account"
)

// add sums the per-file counts of o into c.
func (c *Counts) add(o *Counts) {
	c.IAMUsers += o.IAMUsers
	c.IAMHumanUsers += o.IAMHumanUsers
	c.IAMServiceUsers += o.IAMServiceUsers
	c.IAMAgentUsers += o.IAMAgentUsers
	c.IAMGroups += o.IAMGroups
	c.IAMRoles += o.IAMRoles
	c.IAMPolicies += o.IAMPolicies
	c.CustomerManagedPolicies += o.CustomerManagedPolicies
	c.CredentialReportRows += o.CredentialReportRows
	c.ActiveAccessKeys += o.ActiveAccessKeys
	c.UsersWithoutMFA += o.UsersWithoutMFA
	c.StaleUsers += o.StaleUsers
	c.Namespaces += o.Namespaces
	c.K8sServiceAccounts += o.K8sServiceAccounts
	c.K8sRoles += o.K8sRoles
	c.K8sClusterRoles += o.K8sClusterRoles
	c.K8sRoleBindings += o.K8sRoleBindings
	c.K8sClusterRoleBindings += o.K8sClusterRoleBindings
	c.K8sDeployments += o.K8sDeployments
	c.OktaUsers += o.OktaUsers
	c.OktaOrphanUsers += o.OktaOrphanUsers
	c.OktaGroups += o.OktaGroups
	c.OktaMemberships += o.OktaMemberships
	c.OktaApps += o.OktaApps
	c.OktaDirectAssignments += o.OktaDirectAssignments
	c.OktaAdminRoles += o.OktaAdminRoles
	c.OktaGrants += o.OktaGrants
	c.OktaAPITokens += o.OktaAPITokens
	c.GoogleUsers += o.GoogleUsers
	c.GoogleGroups += o.GoogleGroups
	c.GoogleMemberships += o.GoogleMemberships
	c.GoogleTokens += o.GoogleTokens
	c.GoogleClients += o.GoogleClients
}
