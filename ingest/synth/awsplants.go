package synth

import (
	"strconv"
	"strings"
	"time"
)

func (g *awsGen) plant(p Plant) {
	p.Source = g.source()
	p.File = g.gaadPath
	if p.Actions == nil {
		p.Actions = []string{}
	}
	g.plants = append(g.plants, p)
}

func (g *awsGen) groupArn(name string) string { return g.arn("group", "/", name) }

func (g *awsGen) plantOffboarded(u *gaadUser, pi int32) {
	c := g.c
	p := &c.people[pi]
	t := &c.teams[p.team]
	pol := departments[p.dept] + "-data-read"
	g.plant(Plant{
		ID:   "aws-offboarded-active-key",
		Kind: PlantOffboardedActiveKey,
		Description: "Person " + c.email(pi) + " was terminated 420 days ago (hr/people.csv) but IAM user " +
			u.UserName + " still exists with access key 1 active, rotated 900 days ago and last used 400 days " +
			"ago; through group team-" + t.name + " and policy " + pol + " the key still reads the department bucket.",
		Principal: u.Arn, Identity: c.email(pi),
		Resource: "arn:aws:s3:::" + c.deptBucket(int(p.dept)) + "/*", Service: "s3",
		Actions:   []string{"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"},
		Privilege: "read", Expect: "allow",
		Via: []string{"group/team-" + t.name, "policy/" + pol},
		IDs: []string{u.Arn, g.groupArn("team-" + t.name), g.policyArn(pol), c.email(pi)},
	})
}

func (g *awsGen) plantInlineAdmin(u *gaadUser, pi int32) {
	c := g.c
	g.plant(Plant{
		ID: "aws-inline-iam-admin", Kind: PlantInlineIAMAdmin,
		Description: "IAM user " + u.UserName + " holds standing admin over IAM: inline policy iam-admin " +
			"allows iam:* on *, so it can grant itself anything (escalation to every principal in the account).",
		Principal: u.Arn, Identity: c.email(pi), Resource: "*", Service: "iam",
		Actions: []string{"iam:*"}, Privilege: "admin", Expect: "allow",
		Via: []string{"inline/iam-admin"}, IDs: []string{u.Arn, c.email(pi)},
	})
}

func (g *awsGen) plantDenyS3(u *gaadUser, pi int32) {
	c := g.c
	g.plant(Plant{
		ID: "aws-deny-overrides-admin", Kind: PlantDenyOverridesAdmin,
		Description: "IAM user " + u.UserName + " is in group admins (AdministratorAccess: * on *) but its " +
			"inline policy deny-s3 denies s3:* on *: the user must have no S3 access at all, while keeping " +
			"admin on every other service (e.g. ec2:*, iam:*).",
		Principal: u.Arn, Identity: c.email(pi), Resource: "*", Service: "s3",
		Actions: []string{"s3:*"}, Privilege: "none", Expect: "deny",
		Via: []string{"group/admins", "policy/AdministratorAccess", "inline/deny-s3"},
		IDs: []string{u.Arn, g.groupArn("admins"), awsManagedPolicies[polAdmin].arn(), c.email(pi)},
	})
}

func (g *awsGen) plantBoundary(u *gaadUser, pi int32) {
	c := g.c
	b := u.PermissionsBoundary.PermissionsBoundaryArn
	admin := awsManagedPolicies[polAdmin].arn()
	g.plant(Plant{
		ID: "aws-permission-boundary-allows", Kind: PlantPermissionBoundary,
		Description: "IAM user " + u.UserName + " has AdministratorAccess attached but permissions boundary " +
			"boundary-data-readonly allows only s3:GetObject and s3:ListBucket on the data bucket: that read is " +
			"all it effectively holds.",
		Principal: u.Arn, Identity: c.email(pi), Resource: "arn:aws:s3:::" + c.deptBucket(deptData) + "/*",
		Service: "s3", Actions: []string{"s3:GetObject", "s3:ListBucket"}, Privilege: "read", Expect: "allow",
		Via: []string{"policy/AdministratorAccess", "boundary/boundary-data-readonly"},
		IDs: []string{u.Arn, b, admin, c.email(pi)},
	})
	g.plant(Plant{
		ID: "aws-permission-boundary-denies", Kind: PlantPermissionBoundary,
		Description: "IAM user " + u.UserName + " has AdministratorAccess attached, but its permissions boundary " +
			"does not allow iam:*: it must not be reported as an IAM admin (nor admin of anything).",
		Principal: u.Arn, Identity: c.email(pi), Resource: "*", Service: "iam",
		Actions: []string{"iam:*"}, Privilege: "none", Expect: "deny",
		Via: []string{"policy/AdministratorAccess", "boundary/boundary-data-readonly"},
		IDs: []string{u.Arn, b, admin, c.email(pi)},
	})
}

