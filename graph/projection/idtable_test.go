package projection

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// checkIDTable encodes ids and checks that every ID comes back byte for
// byte, in order, is found at its position, and that strings next to them
// in the order (prefixes, extensions, neighbours) are not found unless
// they are IDs.
func checkIDTable(t *testing.T, ids []string) {
	t.Helper()
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	tab := newIDTable(len(ids), func(i int) string { return ids[i] })
	require.Equal(t, len(ids), tab.n)
	require.Len(t, tab.block, (len(ids)+idBlock-1)/idBlock)
	for i, id := range ids {
		require.Equal(t, id, tab.at(i), "at(%d)", i)
		j, ok := tab.find(id)
		require.True(t, ok, "find(%q)", id)
		require.Equal(t, i, j, "find(%q)", id)
	}
	var got []string
	tab.each(func(i int, id []byte) {
		require.Equal(t, len(got), i)
		got = append(got, string(id))
	})
	require.Equal(t, len(ids), len(got))
	for i := range got {
		require.Equal(t, ids[i], got[i])
	}

	present := map[string]bool{}
	for _, id := range ids {
		present[id] = true
	}
	probes := []string{"", "\x00", "\xff\xff\xff", "zzzz", "a"}
	for _, id := range ids {
		probes = append(probes, id+"\x00", id+"a", id+"\xff")
		if len(id) > 0 {
			probes = append(probes, id[:len(id)-1], id[:len(id)/2], id[1:],
				id[:len(id)-1]+string(id[len(id)-1]+1))
		}
	}
	for _, p := range probes {
		j, ok := tab.find(p)
		require.Equal(t, present[p], ok, "find(%q)", p)
		if ok {
			require.Equal(t, p, ids[j])
		}
	}
}

func TestIDTableEmptyAndOne(t *testing.T) {
	checkIDTable(t, nil)
	checkIDTable(t, []string{""})
	checkIDTable(t, []string{"only"})
	tab := newIDTable(0, nil)
	_, ok := tab.find("")
	require.False(t, ok)
	tab.each(func(int, []byte) { t.Fatal("no IDs") })
}

// IDs sharing long prefixes, across block boundaries, at every table size
// around a block.
func TestIDTableSharedPrefixes(t *testing.T) {
	var ids []string
	for i := range 70 {
		ids = append(ids, fmt.Sprintf("okta:acme.okta.com:user:00u%04d", i))
		ids = append(ids, fmt.Sprintf("okta:acme.okta.com:user:00u%04d/drive", i))
		ids = append(ids, fmt.Sprintf("arn:aws:iam::123456789012:role/r%d", i%7))
	}
	// Each ID a prefix of the next, and IDs that differ only at the end.
	for i := range 40 {
		ids = append(ids, "k8s:prod:"+strings.Repeat("a", i))
		ids = append(ids, "k8s:prod:"+strings.Repeat("a", i)+"b")
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, n := range []int{1, 2, idBlock - 1, idBlock, idBlock + 1, 2*idBlock + 1, 100, len(ids)} {
		checkIDTable(t, ids[:n])
	}
}

// Bytes that are not ASCII, separators the connectors use ('|', '/', ':',
// '#'), NUL and 0xff bytes, a long shared prefix (more than one byte of
// uvarint) and IDs longer than the lookup's stack buffer.
func TestIDTableOddBytes(t *testing.T) {
	long := strings.Repeat("ä", 200) // 400 bytes
	ids := []string{
		"ad:CORP|S-1-5-21-1|user", "ad:CORP|S-1-5-21-1|group", "ad:CORP|S-1-5-21-10", "ad:CORP||",
		"a/b/c", "a/b", "a/", "/", "|", "a|b/c:d#e",
		"google:grüße.example:user:Jürgen", "google:grüße.example:user:Jürg", "日本語:ユーザー:1", "日本語:ユーザー:2",
		"emoji:😀", "emoji:😀😀", "nul\x00", "nul\x00\x00", "\xff", "\xff\xfe",
		long, long + "x", long + "y" + long, long[:len(long)-1] + "\xc3",
	}
	checkIDTable(t, ids)
}

func TestIDTableRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", ":", "/", "|", "é", "\x00", "ab:"}
	var ids []string
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		ids = append(ids, sb.String())
	}
	checkIDTable(t, ids)
}

// Snapshots of no nodes and of one node answer lookups and queries.
func TestSnapshotEmptyAndOneNode(t *testing.T) {
	s := FromElements(nil, []graph.Edge{{From: "a", To: "b", Kind: graph.EdgeMemberOf}})
	require.Equal(t, 0, s.Stats().Nodes)
	require.Equal(t, 1, s.Stats().DanglingEdges)
	_, ok := s.Node("")
	require.False(t, ok)
	require.Empty(t, s.Search("", nil, 0))
	_, err := s.BlastRadius(BlastRadiusQuery{From: "a"})
	require.True(t, errors.Is(err, graph.ErrNotFound))
	require.Positive(t, s.HeapBytes())

	one := graph.Node{ID: "okta:x:user:1", Kind: graph.KindAccount, Name: "user:1", Source: "okta:x", SyncRun: "r"}
	s = FromElements([]graph.Node{one}, []graph.Edge{{From: one.ID, To: one.ID, Kind: graph.EdgeMemberOf}})
	ref, ok := s.Node(one.ID)
	require.True(t, ok)
	require.Equal(t, NodeRef{ID: one.ID, Kind: one.Kind, Name: "user:1", Source: "okta:x"}, ref)
	require.Equal(t, []NodeRef{ref}, s.Search("USER", nil, 0))
	for _, missing := range []string{"", "okta:x:user:", "okta:x:user:10", "okta:x:user:0", "p"} {
		_, ok := s.Node(missing)
		require.False(t, ok, missing)
	}
	br, err := s.BlastRadius(BlastRadiusQuery{From: one.ID})
	require.NoError(t, err)
	require.Empty(t, br.Reaches)
}

// Names round-trip whatever their relation to the ID: equal to it, a suffix
// of it (stored as an offset), empty, unrelated, shared by several nodes,
// or a suffix of another node's ID only.
func TestSnapshotNames(t *testing.T) {
	nodes := []graph.Node{
		{ID: "arn:aws:iam::1:group/team-docs", Name: "team-docs"},
		{ID: "arn:aws:iam::1:group/team-ops", Name: "arn:aws:iam::1:group/team-ops"},
		{ID: "k8s:prod:web:core/pods/log", Name: "web:core/pods/log"},
		{ID: "okta:x:app:1", Name: "GitHub Enterprise"},
		{ID: "okta:x:appaccess:1", Name: "GitHub Enterprise"},
		{ID: "okta:x:user:2", Name: ""},
		{ID: "okta:x:user:3", Name: "team-docs"},
		{ID: "okta:x:user:4", Name: "x:user:4 "},
		{ID: "hr:x:E1", Name: "Jürgen Groß | HR/ops"},
	}
	for i := range nodes {
		nodes[i].Kind, nodes[i].Source = graph.KindGroup, "s"
	}
	s := FromElements(nodes, nil)
	for _, n := range nodes {
		ref, ok := s.Node(n.ID)
		require.True(t, ok, n.ID)
		require.Equal(t, n.Name, ref.Name, n.ID)
		require.Equal(t, n.ID, ref.ID)
	}
	// Stored text: "GitHub Enterprise" once, "x:user:4 ", "team-docs" for
	// user 3 (not a suffix of its own ID) and the HR name; the rest are
	// offsets into their IDs.
	require.Equal(t, 1+17+1+9+1+9+1+len("Jürgen Groß | HR/ops"), len(s.names))
}
