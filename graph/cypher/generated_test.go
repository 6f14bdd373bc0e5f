package cypher

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// genOptions shapes a generated company.
type genOptions struct {
	identities int
	seed       uint64
}

// generate builds two sources of a random company: "gen:idp" owns
// identities, accounts, groups, credentials and applications; "gen:cloud"
// owns roles and resources and refers to the idp's accounts and groups
// through stub nodes (plus a few external principals that nobody owns).
// Shapes: nested groups with cycles, role chains of depth 10+, CAN_ASSUME
// cycles, ESCALATES edges, ACCESS to role nodes, CONTAINS trees and chains
// with shared children, OWNS edges that must not be followed.
func generate(o genOptions) (idp, cloud *graph.Batch) {
	rng := rand.New(rand.NewPCG(o.seed, 0xC1FE))
	idp, cloud = graph.NewBatch("gen:idp"), graph.NewBatch("gen:cloud")
	n := o.identities
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	add := func(b *graph.Batch, id string, k graph.Kind, sens graph.Sensitivity) string {
		b.AddNode(graph.Node{ID: id, Kind: k, Name: id, Source: b.Source, Sensitivity: sens})
		return id
	}
	stubs := map[string]bool{}
	stub := func(id string, k graph.Kind) string {
		if !stubs[id] {
			stubs[id] = true
			cloud.AddNode(graph.Node{ID: id, Kind: k, Name: id, Source: cloud.Source,
				Props: map[string]string{graph.PropStub: "true"}})
		}
		return id
	}
	link := func(b *graph.Batch, from string, k graph.EdgeKind, to string, p graph.Privilege, acts ...string) {
		if from == to {
			return
		}
		b.AddEdge(graph.Edge{From: from, To: to, Kind: k, Privilege: p, Actions: acts, Source: b.Source,
			Via: []string{fmt.Sprintf("gen/%s", k)}})
	}

	var people, accounts, groups, creds, apps []string
	for i := range n {
		people = append(people, add(idp, fmt.Sprintf("person/%04d", i), graph.KindIdentity, 0))
	}
	for i := range n / 15 {
		groups = append(groups, add(idp, fmt.Sprintf("group/%03d", i), graph.KindGroup, 0))
	}
	for _, p := range people {
		for j := range 1 + rng.IntN(2) {
			a := add(idp, fmt.Sprintf("%s/acct%d", p, j), graph.KindAccount, 0)
			accounts = append(accounts, a)
			link(idp, p, graph.EdgeHasAccount, a, 0)
			for range rng.IntN(3) {
				link(idp, a, graph.EdgeMemberOf, pick(groups), 0)
			}
		}
	}
	// Nested groups, with cycles.
	for range len(groups) * 2 {
		link(idp, pick(groups), graph.EdgeMemberOf, pick(groups), 0)
	}
	for i := range n / 10 {
		c := add(idp, fmt.Sprintf("cred/%04d", i), graph.KindCredential, 0)
		creds = append(creds, c)
		owner := pick(accounts)
		link(idp, owner, graph.EdgeOwns, c, 0)
		target := owner
		if rng.IntN(3) == 0 {
			target = pick(accounts)
		}
		link(idp, c, graph.EdgeAuthenticates, target, 0)
	}
	for i := range 10 {
		app := add(idp, fmt.Sprintf("app/%02d", i), graph.KindApplication, 0)
		apps = append(apps, app)
		g := add(idp, fmt.Sprintf("grant/%02d", i), graph.KindGrant, 0)
		link(idp, app, graph.EdgeDelegates, g, 0)
		link(idp, g, graph.EdgeDelegates, pick(accounts), 0)
		link(idp, pick(people), graph.EdgeOwns, g, 0)
	}

	// Cloud: roles, a long chain, resources with containment.
	var roles, resources, scopes []string
	for i := range max(8, n/25) {
		roles = append(roles, add(cloud, fmt.Sprintf("role/%03d", i), graph.KindRole, 0))
	}
	var chain []string
	for i := range 12 {
		chain = append(chain, add(cloud, fmt.Sprintf("chain/%02d", i), graph.KindRole, 0))
		if i > 0 {
			link(cloud, chain[i-1], graph.EdgeCanAssume, chain[i], 0)
		}
	}
	for i := range n / 2 {
		resources = append(resources, add(cloud, fmt.Sprintf("res/%04d", i), graph.KindResource,
			graph.Sensitivity(1+rng.IntN(4))))
	}
	for i := range max(6, n/60) {
		scopes = append(scopes, add(cloud, fmt.Sprintf("scope/%03d", i), graph.KindResource,
			graph.Sensitivity(1+rng.IntN(4))))
	}
	// Containment: scopes nest (a DAG, depth up to ~4) and include resources;
	// some resources include other resources.
	for i := 1; i < len(scopes); i++ {
		link(cloud, scopes[rng.IntN(i)], graph.EdgeContains, scopes[i], 0)
	}
	for _, s := range scopes {
		for range 3 + rng.IntN(10) {
			link(cloud, s, graph.EdgeContains, pick(resources), 0)
		}
	}
	for range len(resources) / 10 {
		a, b := rng.IntN(len(resources)), rng.IntN(len(resources))
		if a < b { // acyclic among resources
			link(cloud, resources[a], graph.EdgeContains, resources[b], 0)
		}
	}
	levels := []string{"", "read", "write", "admin"}
	grant := func(from string, to string) {
		p := graph.Privilege(1 + rng.IntN(3))
		link(cloud, from, graph.EdgeAccess, to, p, fmt.Sprintf("svc:%s%d", levels[p], rng.IntN(3)))
	}
	// The idp's principals as the cloud sees them: stubs.
	for range n / 3 {
		a := stub(pick(accounts), graph.KindAccount)
		link(cloud, a, graph.EdgeHasRole, pick(roles), 0)
	}
	for _, g := range groups {
		if rng.IntN(2) == 0 {
			link(cloud, stub(g, graph.KindGroup), graph.EdgeHasRole, pick(roles), 0)
		}
		if rng.IntN(4) == 0 {
			grant(stub(g, graph.KindGroup), pick(resources))
		}
	}
	for i := range 5 { // external principals nobody owns
		x := stub(fmt.Sprintf("external/%d", i), graph.KindAccount)
		link(cloud, x, graph.EdgeCanAssume, pick(roles), 0)
	}
	for _, r := range roles {
		for range rng.IntN(3) {
			link(cloud, r, graph.EdgeCanAssume, pick(roles), 0) // cycles too
		}
		for range 1 + rng.IntN(6) {
			grant(r, pick(resources))
		}
		if rng.IntN(3) == 0 {
			grant(r, pick(scopes))
		}
		if rng.IntN(8) == 0 {
			grant(r, pick(roles)) // ACCESS to a role's own node, as AWS ARNs do
		}
		if rng.IntN(6) == 0 {
			link(cloud, r, graph.EdgeEscalates, pick(roles), graph.PrivAdmin)
		}
	}
	link(cloud, pick(roles), graph.EdgeCanAssume, chain[0], 0)
	link(cloud, stub(pick(accounts), graph.KindAccount), graph.EdgeHasRole, chain[0], 0)
	grant(chain[len(chain)-1], scopes[0])
	grant(chain[len(chain)-1], pick(resources))
	link(cloud, chain[len(chain)-1], graph.EdgeEscalates, pick(roles), graph.PrivAdmin)
	for range 3 {
		link(cloud, stub(pick(apps), graph.KindApplication), graph.EdgeHasRole, pick(roles), 0)
	}
	_ = creds
	return idp, cloud
}

