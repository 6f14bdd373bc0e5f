package k8s

import (
	"maps"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// resKey is what a resource node stands for: the (scope, API group,
// resource, resource name) of the rule that made it. Group "" is the core
// group; name "" means every object.
type resKey struct {
	scope, group, res, name string
}

// resourceLocal returns the part of a resource node's ID after the cluster
// prefix: "<scope>:<group or core>/<resource>[/<name>]".
func resourceLocal(scope, group, res, name string) string {
	g := group
	if g == "" {
		g = "core"
	}
	local := scope + ":" + g + "/" + res
	if name != "" {
		local += "/" + name
	}
	return local
}

// wider returns every key that strictly includes k by RBAC's matching
// rules, whether or not a node exists for it: scope "*" includes every
// namespace, group "*" every group, resource "*" every resource and
// subresource, "*/<sub>" that subresource of every resource, and no
// resource name every name.
func (k resKey) wider() []resKey {
	scopes := []string{k.scope}
	if k.scope != "*" {
		scopes = append(scopes, "*")
	}
	groups := []string{k.group}
	if k.group != "*" {
		groups = append(groups, "*")
	}
	res := []string{k.res}
	if base, sub, ok := strings.Cut(k.res, "/"); ok && base != "*" {
		res = append(res, "*/"+sub)
	}
	if k.res != "*" {
		res = append(res, "*")
	}
	names := []string{k.name}
	if k.name != "" {
		names = append(names, "")
	}
	var out []resKey
	for _, s := range scopes {
		for _, g := range groups {
			for _, r := range res {
				for _, n := range names {
					if w := (resKey{s, g, r, n}); w != k {
						out = append(out, w)
					}
				}
			}
		}
	}
	return out
}

// why names the dimensions in which w is wider than k, for the Via of a
// CONTAINS edge.
func (k resKey) why(w resKey) []string {
	var out []string
	if w.scope != k.scope {
		out = append(out, "wildcard scope (cluster-wide)")
	}
	if w.group != k.group {
		out = append(out, "wildcard API group")
	}
	if w.res != k.res {
		out = append(out, "wildcard resource "+w.res)
	}
	if w.name != k.name {
		out = append(out, "every resource name")
	}
	return out
}

// nonResourceWider returns the nonResourceURLs patterns that strictly
// include url: a pattern ending in "*" matches every URL with its prefix.
func nonResourceWider(url string) []string {
	base, star := strings.CutSuffix(url, "*")
	var out []string
	for i := 0; i <= len(base); i++ {
		if i == len(base) && star {
			break // url itself
		}
		out = append(out, base[:i]+"*")
	}
	return out
}

// contains adds the CONTAINS edges between the resource nodes of the batch.
//
// Node W contains node R when every request R's rules match is matched by
// W's as well (see resKey.wider and nonResourceWider). Only nodes already in
// the batch are linked: no resource is invented. Only covering pairs are
// emitted (W contains R and no node M of the batch sits strictly between
// them), so "*:*/*" links to "argocd:*/*" when that node exists and
// "argocd:*/*" to "argocd:core/secrets", not "*:*/*" to both; reachability
// over CONTAINS edges equals inclusion. The cost is linear in the number of
// resource nodes: each node looks up its at most 24 wider keys.
func (b *builder) contains() {
	parents := map[string][]string{} // node -> nodes that strictly include it
	isParent := map[[2]string]bool{} // {wide, narrow}
	whys := map[[2]string][]string{}
	for _, id := range slices.Sorted(maps.Keys(b.resKeys)) {
		k := b.resKeys[id]
		for _, w := range k.wider() {
			wid := b.pre + resourceLocal(w.scope, w.group, w.res, w.name)
			if wk, ok := b.resKeys[wid]; !ok || wk != w {
				continue
			}
			parents[id] = append(parents[id], wid)
			isParent[[2]string{wid, id}] = true
			whys[[2]string{wid, id}] = k.why(w)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(b.urls)) {
		for _, w := range nonResourceWider(b.urls[id]) {
			wid := b.pre + "nonresource:" + w
			if _, ok := b.urls[wid]; !ok {
				continue
			}
			parents[id] = append(parents[id], wid)
			isParent[[2]string{wid, id}] = true
			whys[[2]string{wid, id}] = []string{"nonResourceURL wildcard " + w}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(parents)) {
		ps := parents[id]
		for _, w := range ps {
			covered := false
			for _, m := range ps {
				if m != w && isParent[[2]string{w, m}] {
					covered = true // w > m > id: the path through m says it
					break
				}
			}
			if !covered {
				b.b.AddEdge(graph.Edge{From: w, To: id, Kind: graph.EdgeContains,
					Via: whys[[2]string{w, id}]})
			}
		}
	}
}
