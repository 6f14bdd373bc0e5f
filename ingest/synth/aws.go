package synth

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"
)

// credentialReportHeader is the header line of the IAM credential report.
var credentialReportHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

const staleAfter = 180 * 24 * time.Hour

// customerPolicy is a customer managed policy of one account.
type customerPolicy struct {
	name     string
	path     string
	versions []policyVersion
	created  time.Time
	updated  time.Time
}

// accessKey is one access key slot of a user.
type accessKey struct {
	present bool
	active  bool
	rotated time.Time
	used    time.Time // zero: never used
	region  string
	service string
}

// login is the credential state of one IAM user, as the credential report shows it.
type login struct {
	password     bool
	passwordUsed time.Time // zero: no_information
	passwordSet  time.Time
	mfa          bool
	keys         [2]accessKey
}

// awsGen writes the two exports of one account.
type awsGen struct {
	c        *company
	idx      int
	a        *account
	r        *rand.Rand
	gw       *objWriter
	cw       *csv.Writer
	gaadPath string
	credPath string
	counts   *Counts
	plants   []Plant

	customer   map[string]*customerPolicy
	attach     map[string]int // policy ARN -> attachments
	boundaries map[string]int // policy ARN -> uses as permissions boundary
	created    time.Time      // account creation

	staleKeyArn string // the stale-access-key plant's user, listed by plantStaleKey
}

func (g *awsGen) acct() string { return g.a.id }

func (g *awsGen) arn(kind, path, name string) string {
	return "arn:aws:iam::" + g.a.id + ":" + kind + path + name
}

func (g *awsGen) source() string { return "aws:" + g.a.id }

func (g *awsGen) policyArn(name string) string {
	if m, ok := awsManagedPolicies[name]; ok {
		return m.arn()
	}
	p, ok := g.customer[name]
	if !ok {
		panic("synth: unknown policy " + name)
	}
	return g.arn("policy", p.path, name)
}

func (g *awsGen) attached(names ...string) []attachedPolicy {
	out := make([]attachedPolicy, 0, len(names))
	for _, n := range names {
		a := g.policyArn(n)
		g.attach[a]++
		out = append(out, attachedPolicy{PolicyName: n, PolicyArn: a})
	}
	return out
}

func bucketArns(bucket string) []string {
	return []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"}
}

func (c *company) deptBucket(d int) string { return c.slug + "-" + departments[d] + "-data" }

// generateAWS writes the GAAD JSON and credential report of account idx.
func (c *company) generateAWS(dir string, idx int, counts *Counts) ([]Plant, error) {
	a := &c.accounts[idx]
	g := &awsGen{
		c: c, idx: idx, a: a, r: rngFor(c.opt.Seed, "aws", idx), counts: counts,
		gaadPath:   "aws/" + a.id + "-authorization-details.json",
		credPath:   "aws/" + a.id + "-credential-report.csv",
		customer:   map[string]*customerPolicy{},
		attach:     map[string]int{},
		boundaries: map[string]int{},
		created:    c.daysAgo(int32(2500+idx*20), idx),
	}
	gf, err := os.Create(dir + "/" + g.gaadPath)
	if err != nil {
		return nil, fmt.Errorf("create gaad: %w", err)
	}
	defer gf.Close()
	cf, err := os.Create(dir + "/" + g.credPath)
	if err != nil {
		return nil, fmt.Errorf("create credential report: %w", err)
	}
	defer cf.Close()
	gb := bufio.NewWriterSize(gf, 1<<20)
	cb := bufio.NewWriterSize(cf, 1<<18)
	g.gw = newObjWriter(gb)
	g.cw = csv.NewWriter(cb)

	g.defineCustomerPolicies()
	if err := g.writeAll(); err != nil {
		return nil, fmt.Errorf("account %s: %w", a.id, err)
	}
	g.cw.Flush()
	if err := g.cw.Error(); err != nil {
		return nil, fmt.Errorf("write %s: %w", g.credPath, err)
	}
	if err := gb.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", g.gaadPath, err)
	}
	if err := cb.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", g.credPath, err)
	}
	if err := gf.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", g.gaadPath, err)
	}
	if err := cf.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", g.credPath, err)
	}
	return g.plants, nil
}

func (g *awsGen) writeAll() error {
	if err := g.cw.Write(credentialReportHeader); err != nil {
		return fmt.Errorf("write %s: %w", g.credPath, err)
	}
	if err := g.writeRootRow(); err != nil {
		return err
	}

	g.gw.list("UserDetailList")
	if err := g.writeUsers(); err != nil {
		return err
	}
	g.gw.end()

	g.gw.list("GroupDetailList")
	if err := g.writeGroups(); err != nil {
		return err
	}
	g.gw.end()

	g.gw.list("RoleDetailList")
	if err := g.writeRoles(); err != nil {
		return err
	}
	g.gw.end()

	g.gw.list("Policies")
	if err := g.writePolicies(); err != nil {
		return err
	}
	g.gw.end()
	g.gw.close()
	return nil
}

