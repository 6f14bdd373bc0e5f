package jsonerr

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnmarshal(t *testing.T) {
	var v struct{ N int }
	require.NoError(t, Unmarshal([]byte(`{"N":1}`), &v, "value"))
	require.Equal(t, 1, v.N)
	require.EqualError(t, Unmarshal([]byte(`{"N":`), &v, "response"),
		"truncated JSON: input ends at byte 5 (line 1, column 6) before the response does")
	require.ErrorContains(t, Unmarshal([]byte("{\n \"N\": x}"), &v, "value"), "malformed JSON at byte 9 (line 2, column 7)")
	require.EqualError(t, Unmarshal([]byte("{\"N\": \"one\"}"), &v, "value"),
		"N (line 1, column 7): found a JSON string, expected an integer")
	line, col := Position([]byte("ab\ncd"), 4)
	require.Equal(t, []int{2, 2}, []int{line, col})
	require.Equal(t, "ab…", Snippet([]byte("abcd"), 2))
}

// TestExplainTypeError: a value of the wrong type is named by its JSON path
// and JSON types, never Go's ("Go struct field", "of type int").
func TestExplainTypeError(t *testing.T) {
	var c struct {
		Meta struct {
			Version int `json:"version"`
		} `json:"meta"`
		Data  []json.RawMessage `json:"data"`
		Flags []bool            `json:"flags"`
		On    bool              `json:"on"`
	}
	for _, tc := range []struct{ in, want string }{
		{"{\"meta\": {\n  \"version\": \"2.0\"}}", `meta.version (line 2, column 14): found a JSON string, expected an integer`},
		{`{"data": {"a": 1}}`, `data (line 1, column 10): found a JSON object, expected an array of values`},
		{`{"flags": [1]}`, `flags (line 1, column 12): found a JSON number, expected true or false`},
		{`{"on": "yes"}`, `on (line 1, column 8): found a JSON string, expected true or false`},
		{`[1]`, `the top-level value (line 1, column 1): found a JSON array, expected an object`},
	} {
		data := []byte(tc.in)
		err := Explain(data, json.Unmarshal(data, &c))
		require.EqualError(t, err, tc.want)
		require.NotContains(t, err.Error(), "Go struct")
		var te *TypeError
		require.True(t, errors.As(err, &te))
	}
	err := Explain(nil, json.Unmarshal([]byte(`{"on": "yes"}`), &c))
	require.EqualError(t, err, `on: found a JSON string, expected true or false`)
	err = Element("f.json: data[2]", json.Unmarshal([]byte(`{"on": "yes"}`), &c))
	require.EqualError(t, err, `f.json: data[2]: on: found a JSON string, expected true or false`)
	err = Element("f.json: data[2]", json.Unmarshal([]byte(`"x"`), &c))
	require.EqualError(t, err, `f.json: data[2]: found a JSON string, expected an object`)
	var ute *json.UnmarshalTypeError
	require.ErrorAs(t, err, &ute)
	data := []byte(`{"on": "ye`)
	require.EqualError(t, Explain(data, json.Unmarshal(data, &c)),
		"truncated JSON: input ends at byte 10 (line 1, column 11) inside an unfinished value")
	require.True(t, IsSyntax(json.Unmarshal(data, &c)))
	require.False(t, IsSyntax(json.Unmarshal([]byte(`{"on": 1}`), &c)))
}
