package aws

import (
	"github.com/accessgraph/accessgraph/graph"
)

// resNode is one resource node of the batch as containment sees it.
type resNode struct {
	id string
	// svc is the service: of the "aws:<account>:<svc>:*" node, or the ARN's
	// service field (the action's service for a resource that is no ARN).
	svc string
	// all is true for "aws:<account>:<svc>:*", the node of Resource "*".
	all bool
	// wild is true for an ARN pattern with * or ?.
	wild bool
	name string
}

// containment adds the CONTAINS edges between the batch's resource nodes:
// the nodes of Resource "*" and of ARN patterns, and the IAM entities that
// ACCESS edges target (a role one may pass, a user one may create keys for).
//
// Rules, each checked with the glob matcher of glob.go:
//
//   - "aws:<account>:<S>:*" includes "aws:<account>:<T>:*" when the service
//     pattern S covers T ("*" covers every service), and every ARN node whose
//     service S covers: "aws:<account>:*:*" includes every resource node,
//     "aws:<account>:iam:*" includes the IAM entities targeted by ACCESS
//     edges. An ARN naming another account is included too: an identity
//     policy's Resource "*" names it as much as the literal ARN would (the
//     other account's resource policy must allow either).
//   - An ARN pattern includes every other ARN node it covers: concrete ARNs
//     it matches, and narrower patterns whose text it matches when their
//     wildcards are read as literal characters that only a * may absorb
//     (sound: never claims an inclusion that does not hold, may miss one).
//
// Only nodes already in the batch are linked: no resource is invented, and
// IAM entities that no ACCESS edge targets are left out (the takeovers that
// matter for them are ESCALATES edges). Only covering pairs are emitted: no
// edge W -> R when some node M of the batch is strictly between them, so
// "aws:<account>:*:*" links to "aws:<account>:s3:*", which links to
// "arn:aws:s3:::bucket/*". Reachability over CONTAINS edges equals
// inclusion. Two patterns that cover each other ("a*" and "a**") are linked
// both ways. The cost is one glob test per (wildcard node, node of a service
// it may cover) pair.
func (bl *builder) containment() {
	var alls, arns []resNode
	bySvc := map[string][]int{} // literal service -> indexes into arns
	for _, id := range sortedKeys(bl.resIDs) {
		n, ok := bl.b.Node(id)
		if !ok {
			continue
		}
		if n.Kind == graph.KindResource && n.Subkind == SubkindResource && n.Props["service"] != "" &&
			id == ResourceID(bl.m.account, n.Props["service"]) {
			alls = append(alls, resNode{id: id, svc: n.Props["service"], all: true, name: n.Name})
			continue
		}
		svc := arnService(id)
		if svc == "" {
			svc = n.Props["service"]
		}
		arns = append(arns, resNode{id: id, svc: svc, wild: hasWildcard(id), name: n.Name})
		bySvc[svc] = append(bySvc[svc], len(arns)-1)
	}

	parents := map[string][]string{} // node -> nodes that include it
	isParent := map[[2]string]bool{} // {wide, narrow}
	link := func(w, r resNode) {
		parents[r.id] = append(parents[r.id], w.id)
		isParent[[2]string{w.id, r.id}] = true
	}
	for _, w := range alls {
		for _, r := range alls {
			if r.id != w.id && matchAction(w.svc, r.svc) {
				link(w, r)
			}
		}
		for _, r := range arns {
			if matchAction(w.svc, r.svc) {
				link(w, r)
			}
		}
	}
	for _, w := range arns {
		if !w.wild {
			continue
		}
		cands := bySvc[w.svc]
		if hasWildcard(w.svc) || arnService(w.id) == "" {
			// A service pattern, or a pattern that is no ARN ("*bucket*"):
			// it may match resources of any service.
			cands = nil
			for i := range arns {
				cands = append(cands, i)
			}
		}
		for _, i := range cands {
			if r := arns[i]; r.id != w.id && matchResource(w.id, r.id) {
				link(w, r)
			}
		}
	}

	names := map[string]resNode{}
	for _, n := range append(append([]resNode(nil), alls...), arns...) {
		names[n.id] = n
	}
	for _, id := range sortedKeys(parents) {
		ps := parents[id]
		for _, w := range ps {
			covered := false
			for _, m := range ps {
				// m strictly inside w: w includes m, m does not include w.
				if m != w && isParent[[2]string{w, m}] && !isParent[[2]string{m, w}] {
					covered = true
					break
				}
			}
			if covered {
				continue
			}
			via := "wildcard ARN pattern " + w
			if wn := names[w]; wn.all {
				via = "wildcard resource * (" + wn.name + ")"
			}
			bl.b.AddEdge(graph.Edge{From: w, To: id, Kind: graph.EdgeContains, Via: []string{via}})
		}
	}
}
