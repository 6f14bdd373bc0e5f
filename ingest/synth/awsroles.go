package synth

import (
	"fmt"
	"sort"
	"strings"
)

// deptGroupPolicies are the AWS managed policies attached to each
// department's group.
var deptGroupPolicies = [][]string{
	{}, {polViewOnly}, {polSupportUser}, {polBilling}, {polSecurityAudit}, {polAthenaFull}, {}, {polIAMRead},
}

func (g *awsGen) emitGroup(name string, age int32, inline []inlinePolicy, pols ...string) error {
	gr := &gaadGroup{Path: "/", GroupName: name, Arn: g.arn("group", "/", name),
		CreateDate: ts(g.c.daysAgo(age, len(name))), GroupPolicyList: inline, AttachedManagedPolicies: g.attached(pols...)}
	if gr.GroupPolicyList == nil {
		gr.GroupPolicyList = []inlinePolicy{}
	}
	gr.GroupID = awsID("AGPA", gr.Arn)
	g.counts.IAMGroups++
	if err := g.gw.item(gr); err != nil {
		return fmt.Errorf("group %s: %w", name, err)
	}
	return nil
}

// groupSpec is an IAM group to emit: name, inline and managed policies.
type groupSpec struct {
	name   string
	inline []inlinePolicy
	pols   []string
}

func (g *awsGen) writeGroups() error {
	c := g.c
	for _, d := range g.depts() {
		assume := inlinePolicy{PolicyName: "assume-" + departments[d] + "-roles", PolicyDocument: doc(
			allow("sts:AssumeRole", g.arn("role", "/", deptTitle[d]+"*")))}
		if err := g.emitGroup("dept-"+departments[d], 2000, []inlinePolicy{assume}, deptGroupPolicies[d]...); err != nil {
			return err
		}
	}
	for _, ti := range g.a.teams {
		t := &c.teams[ti]
		var inline []inlinePolicy
		if len(t.apps) > 0 {
			var res []string
			for _, ai := range t.apps {
				res = append(res, bucketArns(c.apps[ai].bucket)...)
			}
			inline = append(inline, inlinePolicy{PolicyName: "team-apps", PolicyDocument: doc(
				allow([]string{"s3:GetObject", "s3:ListBucket"}, res),
				allow([]string{"logs:FilterLogEvents", "logs:GetLogEvents"}, "*"))})
		}
		pols := []string{departments[t.dept] + "-data-read"}
		if ti == int(c.people[c.plants.finance].team) {
			pols = append(pols, c.slug+"-finance-reports")
		}
		if err := g.emitGroup("team-"+t.name, 1500, inline, pols...); err != nil {
			return err
		}
	}
	breakGlass := inlinePolicy{PolicyName: "assume-break-glass", PolicyDocument: doc(
		allow("sts:AssumeRole", g.arn("role", "/", "BreakGlassAdmin")))}
	groups := []groupSpec{
		{"admins", nil, []string{polAdmin}},
		{"billing-admins", nil, []string{polBilling}},
		{"break-glass", []inlinePolicy{breakGlass}, nil},
		{"legacy-developers", nil, []string{polPowerUser}},
		{"readonly-auditors", nil, []string{polSecurityAudit}},
	}
	if g.idx == c.people[c.plants.toxic].teamAccount(c) {
		// The separation-of-duties plant: two groups that one person must not hold together.
		groups = append(groups, groupSpec{"secrets-operators", nil, []string{"secrets-rotation"}},
			groupSpec{"iam-provisioners", nil, []string{"iam-user-provisioning"}})
	}
	for _, gr := range groups {
		if err := g.emitGroup(gr.name, 2400, gr.inline, gr.pols...); err != nil {
			return err
		}
	}
	return nil
}

// Trust policy documents.

func (g *awsGen) trustAccount(acct string, mfa bool) policyDoc {
	st := statement{Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"},
		Action: "sts:AssumeRole"}
	if mfa {
		st.Condition = map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}}
	}
	return doc(st)
}

func trustService(svc string) policyDoc {
	return doc(statement{Effect: "Allow", Principal: map[string]any{"Service": svc}, Action: "sts:AssumeRole"})
}

func (g *awsGen) samlProvider() string {
	return g.arn("saml-provider", "/", "AWSSSO_"+strings.ToLower(hexID("sso"+g.a.id, 16))+"_DO_NOT_DELETE")
}

func (g *awsGen) trustSAML() policyDoc {
	return doc(statement{Effect: "Allow", Principal: map[string]any{"Federated": g.samlProvider()},
		Action:    []string{"sts:AssumeRoleWithSAML", "sts:TagSession"},
		Condition: map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}})
}

// oidcIssuer returns the EKS OIDC issuer host of cluster ci.
func (c *company) oidcIssuer(ci int) string {
	return "oidc.eks." + c.clusterRegion(ci) + ".amazonaws.com/id/" + hexID("oidc"+c.clusters[ci].name, 32)
}

func (c *company) clusterRegion(ci int) string {
	n := c.clusters[ci].name
	for _, r := range regions {
		if strings.HasSuffix(n, r) {
			return r
		}
	}
	return regions[ci%len(regions)]
}

