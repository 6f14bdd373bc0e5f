package risk

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/accessgraph/accessgraph/graph"
)

// Hit is one rule that fired on an element, with its evidence.
type Hit struct {
	Rule     string  `json:"rule"`
	Title    string  `json:"title"`
	Severity string  `json:"severity"`
	Weight   float64 `json:"weight"`
	// Evidence lists element IDs and rendered paths ("a -MEMBER_OF-> b -ACCESS(admin)-> c").
	Evidence []string `json:"evidence"`
}

// Contribution is one term of a score: Points = Weight * Value.
type Contribution struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	Value  float64 `json:"value"`
	Points float64 `json:"points"`
}

// Item names the scored element.
type Item struct {
	ID      string     `json:"id"`
	Kind    graph.Kind `json:"kind"`
	Subkind string     `json:"subkind,omitempty"`
	Name    string     `json:"name"`
	Source  string     `json:"source"`
}

// Assessment is the risk of one element.
type Assessment struct {
	Item Item `json:"item"`
	// Subject is the element a reviewer decides on: the identity an account
	// or credential belongs to, else the element itself.
	Subject string `json:"subject"`
	// Features are the normalised feature values (0..1) by name.
	Features map[string]float64 `json:"features"`
	Hits     []Hit              `json:"hits"`
	// Contributions lists every term of Score: rule weights, then features.
	Contributions []Contribution `json:"contributions"`
	// Score is the deterministic score: the sum of Contributions.
	Score float64 `json:"score"`
	// Facts is what the rules saw (for explanations, reviewers and the
	// LLM). It is kept on assessments with at least one hit, nil on the
	// others unless the scorer was made WithAllFacts: a map of some 60 facts
	// is about 4 KB, and most elements of a large graph fire no rule (at
	// 100,000 identities, over a million assessments).
	Facts map[string]any `json:"-"`
}

// RuleScore is the sum of the weights of the rules that fired.
func (a *Assessment) RuleScore() float64 {
	var s float64
	for _, h := range a.Hits {
		s += h.Weight
	}
	return s
}

type compiledRule struct {
	Rule
	when, evidence cel.Program
}

// Scorer evaluates a policy over a graph.
type Scorer struct {
	policy   *Policy
	rules    []compiledRule
	params   map[string]any
	workers  int
	allFacts bool
	// whenReadsPaths: some rule's when may read admin_path or access_path.
	whenReadsPaths bool
}

// factCount sizes the map of itemFacts: it sets 54 facts, and a Go map
// holds up to 56 in its 64-slot table.
const factCount = 56

// ScorerOption configures a Scorer.
type ScorerOption func(*Scorer)

// WithWorkers sets how many goroutines compute blast radii (default GOMAXPROCS).
func WithWorkers(n int) ScorerOption { return func(s *Scorer) { s.workers = max(1, n) } }

// WithAllFacts keeps Assessment.Facts on every assessment, not only on
// those with a hit.
func WithAllFacts() ScorerOption { return func(s *Scorer) { s.allFacts = true } }

// NewScorer compiles the policy's CEL expressions.
func NewScorer(p *Policy, opts ...ScorerOption) (*Scorer, error) {
	env, err := cel.NewEnv(
		cel.Variable("item", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
	)
	if err != nil {
		return nil, fmt.Errorf("risk policy %s: cel env: %w", p.Label(), err)
	}
	s := &Scorer{policy: p, params: p.Params, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(s)
	}
	compile := func(i int, r Rule, field, src string) (cel.Program, error) {
		ast, iss := env.Compile(inlineParams(src, p.Params))
		if iss.Err() != nil {
			return nil, fmt.Errorf("risk policy %s: rules[%d] (%s).%s: %w", p.Label(), i, r.ID, field, iss.Err())
		}
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.OptimizeRegex(memoMatches...))
		if err != nil {
			return nil, fmt.Errorf("risk policy %s: rules[%d] (%s).%s: %w", p.Label(), i, r.ID, field, err)
		}
		return prg, nil
	}
	for i, r := range p.Rules {
		s.whenReadsPaths = s.whenReadsPaths || readsPaths(r.When)
		cr := compiledRule{Rule: r}
		if cr.when, err = compile(i, r, "when", r.When); err != nil {
			return nil, err
		}
		if r.Evidence != "" {
			if cr.evidence, err = compile(i, r, "evidence", r.Evidence); err != nil {
				return nil, err
			}
		}
		s.rules = append(s.rules, cr)
	}
	return s, nil
}

