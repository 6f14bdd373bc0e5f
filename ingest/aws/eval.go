package aws

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// grant is one (action pattern, resource pattern) that a principal is allowed,
// less the action patterns in except.
type grant struct {
	action   string
	except   []string
	resource string
	conds    []string
	via      []string
}

func (g grant) with(action, resource string, except []string) grant {
	return grant{action: action, resource: resource, except: except,
		conds: append([]string(nil), g.conds...), via: append([]string(nil), g.via...)}
}

// evaluator computes effective permissions with the action catalogue plus
// the literal action names that the export itself uses (so actions newer than
// the catalogue survive an expansion).
type evaluator struct {
	levels *ActionLevels
	extra  map[string][]string // lower-case service -> literal actions absent from the catalogue
	// memos of expand and level, which the same patterns hit for every principal
	expanded map[string][]string
	leveled  map[string]graph.Privilege
}

func newEvaluator(levels *ActionLevels, m *model) *evaluator {
	e := &evaluator{levels: levels, extra: map[string][]string{},
		expanded: map[string][]string{}, leveled: map[string]graph.Privilege{}}
	seen := map[string]bool{}
	add := func(d *policyDoc) {
		for _, st := range d.statements {
			for _, a := range st.actions {
				k := strings.ToLower(a)
				if hasWildcard(a) || seen[k] {
					continue
				}
				seen[k] = true
				if levels != nil {
					if _, ok := levels.levels[k]; ok {
						continue
					}
				}
				svc := actionService(a)
				e.extra[svc] = append(e.extra[svc], a)
			}
		}
	}
	for _, p := range m.princ {
		for _, sp := range p.policies {
			add(sp.doc)
		}
		if p.boundary != nil {
			add(p.boundary.doc)
		}
	}
	return e
}

