package projection

// noEdge marks a BFS root, which has no parent edge.
const noEdge = ^uint32(0)

// workspace holds per-query scratch arrays sized to the snapshot, reused
// through a pool. A slot is valid only when its stamp equals the current
// epoch, so resetting costs nothing.
type workspace struct {
	epoch   uint32
	stamp   []uint32
	dist    []int32
	parent  []int32  // previous node on the BFS tree
	pedge   []uint32 // dense edge id from parent
	level   []uint8  // privilege level that reached the node (reverse reach)
	queue   []int32
	onPath  []bool
	epoch2  uint32
	stamp2  []uint32
	dist2   []int32
	visited []int32

	// Containment chain towards a target (reverse reach and paths).
	epoch3  uint32
	stamp3  []uint32
	dist3   []int32
	parent3 []int32
	pedge3  []uint32
	chain   []int32

	// What a blast-radius query learns per reached resource.
	accs accTable
}

// accTable maps reached resources to their reachAcc, densely: a slot is
// valid only when its stamp equals the table's epoch.
type accTable struct {
	epoch uint32
	stamp []uint32
	slot  []int32
	list  []reachAcc
}

// reset empties the table for a snapshot of n nodes.
func (t *accTable) reset(n int) {
	if len(t.stamp) != n {
		t.stamp, t.slot, t.epoch = make([]uint32, n), make([]int32, n), 0
	}
	t.epoch++
	if t.epoch == 0 {
		clear(t.stamp)
		t.epoch = 1
	}
	t.list = t.list[:0]
}

// at returns r's entry, or nil. The pointer is valid until the next get.
func (t *accTable) at(r int32) *reachAcc {
	if t.stamp[r] != t.epoch {
		return nil
	}
	return &t.list[t.slot[r]]
}

// get returns r's entry, adding an empty one. The pointer is valid until
// the next get.
func (t *accTable) get(r int32) *reachAcc {
	if t.stamp[r] == t.epoch {
		return &t.list[t.slot[r]]
	}
	t.stamp[r], t.slot[r] = t.epoch, int32(len(t.list))
	if len(t.list) < cap(t.list) {
		t.list = t.list[:len(t.list)+1]
		a := &t.list[len(t.list)-1]
		*a = reachAcc{res: r, attrs: a.attrs[:0]}
		return a
	}
	t.list = append(t.list, reachAcc{res: r})
	return &t.list[len(t.list)-1]
}

func newWorkspace(n int) *workspace {
	return &workspace{
		stamp: make([]uint32, n), dist: make([]int32, n), parent: make([]int32, n),
		pedge: make([]uint32, n), level: make([]uint8, n), onPath: make([]bool, n),
		stamp2: make([]uint32, n), dist2: make([]int32, n),
		stamp3: make([]uint32, n), dist3: make([]int32, n), parent3: make([]int32, n),
		pedge3: make([]uint32, n),
	}
}

// reset starts a new epoch for the primary arrays.
func (w *workspace) reset() {
	w.epoch++
	if w.epoch == 0 { // wrapped: clear for real
		clear(w.stamp)
		w.epoch = 1
	}
	w.queue = w.queue[:0]
	w.visited = w.visited[:0]
}

// reset2 starts a new epoch for the secondary distance array.
func (w *workspace) reset2() {
	w.epoch2++
	if w.epoch2 == 0 {
		clear(w.stamp2)
		w.epoch2 = 1
	}
}

// reset3 starts a new epoch for the containment arrays.
func (w *workspace) reset3() {
	w.epoch3++
	if w.epoch3 == 0 {
		clear(w.stamp3)
		w.epoch3 = 1
	}
	w.chain = w.chain[:0]
}

// inChain reports whether i is on a containment chain to the target.
func (w *workspace) inChain(i int32) bool { return w.stamp3[i] == w.epoch3 }

func (w *workspace) seen(i int32) bool { return w.stamp[i] == w.epoch }

func (w *workspace) visit(i, parent int32, pedge uint32, dist int32) {
	w.stamp[i] = w.epoch
	w.parent[i] = parent
	w.pedge[i] = pedge
	w.dist[i] = dist
	w.visited = append(w.visited, i)
}

func (s *Snapshot) getWS() *workspace {
	w := s.pool.Get().(*workspace)
	w.reset()
	return w
}

func (s *Snapshot) putWS(w *workspace) { s.pool.Put(w) }
