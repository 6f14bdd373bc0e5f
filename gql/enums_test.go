package gql

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

// TestEnumsMatchModel checks that the schema's enums name exactly the values
// of the graph model, so a kind added to graph/model.go without the schema
// fails here.
func TestEnumsMatchModel(t *testing.T) {
	var kinds, edgeKinds, privs, sens []string
	for _, k := range graph.Kinds() {
		kinds = append(kinds, strings.ToUpper(k.String()))
	}
	for _, k := range graph.EdgeKinds() {
		edgeKinds = append(edgeKinds, k.String())
	}
	for p := graph.PrivNone; p <= graph.PrivAdmin; p++ {
		privs = append(privs, strings.ToUpper(p.String()))
	}
	for s := graph.SensUnknown; s <= graph.SensCritical; s++ {
		sens = append(sens, strings.ToUpper(s.String()))
	}
	tests := []struct {
		enum string
		want []string
	}{
		{"NodeKind", kinds},
		{"EdgeKind", edgeKinds},
		{"Privilege", privs},
		{"Sensitivity", sens},
		{"SyncStatus", []string{"ACTIVE", "COMPLETE", "FAILED", "ABANDONED"}},
	}
	for _, tc := range tests {
		t.Run(tc.enum, func(t *testing.T) {
			out, err := Execute(context.Background(), fixtureResolver(t),
				`query($n: String!) { __type(name: $n) { enumValues { name description } } }`,
				map[string]any{"n": tc.enum})
			require.NoError(t, err)
			var got struct {
				Data struct {
					Type struct {
						EnumValues []struct {
							Name        string `json:"name"`
							Description string `json:"description"`
						} `json:"enumValues"`
					} `json:"__type"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal(out, &got))
			var names []string
			for _, v := range got.Data.Type.EnumValues {
				names = append(names, v.Name)
				require.NotEmpty(t, v.Description, "%s.%s has no description", tc.enum, v.Name)
			}
			require.Equal(t, tc.want, names)
		})
	}
}

// TestSchemaDocumented checks that every type, field and argument of the
// schema has a description.
func TestSchemaDocumented(t *testing.T) {
	out, err := Execute(context.Background(), fixtureResolver(t), `{ __schema { types {
	  name description fields { name description args { name description } } } } }`, nil)
	require.NoError(t, err)
	var got struct {
		Data struct {
			Schema struct {
				Types []struct {
					Name        string `json:"name"`
					Description string `json:"description"`
					Fields      []struct {
						Name        string `json:"name"`
						Description string `json:"description"`
						Args        []struct {
							Name        string `json:"name"`
							Description string `json:"description"`
						} `json:"args"`
					} `json:"fields"`
				} `json:"types"`
			} `json:"__schema"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(out, &got))
	builtin := map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
	checked := 0
	for _, ty := range got.Data.Schema.Types {
		if strings.HasPrefix(ty.Name, "__") || builtin[ty.Name] {
			continue
		}
		checked++
		require.NotEmpty(t, ty.Description, "type %s", ty.Name)
		for _, f := range ty.Fields {
			require.NotEmpty(t, f.Description, "field %s.%s", ty.Name, f.Name)
			for _, a := range f.Args {
				require.NotEmpty(t, a.Description, "argument %s.%s(%s)", ty.Name, f.Name, a.Name)
			}
		}
	}
	require.Greater(t, checked, 30)
}
