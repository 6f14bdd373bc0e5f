package risk

import (
	"regexp"
	"strings"
	"sync"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// reachIndex is what a blast radius walks, by node position, in compressed
// rows: the traversal edges (a principal acts as their target), the ACCESS
// edges with their tier, and the CONTAINS edges (access passes to what a
// resource contains).
//
// The scorer needs, for every item, the counts of projection.BlastRadius
// (resources reached, at admin, the weighted sum, the best tier and
// sensitivity) and one witness path. Asking the projection for every reach
// of every item builds a Reach record (a node reference with its ID
// decoded, and a path) for each of them, most of scoring's time and
// garbage; the counts depend only on the highest tier reached per resource,
// which this walk computes without allocating. The projection is then asked
// only for the witness, with its result narrowed to the top tier and
// sensitivity (see reachOf).
type reachIndex struct {
	travOff, accOff, contOff []uint32
	trav, acc, cont          []int32
	accPriv                  []graph.Privilege
	sens                     []graph.Sensitivity
	ids                      []string
	escalates                []bool    // the node has an ESCALATES out-edge
	pool                     sync.Pool // of *reachWS
}

func newReachIndex(x *index) *reachIndex {
	n := len(x.nodes)
	ri := &reachIndex{travOff: make([]uint32, n+1), accOff: make([]uint32, n+1), contOff: make([]uint32, n+1),
		sens: make([]graph.Sensitivity, n), ids: make([]string, n), escalates: make([]bool, n)}
	for u := range n {
		ri.sens[u], ri.ids[u] = x.nodes[u].Sensitivity, x.nodes[u].ID
		var t, a, c uint32
		for _, ei := range x.out[u] {
			switch k := x.edges[ei].Kind; {
			case k.Traversal():
				t++
				if k == graph.EdgeEscalates {
					ri.escalates[u] = true
				}
			case k.Terminal():
				a++
			case k.Containment():
				c++
			}
		}
		ri.travOff[u+1], ri.accOff[u+1], ri.contOff[u+1] = ri.travOff[u]+t, ri.accOff[u]+a, ri.contOff[u]+c
	}
	ri.trav, ri.cont = make([]int32, ri.travOff[n]), make([]int32, ri.contOff[n])
	ri.acc, ri.accPriv = make([]int32, ri.accOff[n]), make([]graph.Privilege, ri.accOff[n])
	for u := range n {
		t, a, c := ri.travOff[u], ri.accOff[u], ri.contOff[u]
		for _, ei := range x.out[u] {
			e := &x.edges[ei]
			to := x.pos[e.To]
			switch k := e.Kind; {
			case k.Traversal():
				ri.trav[t] = to
				t++
			case k.Terminal():
				ri.acc[a], ri.accPriv[a] = to, e.Privilege
				a++
			case k.Containment():
				ri.cont[c] = to
				c++
			}
		}
	}
	ri.pool.New = func() any {
		return &reachWS{seen: make([]uint32, n), rstamp: make([]uint32, n), top: make([]graph.Privilege, n)}
	}
	return ri
}

// reachWS is one walk's scratch space. A slot is valid only when its stamp
// equals the epoch, so starting a walk costs nothing.
type reachWS struct {
	epoch        uint32
	seen, rstamp []uint32
	top          []graph.Privilege // best tier reaching a resource
	queue        []int32           // the principals the root acts as, in BFS order
	escalates    bool              // one of them has an ESCALATES edge
	work         []int32
	touched      []int32 // resources offered any tier
}

func (ri *reachIndex) get() *reachWS  { return ri.pool.Get().(*reachWS) }
func (ri *reachIndex) put(w *reachWS) { ri.pool.Put(w) }

// walk computes, into w, the best tier at which root reaches each resource,
// as projection.BlastRadius does with no depth bound: every principal
// reachable over traversal edges, the tier of each of their ACCESS edges,
// passed down CONTAINS edges.
func (ri *reachIndex) walk(w *reachWS, root int32) {
	w.epoch++
	if w.epoch == 0 {
		clear(w.seen)
		clear(w.rstamp)
		w.epoch = 1
	}
	ep := w.epoch
	w.queue = append(w.queue[:0], root)
	w.seen[root] = ep
	w.escalates = false
	for qi := 0; qi < len(w.queue); qi++ {
		u := w.queue[qi]
		w.escalates = w.escalates || ri.escalates[u]
		for _, v := range ri.trav[ri.travOff[u]:ri.travOff[u+1]] {
			if w.seen[v] != ep {
				w.seen[v] = ep
				w.queue = append(w.queue, v)
			}
		}
	}
	w.touched, w.work = w.touched[:0], w.work[:0]
	offer := func(r int32, p graph.Privilege) {
		if w.rstamp[r] != ep {
			w.rstamp[r], w.top[r] = ep, graph.PrivNone
			w.touched = append(w.touched, r)
		}
		if p > w.top[r] {
			w.top[r] = p
			w.work = append(w.work, r)
		}
	}
	for _, u := range w.queue {
		for k := ri.accOff[u]; k < ri.accOff[u+1]; k++ {
			offer(ri.acc[k], ri.accPriv[k])
		}
	}
	for len(w.work) > 0 {
		r := w.work[len(w.work)-1]
		w.work = w.work[:len(w.work)-1]
		p := w.top[r]
		for _, c := range ri.cont[ri.contOff[r]:ri.contOff[r+1]] {
			offer(c, p)
		}
	}
}

// tierOf is the best tier at which the last walk into w reached r.
func (w *reachWS) tierOf(r int32) graph.Privilege {
	if w.rstamp[r] != w.epoch {
		return graph.PrivNone
	}
	return w.top[r]
}

// before reports whether resource a (reached at pa) comes before b (at pb)
// in projection.BlastRadius's order: tier, then sensitivity, highest first,
// then ID.
func (ri *reachIndex) before(a int32, pa graph.Privilege, b int32, pb graph.Privilege) bool {
	if pa != pb {
		return pa > pb
	}
	if ri.sens[a] != ri.sens[b] {
		return ri.sens[a] > ri.sens[b]
	}
	return strings.Compare(ri.ids[a], ri.ids[b]) < 0
}

// reachOf computes the blast-radius counts of node i from a walk. The
// witness path of its first reach (witness) is asked of the projection
// only when something reads it.
func (ex *extractor) reachOf(i int32) reachFacts {
	rf := reachFacts{root: i}
	ri := ex.reach
	w := ri.get()
	ri.walk(w, i)
	rf.principals, rf.mayEscalate = len(w.queue), w.escalates
	for _, r := range w.touched {
		p, s := w.top[r], ri.sens[r]
		if p == graph.PrivNone {
			continue
		}
		rf.resources++
		if p > rf.tier {
			rf.tier, rf.topSens = p, s
		} else if p == rf.tier && s > rf.topSens {
			rf.topSens = s
		}
		if s > rf.maxSens {
			rf.maxSens = s
		}
		if p == graph.PrivAdmin {
			rf.adminRes++
		}
		if int(p) < len(privWeight) && int(s) < len(sensWeight) {
			rf.weighted += privWeight[p] * sensWeight[s]
		}
	}
	ri.put(w)
	return rf
}

// witnessFacts are what the witness of a principal's first reach says.
type witnessFacts struct {
	topPath    string
	escToAdmin bool
	// adminDirect: the admin witness uses no CAN_ASSUME, ESCALATES or DELEGATES step.
	adminDirect bool
}

// witness returns the witness facts of rf (computed once per principal):
// the first reach of the full blast radius (highest tier, then
// sensitivity, then ID) and its witness, from the projection asked for only
// the reaches at that tier and sensitivity, which leaves the first one and
// its witness as they are in the full answer.
func (ex *extractor) witness(rf *reachFacts) witnessFacts {
	if rf.resources == 0 || rf.root < 0 {
		return witnessFacts{}
	}
	root := rf.root
	ex.witOnce[root].Do(func() {
		res, err := ex.snap.BlastRadius(projection.BlastRadiusQuery{From: ex.x.nodes[root].ID,
			MinPrivilege: rf.tier, MinSensitivity: rf.topSens, Witnesses: projection.Window{Offset: 0, Limit: 1}})
		if err != nil || res == nil || len(res.Reaches) == 0 {
			return // cannot happen: the snapshot holds the same graph
		}
		r := &res.Reaches[0]
		p := r.Privilege
		wf := witnessFacts{topPath: renderPath(&r.Witness), escToAdmin: p == graph.PrivAdmin && r.Witness.Escalation,
			adminDirect: p == graph.PrivAdmin && !r.Witness.Conditional}
		for _, st := range r.Witness.Steps {
			switch st.Kind {
			case graph.EdgeCanAssume, graph.EdgeEscalates, graph.EdgeDelegates:
				wf.adminDirect = false
			}
		}
		ex.wit[root] = wf
	})
	return ex.wit[root]
}

// readsPaths reports whether a CEL expression may read item.admin_path or
// item.access_path: it names one of them, or uses item other than as
// item.<field> (item['x'], a macro over item, item passed whole).
func readsPaths(src string) bool {
	for _, loc := range itemRefRE.FindAllStringSubmatchIndex(src, -1) {
		if loc[2] < 0 {
			return true
		}
		switch src[loc[2]:loc[3]] {
		case "admin_path", "access_path":
			return true
		}
	}
	return false
}

// itemRefRE matches each use of item, with the field it selects if any.
var itemRefRE = regexp.MustCompile(`\bitem\b(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*))?`)

// agentExcess compares the reach of agent a with that of person p (-1: no
// such person, who then reaches nothing), resource by resource: a resource
// counts when the agent's tier on it is above the person's. Comparing
// resource by resource, not best tiers, keeps a person's admin over their
// own mailbox from covering an agent's admin over the company's secrets.
// The example is the first such resource in blast-radius order.
func (ex *extractor) agentExcess(a, p int32) excessFacts {
	var out excessFacts
	ri := ex.reach
	aw := ri.get()
	defer ri.put(aw)
	ri.walk(aw, a)
	var pw *reachWS
	if p >= 0 {
		pw = ri.get()
		defer ri.put(pw)
		ri.walk(pw, p)
	}
	first, firstTier, firstPerson := int32(-1), graph.PrivNone, graph.PrivNone
	for _, r := range aw.touched {
		pa := aw.top[r]
		if pa == graph.PrivNone {
			continue
		}
		pp := graph.PrivNone
		if pw != nil {
			pp = pw.tierOf(r)
		}
		if pa <= pp {
			continue
		}
		out.resources++
		if pa == graph.PrivAdmin {
			out.admin++
		}
		if first < 0 || ri.before(r, pa, first, firstTier) {
			first, firstTier, firstPerson = r, pa, pp
		}
	}
	if first >= 0 {
		out.example = ri.ids[first] + " (agent " + firstTier.String() + ", person " + firstPerson.String() + ")"
	}
	return out
}