func (g *awsGen) plantNoMFA(u *gaadUser, pi int32) {
	c := g.c
	g.plant(Plant{
		ID: "aws-admin-without-mfa", Kind: PlantAdminWithoutMFA,
		Description: "IAM user " + u.UserName + " is in group admins (AdministratorAccess), has a console " +
			"password used yesterday and mfa_active false in the credential report.",
		Principal: u.Arn, Identity: c.email(pi), Resource: "*", Service: "*",
		Actions: []string{"*"}, Privilege: "admin", Expect: "allow",
		Via: []string{"group/admins", "policy/AdministratorAccess"},
		IDs: []string{u.Arn, g.groupArn("admins"), awsManagedPolicies[polAdmin].arn(), c.email(pi)},
	})
}

func (g *awsGen) plantFinance(u *gaadUser, pi int32) {
	c := g.c
	t := &c.teams[c.people[pi].team]
	pol := c.slug + "-finance-reports"
	g.plant(Plant{
		ID: "aws-non-default-policy-version", Kind: PlantNonDefaultPolicyVersion,
		Description: "Customer policy " + pol + " (attached to group team-" + t.name + ", member " + u.UserName +
			") has a non-default version v1 allowing s3:* on * and a default version v2 allowing only " +
			"s3:GetObject and s3:ListBucket on the reports bucket: members must get no S3 write anywhere.",
		Principal: u.Arn, Identity: c.email(pi), Resource: "*", Service: "s3",
		Actions: []string{"s3:DeleteObject", "s3:PutObject"}, Privilege: "none", Expect: "deny",
		Via: []string{"group/team-" + t.name, "policy/" + pol},
		IDs: []string{u.Arn, g.groupArn("team-" + t.name), g.policyArn(pol), c.email(pi)},
	})
}

func (g *awsGen) plantPassRole(u *gaadUser) {
	target := g.arn("role", "/", "ops-automation")
	g.plant(Plant{
		ID: "aws-passrole-escalation", Kind: PlantPassRoleEscalation,
		Description: "Service user " + u.UserName + " may iam:PassRole on * and lambda:CreateFunction/" +
			"InvokeFunction; role ops-automation trusts lambda.amazonaws.com and has AdministratorAccess, so the " +
			"user can escalate to admin by running a function as that role.",
		Principal: u.Arn, Resource: "*", Service: "iam",
		Actions: []string{"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"}, Privilege: "admin",
		Expect: "escalate", Target: target,
		Via: []string{"inline/ci-deploy", "role/ops-automation", "policy/AdministratorAccess"},
		IDs: []string{u.Arn, target, awsManagedPolicies[polAdmin].arn()},
	})
}

func (g *awsGen) plantAgent(u *gaadUser, ag *agent) {
	c := g.c
	g.plant(Plant{
		ID: "aws-agent-exceeds-person", Kind: PlantAgentExceedsPerson,
		Description: "AI agent user " + u.UserName + " acts on behalf of " + c.email(ag.person) + " (tag " +
			"on-behalf-of) and has SecretsManagerReadWrite (secretsmanager:* on *), while that person has no " +
			"AWS access of their own: the agent's reach exceeds its principal's.",
		Principal: u.Arn, Identity: c.email(ag.person), Resource: "*", Service: "secretsmanager",
		Actions: []string{"secretsmanager:*"}, Privilege: "admin", Expect: "allow",
		Via: []string{"policy/SecretsManagerReadWrite"},
		IDs: []string{u.Arn, awsManagedPolicies[polSecretsRW].arn(), c.email(ag.person)},
	})
}

func (g *awsGen) plantIRSA(ro *gaadRole, ai int) {
	c := g.c
	ap := &c.apps[ai]
	t := &c.teams[ap.team]
	sa := "ServiceAccount/" + t.namespace + "/" + ap.name
	g.plant(Plant{
		ID: "aws-irsa-admin", Kind: PlantIRSAAdmin,
		Description: "Role " + ro.RoleName + " trusts the EKS OIDC provider of cluster " + c.clusters[t.cluster].name +
			" for system:serviceaccount:" + t.namespace + ":" + ap.name + " and has AdministratorAccess: that " +
			"Kubernetes service account (annotated eks.amazonaws.com/role-arn) is an AWS admin.",
		Principal: ro.Arn, Resource: "*", Service: "*", Actions: []string{"*"}, Privilege: "admin", Expect: "allow",
		Via: []string{"policy/AdministratorAccess", "k8s:" + c.clusters[t.cluster].name + "/" + sa},
		IDs: []string{ro.Arn, awsManagedPolicies[polAdmin].arn(), sa},
	})
}

