package aws

import (
	"sort"
	"strconv"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// builder turns a parsed model into a batch.
type builder struct {
	m  *model
	ev *evaluator
	b  *graph.Batch
	// resIDs holds the target of every ACCESS edge: the resource nodes, and
	// the IAM entities that policies name as resources.
	resIDs map[string]bool
	// launches memoizes launchAllowed by "principal|action".
	launches map[string]launchResult
}

func newBuilder(m *model, opt Options) *builder {
	return &builder{m: m, ev: newEvaluator(opt.Levels, m), b: graph.NewBatch("aws:" + m.account),
		resIDs: map[string]bool{}, launches: map[string]launchResult{}}
}

// RootARN returns the ARN of the root user of account, the node that
// represents the account itself.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// AnyoneID returns the ID of the node standing for every AWS principal, used
// when account's role trust policies allow Principal "*".
func AnyoneID(account string) string { return "aws:" + account + ":anyone" }

// ResourceID returns the ID of the node for every resource of service in
// account ("*" for every service).
func ResourceID(account, service string) string { return "aws:" + account + ":" + service + ":*" }

func (bl *builder) build() (*graph.Batch, error) {
	m, b := bl.m, bl.b
	root := RootARN(m.account)
	b.AddNode(graph.Node{ID: root, Kind: graph.KindAccount, Subkind: SubkindAccount,
		Name: "AWS account " + m.account + " (root user)", Props: map[string]string{"account": m.account}})
	all := bl.resource(grant{action: "*", resource: "*"})
	b.AddEdge(graph.Edge{From: root, To: all, Kind: graph.EdgeAccess, Privilege: graph.PrivAdmin,
		Actions: []string{"*"}, Via: []string{"root user"}})

	for _, arn := range m.order {
		p := m.policies[arn].raw
		props := map[string]string{"policy_id": p.PolicyID, "path": p.Path, "default_version": p.DefaultVersionID,
			"aws_managed": strconv.FormatBool(arnAccount(arn) == "aws")}
		if p.AttachmentCount != nil {
			props["attachment_count"] = strconv.Itoa(*p.AttachmentCount)
		}
		b.AddNode(graph.Node{ID: arn, Kind: graph.KindEntitlement, Subkind: SubkindPolicy, Name: p.PolicyName, Props: props})
	}
	for _, name := range sortedKeys(m.groups) {
		g := m.groups[name]
		b.AddNode(graph.Node{ID: g.Arn, Kind: graph.KindGroup, Subkind: SubkindGroup, Name: g.GroupName,
			Props: map[string]string{"group_id": g.GroupID, "path": g.Path, "create_date": g.CreateDate}})
	}
	for _, u := range m.users {
		props := map[string]string{"user_id": u.UserID, "path": u.Path, "create_date": u.CreateDate}
		if u.PermissionsBoundary != nil {
			props["permissions_boundary"] = u.PermissionsBoundary.PermissionsBoundaryArn
		}
		if len(u.GroupList) > 0 {
			props["groups"] = strings.Join(u.GroupList, ",")
		}
		tagProps(props, u.Tags)
		b.AddNode(graph.Node{ID: u.Arn, Kind: graph.KindAccount, Subkind: SubkindUser, Name: u.UserName, Props: props})
		for _, gn := range u.GroupList {
			b.AddEdge(graph.Edge{From: u.Arn, To: m.groups[gn].Arn, Kind: graph.EdgeMemberOf})
		}
	}
	for _, r := range m.roles {
		props := map[string]string{"role_id": r.RoleID, "path": r.Path, "create_date": r.CreateDate}
		if r.PermissionsBoundary != nil {
			props["permissions_boundary"] = r.PermissionsBoundary.PermissionsBoundaryArn
		}
		if r.RoleLastUsed.LastUsedDate != "" {
			props["last_used"] = r.RoleLastUsed.LastUsedDate
			props["last_used_region"] = r.RoleLastUsed.Region
		}
		var ips []string
		for _, ip := range r.InstanceProfileList {
			ips = append(ips, ip.Arn)
		}
		if len(ips) > 0 {
			props["instance_profiles"] = strings.Join(ips, ",")
		}
		b.AddNode(graph.Node{ID: r.Arn, Kind: graph.KindRole, Subkind: SubkindRole, Name: r.RoleName, Props: props})
	}

	for _, p := range m.princ {
		bl.access(p)
	}
	assume := bl.trust()
	bl.escalations(assume)
	bl.containment()

	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// edgeAcc accumulates the grants of one principal on one resource node.
type edgeAcc struct {
	excepts map[string][]string // action pattern -> its except patterns
	// uncond holds the action patterns some unconditional grant gave.
	uncond map[string]bool
	conds  []string
	via    []string
}

// access adds p's ACCESS edges.
func (bl *builder) access(p *principalInfo) {
	accs := map[string]*edgeAcc{}
	for _, g := range bl.ev.effective(p) {
		id := bl.resource(g)
		acc := accs[id]
		if acc == nil {
			acc = &edgeAcc{excepts: map[string][]string{}, uncond: map[string]bool{}}
			accs[id] = acc
		}
		if old, ok := acc.excepts[g.action]; ok {
			// (A - X1) + (A - X2) = A - (X1 & X2)
			acc.excepts[g.action] = intersectStrings(old, g.except)
		} else {
			acc.excepts[g.action] = g.except
		}
		if len(g.conds) == 0 {
			acc.uncond[g.action] = true
		}
		acc.conds = append(acc.conds, g.conds...)
		acc.via = append(acc.via, g.via...)
	}
	for _, id := range sortedKeys(accs) {
		acc := accs[id]
		var actions, excluded, conditional []string
		priv := graph.PrivNone
		for _, a := range sortedKeys(acc.excepts) {
			if bl.covered(a, acc.excepts) {
				continue
			}
			actions = append(actions, a)
			if !acc.uncond[a] {
				conditional = append(conditional, a)
			}
			excluded = append(excluded, acc.excepts[a]...)
			if l := bl.ev.level(a, acc.excepts[a]); l > priv {
				priv = l
			}
		}
		e := graph.Edge{From: p.arn, To: id, Kind: graph.EdgeAccess, Privilege: priv,
			Actions: actions, Conditions: acc.conds, Via: acc.via}
		if len(excluded) > 0 || (len(conditional) > 0 && len(conditional) < len(actions)) {
			e.Props = map[string]string{}
		}
		if len(excluded) > 0 {
			sort.Strings(excluded)
			e.Props["excluded_actions"] = strings.Join(dedupe(excluded), ",")
		}
		if len(conditional) > 0 && len(conditional) < len(actions) {
			// The edge's Conditions restrict only these actions.
			e.Props["conditional_actions"] = strings.Join(conditional, ",")
		}
		bl.b.AddEdge(e)
	}
}

// covered reports whether another pattern without exceptions already names
// every action of a.
func (bl *builder) covered(a string, excepts map[string][]string) bool {
	for q, ex := range excepts {
		if q == a || len(ex) > 0 || !matchAction(q, a) {
			continue
		}
		if matchAction(a, q) && a < q { // equal up to case: keep the first
			continue
		}
		return true
	}
	return false
}

func intersectStrings(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if in[s] {
			out = append(out, s)
		}
	}
	return out
}

// resource adds the resource node for g and returns its ID.
func (bl *builder) resource(g grant) string {
	id := bl.resourceNode(g)
	bl.resIDs[id] = true
	return id
}

func (bl *builder) resourceNode(g grant) string {
	svc := actionService(g.action)
	if g.resource == "*" {
		id := ResourceID(bl.m.account, svc)
		name := "all " + svc + " resources"
		if svc == "*" {
			name = "all resources"
		}
		bl.b.AddNode(graph.Node{ID: id, Kind: graph.KindResource, Subkind: SubkindResource, Name: name,
			Sensitivity: sensitivity(svc), Props: map[string]string{"service": svc, "account": bl.m.account}})
		return id
	}
	if n, ok := bl.b.Node(g.resource); ok && n.Kind != graph.KindResource {
		// The ARN is an entity of the export (a role one may pass, a user one
		// may create keys for, a policy one may edit): the edge points at it
		// and its kind is kept.
		return g.resource
	}
	if kind, subkind, ok := iamPrincipalARN(g.resource); ok {
		// A role or user this export does not hold (another account's, or
		// one deleted): a stub of the kind its ARN names, so that the
		// owning account's sync, whichever runs last, keeps its node and
		// edges, and the principal is never mistaken for a resource.
		bl.b.AddNode(graph.Node{ID: g.resource, Kind: kind, Subkind: subkind, Name: lastSegment(g.resource),
			Props: map[string]string{graph.PropStub: "true"}})
		return g.resource
	}
	if s := arnService(g.resource); s != "" {
		svc = s
	}
	props := map[string]string{"service": svc}
	if hasWildcard(g.resource) {
		props["pattern"] = "true"
	}
	bl.b.AddNode(graph.Node{ID: g.resource, Kind: graph.KindResource, Subkind: SubkindResource, Name: g.resource,
		Sensitivity: sensitivity(svc), Props: props})
	return g.resource
}

// iamPrincipalARN reports whether arn names one IAM role or user (no
// wildcard), and the kind of its node.
func iamPrincipalARN(arn string) (graph.Kind, string, bool) {
	if hasWildcard(arn) || !strings.HasPrefix(arn, "arn:") || arnService(arn) != "iam" {
		return graph.KindUnknown, "", false
	}
	switch {
	case strings.Contains(arn, ":role/"):
		return graph.KindRole, SubkindRole, true
	case strings.Contains(arn, ":user/"):
		return graph.KindAccount, SubkindUser, true
	}
	return graph.KindUnknown, "", false
}

// sensitivities rates services by the damage their resources allow:
// identity, keys, secrets and the organization are critical; data stores,
// compute and configuration are high; monitoring and messaging are medium;
// everything else is low. Unknown services are medium.
var sensitivities = map[string]graph.Sensitivity{
	"*": graph.SensCritical, "iam": graph.SensCritical, "sts": graph.SensCritical, "kms": graph.SensCritical,
	"secretsmanager": graph.SensCritical, "organizations": graph.SensCritical, "account": graph.SensCritical,
	"sso": graph.SensCritical, "identitystore": graph.SensCritical, "cloudhsm": graph.SensCritical,

	"s3": graph.SensHigh, "rds": graph.SensHigh, "dynamodb": graph.SensHigh, "ssm": graph.SensHigh,
	"lambda": graph.SensHigh, "ec2": graph.SensHigh, "ecr": graph.SensHigh, "ecs": graph.SensHigh,
	"eks": graph.SensHigh, "cloudformation": graph.SensHigh, "cloudtrail": graph.SensHigh,
	"redshift": graph.SensHigh, "elasticfilesystem": graph.SensHigh, "backup": graph.SensHigh,
	"glacier": graph.SensHigh, "codecommit": graph.SensHigh, "ds": graph.SensHigh, "route53": graph.SensHigh,
	"acm": graph.SensHigh, "config": graph.SensHigh, "guardduty": graph.SensHigh,

	"cloudwatch": graph.SensMedium, "logs": graph.SensMedium, "sns": graph.SensMedium, "sqs": graph.SensMedium,
	"events": graph.SensMedium, "kinesis": graph.SensMedium, "ses": graph.SensMedium, "codedeploy": graph.SensMedium,
	"elasticloadbalancing": graph.SensMedium, "autoscaling": graph.SensMedium, "application-autoscaling": graph.SensMedium,

	"tag": graph.SensLow, "xray": graph.SensLow, "pi": graph.SensLow, "health": graph.SensLow,
	"support": graph.SensLow, "trustedadvisor": graph.SensLow, "aws-portal": graph.SensLow,
	"cognito-sync": graph.SensLow, "codestar-notifications": graph.SensLow,
}

func sensitivity(service string) graph.Sensitivity {
	if s, ok := sensitivities[strings.ToLower(service)]; ok {
		return s
	}
	if hasWildcard(service) {
		return graph.SensCritical
	}
	return graph.SensMedium
}

// identityTags maps IAM tag keys (compared case-insensitively, ignoring - and
// _) that name the person behind a user to identity keys.
var identityTags = map[string]string{
	"email": graph.PropEmail, "mail": graph.PropEmail, "owneremail": graph.PropEmail,
	"employeeid": graph.PropEmployeeID, "employeenumber": graph.PropEmployeeID,
	"onbehalfof": graph.PropOnBehalfOf,
}

// tagProps copies a user's tags into props as "tag:<key>", and the tags that
// name a person into identity keys, so identity resolution can link the IAM
// user to the same person's accounts elsewhere.
func tagProps(props map[string]string, tags []tag) {
	for _, t := range tags {
		props["tag:"+t.Key] = t.Value
		k := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(t.Key))
		if p, ok := identityTags[k]; ok && strings.TrimSpace(t.Value) != "" {
			v := strings.TrimSpace(t.Value)
			if p != graph.PropEmployeeID {
				v = strings.ToLower(v)
			}
			props[p] = v
		}
	}
}
