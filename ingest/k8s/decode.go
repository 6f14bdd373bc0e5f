package k8s

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// ParseError is the error Parse returns for bad input. It names the file, the
// document (1-based, counting non-empty documents), the line where that
// document starts and, inside a List, the item.
type ParseError struct {
	// File is the input's name.
	File string
	// Document is the 1-based index of the document in File (0: the file itself).
	Document int
	// Line is the line where the document starts (0 if unknown).
	Line int
	// Item is "items[3]" inside a List, or empty.
	Item string
	// Object is "Role argocd/reader" once the object is known, or empty.
	Object string
	// Msg says what is wrong and what was expected.
	Msg string
	// Err is the underlying error, if any (already reflected in Msg).
	Err error
}

// Error formats e as "file: document N (line L): items[i]: Kind ns/name: msg".
func (e *ParseError) Error() string {
	var sb strings.Builder
	sb.WriteString(e.File)
	if e.Document > 0 {
		fmt.Fprintf(&sb, ": document %d", e.Document)
	}
	if e.Line > 0 {
		fmt.Fprintf(&sb, " (line %d)", e.Line)
	}
	for _, s := range []string{e.Item, e.Object, e.Msg} {
		if s != "" {
			sb.WriteString(": ")
			sb.WriteString(s)
		}
	}
	return sb.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// errNotK8s is the hint given when a document lacks apiVersion or kind.
const errNotK8s = "expected Kubernetes objects with apiVersion and kind"

// object is one Kubernetes object read from a file, as JSON.
type object struct {
	file    string
	doc     int
	line    int
	item    string
	group   string // API group from apiVersion ("" for core)
	version string
	kind    string
	raw     []byte
}

// errorf returns a ParseError located at o.
func (o *object) errorf(err error, format string, args ...any) *ParseError {
	return &ParseError{File: o.file, Document: o.doc, Line: o.line, Item: o.item,
		Msg: fmt.Sprintf(format, args...), Err: err}
}

// rawDoc is one document before its header is read.
type rawDoc struct {
	doc  int
	line int
	raw  []byte // JSON
}

// readFile reads every object of one file: a YAML stream (documents split on
// "---"), or a JSON value or stream of values. Lists are expanded.
func readFile(f File) ([]object, error) {
	data, err := io.ReadAll(f.R)
	if err != nil {
		return nil, &ParseError{File: f.Name, Msg: "read: " + err.Error(), Err: err}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &ParseError{File: f.Name, Msg: "empty input: " + errNotK8s}
	}

	var docs []rawDoc
	if trimmed[0] == '{' || trimmed[0] == '[' {
		docs, err = splitJSON(f.Name, data)
		if err != nil {
			// Top-level YAML flow style also starts with '{': accept it if
			// it parses as YAML, else report the JSON error.
			if yd, yerr := splitYAML(f.Name, data); yerr == nil {
				docs, err = yd, nil
			}
		}
	} else {
		docs, err = splitYAML(f.Name, data)
	}
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, &ParseError{File: f.Name, Msg: "no documents: " + errNotK8s}
	}

	var out []object
	for _, d := range docs {
		o := object{file: f.Name, doc: d.doc, line: d.line, raw: d.raw}
		objs, err := expand(o)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// splitJSON decodes a stream of JSON values.
func splitJSON(name string, data []byte) ([]rawDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var docs []rawDoc
	for n := 1; ; n++ {
		start := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		line := lineAt(data, skipSpace(data, start))
		if err != nil {
			errLine := line
			var se *json.SyntaxError
			if errors.As(err, &se) {
				errLine = lineAt(data, int(se.Offset))
			} else if errors.Is(err, io.ErrUnexpectedEOF) {
				errLine = lineAt(data, len(data))
			}
			return nil, &ParseError{File: name, Document: n, Line: line, Err: err,
				Msg: fmt.Sprintf("malformed JSON at line %d: %v", errLine, err)}
		}
		docs = append(docs, rawDoc{doc: n, line: line, raw: raw})
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

var yamlLineRE = regexp.MustCompile(`yaml: line (\d+): `)

// splitYAML splits a YAML stream on document separators ("---" or "..." on a
// line of their own, possibly followed by a comment) and converts each
// non-empty document to JSON. Separators inside block scalars cannot occur at
// column 0, so a line-based split is exact for the documents kubectl and
// manifests contain.
func splitYAML(name string, data []byte) ([]rawDoc, error) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var docs []rawDoc
	var cur bytes.Buffer
	curStart, firstContent := 1, 0
	flush := func() error {
		defer func() { cur.Reset(); firstContent = 0 }()
		if firstContent == 0 {
			return nil // blank or comments only
		}
		n := len(docs) + 1
		js, err := yaml.YAMLToJSON(cur.Bytes())
		if err != nil {
			msg := err.Error()
			msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
			if m := yamlLineRE.FindStringSubmatchIndex(msg); m != nil {
				rel, _ := strconv.Atoi(msg[m[2]:m[3]])
				msg = fmt.Sprintf("line %d: %s", curStart+rel-1, msg[m[1]:])
			}
			return &ParseError{File: name, Document: n, Line: firstContent, Err: err,
				Msg: "malformed YAML at " + msg}
		}
		if string(bytes.TrimSpace(js)) == "null" {
			return nil
		}
		docs = append(docs, rawDoc{doc: n, line: firstContent, raw: js})
		return nil
	}
	for i, l := range lines {
		if isSeparator(l) {
			if err := flush(); err != nil {
				return nil, err
			}
			curStart = i + 2
			continue
		}
		if firstContent == 0 {
			t := bytes.TrimSpace(l)
			if len(t) > 0 && t[0] != '#' {
				firstContent = i + 1
			}
		}
		cur.Write(l)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return docs, nil
}

func isSeparator(l []byte) bool {
	l = bytes.TrimRight(l, " \t\r\n")
	for _, sep := range [][]byte{[]byte("---"), []byte("...")} {
		if !bytes.HasPrefix(l, sep) {
			continue
		}
		rest := l[len(sep):]
		if len(rest) == 0 {
			return true
		}
		// "--- # comment" separates; "--- value" starts a document inline.
		if (rest[0] == ' ' || rest[0] == '\t') && bytes.HasPrefix(bytes.TrimSpace(rest), []byte("#")) {
			return true
		}
	}
	return false
}

// header is the part of every object Parse reads before knowing its kind.
type header struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// expand reads o's apiVersion and kind and expands Lists into their items.
func expand(o object) ([]object, error) {
	trimmed := bytes.TrimSpace(o.raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		// A bare JSON or YAML sequence of objects: treat like a List.
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, o.errorf(err, "decode sequence: %v", err)
		}
		return expandItems(o, "", items)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &keys); err != nil {
		return nil, o.errorf(err, "got %s: %s", jsonType(trimmed), errNotK8s)
	}
	var h header
	if err := json.Unmarshal(trimmed, &h); err != nil {
		return nil, o.errorf(err, "apiVersion, kind or items: %v: %s", err, errNotK8s)
	}
	if h.APIVersion == "" && h.Kind == "" && o.kind != "" {
		// An item of a typed list ("RoleList") as the API returns it, without
		// its own apiVersion and kind: expandItems preset them.
		return []object{o}, nil
	}
	if h.APIVersion == "" || h.Kind == "" {
		return nil, o.errorf(nil, "missing %s: %s (top-level keys: %s)",
			missing(h), errNotK8s, keyList(keys))
	}
	o.group, o.version = splitAPIVersion(h.APIVersion)
	o.kind = h.Kind
	if _, ok := keys["items"]; ok && strings.HasSuffix(h.Kind, "List") {
		return expandItems(o, o.item, h.Items)
	}
	return []object{o}, nil
}

func expandItems(o object, prefix string, items []json.RawMessage) ([]object, error) {
	var out []object
	for i, it := range items {
		c := object{file: o.file, doc: o.doc, line: o.line, raw: it,
			item: fmt.Sprintf("%sitems[%d]", joinPrefix(prefix), i)}
		if o.kind != "List" && strings.HasSuffix(o.kind, "List") {
			c.group, c.version, c.kind = o.group, o.version, strings.TrimSuffix(o.kind, "List")
		}
		objs, err := expand(c)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func joinPrefix(p string) string {
	if p == "" {
		return ""
	}
	return p + "."
}

func missing(h header) string {
	switch {
	case h.APIVersion == "" && h.Kind == "":
		return "apiVersion and kind"
	case h.APIVersion == "":
		return "apiVersion"
	}
	return "kind"
}

func keyList(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 5 {
		keys = append(keys[:5], "...")
	}
	return strings.Join(keys, ", ")
}

func jsonType(b []byte) string {
	switch b[0] {
	case '"':
		return "a string"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	}
	return "a scalar"
}

func splitAPIVersion(v string) (group, version string) {
	if i := strings.LastIndex(v, "/"); i >= 0 {
		return v[:i], v[i+1:]
	}
	return "", v
}