func (g *awsGen) plantStar(ro *gaadRole) {
	c := g.c
	g.plant(Plant{
		ID: "aws-trust-any-principal", Kind: PlantTrustAnyPrincipal,
		Description: "Role partner-uploads has a trust policy with Principal {\"AWS\": \"*\"} and no condition: any " +
			"AWS principal anywhere can assume it and read and write the partner uploads bucket.",
		Principal: ro.Arn, Resource: "arn:aws:s3:::" + c.slug + "-partner-uploads/*", Service: "s3",
		Actions: []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject"}, Privilege: "write", Expect: "allow",
		Via: []string{"trust/*", "policy/partner-uploads"},
		IDs: []string{ro.Arn, g.policyArn("partner-uploads")},
	})
}

func (g *awsGen) plantExternal(ro *gaadRole) {
	c := g.c
	ext := "arn:aws:iam::" + c.externalID + ":root"
	g.plant(Plant{
		ID: "aws-external-account-trust", Kind: PlantExternalAccountTrust,
		Description: "Role VendorAuditAccess trusts account " + c.externalID + ", which is outside the " +
			"organisation, without an sts:ExternalId condition; it has ReadOnlyAccess (including s3:Get* on *).",
		Principal: ext, Resource: "*", Service: "*", Actions: []string{"s3:GetObject"},
		Privilege: "read", Expect: "allow", Target: ro.Arn,
		Via: []string{"role/VendorAuditAccess", "policy/ReadOnlyAccess"},
		IDs: []string{ext, ro.Arn, awsManagedPolicies[polReadOnly].arn()},
	})
}

func (g *awsGen) plantToxic(u *gaadUser, pi int32) {
	c := g.c
	g.plant(Plant{
		ID: "aws-toxic-secrets-iam", Kind: PlantToxicPair,
		Description: "IAM user " + u.UserName + " is in group secrets-operators (policy secrets-rotation: " +
			"secretsmanager:PutSecretValue and UpdateSecret on every secret) and in group iam-provisioners (policy " +
			"iam-user-provisioning: iam:CreateUser, iam:AttachUserPolicy, iam:PutUserPolicy, iam:CreateAccessKey " +
			"on every user): one person can both change secrets and create and empower IAM users, the " +
			"separation-of-duties pair write-secrets-and-change-iam.",
		Principal: u.Arn, Identity: c.email(pi), Resource: "arn:aws:secretsmanager:*:" + g.acct() + ":secret:*",
		Service: "secretsmanager",
		Actions: []string{"iam:AttachUserPolicy", "iam:CreateAccessKey", "iam:CreateUser", "iam:PutUserPolicy",
			"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret"},
		Privilege: "write", Expect: "allow",
		Via: []string{"group/secrets-operators", "policy/secrets-rotation", "group/iam-provisioners",
			"policy/iam-user-provisioning"},
		IDs: []string{u.Arn, g.groupArn("secrets-operators"), g.groupArn("iam-provisioners"),
			g.policyArn("secrets-rotation"), g.policyArn("iam-user-provisioning"), c.email(pi)},
	})
}

func (g *awsGen) plantStaleKey(u *gaadUser, pi int32, k accessKey) {
	c := g.c
	g.staleKeyArn = u.Arn
	t := &c.teams[c.people[pi].team]
	pol := departments[deptData] + "-data-read"
	g.plant(Plant{
		ID: "aws-stale-access-key", Kind: PlantStaleAccessKey,
		Description: "Active person " + c.email(pi) + " signs in daily with password and MFA, but IAM user " +
			u.UserName + " keeps access key 1 active, created " + k.rotated.Format("2006-01-02") +
			" and last used " + k.used.Format("2006-01-02") + " (a forgotten key): through group team-" + t.name +
			" and policy " + pol + " it still reads the data bucket.",
		Principal: u.Arn, Identity: c.email(pi), Resource: "arn:aws:s3:::" + c.deptBucket(deptData) + "/*",
		Service: "s3", Actions: []string{"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"},
		Privilege: "read", Expect: "allow",
		Via: []string{"group/team-" + t.name, "policy/" + pol},
		IDs: []string{u.Arn, u.Arn + "#access_key_1", g.groupArn("team-" + t.name), g.policyArn(pol), c.email(pi)},
	})
}

