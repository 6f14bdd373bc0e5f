// Package jsonerr turns encoding/json errors into messages that say where
// the JSON broke (byte, line, column) and what was expected, for connectors
// that read exports and API pages. The messages name JSON paths and JSON
// types, never Go types.
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Unmarshal decodes data into v. A truncated body, a syntax error and a
// field of the wrong type are explained with their position; unfinished
// names what the body should have finished ("value", "response").
func Unmarshal(data []byte, v any, unfinished string) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	if IsTruncated(err) {
		line, col := Position(data, int64(len(data)))
		return fmt.Errorf("truncated JSON: input ends at byte %d (line %d, column %d) before the %s does",
			len(data), line, col, unfinished)
	}
	return Explain(data, err)
}

// IsTruncated reports whether err is encoding/json's error for input that
// ends inside a value.
func IsTruncated(err error) bool {
	return err != nil && (errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "unexpected end of JSON input"))
}

// IsSyntax reports whether err is a JSON syntax error or a truncation (as
// opposed to well-formed JSON of the wrong shape).
func IsSyntax(err error) bool {
	var se *json.SyntaxError
	return IsTruncated(err) || errors.As(err, &se)
}

// Explain rewrites an error of json.Unmarshal(data, ...) (or of a Decoder
// reading data):
//
//	truncated JSON: input ends at byte N (line L, column C) inside an unfinished value
//	malformed JSON at byte N (line L, column C): invalid character ...
//	meta.version (line L, column C): found a JSON string, expected a number
//
// data may be nil when it is a fragment whose offsets would mislead (an
// element decoded from a json.RawMessage); the position is then left out
// and the caller names the element. Other errors are returned unchanged.
func Explain(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case IsTruncated(err):
		if data == nil {
			return errors.New("truncated JSON: the input ends inside an unfinished value")
		}
		line, col := Position(data, int64(len(data)))
		return fmt.Errorf("truncated JSON: input ends at byte %d (line %d, column %d) inside an unfinished value",
			len(data), line, col)
	case errors.As(err, &se):
		msg := strings.TrimPrefix(se.Error(), "json: ")
		if data == nil {
			return fmt.Errorf("malformed JSON: %s", msg)
		}
		// Offset counts the bytes read, the offending one included: it is
		// that byte's 1-based number, and Position wants the bytes before it.
		line, col := Position(data, se.Offset-1)
		return fmt.Errorf("malformed JSON at byte %d (line %d, column %d): %s", se.Offset, line, col, msg)
	case errors.As(err, &te):
		return typeError(data, te)
	}
	return err
}

// Element explains an error of decoding one element of a file (a
// json.RawMessage cut out of it) named at ("users.json: data[3]"):
//
//	users.json: data[3]: Properties.enabled: found a JSON string, expected true or false
//	users.json: data[3]: found a JSON array, expected an object
//
// Positions are left out: they would count from the element, not the file.
func Element(at string, err error) error {
	if err == nil {
		return nil
	}
	err = Explain(nil, err)
	var te *TypeError
	if errors.As(err, &te) {
		te.element = true
	}
	return fmt.Errorf("%s: %w", at, err)
}

// TypeError is a JSON value of the wrong type, explained.
type TypeError struct {
	// Path is the JSON path of the value ("meta.version"); empty for the
	// top-level value.
	Path string
	// Found and Expected are JSON types ("a JSON string", "a number").
	Found, Expected string
	// Line and Column locate the value; zero when unknown.
	Line, Column int
	err          *json.UnmarshalTypeError
	element      bool // the value is an element named by the caller
}

func (e *TypeError) Error() string {
	where := e.Path
	if where == "" && e.element {
		return fmt.Sprintf("found %s, expected %s", e.Found, e.Expected)
	}
	if where == "" {
		where = "the top-level value"
	}
	if e.Line > 0 {
		where += fmt.Sprintf(" (line %d, column %d)", e.Line, e.Column)
	}
	return fmt.Sprintf("%s: found %s, expected %s", where, e.Found, e.Expected)
}

// Unwrap returns the encoding/json error.
func (e *TypeError) Unwrap() error { return e.err }

func typeError(data []byte, te *json.UnmarshalTypeError) error {
	e := &TypeError{Path: te.Field, Found: jsonValue(te.Value), Expected: jsonType(te.Type), err: te}
	if data != nil {
		// Offset is just past the offending value; point at its start
		// when it is a scalar on the same line (good enough for a column).
		e.Line, e.Column = Position(data, valueStart(data, te.Offset))
	}
	return e
}

// valueStart walks back from off (just past a scalar, or past the opening
// bracket of an object or array) to the start of that value.
func valueStart(data []byte, off int64) int64 {
	off = max(min(off, int64(len(data))), 0)
	i := off
	if i > 0 && (data[i-1] == '{' || data[i-1] == '[') {
		return i - 1
	}
	if i > 0 && data[i-1] == '"' {
		i--
		for i > 0 {
			i--
			if data[i] == '"' && (i == 0 || data[i-1] != '\\') {
				return i
			}
		}
		return 0
	}
	for i > 0 && strings.IndexByte("-+.0123456789eEtruefalsn", data[i-1]) >= 0 {
		i--
	}
	return i
}

func jsonValue(v string) string {
	switch {
	case v == "string":
		return "a JSON string"
	case v == "number":
		return "a JSON number"
	case strings.HasPrefix(v, "number "):
		return "the JSON number " + strings.TrimPrefix(v, "number ")
	case v == "bool":
		return "a JSON boolean"
	case v == "array":
		return "a JSON array"
	case v == "object":
		return "a JSON object"
	}
	return "JSON " + v
}

func jsonType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array of " + plural(jsonType(t.Elem()))
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a JSON value"
}

func plural(s string) string {
	switch s {
	case "true or false":
		return "booleans"
	case "a JSON value":
		return "values"
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "an "), "a ")
	if strings.HasPrefix(s, "array of ") {
		return "arrays"
	}
	return s + "s"
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
