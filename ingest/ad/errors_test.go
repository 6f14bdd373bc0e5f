package ad

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/datasets"
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
		{td("truncated.json"), []string{"truncated.json: truncated JSON: input ends at byte"}},
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

// TestTruncatedShared: the public users file cut in half is reported with
// the byte, line and column where it ends (the shared explainer's shape).
func TestTruncatedShared(t *testing.T) {
	ds := datasets.Dir(t, "ad", "a public SharpHound file to truncate")
	data, err := os.ReadFile(filepath.Join(ds, "ad", "bloodhound-ce-sample-phantom-corp-users.json"))
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "ad-users-trunc.json")
	require.NoError(t, os.WriteFile(p, data[:len(data)/2], 0o600))
	_, _, err = ParseExportWithReport(Options{Logger: quiet}, p)
	require.ErrorContains(t, err, "ad-users-trunc.json: truncated JSON: input ends at byte "+
		strconv.Itoa(len(data)/2)+" (line ")
	require.NotContains(t, err.Error(), "ad: ad:")
}

// TestWrongKindOfFile: a SCIM resource, a GAAD export or a Graph mocks file
// is named as not a SharpHound file, with the element and the types, and no
// Go type names.
func TestWrongKindOfFile(t *testing.T) {
	ds := datasets.Dir(t, "scim", "public exports of other kinds")
	for _, tc := range []struct{ file, want string }{
		{"scim/rfc7643-8.4-group.json", "rfc7643-8.4-group.json: meta.version (line "},
		{"scim/rfc7643-8.3-enterprise-user.json", "rfc7643-8.3-enterprise-user.json: meta.version (line "},
		{"aws/cloudsplaining-test-account-authorization-details.json", "authorization-details.json: meta: missing"},
		{"msgraph/graph-v1_0-docs-examples-dev-proxy-mocks.json", "dev-proxy-mocks.json: meta: missing"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, _, err := ParseExportWithReport(Options{Logger: quiet}, filepath.Join(ds, tc.file))
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, `this is not a SharpHound v5/v6 collection file ({"data":[...],"meta":{"type":`)
			require.NotContains(t, err.Error(), "Go struct")
			require.NotContains(t, err.Error(), "cannot unmarshal")
			if strings.HasPrefix(tc.file, "scim/") {
				require.ErrorContains(t, err, "found a JSON string, expected an integer")
			}
		})
	}
	// An element of the wrong type inside a SharpHound file names the element.
	p := filepath.Join(t.TempDir(), "users.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"data":[{"ObjectIdentifier":"S-1","Aces":{"x":1}}],`+
		`"meta":{"type":"users","count":1,"version":6}}`), 0o600))
	_, _, err := ParseExportWithReport(Options{Logger: quiet}, p)
	require.EqualError(t, err, "ad: "+p+": data[0]: Aces: found a JSON object, expected an array of objects")
}