// defineCustomerPolicies creates the account's customer managed policies.
func (g *awsGen) defineCustomerPolicies() {
	c := g.c
	add := func(name, path string, age int32, docs ...policyDoc) {
		p := &customerPolicy{name: name, path: path, created: c.daysAgo(age, len(name))}
		for i, d := range docs {
			at := p.created.AddDate(0, 0, i*int(age)/(len(docs)+1))
			p.versions = append(p.versions, policyVersion{Document: d, VersionID: "v" + strconv.Itoa(i+1),
				IsDefaultVersion: i == len(docs)-1, CreateDate: ts(at)})
			p.updated = at
		}
		// Newest version first, as IAM lists them.
		slices.Reverse(p.versions)
		g.customer[name] = p
	}
	for _, d := range g.depts() {
		b := bucketArns(c.deptBucket(d))
		add(departments[d]+"-data-read", "/", 900, doc(
			allow([]string{"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}, b)))
		add(departments[d]+"-data-write", "/", 880, doc(
			allow([]string{"s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, b)))
	}
	for _, ai := range g.a.apps {
		ap := &c.apps[ai]
		if ap.runtime == "platform" {
			continue
		}
		region := regions[ai%len(regions)]
		add("app-"+ap.name, "/apps/", ap.created, doc(
			allow([]string{"s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, bucketArns(ap.bucket)),
			allow([]string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
				"dynamodb:UpdateItem"}, "arn:aws:dynamodb:"+region+":"+g.acct()+":table/"+ap.name+"-*"),
			allow([]string{"sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage"},
				"arn:aws:sqs:"+region+":"+g.acct()+":"+ap.name+"-*"),
			allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:"+region+":"+g.acct()+":secret:"+ap.name+"/*"),
		))
	}
	if g.idx == c.people[c.plants.boundary].teamAccount(c) {
		add("boundary-data-readonly", "/boundaries/", 300, doc(
			allow([]string{"s3:GetObject", "s3:ListBucket"}, bucketArns(c.deptBucket(deptData)))))
	}
	if g.idx == c.people[c.plants.finance].teamAccount(c) {
		// v1 (not default) was broad; v2 (default) is scoped. Only v2 applies.
		add(c.slug+"-finance-reports", "/", 700,
			doc(allow("s3:*", "*")),
			doc(allow([]string{"s3:GetObject", "s3:ListBucket"}, bucketArns(c.slug+"-finance-reports"))))
	}
	if g.idx == c.people[c.plants.toxic].teamAccount(c) {
		add("secrets-rotation", "/", 600, doc(
			allow([]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
				"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret"},
				"arn:aws:secretsmanager:*:"+g.acct()+":secret:*")))
		add("iam-user-provisioning", "/", 500, doc(
			allow([]string{"iam:AttachUserPolicy", "iam:CreateAccessKey", "iam:CreateUser", "iam:PutUserPolicy"},
				"arn:aws:iam::"+g.acct()+":user/*")))
	}
	if g.idx == 0 {
		add("partner-uploads", "/", 1200, doc(
			allow([]string{"s3:GetObject", "s3:ListBucket", "s3:PutObject"}, bucketArns(c.slug+"-partner-uploads"))))
	}
}

// depts lists the departments with a team homed in this account, in order.
func (g *awsGen) depts() []int {
	seen := make([]bool, len(departments))
	for _, ti := range g.a.teams {
		seen[g.c.teams[ti].dept] = true
	}
	var out []int
	for d, ok := range seen {
		if ok {
			out = append(out, d)
		}
	}
	return out
}

func (p *person) teamAccount(c *company) int { return c.teams[p.team].account }

func (g *awsGen) writeRootRow() error {
	g.counts.CredentialReportRows++
	na := "N/A"
	return g.cw.Write([]string{"<root_account>", "arn:aws:iam::" + g.acct() + ":root", ts(g.created),
		"not_supported", ts(g.c.daysAgo(int32(40+g.r.IntN(300)), g.idx)), "not_supported", "not_supported",
		"true", "false", na, na, na, na, "false", na, na, na, na, "false", na, "false", na})
}

// emitUser writes one user to both exports and updates the counts.
func (g *awsGen) emitUser(u *gaadUser, l *login) error {
	if err := g.gw.item(u); err != nil {
		return fmt.Errorf("user %s: %w", u.UserName, err)
	}
	g.counts.IAMUsers++
	g.counts.CredentialReportRows++
	na := "N/A"
	row := make([]string, 0, len(credentialReportHeader))
	row = append(row, u.UserName, u.Arn, u.CreateDate)
	if l.password {
		used := "no_information"
		if !l.passwordUsed.IsZero() {
			used = ts(l.passwordUsed)
		}
		row = append(row, "true", used, ts(l.passwordSet), na)
	} else {
		row = append(row, "false", na, na, na)
	}
	row = append(row, strconv.FormatBool(l.mfa))
	if l.password && !l.mfa {
		g.counts.UsersWithoutMFA++
	}
	hasCred := l.password
	latest := l.passwordUsed
	for _, k := range l.keys {
		if !k.present {
			row = append(row, "false", na, na, na, na)
			continue
		}
		if k.active {
			g.counts.ActiveAccessKeys++
			hasCred = true
			if k.used.After(latest) {
				latest = k.used
			}
		}
		if k.used.IsZero() {
			row = append(row, strconv.FormatBool(k.active), ts(k.rotated), na, na, na)
		} else {
			row = append(row, strconv.FormatBool(k.active), ts(k.rotated), ts(k.used), k.region, k.service)
		}
	}
	row = append(row, "false", na, "false", na)
	g.forgotten(u, l)
	if hasCred {
		now := g.c.opt.Now
		created, _ := time.Parse(timeLayout, u.CreateDate)
		if (latest.IsZero() && now.Sub(created) > staleAfter) || (!latest.IsZero() && now.Sub(latest) > staleAfter) {
			g.counts.StaleUsers++
		}
	}
	return g.cw.Write(row)
}

// heavyDays draws a heavy-tailed age in days (lognormal, median m).
func heavyDays(r *rand.Rand, median float64) int32 {
	return int32(median * math.Exp(r.NormFloat64()*0.9))
}

// key makes an access key rotated rotDays ago and last used useDays ago
// (useDays < 0: never used).
func (g *awsGen) key(active bool, rotDays, useDays int32, salt int) accessKey {
	k := accessKey{present: true, active: active, rotated: g.c.daysAgo(rotDays, salt)}
	if useDays >= 0 {
		useDays = min(useDays, rotDays)
		k.used = g.c.daysAgo(useDays, salt+1)
		if k.used.Before(k.rotated) {
			k.used = k.rotated.Add(time.Hour)
		}
		k.region = regions[g.r.IntN(len(regions))]
		k.service = keyServices[g.r.IntN(len(keyServices))]
	}
	return k
}

func (g *awsGen) writeUsers() error {
	c := g.c
	for _, ti := range g.a.teams {
		for _, pi := range c.teams[ti].members {
			p := &c.people[pi]
			if !p.hasIAM {
				continue
			}
			// Most offboarded people's users were deleted; some were left behind.
			if p.offboarded && pi != c.plants.offboarded && g.r.Float64() < 0.65 {
				continue
			}
			u, l := g.humanUser(pi)
			if err := g.emitUser(u, l); err != nil {
				return err
			}
			g.counts.IAMHumanUsers++
		}
	}
	for _, ai := range g.a.apps {
		if !c.apps[ai].iamUser {
			continue
		}
		u, l := g.serviceUser(ai)
		if err := g.emitUser(u, l); err != nil {
			return err
		}
		g.counts.IAMServiceUsers++
	}
	for _, gi := range g.a.agents {
		u, l := g.agentUser(gi)
		if err := g.emitUser(u, l); err != nil {
			return err
		}
		g.counts.IAMAgentUsers++
	}
	return nil
}

func (g *awsGen) humanUser(pi int32) (*gaadUser, *login) {
	c, r := g.c, g.r
	p := &c.people[pi]
	t := &c.teams[p.team]
	name := c.local(pi)
	u := &gaadUser{Path: "/", UserName: name, Arn: g.arn("user", "/", name),
		UserPolicyList: []inlinePolicy{}, AttachedManagedPolicies: []attachedPolicy{}}
	u.UserID = awsID("AIDA", u.Arn)
	createdDays := max(p.hireDays-int32(r.IntN(5)), 1)
	u.CreateDate = ts(c.daysAgo(createdDays, int(pi)))
	u.GroupList = []string{"dept-" + departments[p.dept], "team-" + t.name}
	u.Tags = []tag{{"email", c.email(pi)}, {"department", departments[p.dept]}, {"team", t.name}}

	plant := pi == c.plants.offboarded || pi == c.plants.inlineAdmin || pi == c.plants.denyS3 ||
		pi == c.plants.boundary || pi == c.plants.noMFAAdmin || pi == c.plants.finance ||
		pi == c.plants.toxic || pi == c.plants.staleKey
	switch {
	case p.dept == deptIT && p.level == 3:
		u.GroupList = append(u.GroupList, "admins", "break-glass")
	case p.dept == deptSecurity:
		u.GroupList = append(u.GroupList, "readonly-auditors")
	case p.dept == deptFinance && p.level == 3:
		u.GroupList = append(u.GroupList, "billing-admins")
	case p.dept == deptEngineering && !plant && r.Float64() < 0.1:
		u.GroupList = append(u.GroupList, "legacy-developers")
	}
	if !plant && r.Float64() < 0.04 {
		extra := []string{polS3Read, polIAMRead, polEC2Full, polDynamoRead, polCloudWatchRead}
		u.AttachedManagedPolicies = g.attached(extra[r.IntN(len(extra))])
	}
	if !plant && r.Float64() < 0.02 {
		u.UserPolicyList = append(u.UserPolicyList, inlinePolicy{PolicyName: "sandbox-bucket",
			PolicyDocument: doc(allow("s3:*", bucketArns(c.slug+"-sandbox-"+name)))})
	}

	// Credentials.
	l := &login{password: r.Float64() < 0.9}
	l.mfa = l.password && r.Float64() < 0.85
	var lastDays int32
	switch {
	case p.offboarded:
		lastDays = min(p.termDays+int32(r.IntN(30)), createdDays)
	case r.Float64() < 0.08:
		lastDays = min(181+int32(r.IntN(700)), createdDays)
	default:
		lastDays = min(int32(r.ExpFloat64()*4), createdDays)
	}
	if l.password {
		l.passwordSet = c.daysAgo(min(createdDays, lastDays+int32(r.IntN(400))), int(pi)+3)
		if r.Float64() > 0.03 {
			l.passwordUsed = c.daysAgo(lastDays, int(pi)+5)
		}
	}
	keyShare := 0.08
	if p.dept == deptEngineering || p.dept == deptData || p.dept == deptIT || p.dept == deptSecurity {
		keyShare = 0.35
	}
	if r.Float64() < keyShare {
		rot := min(lastDays+heavyDays(r, 150), createdDays)
		l.keys[0] = g.key(true, rot, lastDays+int32(r.IntN(3)), int(pi)+7)
		if r.Float64() < 0.15 {
			l.keys[1] = g.key(r.Float64() < 0.5, min(rot+heavyDays(r, 200), createdDays), lastDays+30, int(pi)+9)
		}
	}

	switch pi {
	case c.plants.offboarded:
		l.password, l.mfa = false, false
		l.passwordUsed, l.passwordSet = time.Time{}, time.Time{}
		k := accessKey{present: true, active: true, rotated: c.daysAgo(900, 1), used: c.daysAgo(400, 0),
			region: "us-east-1", service: "s3"}
		l.keys = [2]accessKey{k, {}}
		g.plantOffboarded(u, pi)
	case c.plants.inlineAdmin:
		u.UserPolicyList = append(u.UserPolicyList, inlinePolicy{PolicyName: "iam-admin",
			PolicyDocument: doc(allow("iam:*", "*"))})
		g.plantInlineAdmin(u, pi)
	case c.plants.denyS3:
		u.GroupList = append(u.GroupList, "admins")
		u.UserPolicyList = append(u.UserPolicyList, inlinePolicy{PolicyName: "deny-s3",
			PolicyDocument: doc(statement{Sid: "DenyAllS3", Effect: "Deny", Action: "s3:*", Resource: "*"})})
		g.plantDenyS3(u, pi)
	case c.plants.boundary:
		u.AttachedManagedPolicies = g.attached(polAdmin)
		b := g.policyArn("boundary-data-readonly")
		g.boundaries[b]++
		u.PermissionsBoundary = &permissionsBoundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: b}
		g.plantBoundary(u, pi)
	case c.plants.noMFAAdmin:
		u.GroupList = append(u.GroupList, "admins")
		l.password, l.mfa = true, false
		l.passwordSet = c.daysAgo(min(createdDays, 200), 2)
		l.passwordUsed = c.daysAgo(1, 3)
		g.plantNoMFA(u, pi)
	case c.plants.finance:
		g.plantFinance(u, pi)
	case c.plants.toxic:
		u.GroupList = append(u.GroupList, "secrets-operators", "iam-provisioners")
		g.plantToxic(u, pi)
	case c.plants.staleKey:
		l.password, l.mfa = true, true
		l.passwordSet = c.daysAgo(min(createdDays, 120), 4)
		l.passwordUsed = c.daysAgo(0, 5)
		k := accessKey{present: true, active: true, rotated: c.daysAgo(min(createdDays, 1100), 6),
			used: c.daysAgo(min(createdDays, 400), 7), region: "eu-west-1", service: "s3"}
		l.keys = [2]accessKey{k, {}}
		g.plantStaleKey(u, pi, k)
	}
	// Members of the admin groups sign in with MFA (an account policy
	// requires it); the one admin without is the plant above.
	if !plant && l.password && !l.mfa && slices.ContainsFunc(u.GroupList, func(gr string) bool {
		return gr == "admins" || gr == "legacy-developers" || gr == "break-glass"
	}) {
		l.mfa = true
	}
	if p.offboarded && pi != c.plants.offboarded && (l.password || l.keys[0].active || l.keys[1].active) {
		g.plantOffboardedUser(u, pi, l)
	}
	return u, l
}

func (g *awsGen) serviceUser(ai int) (*gaadUser, *login) {
	c, r := g.c, g.r
	ap := &c.apps[ai]
	t := &c.teams[ap.team]
	name := "svc-" + ap.name
	u := &gaadUser{Path: "/service/", UserName: name, Arn: g.arn("user", "/service/", name),
		UserPolicyList: []inlinePolicy{}, GroupList: []string{}, AttachedManagedPolicies: []attachedPolicy{}}
	u.UserID = awsID("AIDA", u.Arn)
	u.CreateDate = ts(c.daysAgo(ap.created, ai))
	u.Tags = []tag{{"owner", c.email(t.manager)}, {"team", t.name}, {"app", ap.name}}
	switch ap.name {
	case "ci-deployer":
		u.UserPolicyList = append(u.UserPolicyList, inlinePolicy{PolicyName: "ci-deploy", PolicyDocument: doc(
			allow([]string{"ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:GetAuthorizationToken",
				"ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart", "eks:DescribeCluster"}, "*"),
			allow([]string{"lambda:CreateFunction", "lambda:InvokeFunction", "lambda:UpdateFunctionCode"}, "*"),
			allow("iam:PassRole", "*"))})
		g.plantPassRole(u)
	case "terraform":
		u.AttachedManagedPolicies = g.attached(polAdmin)
		g.plantServiceUserAdmin(u)
	case "backup":
		u.AttachedManagedPolicies = g.attached(polS3Read, polDynamoRead)
	default:
		u.AttachedManagedPolicies = g.attached("app-" + ap.name)
	}
	l := &login{}
	rot := min(heavyDays(r, 200), ap.created)
	use := int32(r.IntN(3))
	if r.Float64() < 0.1 {
		use = min(200+int32(r.IntN(400)), rot)
	}
	if r.Float64() < 0.03 {
		use = -1
	}
	l.keys[0] = g.key(true, rot, use, ai)
	if r.Float64() < 0.25 {
		old := min(rot+heavyDays(r, 300), ap.created)
		l.keys[1] = g.key(r.Float64() < 0.5, old, min(use+int32(r.IntN(200)), old), ai+1)
	}
	return u, l
}

func (g *awsGen) agentUser(gi int) (*gaadUser, *login) {
	c, r := g.c, g.r
	ag := &c.agents[gi]
	p := &c.people[ag.person]
	t := &c.teams[p.team]
	u := &gaadUser{Path: "/agents/", UserName: ag.name, Arn: g.arn("user", "/agents/", ag.name),
		UserPolicyList: []inlinePolicy{}, GroupList: []string{}, AttachedManagedPolicies: []attachedPolicy{}}
	u.UserID = awsID("AIDA", u.Arn)
	u.CreateDate = ts(c.daysAgo(ag.created, gi))
	u.Tags = []tag{{"on-behalf-of", c.email(ag.person)}, {"agent-kind", "ai"}, {"team", t.name}}
	res := bucketArns(c.deptBucket(int(p.dept)))
	for _, ai := range t.apps {
		res = append(res, bucketArns(c.apps[ai].bucket)...)
	}
	u.UserPolicyList = append(u.UserPolicyList, inlinePolicy{PolicyName: "agent-scope", PolicyDocument: doc(
		allow([]string{"s3:GetObject", "s3:ListBucket"}, res),
		allow([]string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}, "*"))})
	if gi == 0 {
		u.AttachedManagedPolicies = g.attached(polSecretsRW)
		g.plantAgent(u, ag)
	}
	l := &login{}
	l.keys[0] = g.key(true, min(heavyDays(r, 30), ag.created), int32(r.IntN(2)), gi)
	return u, l
}