// TestAgreeGenerated compares the engines on seeded random companies.
func TestAgreeGenerated(t *testing.T) {
	// The default run (CI) checks one graph of 2,500 identities (about
	// 8,000 nodes) with 80 queries of each kind; ACCESSGRAPH_CYPHER_FULL=1
	// checks 1,000 and 3,000 identities with fuller samples.
	sizes := []int{2500}
	sample, targets := 80, 64
	if os.Getenv("ACCESSGRAPH_CYPHER_FULL") != "" {
		sizes, sample, targets = []int{1000, 3000}, 150, 120
	}
	if testing.Short() {
		sizes, sample, targets = []int{300}, 40, 20
	}
	for i, size := range sizes {
		seed := uint64(i + 1)
		t.Run(fmt.Sprintf("seed%d-%d", seed, size), func(t *testing.T) {
			st := openClean(t)
			idp, cloud := generate(genOptions{identities: size, seed: seed})
			snap := load(t, st, idp, cloud)
			eng := New(st.Driver(), st.Database())
			rng := rand.New(rand.NewPCG(seed, 1))
			principals, resources := idsOfKind(snap, false), idsOfKind(snap, true)
			draw := func(xs []string, k int) []string {
				out := []string{}
				for range k {
					out = append(out, xs[rng.IntN(len(xs))])
				}
				return out
			}
			// The long chain's head and the external stubs are always asked.
			froms := append(draw(principals, sample), "chain/00", "external/0", "external/1")
			tos := append(draw(resources, targets), draw(principals, targets/4)...)
			tos = append(tos, "scope/000", "chain/11")
			ctx := context.Background()
			a := checkAgree(t, ctx, snap, eng, froms, tos, sample)
			t.Logf("%d nodes, %d edges: %s", snap.Stats().Nodes, snap.Stats().Edges, a)
			require.Positive(t, a.reaches)
			require.Positive(t, a.paths)
			a = checkAgree(t, ctx, snap, eng, froms[:sample/3], tos[:targets/3], 0, 3, 7)
			t.Logf("depth bounds 3 and 7: %s", a)
		})
	}
}