// plantOffboardedUser lists a terminated person's IAM user that was left
// behind with an active credential (background: about a third of them are).
func (g *awsGen) plantOffboardedUser(u *gaadUser, pi int32, l *login) {
	c := g.c
	p := &c.people[pi]
	var creds []string
	ids := []string{u.Arn}
	if l.password {
		creds = append(creds, "console password")
	}
	for i, k := range l.keys {
		if k.present && k.active {
			creds = append(creds, "access key "+strconv.Itoa(i+1))
			ids = append(ids, u.Arn+"#access_key_"+strconv.Itoa(i+1))
		}
	}
	ids = append(ids, c.email(pi))
	g.plant(Plant{
		ID: "aws-offboarded-iam-user-" + u.UserName, Kind: PlantOffboardedIAMUser,
		Description: "Person " + c.email(pi) + " was terminated " + strconv.Itoa(int(p.termDays)) + " days ago " +
			"(hr/people.csv) but IAM user " + u.UserName + " was left behind with " + strings.Join(creds, " and ") +
			" active, keeping every group it was in (" + strings.Join(u.GroupList, ", ") + ").",
		Principal: u.Arn, Identity: c.email(pi), Resource: "*", Service: "*",
		Privilege: "read", Expect: "allow", Background: true,
		Via: append([]string{"user/" + u.UserName}, prefixed("group/", u.GroupList)...), IDs: ids,
	})
}

// forgotten lists each active credential of u unused (or never used) for
// over a year while another active credential of u was used in the last
// 30 days: a forgotten password or key. The stale-access-key plant is
// listed by plantStaleKey.
func (g *awsGen) forgotten(u *gaadUser, l *login) {
	if u.Arn == g.staleKeyArn {
		return
	}
	now := g.c.opt.Now
	type cred struct {
		id, what   string
		last, from time.Time // last use (zero: never) and since when it exists
	}
	var creds []cred
	if l.password {
		creds = append(creds, cred{id: u.Arn + "#password", what: "console password", last: l.passwordUsed,
			from: l.passwordSet})
	}
	for i, k := range l.keys {
		if k.present && k.active {
			n := strconv.Itoa(i + 1)
			creds = append(creds, cred{id: u.Arn + "#access_key_" + n, what: "access key " + n, last: k.used,
				from: k.rotated})
		}
	}
	idle := func(c cred) time.Duration {
		if c.last.IsZero() {
			return now.Sub(c.from)
		}
		return now.Sub(c.last)
	}
	const day = 24 * time.Hour
	for i, a := range creds {
		if idle(a) <= 366*day {
			continue
		}
		for j, b := range creds {
			if j == i || b.last.IsZero() || idle(b) > 30*day {
				continue
			}
			g.plant(Plant{
				ID:   "aws-forgotten-credential-" + u.UserName + "-" + strings.ReplaceAll(a.what, " ", "-"),
				Kind: PlantForgottenCredential,
				Description: "IAM user " + u.UserName + " keeps its " + a.what + " active, unused for " +
					strconv.Itoa(int(idle(a)/day)) + " days, while its " + b.what + " was used " +
					strconv.Itoa(int(idle(b)/day)) + " days ago: a forgotten credential.",
				Principal: u.Arn, Resource: "*", Service: "iam", Privilege: "read", Expect: "allow",
				Background: true, Via: []string{a.id}, IDs: []string{a.id, u.Arn},
			})
			break
		}
	}
}

// plantServiceUserAdmin lists the Terraform service user, which holds
// AdministratorAccess with a long-lived access key.
func (g *awsGen) plantServiceUserAdmin(u *gaadUser) {
	g.plant(Plant{
		ID: "aws-service-user-admin-" + u.UserName, Kind: PlantServiceUserAdmin,
		Description: "Service user " + u.UserName + " has AdministratorAccess (* on *) and signs in with an " +
			"access key: a workload principal with standing admin over the account.",
		Principal: u.Arn, Resource: "*", Service: "*", Actions: []string{"*"}, Privilege: "admin", Expect: "allow",
		Background: true, Via: []string{"policy/AdministratorAccess"},
		IDs: []string{u.Arn, awsManagedPolicies[polAdmin].arn()},
	})
}

// plantServiceRoleAdmin lists role ops-automation: Lambda may assume it and
// it has AdministratorAccess, so whoever can pass it to a function is admin
// (the PassRole plant uses it).
func (g *awsGen) plantServiceRoleAdmin(ro *gaadRole) {
	g.plant(Plant{
		ID: "aws-service-role-admin-" + ro.RoleName, Kind: PlantServiceRoleAdmin,
		Description: "Role " + ro.RoleName + " trusts lambda.amazonaws.com and has AdministratorAccess: any " +
			"function given this role is an admin of the account, and whoever may iam:PassRole it can create one.",
		Principal: ro.Arn, Resource: "*", Service: "*", Actions: []string{"*"}, Privilege: "admin", Expect: "allow",
		Via: []string{"trust/lambda.amazonaws.com", "policy/AdministratorAccess"},
		IDs: []string{ro.Arn, awsManagedPolicies[polAdmin].arn()},
	})
}

func prefixed(pre string, s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = pre + x
	}
	return out
}
