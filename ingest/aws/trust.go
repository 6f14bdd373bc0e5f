package aws

import (
	"regexp"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// The STS actions that assume a role. Which one a trust statement must name
// depends on its principal (see assumeAction); sts:TagSession,
// sts:SetSourceIdentity and the like only accompany one of them and grant
// nothing alone.
const (
	actAssumeRole        = "sts:AssumeRole"
	actAssumeSAML        = "sts:AssumeRoleWithSAML"
	actAssumeWebIdentity = "sts:AssumeRoleWithWebIdentity"
)

var samlProvider = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:saml-provider/`)

// assumeAction returns the STS action with which principal p assumes a role:
// sts:AssumeRoleWithSAML for a SAML provider, sts:AssumeRoleWithWebIdentity
// for any other federated provider (an IAM OIDC provider, Cognito, Google,
// Facebook, Login with Amazon), and sts:AssumeRole for AWS principals (ARNs,
// accounts, "*") and services.
func assumeAction(p principal) string {
	switch {
	case p.Type == "Federated" && samlProvider.MatchString(p.ID):
		return actAssumeSAML
	case p.Type == "Federated":
		return actAssumeWebIdentity
	}
	return actAssumeRole
}

// namesAction reports whether st's Action (or NotAction) element covers
// action.
func (s *statement) namesAction(action string) bool {
	return matchesAny(s.actions, action, matchAction) != s.notAction
}

// candidate is a principal that a trust policy lets assume a role.
type candidate struct {
	id      string
	account string // "" for services and federated providers
	action  string // the STS action it assumes the role with
	conds   []string
	via     []string
}

// trust adds the CAN_ASSUME edges of every role's trust policy and returns
// them as a set of "from|to" keys.
func (bl *builder) trust() map[string]bool {
	done := map[string]bool{}
	for _, r := range bl.m.roles {
		doc := bl.m.trusts[r.Arn]
		via := "trust/" + r.RoleName
		cands := map[string]*candidate{}
		var order []string
		add := func(c *candidate) {
			if c.id == r.Arn {
				return
			}
			if old, ok := cands[c.id]; ok {
				old.conds = append(old.conds, c.conds...)
				old.via = append(old.via, c.via...)
				return
			}
			cands[c.id] = c
			order = append(order, c.id)
		}
		for i := range doc.statements {
			st := &doc.statements[i]
			if !st.allow {
				continue
			}
			var conds []string
			if st.condition != "" {
				conds = []string{st.condition}
			}
			if st.notPrincipal {
				// Allow with NotPrincipal trusts every AWS principal but
				// the listed ones.
				if st.namesAction(actAssumeRole) {
					bl.anyone(r.Arn)
					add(&candidate{id: AnyoneID(bl.m.account), action: actAssumeRole,
						conds: append(conds, st.render()), via: []string{via}})
				}
				continue
			}
			for _, p := range st.principals {
				act := assumeAction(p)
				if !st.namesAction(act) {
					continue
				}
				for _, c := range bl.resolve(p, r.Arn, via) {
					c.action = act
					c.conds = append(c.conds, conds...)
					add(c)
				}
			}
		}
		for i := range doc.statements {
			st := &doc.statements[i]
			if st.allow {
				continue
			}
			for id, c := range cands {
				if !st.namesAction(c.action) || !denyNames(st, c) {
					continue
				}
				if st.condition != "" {
					c.conds = append(c.conds, st.render())
					continue
				}
				delete(cands, id)
			}
		}
		for _, id := range order {
			c, ok := cands[id]
			if !ok {
				continue
			}
			bl.b.AddEdge(graph.Edge{From: c.id, To: r.Arn, Kind: graph.EdgeCanAssume, Conditions: c.conds, Via: c.via})
			done[c.id+"|"+r.Arn] = true
		}
	}
	return done
}

// denyNames reports whether a Deny trust statement names candidate c.
func denyNames(st *statement, c *candidate) bool {
	named := false
	for _, p := range st.principals {
		switch {
		case p.Type == "AWS" && p.ID == "*":
			named = true
		case p.Type == "AWS" && (isAccountID(p.ID) || strings.HasSuffix(p.ID, ":root")):
			acct := p.ID
			if !isAccountID(acct) {
				acct = arnAccount(p.ID)
			}
			named = named || c.account == acct
		case p.Type == "AWS":
			named = named || principalID(p.ID) == c.id
		case p.Type == "Service":
			named = named || "aws:service:"+p.ID == c.id
		case p.Type == "Federated":
			named = named || "aws:federated:"+p.ID == c.id
		}
	}
	return named != st.notPrincipal
}

// anyone adds the node for every AWS principal and flags role as open.
func (bl *builder) anyone(role string) {
	bl.b.AddNode(graph.Node{ID: AnyoneID(bl.m.account), Kind: graph.KindIdentity, Subkind: SubkindAnyone,
		Name: "anyone (any AWS principal)"})
	bl.b.AddNode(graph.Node{ID: role, Props: map[string]string{"open_trust": "true"}})
}

var assumedRole = regexp.MustCompile(`^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.*$`)

// principalID maps an AWS principal ARN to a node ID: an assumed-role session
// becomes its role.
func principalID(s string) string {
	if m := assumedRole.FindStringSubmatch(s); m != nil {
		return "arn:" + m[1] + ":iam::" + m[2] + ":role/" + m[3]
	}
	return s
}

// resolve returns the candidates that one trust principal stands for, adding
// stub nodes for those outside the export.
func (bl *builder) resolve(p principal, role, via string) []*candidate {
	acct := bl.m.account
	stub := func(id string, kind graph.Kind, subkind, name string) {
		bl.b.AddNode(graph.Node{ID: id, Kind: kind, Subkind: subkind, Name: name,
			Props: map[string]string{graph.PropStub: "true"}})
	}
	switch p.Type {
	case "Service":
		id := "aws:service:" + p.ID
		stub(id, graph.KindApplication, SubkindService, p.ID)
		return []*candidate{{id: id, via: []string{via}}}
	case "Federated":
		id := "aws:federated:" + p.ID
		stub(id, graph.KindApplication, SubkindFederated, p.ID)
		return []*candidate{{id: id, account: arnAccount(p.ID), via: []string{via}}}
	case "CanonicalUser":
		id := "aws:canonical:" + p.ID
		stub(id, graph.KindAccount, "aws-canonical-user", p.ID)
		return []*candidate{{id: id, via: []string{via}}}
	}

	// AWS principals.
	switch {
	case p.ID == "*":
		bl.anyone(role)
		return []*candidate{{id: AnyoneID(acct), via: []string{via}}}
	case isAccountID(p.ID) || (strings.HasPrefix(p.ID, "arn:") && strings.HasSuffix(p.ID, ":root")):
		other := p.ID
		if !isAccountID(other) {
			other = arnAccount(p.ID)
		}
		if other != acct {
			id := RootARN(other)
			stub(id, graph.KindAccount, SubkindAccount, "AWS account "+other)
			return []*candidate{{id: id, account: other, via: []string{via + " (account " + other + ")"}}}
		}
		// Same account: each principal needs its own permission to call
		// sts:AssumeRole on the role.
		var out []*candidate
		for _, pi := range bl.m.princ {
			ok, pvia, conds := allowed(pi, actAssumeRole, role)
			if !ok {
				continue
			}
			out = append(out, &candidate{id: pi.arn, account: acct, conds: conds,
				via: append([]string{via + " (account root)"}, pvia...)})
		}
		return out
	}
	id := principalID(p.ID)
	if _, ok := bl.m.byARN[id]; !ok {
		switch {
		case strings.Contains(id, ":role/"):
			stub(id, graph.KindRole, SubkindRole, lastSegment(id))
		case strings.Contains(id, ":user/"):
			stub(id, graph.KindAccount, SubkindUser, lastSegment(id))
		case strings.HasPrefix(id, "arn:"):
			stub(id, graph.KindAccount, "aws-principal", id)
		default:
			// A unique id (AIDA..., AROA...) is what AWS shows once the
			// principal a trust named has been deleted.
			id = "aws:principal-id:" + p.ID
			stub(id, graph.KindAccount, "aws-principal", p.ID+" (deleted principal)")
		}
	}
	return []*candidate{{id: id, account: arnAccount(id), via: []string{via}}}
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