// paramRefRE matches a reference to a policy parameter in a CEL expression.
var paramRefRE = regexp.MustCompile(`\bparams\.([A-Za-z_][A-Za-z0-9_]*)\b`)

// inlineParams replaces references to string and number parameters with
// their values as CEL literals. A parameter is fixed for the life of a
// scorer, and a literal pattern lets CEL compile a `matches` regex once
// instead of on every evaluation (which cost a quarter of scoring time).
func inlineParams(src string, params map[string]any) string {
	return paramRefRE.ReplaceAllStringFunc(src, func(ref string) string {
		switch v := params[strings.TrimPrefix(ref, "params.")].(type) {
		case string:
			return strconv.Quote(v)
		case float64:
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		return ref
	})
}

// Policy returns the scorer's policy.
func (s *Scorer) Policy() *Policy { return s.policy }

// Result is one scoring run.
type Result struct {
	// Assessments are ordered by Score, highest first, then ID.
	Assessments []Assessment  `json:"assessments"`
	AsOf        time.Time     `json:"asOf"`
	Duration    time.Duration `json:"duration"`
	// RuleErrors counts rule evaluations that failed (a missing field, a
	// type error); the rule counts as not fired. FirstRuleError says which.
	RuleErrors     int    `json:"ruleErrors"`
	FirstRuleError string `json:"firstRuleError,omitempty"`
}

// Score assesses every identity, account, credential, grant, role and group
// of in.
func (s *Scorer) Score(ctx context.Context, in *Input) (*Result, error) {
	start := time.Now()
	x := newIndex(in)
	ex := &extractor{x: x, reach: newReachIndex(x), snap: in.Snapshot, asOf: in.AsOf, policy: s.policy,
		eagerPaths: s.whenReadsPaths}
	if ex.asOf.IsZero() {
		ex.asOf = x.asOf()
	}
	ex.prepare()
	// Per-node facts that need no blast radius, in parallel: each fills
	// only its own node's facts.
	var items []int32
	for i := range x.nodes {
		if ex.isItem[i] {
			items = append(items, int32(i))
		}
	}
	if err := s.parallel(ctx, len(items), func(k int) {
		ex.direct(items[k])
		ex.credentials(items[k])
	}); err != nil {
		return nil, err
	}
	// Blast radii, in parallel. A credential shares its account's.
	var todo []int32
	for _, i := range items {
		if x.nodes[i].Kind != graph.KindCredential {
			todo = append(todo, i)
		}
	}
	if err := s.parallel(ctx, len(todo), func(k int) {
		i := todo[k]
		ex.facts[i].reach = ex.reachOf(i)
	}); err != nil {
		return nil, err
	}
	for _, i := range items {
		if x.nodes[i].Kind == graph.KindCredential {
			if a := ex.accountOf(i); a >= 0 {
				ex.facts[i].reach = ex.facts[a].reach
			}
		}
	}
	minPeers := 5
	if v, ok := s.params["min_peers"].(float64); ok {
		minPeers = int(v)
	}
	unusual, rare := ex.peers(minPeers)

	res := &Result{AsOf: ex.asOf, Assessments: make([]Assessment, len(items))}
	var mu sync.Mutex
	// The facts of an assessment with no hit are dropped (unless
	// WithAllFacts), and their map serves the next item.
	var maps sync.Pool
	if err := s.parallel(ctx, len(items), func(k int) {
		i := items[k]
		m, _ := maps.Get().(map[string]any)
		if m == nil {
			m = make(map[string]any, factCount)
		}
		facts, pending := ex.itemFacts(m, i, unusual[i], rare[i])
		fill := func() {
			if pending {
				ex.fillPaths(facts, &ex.facts[i].reach)
			}
		}
		a, errs := s.assess(x, i, facts, fill)
		if len(a.Hits) == 0 && !s.allFacts {
			a.Facts = nil
			clear(m)
			maps.Put(m)
		}
		res.Assessments[k] = a
		if len(errs) > 0 {
			mu.Lock()
			if res.RuleErrors == 0 {
				res.FirstRuleError = errs[0]
			}
			res.RuleErrors += len(errs)
			mu.Unlock()
		}
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(res.Assessments, func(a, b Assessment) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Item.ID, b.Item.ID)
	})
	res.Duration = time.Since(start)
	return res, nil
}

// parallel runs fn(0..n-1) on s.workers goroutines, stopping early when ctx ends.
func (s *Scorer) parallel(ctx context.Context, n int, fn func(k int)) error {
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for w := 0; w < s.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				fn(k)
			}
		}()
	}
	var err error
	for k := 0; k < n; k++ {
		if k%1024 == 0 && ctx.Err() != nil {
			err = fmt.Errorf("risk score: %w", ctx.Err())
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	return err
}

// itemFacts builds the CEL view of node i.
//
// pending reports that admin_path and access_path are placeholders that
// fillPaths must set before anything but a rule's when reads them.
func (ex *extractor) itemFacts(m map[string]any, i int32, unusual float64, rare string) (_ map[string]any, pending bool) {
	x := ex.x
	n := &x.nodes[i]
	f := &ex.facts[i]
	r := &f.reach
	m["id"], m["kind"], m["subkind"], m["name"], m["source"] = n.ID, n.Kind.String(), n.Subkind, n.Name, n.Source
	m["props"] = propsOrEmpty(n.Props)
	// Identity.
	identityID, identityStatus := "", ""
	var accounts []string
	id := f.identity
	if n.Kind == graph.KindIdentity {
		id = i
	}
	hasHR := !ex.hrKnown
	if id >= 0 {
		in := &x.nodes[id]
		identityID, identityStatus = in.ID, in.Props["status"]
		for _, a := range ex.accountsOf(id) {
			accounts = append(accounts, x.nodes[a].ID)
		}
		hasHR = hasHR || ex.hasHR[id]
	}
	onBehalf := n.Props[graph.PropOnBehalfOf]
	agent := isAgent(n)
	human, workload := ex.classify(i, f.identity, agent)
	m["identity_id"], m["identity_status"], m["accounts"] = identityID, identityStatus, strs(accounts)
	m["linked"], m["has_hr"], m["human"], m["agent"] = id >= 0, hasHR, human, agent
	m["workload"] = workload
	m["on_behalf_of"] = onBehalf
	manager := ""
	if id >= 0 {
		manager = ex.facts[id].manager
	}
	m["manager"] = manager
	delTier, delRes := 0, 0
	var excess excessFacts
	if onBehalf != "" {
		p, ok := ex.byEmail[strings.ToLower(onBehalf)]
		if ok {
			delTier, delRes = int(ex.facts[p].reach.tier), ex.facts[p].reach.resources
		} else {
			p = -1
		}
		excess = ex.agentExcess(i, p)
	}
	m["delegator_tier"], m["delegator_resources"] = delTier, delRes
	m["excess_resources"], m["excess_admin_resources"] = excess.resources, excess.admin
	m["excess_example"] = excess.example

	// What it is.
	external := false
	if mm := awsRootRE.FindStringSubmatch(n.ID); mm != nil && !ex.awsAccts[mm[1]] {
		external = true
	}
	m["public"], m["external"] = isPublic(n), external
	var trustedBy, assumes []string
	openTrust := n.Props["open_trust"] == "true"
	for _, ei := range x.in[i] {
		e := &x.edges[ei]
		if e.Kind == graph.EdgeCanAssume {
			src := &x.nodes[x.pos[e.From]]
			if isPublic(src) {
				openTrust = true
			}
			if len(trustedBy) < 10 {
				trustedBy = append(trustedBy, e.From)
			}
		}
	}
	assumeOpen := false
	for _, ei := range x.out[i] {
		e := &x.edges[ei]
		if e.Kind != graph.EdgeCanAssume {
			continue
		}
		if len(x.lists.at(e.attr).conditions) == 0 {
			assumeOpen = true
		}
		if len(assumes) < 10 {
			assumes = append(assumes, e.To)
		}
	}
	m["open_trust"], m["trusted_by"], m["assumes"] = openTrust, strs(trustedBy), strs(assumes)
	m["assume_unconditioned"] = assumeOpen

	// Reach.
	m["privilege_tier"], m["max_sensitivity"] = int(r.tier), int(r.maxSens)
	m["blast_resources"], m["admin_resources"], m["blast_weighted"] = r.resources, r.adminRes, r.weighted
	// escalates_to_admin needs the witness of an admin's first reach when
	// an escalation is possible at all; the paths wait for a hit
	// (fillPaths) unless a rule's when may read them.
	esc := false
	if r.tier == graph.PrivAdmin && r.mayEscalate {
		esc = ex.witness(r).escToAdmin
	}
	m["escalation_paths"], m["escalates_to_admin"] = f.escalations, esc
	m["admin_direct"] = f.standing == graph.PrivAdmin
	m["standing_tier"] = int(f.standing)
	pending = r.resources > 0 && !ex.eagerPaths
	if pending {
		m["admin_path"], m["access_path"] = emptyList, emptyList
	} else {
		ex.fillPaths(m, r)
	}

	// Credentials.
	creds := make([]any, 0, len(f.creds))
	active, mfaMissing, lastActivity := 0, false, -1
	for _, c := range f.creds {
		creds = append(creds, c.value())
		if !c.active {
			continue
		}
		active++
		if c.password && !c.mfa {
			mfaMissing = true
		}
		if lastActivity < 0 || c.unusedDays < lastActivity {
			lastActivity = c.unusedDays
		}
	}
	m["credentials"], m["active_credentials"] = creds, active
	m["mfa_missing"], m["last_activity_days"] = mfaMissing, lastActivity
	// Credentials used after the person's HR termination date.
	var after []string
	if id >= 0 && !ex.facts[id].terminated.IsZero() {
		term := ex.facts[id].terminated
		for _, c := range f.creds {
			if c.lastUsed.After(term.Add(24 * time.Hour)) {
				after = append(after, c.id+" (last used "+c.lastUsed.Format("2006-01-02")+", terminated "+
					term.Format("2006-01-02")+")")
			}
		}
	}
	m["used_after_termination"] = strs(after)
	// For a credential: how recently the other active credentials of its
	// account were used (-1: none), so a forgotten key of an active person
	// stands out from a dormant person's.
	ownerActivity := -1
	if n.Kind == graph.KindCredential {
		if a := ex.accountOf(i); a >= 0 {
			for _, c := range ex.facts[a].creds {
				if c.active && c.id != n.ID && (ownerActivity < 0 || c.unusedDays < ownerActivity) {
					ownerActivity = c.unusedDays
				}
			}
		}
	}
	m["owner_last_activity_days"] = ownerActivity

	// Grants.
	var scopes []string
	if s := strings.TrimSpace(n.Props["scopes"]); s != "" {
		scopes = strings.Fields(strings.ReplaceAll(s, ",", " "))
	}
	m["scopes"], m["scope_risk"] = strs(scopes), strings.ToLower(n.Props["scope_risk"])
	m["client_grants"] = ex.clientGrants[n.Props["client_id"]]

	// Holdings.
	holdings := make([]string, 0, len(f.holdings))
	for h := range f.holdings {
		holdings = append(holdings, h)
	}
	slices.Sort(holdings)
	m["holdings"], m["via"], m["inline_admin"] = holdings, strs(f.via), strs(f.inlineAdmin)
	actions := make([]string, 0, len(f.actions))
	for a := range f.actions {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	m["actions"] = actions
	m["toxic_pairs"] = strs(ex.toxicPairs(f))
	m["peer_unusualness"], m["rare_holding"] = unusual, rare
	return m, pending
}

// fillPaths sets the admin_path and access_path facts from the witness of
// r's first reach.
func (ex *extractor) fillPaths(m map[string]any, r *reachFacts) {
	var adminPath, accessPath []string
	if p := ex.witness(r).topPath; p != "" {
		accessPath = []string{p}
		if r.tier == graph.PrivAdmin {
			adminPath = accessPath
		}
	}
	m["admin_path"], m["access_path"] = strs(adminPath), strs(accessPath)
}

// emptyList is the placeholder of a pending path fact.
var emptyList = []string{}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func propsOrEmpty(p map[string]string) map[string]string {
	if p == nil {
		return map[string]string{}
	}
	return p
}

// assess evaluates the rules and features of one item. fill completes the
// facts that only a rule's evidence or the kept facts read; it runs once
// the whens have fired at least one rule (or when every item's facts are
// kept).
func (s *Scorer) assess(x *index, i int32, facts map[string]any, fill func()) (Assessment, []string) {
	n := &x.nodes[i]
	a := Assessment{Item: Item{ID: n.ID, Kind: n.Kind, Subkind: n.Subkind, Name: n.Name, Source: n.Source},
		Facts: facts, Subject: n.ID}
	if id, _ := facts["identity_id"].(string); id != "" {
		a.Subject = id
	}
	act := &activation{item: facts, params: s.params}
	// The whens first, then the evidence of the rules that fired; errors
	// are reported in rule order as if each evidence followed its when.
	var fired []int
	var whenErr map[int]string
	for k := range s.rules {
		r := &s.rules[k]
		v, _, err := r.when.Eval(act)
		if err != nil {
			if whenErr == nil {
				whenErr = map[int]string{}
			}
			whenErr[k] = fmt.Sprintf("rule %s on %s: %v", r.ID, n.ID, err)
			continue
		}
		if v == types.True {
			fired = append(fired, k)
		}
	}
	if len(fired) > 0 || s.allFacts {
		fill()
	}
	var errs []string
	next := 0 // into fired
	for k := range s.rules {
		if e, ok := whenErr[k]; ok {
			errs = append(errs, e)
			continue
		}
		if next >= len(fired) || fired[next] != k {
			continue
		}
		next++
		r := &s.rules[k]
		h := Hit{Rule: r.ID, Title: r.Title, Severity: r.Severity, Weight: r.Weight}
		if r.evidence != nil {
			ev, _, err := r.evidence.Eval(act)
			if err != nil {
				errs = append(errs, fmt.Sprintf("rule %s evidence on %s: %v", r.ID, n.ID, err))
			} else {
				h.Evidence = toStrings(ev)
			}
		}
		if len(h.Evidence) == 0 {
			h.Evidence = []string{n.ID}
		}
		a.Hits = append(a.Hits, h)
	}
	// Strongest hit first; the k-th counts RuleDecay^k of its weight.
	slices.SortStableFunc(a.Hits, func(p, q Hit) int {
		switch {
		case p.Weight > q.Weight:
			return -1
		case p.Weight < q.Weight:
			return 1
		}
		return 0
	})
	factor := 1.0
	for _, h := range a.Hits {
		a.Contributions = append(a.Contributions, Contribution{Name: "rule:" + h.Rule, Weight: h.Weight,
			Value: factor, Points: h.Weight * factor})
		factor *= s.policy.RuleDecay
	}
	a.Features = featureValues(facts)
	for _, name := range Features {
		w := s.policy.Weights[name]
		v := a.Features[name]
		if w == 0 || v == 0 {
			continue
		}
		a.Contributions = append(a.Contributions, Contribution{Name: "feature:" + name, Weight: w, Value: v,
			Points: w * v})
	}
	for _, c := range a.Contributions {
		a.Score += c.Points
	}
	a.Score = round2(a.Score)
	return a, errs
}

// activation is what a rule sees: item and params.
type activation struct {
	item, params any
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "item":
		return a.item, true
	case "params":
		return a.params, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// featureValues normalises the facts that features read to 0..1.
func featureValues(f map[string]any) map[string]float64 {
	geti := func(k string) float64 {
		switch v := f[k].(type) {
		case int:
			return float64(v)
		case float64:
			return v
		}
		return 0
	}
	out := map[string]float64{
		"privilege_tier":   geti("privilege_tier") / 3,
		"max_sensitivity":  geti("max_sensitivity") / 4,
		"blast_weighted":   logNorm(geti("blast_weighted"), 1e5),
		"escalation_paths": logNorm(geti("escalation_paths"), 1000),
		"peer_unusualness": geti("peer_unusualness"),
	}
	var age, unused float64
	if cs, ok := f["credentials"].([]any); ok {
		for _, c := range cs {
			cm := c.(map[string]any)
			if cm["active"] != true {
				continue
			}
			age = max(age, float64(cm["age_days"].(int)))
			unused = max(unused, float64(cm["unused_days"].(int)))
		}
	}
	out["credential_age"] = norm01(age / 730)
	out["credential_unused"] = norm01(unused / 365)
	if sc, ok := f["scopes"].([]string); ok {
		out["scope_breadth"] = norm01(float64(len(sc)) / 20)
	}
	for k, v := range out {
		out[k] = round2(v)
	}
	return out
}

// toStrings converts a CEL list (or a single value) to strings.
func toStrings(v ref.Val) []string {
	native, err := v.ConvertToNative(reflectStrings)
	if err == nil {
		if ss, ok := native.([]string); ok {
			return ss
		}
	}
	if s, ok := v.Value().(string); ok {
		return []string{s}
	}
	return []string{fmt.Sprint(v.Value())}
}
