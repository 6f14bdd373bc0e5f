package ad

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

func td(names ...string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, filepath.Join("testdata", n))
	}
	return out
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  []string
	}{
		{td("legacy.json"), []string{"legacy.json", "meta.version: 4 is the legacy BloodHound format"}},
		{td("bad-type.json"), []string{"bad-type.json", `unknown collection type "sessions"`}},
		{td("no-meta.json"), []string{"no-meta.json", "meta: missing"}},
		{td("ace-no-principal.json"), []string{"ace-no-principal.json: data[0]: Aces[1].PrincipalSID: missing"}},
		{td("member-no-id.json"), []string{"member-no-id.json: data[0]: Members[1].ObjectIdentifier: missing"}},
		{td("no-domain.json"), []string{"no-domain.json: data[0]: Properties.domain: missing"}},
		{td("truncated.json"), []string{"truncated.json: invalid JSON"}},
		{td("unknown-right.json", "other-domain.json"), []string{"other-domain.json: data[0]",
			"object of domain OTHER.LOCAL in a collection of LAB.LOCAL"}},
		{td("absent.json"), []string{"absent.json"}},
		{nil, []string{"no input files"}},
	} {
		t.Run(tc.want[0], func(t *testing.T) {
			b, rep, err := ParseExportWithReport(Options{Logger: quiet}, tc.files...)
			require.Nil(t, b)
			require.Nil(t, rep)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestUnknownRightKept(t *testing.T) {
	b, rep, err := ParseExportWithReport(Options{Logger: quiet}, td("unknown-right.json", "certtemplates.json")...)
	require.NoError(t, err)
	require.Equal(t, "ad:LAB.LOCAL", b.Source)
	e := edge(t, b, "ad:LAB.LOCAL:S-1-5-21-1-2-3-1106", graph.EdgeEscalates, "ad:LAB.LOCAL:S-1-5-21-1-2-3-1105")
	require.Equal(t, []string{"WriteSomethingNew"}, e.Actions)
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	require.Equal(t, map[string]int{"WriteSomethingNew": 1}, rep.UnknownRights)
	require.Equal(t, map[string]int{"certtemplates": 1}, rep.SkippedTypes)
	// A bare well-known SID is qualified by the domain, as SharpHound does,
	// and is a stub (no groups file): Authenticated Users.
	au := "ad:LAB.LOCAL:LAB.LOCAL-S-1-5-11"
	n, ok := b.Node(au)
	require.True(t, ok)
	require.Equal(t, graph.KindGroup, n.Kind)
	require.Equal(t, "true", n.Props[graph.PropStub])
	require.Contains(t, edge(t, b, au, graph.EdgeEscalates, "ad:LAB.LOCAL:S-1-5-21-1-2-3-1105").Via,
		"GenericWrite ACE (inherited)")
	// Domain Users is referenced by the primary group but not defined.
	edge(t, b, "ad:LAB.LOCAL:S-1-5-21-1-2-3-1106", graph.EdgeMemberOf, "ad:LAB.LOCAL:S-1-5-21-1-2-3-513")
	require.Equal(t, map[string]int{"LAB.LOCAL": 2}, rep.Stubs)
}