func (g *awsGen) trustIRSA(ci int, ns, sa string) policyDoc {
	iss := g.c.oidcIssuer(ci)
	return doc(statement{Effect: "Allow", Principal: map[string]any{"Federated": g.arn("oidc-provider", "/", iss)},
		Action: "sts:AssumeRoleWithWebIdentity",
		Condition: map[string]any{"StringEquals": map[string]any{
			iss + ":aud": "sts.amazonaws.com",
			iss + ":sub": "system:serviceaccount:" + ns + ":" + sa,
		}}})
}

type roleSpec struct {
	name, path string
	trust      policyDoc
	age        int32
	inline     []inlinePolicy
	pols       []string
	profile    bool
	tags       []tag
	unused     bool
}

func (g *awsGen) emitRole(s roleSpec) (*gaadRole, error) {
	c := g.c
	if s.path == "" {
		s.path = "/"
	}
	ro := &gaadRole{Path: s.path, RoleName: s.name, Arn: g.arn("role", s.path, s.name),
		CreateDate: ts(c.daysAgo(s.age, len(s.name))), AssumeRolePolicyDocument: s.trust,
		InstanceProfileList: []instanceProfile{}, RolePolicyList: s.inline, AttachedManagedPolicies: g.attached(s.pols...),
		Tags: s.tags}
	ro.RoleID = awsID("AROA", ro.Arn)
	if ro.RolePolicyList == nil {
		ro.RolePolicyList = []inlinePolicy{}
	}
	if ro.Tags == nil {
		ro.Tags = []tag{}
	}
	if s.profile {
		ip := instanceProfile{Path: "/", InstanceProfileName: s.name, Arn: g.arn("instance-profile", "/", s.name),
			CreateDate: ro.CreateDate, Roles: []profileRole{{Path: ro.Path, RoleName: ro.RoleName, RoleID: ro.RoleID,
				Arn: ro.Arn, CreateDate: ro.CreateDate, AssumeRolePolicyDocument: ro.AssumeRolePolicyDocument}}}
		ip.InstanceProfileID = awsID("AIPA", ip.Arn)
		ro.InstanceProfileList = append(ro.InstanceProfileList, ip)
	}
	if !s.unused && g.r.Float64() < 0.85 {
		ro.RoleLastUsed = roleLastUsed{LastUsedDate: ts(c.daysAgo(min(int32(g.r.ExpFloat64()*10), s.age), len(s.name)+1)),
			Region: regions[g.r.IntN(len(regions))]}
	}
	g.counts.IAMRoles++
	if err := g.gw.item(ro); err != nil {
		return nil, fmt.Errorf("role %s: %w", s.name, err)
	}
	return ro, nil
}

func (g *awsGen) writeRoles() error {
	c := g.c
	var specs []roleSpec
	add := func(s roleSpec) { specs = append(specs, s) }
	self := g.trustAccount(g.a.id, true)
	for _, d := range g.depts() {
		t := deptTitle[d]
		ro := polViewOnly
		if d == deptEngineering || d == deptData || d == deptSecurity || d == deptIT {
			ro = polReadOnly
		}
		add(roleSpec{name: t + "ReadOnly", trust: self, age: 1800, pols: []string{ro}})
		if d == deptEngineering || d == deptData {
			add(roleSpec{name: t + "PowerUser", trust: self, age: 1790, pols: []string{polPowerUser}})
		}
		if d == deptEngineering || d == deptSecurity || d == deptIT {
			add(roleSpec{name: t + "Admin", trust: self, age: 1780, pols: []string{polAdmin}})
		}
		if d == deptData {
			add(roleSpec{name: "DataAnalyst", trust: self, age: 1200, pols: []string{polAthenaFull, "data-data-read"}})
			add(roleSpec{name: "DataEngineer", trust: self, age: 1190, pols: []string{polDataScientist, "data-data-write"}})
		}
		add(roleSpec{name: "AWSReservedSSO_" + t + "Access_" + strings.ToLower(hexID(t+g.a.id, 16)),
			path: "/aws-reserved/sso.amazonaws.com/", trust: g.trustSAML(), age: 1000, pols: []string{ro}})
	}
	for _, ai := range g.a.apps {
		ap := &c.apps[ai]
		t := &c.teams[ap.team]
		tags := []tag{{"app", ap.name}, {"team", t.name}, {"owner", c.email(t.manager)}}
		s := roleSpec{name: "app-" + ap.name, age: ap.created, pols: []string{"app-" + ap.name}, tags: tags}
		switch {
		case ap.runtime == "ec2":
			s.trust, s.profile = trustService("ec2.amazonaws.com"), true
			s.pols = append(s.pols, polSSMCore)
		case ap.runtime == "lambda":
			s.trust = trustService("lambda.amazonaws.com")
			s.pols = append(s.pols, polLambdaBasic)
		case ap.irsa:
			s.trust = g.trustIRSA(t.cluster, t.namespace, ap.name)
			if ai == c.plants.irsaApp {
				s.pols = append(s.pols, polAdmin)
			}
		default:
			continue
		}
		ro, err := g.emitRole(s)
		if err != nil {
			return err
		}
		if ai == c.plants.irsaApp {
			g.plantIRSA(ro, ai)
		}
	}
	for ci := range c.clusters {
		if ci%len(c.accounts) == g.idx {
			add(roleSpec{name: "eks-node-" + c.clusters[ci].name, trust: trustService("ec2.amazonaws.com"), age: 900,
				pols: []string{polEKSWorker, polECRRead, polSSMCore}, profile: true})
		}
	}
	if g.idx > 0 {
		add(roleSpec{name: "OrganizationAccountAccessRole", trust: g.trustAccount(c.accounts[0].id, false),
			age: 2400, pols: []string{polAdmin}})
	}
	if sec := c.securityAccount(); sec != g.idx {
		add(roleSpec{name: "SecurityAuditRole", trust: g.trustAccount(c.accounts[sec].id, false), age: 2000,
			pols: []string{polSecurityAudit}})
	}
	add(roleSpec{name: "BreakGlassAdmin", trust: self, age: 2300, pols: []string{polAdmin}, unused: true})
	add(roleSpec{name: "AWSServiceRoleForSupport", path: "/aws-service-role/support.amazonaws.com/",
		trust: trustService("support.amazonaws.com"), age: 2400, pols: []string{polSupportSvcRole}})
	for _, s := range specs {
		if _, err := g.emitRole(s); err != nil {
			return err
		}
	}
	if g.idx == 0 {
		return g.writePlantRoles()
	}
	return nil
}

