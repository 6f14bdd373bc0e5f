package risk

import (
	"regexp"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// workloadNameRE marks an account name or path that software runs under:
// a word such as svc, service, bot, ci, deploy, terraform or automation
// between separators.
var workloadNameRE = regexp.MustCompile(`(?i)(^|[-_./:])(svc|service|services|bot|bots|ci|cd|deploy|deployer|` +
	`terraform|automation|pipeline|jenkins|robot|daemon|integration|machine)([-_./:]|$)`)

// workloadSubkinds are account and node subkinds that are never a person.
var workloadSubkinds = map[string]bool{
	"k8s-serviceaccount": true, "k8s-workload": true, "aws-service": true, "aws-federated": true,
	"ad-machine": true, "okta-api-token": true, "okta-app": true,
}

// classify says whether node i is a person's (human) or software's
// (workload). Agents are neither: they have their own facts. An identity
// answers for its accounts and credentials. Without one:
//   - an account with an email, or an AWS IAM user with no sign of software
//     (no service path, workload-like name or app tag), is a person's: IAM
//     users are people unless something says otherwise, as in most accounts;
//   - service accounts, AWS service and federated principals are software;
//   - a role is a person's when any principal holding it directly (through
//     CAN_ASSUME or HAS_ROLE) is a person's, and software's when every such
//     principal is software; a role nobody holds is neither.
func (ex *extractor) classify(i int32, id int32, agent bool) (human, workload bool) {
	if agent {
		return false, false
	}
	x := ex.x
	n := &x.nodes[i]
	if n.Kind == graph.KindIdentity {
		id = i
	}
	if id >= 0 {
		switch x.nodes[id].Subkind {
		case "human":
			return true, false
		case "agent":
			return false, false
		}
		return false, true
	}
	switch n.Kind {
	case graph.KindCredential:
		if a := ex.accountOf(i); a >= 0 {
			return ex.classify(a, ex.facts[a].identity, false)
		}
		return false, false
	case graph.KindRole:
		return ex.classifyRole(i)
	case graph.KindAccount:
		return classifyAccount(n)
	}
	return false, false
}

// classifyAccount classifies an account linked to no identity.
func classifyAccount(n *graph.Node) (human, workload bool) {
	switch {
	case isPublic(n), n.Subkind == "aws-account":
		return false, false
	case workloadSubkinds[n.Subkind]:
		return false, true
	case n.Props[graph.PropOnBehalfOf] != "":
		return false, false
	case n.Props[graph.PropEmail] != "":
		return true, false
	case strings.Contains(n.Subkind, "service"), strings.Contains(n.Subkind, "machine"):
		return false, true
	case workloadNameRE.MatchString(n.Name), workloadNameRE.MatchString(n.Props["path"]),
		n.Props["tag:app"] != "":
		return false, true
	}
	return true, false
}

// classifyRole classifies a role by the principals that hold it directly.
func (ex *extractor) classifyRole(r int32) (human, workload bool) {
	x := ex.x
	for _, ei := range x.in[r] {
		e := &x.edges[ei]
		if e.Kind != graph.EdgeCanAssume && e.Kind != graph.EdgeHasRole {
			continue
		}
		h := x.pos[e.From]
		src := &x.nodes[h]
		var hh, hw bool
		switch src.Kind {
		case graph.KindAccount, graph.KindIdentity:
			hh, hw = ex.classify(h, ex.facts[h].identity, isAgent(src))
		case graph.KindGroup:
			// A group of people (an IdP or cluster group) unless software's.
			hh, hw = !workloadNameRE.MatchString(src.Name) && !isPublic(src), false
		case graph.KindApplication:
			hw = true
		default:
			hw = workloadSubkinds[src.Subkind]
		}
		if hh {
			return true, false
		}
		workload = workload || hw
	}
	return false, workload
}

// isAgent reports whether a node is an AI agent's principal.
func isAgent(n *graph.Node) bool {
	return n.Props[graph.PropOnBehalfOf] != "" || strings.Contains(n.Subkind, "agent") ||
		n.Props["tag:agent-kind"] != ""
}
