package projection

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// Node IDs and names survive the snapshot's packed text byte for byte,
// whatever bytes they hold and however long they are, and lookups by ID
// find every node and only those.
func TestNodeTextRoundTrip(t *testing.T) {
	long := strings.Repeat("ä", 300)
	nodes := []graph.Node{
		{ID: "b", Kind: graph.KindAccount, Subkind: "okta-user", Name: "Alex", Source: "okta:x", SyncRun: "r1",
			Props: map[string]string{graph.PropEmail: "alex@example.com"}},
		{ID: "a", Kind: graph.KindResource, Name: "a", Source: "okta:x", Sensitivity: graph.SensHigh},
		{ID: "z\x00nul", Kind: graph.KindGroup, Name: "", Source: "s"},
		{ID: long, Kind: graph.KindGroup, Name: long + "!", Source: "s", SyncRun: "r2"},
		{ID: "b", Kind: graph.KindAccount, Name: "duplicate, dropped", Source: "okta:x"},
	}
	s := FromElements(nodes, nil)
	require.Equal(t, 4, s.Stats().Nodes)
	for _, n := range nodes[:4] {
		ref, ok := s.Node(n.ID)
		require.True(t, ok, n.ID)
		require.Equal(t, NodeRef{ID: n.ID, Kind: n.Kind, Subkind: n.Subkind, Name: n.Name, Source: n.Source,
			Sensitivity: n.Sensitivity}, ref)
		run, ok := s.SyncRun(n.ID)
		require.True(t, ok)
		require.Equal(t, n.SyncRun, run)
	}
	for _, missing := range []string{"", "c", "b\x00", long + "x", "z"} {
		_, ok := s.Node(missing)
		require.False(t, ok, "%q", missing)
	}
}

// HeapBytes grows by exactly the edge arrays' 15 bytes per edge (target,
// source, edge id: 4 bytes each; kind 1; the (privilege, attribute set)
// index 2) when edges are added between the same nodes, and counts the
// node part on top of the edge arrays: every array the snapshot holds.
func TestHeapBytesPerEdge(t *testing.T) {
	var nodes []graph.Node
	for i := range 100 {
		nodes = append(nodes, graph.Node{ID: fmt.Sprintf("node-%03d", i), Kind: graph.KindGroup, Name: "group", Source: "s"})
	}
	edges := func(m int) []graph.Edge {
		var out []graph.Edge
		for k := range m {
			out = append(out, graph.Edge{From: nodes[k%100].ID, To: nodes[(k/100+k%100+1)%100].ID, Kind: graph.EdgeMemberOf})
		}
		return out
	}
	small, big := FromElements(nodes, edges(1000)), FromElements(nodes, edges(3000))
	require.Equal(t, 1000, small.Stats().Edges)
	require.Equal(t, 3000, big.Stats().Edges)
	require.Equal(t, 2000*15, big.HeapBytes()-small.HeapBytes())
	require.Equal(t, 2000*15, big.MemoryBytes()-small.MemoryBytes())

	// The node part, array by array: 7 blocks of front-coded IDs (each
	// block's first ID whole, 1+8 bytes, the other 15 as 1 shared-length
	// byte, 1 length byte and 2 new bytes; "node-09" to "node-10" shares 5)
	// with a 4-byte offset each; one copy of the name "group" (1+5 bytes)
	// and a 4-byte reference per node; a 2-byte class per node and one
	// class; the strings "", "s"; the edge arrays; one (privilege, attribute
	// set) pair and the empty attribute set.
	s := small
	ids := 0
	for i := range 100 {
		if i%idBlock == 0 {
			ids += 1 + 8
		} else {
			ids += 1 + 1 + len(nodes[i].ID) - commonPrefix(nodes[i-1].ID, nodes[i].ID)
		}
	}
	require.Equal(t, ids, len(s.ids.data))
	require.Equal(t, 7, len(s.ids.block))
	want := int(unsafe.Sizeof(*s)) + ids + 7*4 + 6 + 100*4 + 100*2 + int(unsafe.Sizeof(nodeClass{})) +
		2*int(unsafe.Sizeof("")) + 1 + s.MemoryBytes() + 1 + 4 + 4*4
	require.Equal(t, want, s.HeapBytes())
	require.Equal(t, 4*(2*101+3*1000)+1000+2*1000, s.MemoryBytes())
}

// HeapBytes is what the heap really holds for a snapshot: a collection
// after dropping it frees that much, within a few percent (the allocator
// rounds each allocation up to its size class).
func TestHeapBytesMatchesRuntime(t *testing.T) {
	nodes, edges := company(20000, 8)
	var before, built, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := FromElements(nodes, edges)
	runtime.GC()
	runtime.ReadMemStats(&built)
	hb := s.HeapBytes()
	require.Equal(t, len(edges), s.Stats().Edges)
	runtime.KeepAlive(s) // s is dead from here: the next collection frees it
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(nodes)
	runtime.KeepAlive(edges)
	held := float64(built.HeapAlloc) - float64(before.HeapAlloc)
	freed := float64(built.HeapAlloc) - float64(after.HeapAlloc)
	t.Logf("HeapBytes %d, heap grew by %.0f, freed %.0f", hb, held, freed)
	require.InEpsilon(t, float64(hb), freed, 0.05)
	require.InEpsilon(t, float64(hb), held, 0.05)
}

// company is a synthetic graph with IDs shaped like the connectors' (long
// shared prefixes), names of several shapes, and m edges per node.
func company(n, m int) ([]graph.Node, []graph.Edge) {
	nodes := make([]graph.Node, n)
	for i := range nodes {
		id := fmt.Sprintf("okta:acme.okta.com:user:00u%08dXyZ", i*7919%n)
		name := fmt.Sprintf("user.%d@acme.example", i)
		switch i % 3 {
		case 1:
			id = fmt.Sprintf("arn:aws:iam::123456789012:role/team-%d", i)
			name = fmt.Sprintf("team-%d", i) // a suffix of the ID
		case 2:
			id = fmt.Sprintf("k8s:prod:ns-%d:core/secrets/s", i)
			name = id
		}
		nodes[i] = graph.Node{ID: id, Kind: graph.Kind(1 + i%6), Name: name, Source: fmt.Sprintf("src-%d", i%3),
			SyncRun: "run", Sensitivity: graph.Sensitivity(i % 5)}
	}
	var edges []graph.Edge
	for i := range nodes {
		for k := range m {
			j := (i*31 + k*k*977 + 1) % n
			edges = append(edges, graph.Edge{From: nodes[i].ID, To: nodes[j].ID, Kind: graph.EdgeKind(1 + k%11),
				Privilege: graph.Privilege(k % 4), Actions: []string{fmt.Sprintf("act:%d", k%5)}})
		}
	}
	return nodes, edges
}
