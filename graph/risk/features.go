package risk

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// credFact is what a rule sees of one credential.
type credFact struct {
	id                    string
	active, password, mfa bool
	neverUsed             bool
	ageDays, unusedDays   int
	lastUsed              time.Time
}

func (c credFact) value() map[string]any {
	return map[string]any{"id": c.id, "active": c.active, "password": c.password, "mfa": c.mfa,
		"never_used": c.neverUsed, "age_days": c.ageDays, "unused_days": c.unusedDays}
}

// reachFacts are what projection.BlastRadius says of one principal.
type reachFacts struct {
	root       int32 // whose blast radius it is (a credential's is its account's)
	tier       graph.Privilege
	topSens    graph.Sensitivity // the highest sensitivity reached at tier
	maxSens    graph.Sensitivity
	resources  int
	adminRes   int
	weighted   float64
	principals int
	// mayEscalate: a principal it acts as has an ESCALATES edge. Without
	// one no path from it escalates, and escalates_to_admin needs no witness.
	mayEscalate bool
}

// nodeFacts are the facts of one node that rules and features read.
type nodeFacts struct {
	reach       reachFacts
	escalations int
	standing    graph.Privilege            // best tier of ACCESS edges held without CAN_ASSUME or ESCALATES
	holdings    map[string]graph.Privilege // group/role IDs and via names it holds, with their tier
	actions     map[string]struct{}
	via         []string
	// inlineAdmin lists the inline policies attached to the principal itself
	// (not through a group) that grant admin over a critical resource.
	inlineAdmin []string
	creds       []credFact
	identity    int32 // position of the identity it belongs to, -1 if none
	dept        string
	title       string    // the HR job title, for peer groups
	team        string    // the HR team, for peer groups
	terminated  time.Time // the HR termination date of an identity
	manager     string    // the HR manager's email of an identity
}

// extractor computes facts over an index.
type extractor struct {
	x       *index
	reach   *reachIndex
	wit     []witnessFacts // by node position, set once through witOnce
	witOnce []sync.Once
	// eagerPaths: some rule's when may read admin_path or access_path, so
	// every item's witness is needed before its rules run.
	eagerPaths bool
	snap       *projection.Snapshot
	asOf       time.Time
	policy     *Policy
	hrKnown    bool
	hasHR      []bool // by identity position: has an HR record
	awsAccts   map[string]bool
	byEmail    map[string]int32 // identity by email key
	facts      []nodeFacts      // by node position (zero for non-items)
	isItem     []bool
	// clientGrants counts the grants of each OAuth client (by client_id).
	clientGrants map[string]int
	matchMu      sync.Mutex        // guards matchBuf: scoring workers share the extractor
	matchBuf     map[string]uint64 // action -> bitmask of toxic pair sides matched
}

var (
	privWeight = [...]float64{0, 1, 3, 9}
	sensWeight = [...]float64{1, 1, 2, 4, 8}
)

// itemKind reports whether a node is scored.
func itemKind(n *graph.Node) bool {
	switch n.Kind {
	case graph.KindIdentity:
		return n.Subkind != "public"
	case graph.KindAccount:
		return n.Subkind != "hr-record" && n.Subkind != "k8s-any-user"
	case graph.KindCredential, graph.KindGrant, graph.KindRole, graph.KindGroup:
		return true
	}
	return false
}

// isPublic reports whether a node stands for anyone, or any authenticated user.
func isPublic(n *graph.Node) bool {
	if n.Subkind == "public" || n.Subkind == "k8s-any-user" {
		return true
	}
	switch strings.ToLower(n.Props["public"]) {
	case "authenticated", "unauthenticated", "anyone", "true":
		return true
	}
	switch n.Name {
	case "system:authenticated", "system:unauthenticated", "allUsers", "allAuthenticatedUsers":
		return true
	}
	return false
}

var awsRootRE = regexp.MustCompile(`^arn:aws:iam::(\d{12}):root$`)

