// Package jsonerr turns encoding/json errors into messages that say where
// the JSON broke (byte, line, column) and what was expected, for connectors
// that read exports and API pages.
package jsonerr

import (
	"errors"
	"fmt"
	"strings"

	"encoding/json"
)

// Unmarshal decodes data into v. A truncated body, a syntax error and a
// field of the wrong type are explained with their position; unfinished
// names what the body should have finished ("value", "response").
func Unmarshal(data []byte, v any, unfinished string) error {
	err := json.Unmarshal(data, v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		return fmt.Errorf("truncated JSON (%d bytes): the body ends before the %s does", len(data), unfinished)
	case errors.As(err, &se):
		line, col := Position(data, se.Offset)
		return fmt.Errorf("malformed JSON at byte %d (line %d, column %d): %w", se.Offset, line, col, se)
	case errors.As(err, &te):
		line, col := Position(data, te.Offset)
		return fmt.Errorf("field %s (line %d, column %d): got JSON %s, expected %s", te.Field, line, col, te.Value, te.Type)
	}
	return err
}

// Position returns the 1-based line and column of byte offset off in data.
func Position(data []byte, off int64) (line, col int) {
	off = max(min(off, int64(len(data))), 0)
	line, col = 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// Snippet returns the first n bytes of b, marked when cut.
func Snippet(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
