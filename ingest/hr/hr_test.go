package hr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

const roster = `employee_id,email,first_name,last_name,department,status,termination_date
E1,Maya.Edwards@larkspur.example,Maya,Edwards,engineering,active,
E2,sam.ito@larkspur.example,Sam,Ito,finance,terminated,2025-03-01
`

func TestParse(t *testing.T) {
	b, err := Parse(Options{Name: "larkspur"}, "people.csv", strings.NewReader(roster))
	require.NoError(t, err)
	require.Equal(t, "hr:larkspur", b.Source)
	maya, ok := b.Node("hr:larkspur:E1")
	require.True(t, ok)
	require.Equal(t, "maya.edwards@larkspur.example", maya.Props[graph.PropEmail])
	require.Equal(t, "Maya Edwards", maya.Name)
	require.Equal(t, "active", maya.Props[graph.PropStatus])
	sam, _ := b.Node("hr:larkspur:E2")
	require.Equal(t, "offboarded", sam.Props[graph.PropStatus])
	require.Equal(t, "2025-03-01", sam.Props["termination_date"])
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"", "people.csv: empty file"},
		{"id,mail\n1,a@b.c\n", `people.csv: header "id,mail" lacks column employee_id`},
		{"employee_id,email\nE1,not-an-email\n", `people.csv:2: email "not-an-email"`},
		{"employee_id,email\nE1,a@b.c\nE1,c@d.e\n", "people.csv:3: employee_id E1 also on line 2"},
		{"employee_id,email\n,a@b.c\n", "people.csv:2: empty employee_id"},
	} {
		_, err := Parse(Options{}, "people.csv", strings.NewReader(tc.doc))
		require.ErrorContains(t, err, tc.want)
	}
}
