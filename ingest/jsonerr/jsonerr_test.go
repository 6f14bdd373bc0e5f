package jsonerr

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnmarshal(t *testing.T) {
	var v struct{ N int }
	require.NoError(t, Unmarshal([]byte(`{"N":1}`), &v, "value"))
	require.Equal(t, 1, v.N)
	require.EqualError(t, Unmarshal([]byte(`{"N":`), &v, "response"),
		"truncated JSON (5 bytes): the body ends before the response does")
	require.ErrorContains(t, Unmarshal([]byte("{\n \"N\": x}"), &v, "value"), "malformed JSON at byte 9 (line 2, column 8)")
	require.EqualError(t, Unmarshal([]byte("{\"N\": \"one\"}"), &v, "value"),
		"field N (line 1, column 12): got JSON string, expected int")
	line, col := Position([]byte("ab\ncd"), 4)
	require.Equal(t, []int{2, 2}, []int{line, col})
	require.Equal(t, "ab…", Snippet([]byte("abcd"), 2))
}