// securityAccount is the account whose principals audit every other account.
func (c *company) securityAccount() int {
	for i, a := range c.accounts {
		if a.alias == "security" {
			return i
		}
	}
	return 0
}

func (g *awsGen) writePlantRoles() error {
	c := g.c
	vendor := doc(statement{Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + c.vendorID + ":root"},
		Action:    "sts:AssumeRole",
		Condition: map[string]any{"StringEquals": map[string]any{"sts:ExternalId": hexID("ext"+c.slug, 24)}}})
	if _, err := g.emitRole(roleSpec{name: "MetricsVendorIntegration", trust: vendor, age: 1100,
		pols: []string{polViewOnly, polCloudWatchRead}}); err != nil {
		return err
	}
	star := doc(statement{Effect: "Allow", Principal: map[string]any{"AWS": "*"}, Action: "sts:AssumeRole"})
	ro, err := g.emitRole(roleSpec{name: "partner-uploads", trust: star, age: 1200, pols: []string{"partner-uploads"}})
	if err != nil {
		return err
	}
	g.plantStar(ro)
	ro, err = g.emitRole(roleSpec{name: "VendorAuditAccess", trust: g.trustAccount(c.externalID, false), age: 800,
		pols: []string{polReadOnly}})
	if err != nil {
		return err
	}
	g.plantExternal(ro)
	ro, err = g.emitRole(roleSpec{name: "ops-automation", trust: trustService("lambda.amazonaws.com"), age: 1300,
		pols: []string{polAdmin}})
	if err != nil {
		return err
	}
	g.plantServiceRoleAdmin(ro)
	return nil
}

func (g *awsGen) writePolicies() error {
	names := make([]string, 0, len(g.customer))
	for n := range g.customer {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := g.customer[n]
		arn := g.arn("policy", p.path, n)
		gp := &gaadPolicy{PolicyName: n, PolicyID: awsID("ANPA", arn), Arn: arn, Path: p.path,
			AttachmentCount: g.attach[arn], PermissionsBoundaryUsageCount: g.boundaries[arn], IsAttachable: true,
			CreateDate: ts(p.created), UpdateDate: ts(p.updated), PolicyVersionList: p.versions}
		for _, v := range p.versions {
			if v.IsDefaultVersion {
				gp.DefaultVersionID = v.VersionID
			}
		}
		g.counts.IAMPolicies++
		g.counts.CustomerManagedPolicies++
		if err := g.gw.item(gp); err != nil {
			return fmt.Errorf("policy %s: %w", n, err)
		}
	}
	names = names[:0]
	for n := range awsManagedPolicies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := awsManagedPolicies[n]
		arn := m.arn()
		if g.attach[arn] == 0 && g.boundaries[arn] == 0 {
			continue
		}
		gp := &gaadPolicy{PolicyName: n, PolicyID: awsID("ANPA", arn), Arn: arn, Path: m.path,
			DefaultVersionID: m.version, AttachmentCount: g.attach[arn], PermissionsBoundaryUsageCount: g.boundaries[arn],
			IsAttachable: true, CreateDate: m.created, UpdateDate: m.updated,
			PolicyVersionList: []policyVersion{{Document: m.document, VersionID: m.version, IsDefaultVersion: true,
				CreateDate: m.updated}}}
		g.counts.IAMPolicies++
		if err := g.gw.item(gp); err != nil {
			return fmt.Errorf("policy %s: %w", n, err)
		}
	}
	return nil
}