// expand returns the known action names matching pattern. Without a
// catalogue it returns nil: the universe of actions is unknown.
func (e *evaluator) expand(pattern string) []string {
	if e.levels == nil {
		return nil
	}
	if out, ok := e.expanded[pattern]; ok {
		return out
	}
	out := e.levels.expand(pattern)
	svc := actionService(pattern)
	for s, names := range e.extra {
		if !globsMayOverlap(svc, s, true) {
			continue
		}
		for _, n := range names {
			if matchAction(pattern, n) {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	e.expanded[pattern] = out
	return out
}

// level returns the highest tier among the actions of pattern that no except
// pattern removes.
func (e *evaluator) level(pattern string, except []string) graph.Privilege {
	if e.levels == nil {
		return heuristicLevel(pattern)
	}
	key := pattern + "\x00" + strings.Join(except, "\x00")
	if p, ok := e.leveled[key]; ok {
		return p
	}
	p := e.levelOf(pattern, except)
	e.leveled[key] = p
	return p
}

func (e *evaluator) levelOf(pattern string, except []string) graph.Privilege {
	names := e.expand(pattern)
	if len(names) == 0 {
		p, _ := e.levels.Level(pattern)
		return p
	}
	best := graph.PrivNone
	for _, n := range names {
		if matchesAny(except, n, matchAction) {
			continue
		}
		if p, _ := e.levels.Level(n); p > best {
			best = p
		}
	}
	return best
}

func matchesAny(patterns []string, s string, match func(p, q string) bool) bool {
	for _, p := range patterns {
		if match(p, s) {
			return true
		}
	}
	return false
}

// intersectActions returns action patterns naming exactly the actions that
// both p and q name, as far as it can tell: the narrower pattern if one
// covers the other, else the known actions matching both.
func (e *evaluator) intersectActions(p, q string) []string {
	switch {
	case matchAction(q, p):
		return []string{p}
	case matchAction(p, q):
		return []string{q}
	case !actionsMayOverlap(p, q):
		return nil
	}
	var out []string
	for _, n := range e.expand(p) {
		if matchAction(q, n) {
			out = append(out, n)
		}
	}
	return out
}

// intersectResources is intersectActions for resource patterns. Two
// patterns that overlap without one covering the other (a* and *b) are
// dropped.
func intersectResources(r, x string) (string, bool) {
	switch {
	case matchResource(x, r):
		return r, true
	case matchResource(r, x):
		return x, true
	}
	return "", false
}

// effective computes the grants of p: its allows, intersected with its
// boundary, minus its denies.
func (e *evaluator) effective(p *principalInfo) []grant {
	var grants []grant
	var denies []*statement
	for _, sp := range p.policies {
		for i := range sp.doc.statements {
			st := &sp.doc.statements[i]
			if !st.allow {
				denies = append(denies, st)
				continue
			}
			grants = append(grants, fromAllow(st, sp.via)...)
		}
	}
	if p.boundary != nil {
		var allows []*statement
		for i := range p.boundary.doc.statements {
			st := &p.boundary.doc.statements[i]
			if st.allow {
				allows = append(allows, st)
			} else {
				denies = append(denies, st)
			}
		}
		grants = e.applyBoundary(grants, allows, p.boundary.via)
	}
	for _, d := range denies {
		grants = e.applyDeny(grants, d)
	}
	var out []grant
	for _, g := range grants {
		out = append(out, e.normalize(g)...)
	}
	return out
}

func fromAllow(st *statement, via string) []grant {
	base := grant{via: []string{via}}
	if st.condition != "" {
		base.conds = append(base.conds, st.condition)
	}
	actions, except := st.actions, []string(nil)
	if st.notAction {
		actions, except = []string{"*"}, st.actions
	}
	resources := st.resources
	if st.notResource {
		b, _ := json.Marshal(map[string][]string{"NotResource": st.resources})
		base.conds = append(base.conds, string(b))
		resources = []string{"*"}
	}
	var out []grant
	for _, a := range actions {
		for _, r := range resources {
			out = append(out, base.with(a, r, append([]string(nil), except...)))
		}
	}
	return out
}

// applyBoundary keeps what both a grant and one of the boundary's allow
// statements allow.
func (e *evaluator) applyBoundary(grants []grant, allows []*statement, via string) []grant {
	var out []grant
	for _, g := range grants {
		for _, b := range allows {
			resources := b.resources
			if b.notResource {
				// Limitation: a boundary with NotResource is treated as allowing
				// every resource.
				resources = []string{"*"}
			}
			var rs []string
			for _, x := range resources {
				if r, ok := intersectResources(g.resource, x); ok {
					rs = append(rs, r)
				}
			}
			var as [][2]string // action, and a marker for NotAction
			if b.notAction {
				as = append(as, [2]string{g.action, "not"})
			} else {
				for _, ba := range b.actions {
					for _, a := range e.intersectActions(g.action, ba) {
						as = append(as, [2]string{a, ""})
					}
				}
			}
			for _, r := range rs {
				for _, a := range as {
					ng := g.with(a[0], r, append([]string(nil), g.except...))
					if a[1] == "not" {
						ng.except = append(ng.except, b.actions...)
					}
					if b.condition != "" {
						ng.conds = append(ng.conds, b.condition)
					}
					ng.via = append(ng.via, via)
					out = append(out, ng)
				}
			}
		}
	}
	return out
}

// applyDeny subtracts d from every grant it fully covers, and records it in
// the conditions of the grants it may restrict but cannot be subtracted from
// (it has a condition, or it names only some of the grant's resources).
func (e *evaluator) applyDeny(grants []grant, d *statement) []grant {
	var out []grant
	for _, g := range grants {
		// Which of g's actions does d name?
		var named bool
		if d.notAction {
			named = !matchesAny(d.actions, g.action, matchAction)
		} else {
			for _, a := range d.actions {
				if actionsMayOverlap(a, g.action) {
					named = true
				}
			}
		}
		if !named {
			out = append(out, g)
			continue
		}

		// Which of g's resources?
		full, partial := false, false
		var keep []string // for NotResource: the resources the deny spares
		if d.notResource {
			switch {
			case matchesAny(d.resources, g.resource, matchResource):
			default:
				full = true
				for _, x := range d.resources {
					if r, ok := intersectResources(g.resource, x); ok {
						keep = append(keep, r)
					} else if globsMayOverlap(g.resource, x, false) {
						partial = true
					}
				}
			}
		} else {
			for _, x := range d.resources {
				if matchResource(x, g.resource) {
					full = true
				} else if globsMayOverlap(x, g.resource, false) {
					partial = true
				}
			}
		}
		if !full && !partial {
			out = append(out, g)
			continue
		}
		if !d.notResource && full {
			partial = false // one of its resources covers all of g's
		}
		if d.condition != "" || !full || partial {
			g.conds = append(g.conds, d.render())
			out = append(out, g)
			continue
		}

		// The deny applies unconditionally: g loses the denied actions, except
		// (for NotResource) on the resources the deny spares.
		for _, r := range keep {
			out = append(out, g.with(g.action, r, append([]string(nil), g.except...)))
		}
		if d.notAction {
			for _, x := range d.actions {
				for _, a := range e.intersectActions(g.action, x) {
					out = append(out, g.with(a, g.resource, append([]string(nil), g.except...)))
				}
			}
			continue
		}
		for _, a := range d.actions {
			if actionsMayOverlap(a, g.action) {
				g.except = append(g.except, a)
			}
		}
		out = append(out, g)
	}
	return out
}

// normalize drops except patterns that remove nothing from g's action, drops
// g if they remove everything, and expands a single-service pattern into the
// action names that remain when the catalogue is known.
func (e *evaluator) normalize(g grant) []grant {
	var except []string
	for _, x := range g.except {
		if matchAction(x, g.action) {
			return nil
		}
		if actionsMayOverlap(x, g.action) {
			except = append(except, x)
		}
	}
	sort.Strings(except)
	g.except = dedupe(except)
	if len(g.except) == 0 || e.levels == nil || hasWildcard(actionService(g.action)) {
		return []grant{g}
	}
	names := e.expand(g.action)
	if len(names) == 0 {
		return []grant{g}
	}
	var out []grant
	for _, n := range names {
		if !matchesAny(g.except, n, matchAction) {
			out = append(out, g.with(n, g.resource, nil))
		}
	}
	return out
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// mayAct reports whether some allow statement of p names action at all, on
// any resource: a cheap test before calling allowed for every resource.
func (p *principalInfo) mayAct(action string) bool {
	if v, ok := p.acts[action]; ok {
		return v
	}
	v := false
	for _, sp := range p.policies {
		for i := range sp.doc.statements {
			st := &sp.doc.statements[i]
			if st.allow && matchesAny(st.actions, action, matchAction) != st.notAction {
				v = true
			}
		}
	}
	if p.acts == nil {
		p.acts = map[string]bool{}
	}
	p.acts[action] = v
	return v
}

// allowed reports whether p may perform action on the concrete resource arn:
// some allow statement matches, the boundary (if any) allows it too, and no
// unconditional deny matches. It returns what allowed it and the conditions
// that restrict it (conditional allows and conditional denies).
func allowed(p *principalInfo, action, arn string) (ok bool, via, conds []string) {
	return allowedIf(p, action, arn, nil)
}

// allowedIf is allowed counting only the allow statements that admit
// accepts (nil accepts all): for iam:PassRole, those whose
// iam:PassedToService condition lets the role go to a given service.
func allowedIf(p *principalInfo, action, arn string, admit func(*statement) bool) (ok bool, via, conds []string) {
	return evaluate(p, action, scope{
		applies: func(st *statement) bool { return st.matches(action, arn) },
		admit:   admit,
	})
}

// scope tells evaluate which statements count for one request.
type scope struct {
	// applies reports whether a statement names the request.
	applies func(*statement) bool
	// total reports whether an unconditional Deny that applies refuses the
	// request outright; nil means every one does. A Deny that is not total
	// is recorded as a condition instead.
	total func(*statement) bool
	// admit, if set, must accept an Allow statement for it to grant.
	admit func(*statement) bool
}

// evaluate is the per-principal decision that allowedIf and launchAllowed
// share: some applying Allow of p's policies grants the action, the
// boundary (if any) grants it too, and no total unconditional Deny applies.
// It returns the sources of the granting statements and the conditions that
// restrict the grant (conditional allows, conditional and partial denies).
func evaluate(p *principalInfo, action string, sc scope) (ok bool, via, conds []string) {
	if !p.mayAct(action) {
		return false, nil, nil
	}
	var denied bool
	check := func(sp sourcedPolicy) (allow bool) {
		for i := range sp.doc.statements {
			st := &sp.doc.statements[i]
			if !sc.applies(st) {
				continue
			}
			switch {
			case !st.allow && st.condition == "" && (sc.total == nil || sc.total(st)):
				denied = true
			case !st.allow:
				conds = append(conds, st.render())
			case sc.admit != nil && !sc.admit(st):
			default:
				allow = true
				via = append(via, sp.via)
				if st.condition != "" {
					conds = append(conds, st.condition)
				}
			}
		}
		return allow
	}
	granted := false
	for _, sp := range p.policies {
		if check(sp) {
			granted = true
		}
	}
	if p.boundary != nil && !check(*p.boundary) {
		return false, nil, nil
	}
	if !granted || denied {
		return false, nil, nil
	}
	return true, via, conds
}

// matches reports whether s names action on resource.
func (s *statement) matches(action, resource string) bool {
	if matchesAny(s.actions, action, matchAction) == s.notAction {
		return false
	}
	if s.resources == nil {
		return true
	}
	return matchesAny(s.resources, resource, matchResource) != s.notResource
}
