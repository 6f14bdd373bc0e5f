package graph

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Sorting a big batch's edges by comparing their IDs costs one string
// comparison of long shared prefixes per step (16 s of one core for the six
// million edges of the 100,000-identity company's Google Workspace export).
// rankSortEdges gets the same order from integers instead: every endpoint is
// a node of the batch, so an edge's ID order is the order of three ranks.
//
// Why that is exact: an edge ID is From|KIND|To. When From holds no '|',
// the first '|' of the ID ends From, so "From|" of two different Froms is
// never a prefix of the other's, and they decide the order by themselves;
// ordering the nodes by ID+"|" (pipeRank) gives that order ("u10|" before
// "u1|", where plain order puts u1 first). With equal Froms, kind names
// decide (none is a prefix of another, none holds '|'), then To, a plain
// string at the end of the ID (its rank among the sorted node IDs).

// kindRanks is each edge kind's rank in the order of kind names.
var kindRanks = func() [len(edgeKindNames)]uint8 {
	order := make([]int, len(edgeKindNames))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(edgeKindNames[a], edgeKindNames[b]) })
	var r [len(edgeKindNames)]uint8
	for rank, k := range order {
		r[k] = uint8(rank)
	}
	return r
}()

// comparePiped orders a and b as strings.Compare orders a+"|" and b+"|".
func comparePiped(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	switch {
	case len(a) == len(b):
		return 0
	case len(a) < len(b):
		if c := cmp.Compare(byte('|'), b[n]); c != 0 {
			return c
		}
		return -1 // a+"|" is a proper prefix of b+"|"
	default:
		if c := cmp.Compare(a[n], byte('|')); c != 0 {
			return c
		}
		return 1
	}
}

// rankedEdge is an edge with its sort key: hi is the From's pipe rank and
// the kind's rank, lo the To's rank.
type rankedEdge struct {
	hi uint64
	lo uint32
	e  *Edge
}

func compareRanked(x, y rankedEdge) int {
	if c := cmp.Compare(x.hi, y.hi); c != 0 {
		return c
	}
	return cmp.Compare(x.lo, y.lo)
}

// rankSortEdges sorts refs, the batch's edges, in ID order using nodes, the
// batch's nodes sorted by ID, and reports whether it could: it cannot (and
// refs is left as it was) when an edge is invalid, an endpoint is not a node
// of the batch, or a From holds '|'. When it returns true every edge has
// passed Edge.Validate and has both endpoints in the batch.
func rankSortEdges(nodes []*Node, refs []*Edge) bool {
	if len(nodes) >= 1<<31 {
		return false
	}
	plain := make(map[string]int32, len(nodes))
	for i, n := range nodes {
		plain[n.ID] = int32(i)
	}
	perm := make([]int32, len(nodes))
	for i := range perm {
		perm[i] = int32(i)
	}
	// Nearly sorted already: the orders differ only where an ID is a
	// prefix of another.
	slices.SortFunc(perm, func(a, b int32) int { return comparePiped(nodes[a].ID, nodes[b].ID) })
	piped := make([]uint32, len(nodes))
	for rank, i := range perm {
		piped[i] = uint32(rank)
	}
	// Ranking touches every edge and looks up both endpoints: memory
	// latency rather than arithmetic, so it is split over the cores (the
	// map is only read).
	ranked := make([]rankedEdge, len(refs))
	workers := 1
	if len(refs) >= parallelSort {
		workers = min(runtime.GOMAXPROCS(0), 4)
	}
	var (
		wg     sync.WaitGroup
		failed atomic.Bool
	)
	per := (len(refs) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(refs))
		wg.Go(func() {
			for i := lo; i < hi && !failed.Load(); i++ {
				e := refs[i]
				if e.Validate() != nil || strings.IndexByte(e.From, '|') >= 0 {
					failed.Store(true)
					return
				}
				f, ok := plain[e.From]
				if !ok {
					failed.Store(true)
					return
				}
				t, ok := plain[e.To]
				if !ok {
					failed.Store(true)
					return
				}
				ranked[i] = rankedEdge{hi: uint64(piped[f])<<8 | uint64(kindRanks[e.Kind]), lo: uint32(t), e: e}
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		return false
	}
	plain, piped = nil, nil
	sortRanked(ranked, refs)
	return true
}

// sortRanked sorts r and writes its edges, in order, into refs (as long as
// r); many are sorted in two halves at once, then merged into refs.
func sortRanked(r []rankedEdge, refs []*Edge) {
	a, b := sortHalves(r, compareRanked)
	mergeHalves(a, b, compareRanked, refs[:0], func(x rankedEdge) *Edge { return x.e })
}
