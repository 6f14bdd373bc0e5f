package scim

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

func TestExportErrors(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"no-id.json", []string{"no-id.json", "resource: id: missing"}},
		{"member-no-value.json", []string{"member-no-value.json", "Resources[1]: members[1].value: missing member id"}},
		{"not-scim.json", []string{"not-scim.json", "want a User", "core:2.0:Schema"}},
		{"list-no-total.json", []string{"list-no-total.json", "totalResults is missing"}},
		{"truncated.json", []string{"truncated.json", "truncated JSON: input ends at byte 86 (line 1, column 87)"}},
		{"absent.json", []string{"absent.json", "no such file"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := ParseExport(Options{Host: "h"}, filepath.Join("testdata", tc.file))
			require.Nil(t, b)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
	b, err := ParseExport(Options{}, filepath.Join("testdata", "untyped.json"))
	require.Nil(t, b)
	require.ErrorContains(t, err, "no host given")
	b, err = ParseExport(Options{Host: "a:b"}, filepath.Join("testdata", "untyped.json"))
	require.Nil(t, b)
	require.ErrorContains(t, err, "bare host name")
}

func TestUntypedMembersAndIndirectGroups(t *testing.T) {
	b, rep, err := ParseExportWithReport(Options{Host: "h"}, filepath.Join("testdata", "untyped.json"))
	require.NoError(t, err)
	u, ok := b.Node(userID("h", "u1"))
	require.True(t, ok)
	require.Equal(t, "suspended", u.Props[graph.PropStatus])
	require.Equal(t, "alice.w@example.com", u.Props[graph.PropEmail], "no primary: the work address")
	require.NotContains(t, u.Props, graph.PropUPN, "userName alice is not mailbox-shaped")
	// u1 and g1 are typed by the input's own resources; x9 is not settled.
	require.True(t, memberOf(b, userID("h", "u1"), groupID("h", "g1")))
	require.True(t, memberOf(b, groupID("h", "g1"), groupID("h", "g2")))
	require.True(t, memberOf(b, userID("h", "x9"), groupID("h", "g1")))
	require.Equal(t, []string{"g1/x9"}, rep.UntypedMembers)
	require.Equal(t, []string{"x9"}, rep.StubUsers)
	// The indirect membership of g2 adds no direct edge.
	require.False(t, memberOf(b, userID("h", "u1"), groupID("h", "g2")))
	require.Equal(t, 1, rep.IndirectSkipped)
}