func (ex *extractor) prepare() {
	x := ex.x
	ex.facts = make([]nodeFacts, len(x.nodes))
	ex.wit = make([]witnessFacts, len(x.nodes))
	ex.witOnce = make([]sync.Once, len(x.nodes))
	ex.isItem = make([]bool, len(x.nodes))
	ex.hasHR = make([]bool, len(x.nodes))
	ex.awsAccts = map[string]bool{}
	ex.byEmail = map[string]int32{}
	ex.matchBuf = map[string]uint64{}
	ex.clientGrants = map[string]int{}
	for i := range x.nodes {
		n := &x.nodes[i]
		ex.facts[i].identity = -1
		if c := n.Props["client_id"]; c != "" && n.Kind == graph.KindGrant {
			ex.clientGrants[c]++
		}
		ex.isItem[i] = itemKind(n)
		if acct, ok := strings.CutPrefix(n.Source, "aws:"); ok {
			ex.awsAccts[strings.SplitN(acct, ":", 2)[0]] = true
		}
		if n.Subkind == "hr-record" {
			ex.hrKnown = true
		}
		if n.Kind == graph.KindIdentity {
			for _, k := range strings.Split(n.Props["keys"], ",") {
				if e, ok := strings.CutPrefix(k, "email:"); ok {
					ex.byEmail[e] = int32(i)
				}
			}
		}
	}
	// Identities of accounts, and HR records of identities.
	for i := range x.nodes {
		if x.nodes[i].Kind != graph.KindIdentity {
			continue
		}
		for _, ei := range x.out[i] {
			e := &x.edges[ei]
			if e.Kind != graph.EdgeHasAccount {
				continue
			}
			a := x.pos[e.To]
			ex.facts[a].identity = int32(i)
			if x.nodes[a].Subkind == "hr-record" {
				ex.hasHR[i] = true
				ex.facts[i].dept = x.nodes[a].Props["department"]
				ex.facts[i].title = x.nodes[a].Props["title"]
				ex.facts[i].team = x.nodes[a].Props["team"]
				ex.facts[i].manager = x.nodes[a].Props["manager_email"]
				if t, ok := parseTime(x.nodes[a].Props["termination_date"]); ok {
					ex.facts[i].terminated = t
				}
			}
		}
	}
	// Credentials belong to the identity of the account they authenticate.
	for i := range x.nodes {
		n := &x.nodes[i]
		if n.Kind != graph.KindCredential {
			continue
		}
		if a := ex.accountOf(int32(i)); a >= 0 {
			ex.facts[i].identity = ex.facts[a].identity
		}
	}
	for i := range x.nodes {
		f := &ex.facts[i]
		n := &x.nodes[i]
		if f.dept == "" && f.identity >= 0 {
			f.dept, f.title, f.team = ex.facts[f.identity].dept, ex.facts[f.identity].title, ex.facts[f.identity].team
		}
		if f.dept == "" {
			f.dept = n.Props["tag:department"]
		}
	}
}

// accountOf returns the account a credential authenticates, or -1.
func (ex *extractor) accountOf(c int32) int32 {
	x := ex.x
	for _, ei := range x.out[c] {
		if x.edges[ei].Kind == graph.EdgeAuthenticates {
			return x.pos[x.edges[ei].To]
		}
	}
	for _, ei := range x.in[c] {
		if x.edges[ei].Kind == graph.EdgeOwns {
			return x.pos[x.edges[ei].From]
		}
	}
	return -1
}

// accountsOf returns the accounts of an identity (HR records included).
func (ex *extractor) accountsOf(i int32) []int32 {
	var out []int32
	for _, ei := range ex.x.out[i] {
		if e := &ex.x.edges[ei]; e.Kind == graph.EdgeHasAccount {
			out = append(out, ex.x.pos[e.To])
		}
	}
	return out
}

