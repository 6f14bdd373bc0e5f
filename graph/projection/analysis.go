package projection

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// Default bounds for path enumeration.
const (
	DefaultMaxDepth = 6
	DefaultMaxPaths = 100
	// maxExpansions bounds the work of one Paths query; past it the query
	// returns what it found and reports truncation.
	maxExpansions = 2_000_000
)

// ErrBadQuery marks a query whose arguments are invalid.
var ErrBadQuery = fmt.Errorf("invalid query")

// step builds the Step for dense edge e from -> to.
func (s *Snapshot) step(from, to int32, e uint32) Step {
	a := &s.attrs[s.eattr[e]]
	return Step{
		Kind: s.ekind[e], From: s.nodes[from].ID, To: s.nodes[to].ID, Privilege: s.epriv[e],
		Actions: a.actions, Conditions: a.conditions, Via: a.via,
	}
}

// finishPath fills a path's summary fields from its steps.
func finishPath(p *Path) {
	for _, st := range p.Steps {
		if len(st.Conditions) > 0 {
			p.Conditional = true
		}
		if st.Kind == graph.EdgeEscalates {
			p.Escalation = true
		}
	}
	if n := len(p.Steps); n > 0 {
		last := p.Steps[n-1]
		switch last.Kind {
		case graph.EdgeAccess:
			p.Privilege, p.Actions = last.Privilege, last.Actions
		case graph.EdgeEscalates:
			p.Privilege = graph.PrivAdmin
		}
	}
}

// treePath walks the BFS tree from node i back to the root and returns the
// path root -> ... -> i, optionally extended by one more edge to `tail`.
func (s *Snapshot) treePath(w *workspace, i int32, tail int32, tailEdge uint32) Path {
	var rev []int32
	for v := i; ; v = w.parent[v] {
		rev = append(rev, v)
		if w.pedge[v] == noEdge {
			break
		}
	}
	slices.Reverse(rev)
	p := Path{Nodes: make([]NodeRef, 0, len(rev)+1), Steps: make([]Step, 0, len(rev))}
	for k, v := range rev {
		p.Nodes = append(p.Nodes, s.ref(v))
		if k > 0 {
			p.Steps = append(p.Steps, s.step(rev[k-1], v, w.pedge[v]))
		}
	}
	if tailEdge != noEdge {
		p.Nodes = append(p.Nodes, s.ref(tail))
		p.Steps = append(p.Steps, s.step(i, tail, tailEdge))
	}
	finishPath(&p)
	return p
}

// forwardClosure runs a BFS from root over traversal edges, leaving
// w.visited in BFS order. maxDist bounds the distance (negative: none).
func (s *Snapshot) forwardClosure(w *workspace, root int32, maxDist int32) {
	w.visit(root, -1, noEdge, 0)
	for qi := 0; qi < len(w.visited); qi++ {
		u := w.visited[qi]
		if maxDist >= 0 && w.dist[u] >= maxDist {
			continue
		}
		for e := s.outOff[u]; e < s.outOff[u+1]; e++ {
			if !s.ekind[e].Traversal() {
				continue
			}
			v := s.outTo[e]
			if !w.seen(v) {
				w.visit(v, u, e, w.dist[u]+1)
			}
		}
	}
}

type reachAcc struct {
	res      int32
	priv     graph.Privilege
	via      int32 // principal granting priv at the shortest distance
	edge     uint32
	length   int32
	actions  map[string]struct{}
	firstAct []string
}

// BlastRadius returns every resource q.From reaches, with the highest
// privilege and a witness path. An unknown ID returns an error wrapping
// graph.ErrNotFound.
func (s *Snapshot) BlastRadius(q BlastRadiusQuery) (*BlastRadiusResult, error) {
	root, err := s.lookup(q.From, "node")
	if err != nil {
		return nil, err
	}
	if q.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: maxDepth %d is negative", ErrBadQuery, q.MaxDepth)
	}
	w := s.getWS()
	defer s.putWS(w)
	maxDist := int32(-1)
	if q.MaxDepth > 0 {
		maxDist = int32(q.MaxDepth - 1) // the ACCESS step adds one
	}
	s.forwardClosure(w, root, maxDist)

	accs := map[int32]*reachAcc{}
	for _, u := range w.visited {
		for e := s.outOff[u]; e < s.outOff[u+1]; e++ {
			if !s.ekind[e].Terminal() {
				continue
			}
			r := s.outTo[e]
			pv, l := s.epriv[e], w.dist[u]+1
			a := accs[r]
			if a == nil {
				a = &reachAcc{res: r, priv: pv, via: u, edge: e, length: l}
				accs[r] = a
			} else if pv > a.priv || (pv == a.priv && l < a.length) {
				a.priv, a.via, a.edge, a.length = pv, u, e, l
			}
			a.addActions(s.attrs[s.eattr[e]].actions)
		}
	}
	res := &BlastRadiusResult{From: s.ref(root), Totals: newTotals()}
	res.Totals.Principals = len(w.visited)
	for _, a := range accs {
		n := &s.nodes[a.res]
		if a.priv < q.MinPrivilege || n.Sensitivity < q.MinSensitivity {
			continue
		}
		res.Reaches = append(res.Reaches, Reach{
			Resource: s.ref(a.res), Privilege: a.priv, Actions: a.actionList(),
			Witness: s.treePath(w, a.via, a.res, a.edge),
		})
		res.Totals.add(a.priv, n.Sensitivity)
	}
	slices.SortFunc(res.Reaches, func(x, y Reach) int {
		if x.Privilege != y.Privilege {
			return int(y.Privilege) - int(x.Privilege)
		}
		if x.Resource.Sensitivity != y.Resource.Sensitivity {
			return int(y.Resource.Sensitivity) - int(x.Resource.Sensitivity)
		}
		return strings.Compare(x.Resource.ID, y.Resource.ID)
	})
	return res, nil
}

func (a *reachAcc) addActions(acts []string) {
	if len(acts) == 0 {
		return
	}
	if a.actions == nil && a.firstAct == nil {
		a.firstAct = acts // common case: a single edge; no map needed
		return
	}
	if a.actions == nil {
		a.actions = make(map[string]struct{}, len(a.firstAct)+len(acts))
		for _, x := range a.firstAct {
			a.actions[x] = struct{}{}
		}
	}
	for _, x := range acts {
		a.actions[x] = struct{}{}
	}
}

func (a *reachAcc) actionList() []string {
	if a.actions == nil {
		return a.firstAct
	}
	out := make([]string, 0, len(a.actions))
	for x := range a.actions {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}

func newTotals() Totals {
	return Totals{ByPrivilege: map[graph.Privilege]int{}, BySensitivity: map[graph.Sensitivity]int{}}
}

func (t *Totals) add(p graph.Privilege, s graph.Sensitivity) {
	t.Resources++
	t.ByPrivilege[p]++
	t.BySensitivity[s]++
}
