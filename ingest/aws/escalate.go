package aws

import (
	"github.com/accessgraph/accessgraph/graph"
)

// takeover is one IAM action that lets its holder act as the target.
type takeover struct {
	action string
	// target is "user", "role" or "group".
	target string
	// serviceTrusted limits role targets to roles that an AWS service may
	// assume: passing a role only helps if a service will run as it.
	serviceTrusted bool
	// usersOnly limits the holder to users: only a user can join a group.
	usersOnly bool
}

// takeovers is the escalation table: holding the action on the target's ARN
// gives an ESCALATES edge holder -> target.
var takeovers = []takeover{
	{action: "iam:PassRole", target: "role", serviceTrusted: true},
	{action: "iam:UpdateAssumeRolePolicy", target: "role"},
	{action: "iam:CreateAccessKey", target: "user"},
	{action: "iam:CreateLoginProfile", target: "user"},
	{action: "iam:UpdateLoginProfile", target: "user"},
	{action: "iam:AddUserToGroup", target: "group", usersOnly: true},
}

// escalations adds ESCALATES edges for the takeovers each principal's
// effective permissions allow, except where it can already assume the
// target.
func (bl *builder) escalations(assume map[string]bool) {
	type target struct {
		arn, kind      string
		serviceTrusted bool
	}
	var targets []target
	for _, u := range bl.m.users {
		targets = append(targets, target{arn: u.Arn, kind: "user"})
	}
	for _, g := range sortedKeys(bl.m.groups) {
		targets = append(targets, target{arn: bl.m.groups[g].Arn, kind: "group"})
	}
	for _, r := range bl.m.roles {
		targets = append(targets, target{arn: r.Arn, kind: "role", serviceTrusted: trustsService(bl.m.trusts[r.Arn])})
	}
	for _, p := range bl.m.princ {
		holds := false
		for _, tk := range takeovers {
			holds = holds || p.mayAct(tk.action)
		}
		if !holds {
			continue
		}
		for _, t := range targets {
			if t.arn == p.arn || assume[p.arn+"|"+t.arn] {
				continue
			}
			for _, tk := range takeovers {
				if tk.target != t.kind || (tk.serviceTrusted && !t.serviceTrusted) || (tk.usersOnly && p.isRole) {
					continue
				}
				ok, via, conds := allowed(p, tk.action, t.arn)
				if !ok {
					continue
				}
				bl.b.AddEdge(graph.Edge{From: p.arn, To: t.arn, Kind: graph.EdgeEscalates, Privilege: graph.PrivAdmin,
					Actions: []string{tk.action}, Conditions: conds, Via: via})
			}
		}
	}
}

// trustsService reports whether a trust policy lets some AWS service assume
// the role.
func trustsService(doc *policyDoc) bool {
	for i := range doc.statements {
		st := &doc.statements[i]
		if !st.allow || st.notPrincipal || !namesAssume(st) {
			continue
		}
		for _, p := range st.principals {
			if p.Type == "Service" {
				return true
			}
		}
	}
	return false
}