// credentialsOf returns the credentials of an account.
func (ex *extractor) credentialsOf(a int32) []int32 {
	x := ex.x
	var out []int32
	for _, ei := range x.in[a] {
		if e := &x.edges[ei]; e.Kind == graph.EdgeAuthenticates && x.nodes[x.pos[e.From]].Kind == graph.KindCredential {
			out = append(out, x.pos[e.From])
		}
	}
	for _, ei := range x.out[a] {
		if e := &x.edges[ei]; e.Kind == graph.EdgeOwns && x.nodes[x.pos[e.To]].Kind == graph.KindCredential {
			p := x.pos[e.To]
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (ex *extractor) credFact(c int32) credFact {
	n := &ex.x.nodes[c]
	p := n.Props
	cf := credFact{id: n.ID, active: p["active"] == "true",
		password: strings.Contains(n.Subkind, "password"), mfa: p["mfa_active"] == "true"}
	cf.ageDays = atoiDefault(p["age_days"], -1)
	if cf.ageDays < 0 {
		if t, ok := parseTime(p["last_rotated"]); ok {
			cf.ageDays = int(ex.asOf.Sub(t).Hours() / 24)
		} else {
			cf.ageDays = 0
		}
	}
	if t, ok := lastUsed(p); ok {
		cf.lastUsed = t
		cf.unusedDays = max(0, int(ex.asOf.Sub(t).Hours()/24))
	} else {
		cf.neverUsed = true
		cf.unusedDays = cf.ageDays
	}
	return cf
}

// excessFacts say what an agent reaches beyond the person it acts for.
type excessFacts struct {
	resources, admin int    // resources reached above the person's tier; at admin
	example          string // one such resource, with both tiers
}

// renderPath writes a witness as "a -KIND-> b -ACCESS(admin)-> c".
func renderPath(p *projection.Path) string {
	if len(p.Nodes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(p.Nodes[0].ID)
	for i, s := range p.Steps {
		b.WriteString(" -")
		b.WriteString(s.Kind.String())
		if s.Kind == graph.EdgeAccess || s.Kind == graph.EdgeEscalates {
			b.WriteString("(" + s.Privilege.String() + ")")
		}
		b.WriteString("-> ")
		b.WriteString(p.Nodes[i+1].ID)
	}
	return b.String()
}

// direct fills the holdings, actions, via and escalation count of node i
// from its own out-edges and those of the principals it holds directly.
func (ex *extractor) direct(i int32) {
	x := ex.x
	f := &ex.facts[i]
	f.holdings = map[string]graph.Privilege{}
	f.actions = map[string]struct{}{}
	esc := map[int32]struct{}{}
	viaSet := map[string]struct{}{}
	var visit func(u int32, depth int)
	visit = func(u int32, depth int) {
		for _, ei := range x.out[u] {
			e := &x.edges[ei]
			t := x.pos[e.To]
			switch e.Kind {
			case graph.EdgeAccess:
				l := x.lists.at(e.attr)
				if e.Privilege > f.standing && len(l.conditions) == 0 && !assumeOnly(l.actions) {
					f.standing = e.Privilege
				}
				for _, a := range l.actions {
					f.actions[a] = struct{}{}
				}
				for _, v := range l.via {
					viaSet[v] = struct{}{}
					if e.Privilege == graph.PrivAdmin && x.nodes[t].Sensitivity >= graph.SensCritical &&
						strings.HasPrefix(v, "inline/") && !strings.Contains(v, " via ") &&
						!slices.Contains(f.inlineAdmin, v) {
						f.inlineAdmin = append(f.inlineAdmin, v)
					}
					if e.Privilege >= graph.PrivWrite && f.holdings[v] < e.Privilege {
						f.holdings[v] = e.Privilege
					}
				}
			case graph.EdgeEscalates:
				// The actions of an escalation are how it is done, not
				// access held: escalation-to-admin reports them.
				esc[t] = struct{}{}
			case graph.EdgeMemberOf, graph.EdgeHasRole, graph.EdgeCanAssume:
				if p := ex.directTier(t); p >= graph.PrivWrite && f.holdings[e.To] < p {
					f.holdings[e.To] = p
				}
				if depth == 0 && e.Kind != graph.EdgeCanAssume {
					visit(t, 1)
				}
			case graph.EdgeHasAccount, graph.EdgeAuthenticates:
				if depth == 0 && x.nodes[t].Subkind != "hr-record" {
					visit(t, 0)
				}
			}
		}
	}
	visit(i, 0)
	f.escalations = len(esc)
	slices.Sort(f.inlineAdmin)
	for v := range viaSet {
		f.via = append(f.via, v)
	}
	slices.Sort(f.via)
}

// assumeOnly reports whether every action is a role-assumption action
// (sts:AssumeRole and its SAML and web-identity forms). Such a grant is
// rated admin by the AWS connector because it changes who one acts as, but
// what it gives is the assumed role's power, which the CAN_ASSUME edge and
// its conditions (e.g. MFA required by the trust) already carry: it is not
// standing admin of its own.
func assumeOnly(actions []string) bool {
	if len(actions) == 0 {
		return false
	}
	for _, a := range actions {
		if !strings.HasPrefix(strings.ToLower(a), "sts:assumerole") {
			return false
		}
	}
	return true
}

// directTier is the highest privilege of node t's own ACCESS and ESCALATES edges.
func (ex *extractor) directTier(t int32) graph.Privilege {
	var p graph.Privilege
	for _, ei := range ex.x.out[t] {
		e := &ex.x.edges[ei]
		if (e.Kind == graph.EdgeAccess || e.Kind == graph.EdgeEscalates) && e.Privilege > p {
			p = e.Privilege
		}
	}
	return p
}

// credentials fills the credential facts of node i.
func (ex *extractor) credentials(i int32) {
	x := ex.x
	f := &ex.facts[i]
	var cs []int32
	switch x.nodes[i].Kind {
	case graph.KindCredential:
		cs = []int32{i}
	case graph.KindAccount:
		cs = ex.credentialsOf(i)
	case graph.KindIdentity:
		for _, a := range ex.accountsOf(i) {
			cs = append(cs, ex.credentialsOf(a)...)
		}
	}
	for _, c := range cs {
		f.creds = append(f.creds, ex.credFact(c))
	}
}

// toxicPairs returns the names of the policy's pairs both of whose sides
// match an action or holding of f.
func (ex *extractor) toxicPairs(f *nodeFacts) []string {
	if len(ex.policy.ToxicPairs) == 0 {
		return nil
	}
	var mask uint64
	test := func(s string) {
		ex.matchMu.Lock()
		m, ok := ex.matchBuf[s]
		ex.matchMu.Unlock()
		if !ok {
			for k, tp := range ex.policy.ToxicPairs {
				if k >= 32 {
					break
				}
				if tp.left.MatchString(s) {
					m |= 1 << (2 * k)
				}
				if tp.right.MatchString(s) {
					m |= 1 << (2*k + 1)
				}
			}
			ex.matchMu.Lock()
			ex.matchBuf[s] = m
			ex.matchMu.Unlock()
		}
		mask |= m
	}
	for a := range f.actions {
		test(a)
	}
	for h := range f.holdings {
		test(h)
	}
	var out []string
	for k, tp := range ex.policy.ToxicPairs {
		if k < 32 && mask&(3<<(2*k)) == 3<<(2*k) {
			out = append(out, tp.Name)
		}
	}
	return out
}

// peers computes, per node, how rare its rarest write/admin holding is
// among its peers: the nodes of the same kind in the most specific of these
// groups that has at least minPeers members: the same HR team (people who
// share a team share its grants), the same department and job title, the
// same department.
//
// Groups and holdings are numbered once, so the counts are kept by number
// pairs rather than by pairs of strings.
func (ex *extractor) peers(minPeers int) (unusual []float64, rare []string) {
	x := ex.x
	unusual = make([]float64, len(x.nodes))
	rare = make([]string, len(x.nodes))
	type groupKey struct {
		kind  graph.Kind
		level uint8  // 0 team, 1 department and title, 2 department
		name  string // the team; department + "/" + title; the department
	}
	gids := map[groupKey]int32{}
	gid := func(k groupKey) int32 {
		g, ok := gids[k]
		if !ok {
			g = int32(len(gids))
			gids[k] = g
		}
		return g
	}
	hids := map[string]int32{}
	const none = -1
	// The groups of each node, most specific first (none: no such group).
	groups := make([][3]int32, len(x.nodes))
	for i := range x.nodes {
		f := &ex.facts[i]
		groups[i] = [3]int32{none, none, none}
		if f.dept == "" || !ex.isItem[i] {
			continue
		}
		kind := x.nodes[i].Kind
		if f.team != "" {
			groups[i][0] = gid(groupKey{kind, 0, f.team})
		}
		if f.title != "" {
			groups[i][1] = gid(groupKey{kind, 1, f.dept + "/" + f.title})
		}
		groups[i][2] = gid(groupKey{kind, 2, f.dept})
		for h := range f.holdings {
			if _, ok := hids[h]; !ok {
				hids[h] = int32(len(hids))
			}
		}
	}
	size := make([]int, len(gids))
	held := map[uint64]int{}
	key := func(g int32, h string) uint64 { return uint64(g)<<32 | uint64(uint32(hids[h])) }
	for i := range x.nodes {
		for _, g := range groups[i] {
			if g == none {
				continue
			}
			size[g]++
			for h := range ex.facts[i].holdings {
				held[key(g, h)]++
			}
		}
	}
	for i := range x.nodes {
		g := int32(none)
		for _, c := range groups[i] {
			if c != none && size[c] >= minPeers {
				g = c
				break
			}
		}
		if g == none {
			continue
		}
		for h := range ex.facts[i].holdings {
			u := 1 - float64(held[key(g, h)])/float64(size[g])
			if u > unusual[i] || (u == unusual[i] && h < rare[i]) {
				unusual[i], rare[i] = u, h
			}
		}
	}
	return unusual, rare
}

// norm01 clamps v to [0, 1].
func norm01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

func logNorm(v, cap float64) float64 { return norm01(math.Log2(1+v) / math.Log2(1+cap)) }
