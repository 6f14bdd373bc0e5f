package k8s

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// Document separators as kubectl and hand-written manifests use them.
func TestYAMLStreamShapes(t *testing.T) {
	const sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n  namespace: ns\n"
	doc := func(name string) string { return strings.ReplaceAll(sa, "%s", name) }
	tests := []struct {
		name, input string
	}{
		{"leading separator and comments", "---\n# first\n" + doc("a") + "--- # second\n" + doc("b")},
		{"empty documents and end marker", doc("a") + "---\n---\n# only a comment\n---\n" + doc("b") + "...\n"},
		{"CRLF line endings", strings.ReplaceAll(doc("a")+"---\r\n"+doc("b"), "\n", "\r\n")},
		{"JSON stream", `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a","namespace":"ns"}}` +
			"\n" + `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"b","namespace":"ns"}}`},
		{"YAML flow mapping", "{apiVersion: v1, kind: ServiceAccount, metadata: {name: a, namespace: ns}}\n---\n" + doc("b")},
		{"typed list from the API", `{"apiVersion":"v1","kind":"ServiceAccountList","items":[` +
			`{"metadata":{"name":"a","namespace":"ns"}},{"metadata":{"name":"b","namespace":"ns"}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, rep, err := ParseWithReport(Options{}, File{Name: "in", R: strings.NewReader(tc.input)})
			require.NoError(t, err)
			require.Equal(t, 2, rep.Objects)
			require.Equal(t, []string{"k8s:default:sa:ns/a", "k8s:default:sa:ns/b"},
				nodeIDs(b, "k8s-serviceaccount"))
			for _, id := range nodeIDs(b, "k8s-serviceaccount") {
				n, _ := b.Node(id)
				require.Empty(t, n.Props[graph.PropStub])
			}
		})
	}
}
