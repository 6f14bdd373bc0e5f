package gql

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/accessgraph/accessgraph/gql/model"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// Page sizes of connections.
const (
	DefaultFirst = 50
	MaxFirst     = 500
)

const cursorPrefix = "accessgraph:v"

// encodeCursor returns the opaque cursor of the item at offset in a result
// computed on snapshot version.
func encodeCursor(version uint64, offset int) string {
	raw := cursorPrefix + strconv.FormatUint(version, 10) + ":" + strconv.Itoa(offset)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor parses a cursor made by encodeCursor.
func decodeCursor(arg, cursor string) (version uint64, offset int, err error) {
	bad := inputErrorf(arg, "malformed cursor %q: pass the endCursor of a previous page", cursor)
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, 0, bad
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, 0, bad
	}
	vs, os, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, 0, bad
	}
	version, err = strconv.ParseUint(vs, 10, 64)
	if err != nil {
		return 0, 0, bad
	}
	offset, err = strconv.Atoi(os)
	if err != nil || offset < 0 {
		return 0, 0, bad
	}
	return version, offset, nil
}

// window is the slice [start, end) of a result that one page shows.
type window struct {
	start, end int
	total      int
	version    uint64
}

// pageWindow checks first and after and returns the part of a result of
// total items to show.
func pageWindow(total int, first *int, after *string, version uint64) (window, error) {
	n := DefaultFirst
	if first != nil {
		n = *first
	}
	if n < 0 || n > MaxFirst {
		return window{}, inputErrorf("first", "must be between 0 and %d, got %d", MaxFirst, n)
	}

	start := 0
	if after != nil && *after != "" {
		v, off, err := decodeCursor("after", *after)
		if err != nil {
			return window{}, err
		}
		if v != version {
			return window{}, &StaleCursorError{Argument: "after", Cursor: v, Current: version}
		}
		start = off + 1
	}
	start = min(start, total)
	return window{start: start, end: min(start+n, total), total: total, version: version}, nil
}

// cursor returns the cursor of the item at index i of the page.
func (w window) cursor(i int) string { return encodeCursor(w.version, w.start+i) }

// pageInfo describes the page.
func (w window) pageInfo() model.PageInfo {
	pi := model.PageInfo{HasNextPage: w.end < w.total}
	if w.end > w.start {
		c := encodeCursor(w.version, w.end-1)
		pi.EndCursor = &c
	}
	return pi
}

// pageOf slices items to the window and pairs each with its cursor.
func pageOf[T, E any](w window, items []T, edge func(cursor string, item T) E) []E {
	out := make([]E, 0, w.end-w.start)
	for i, it := range items[w.start:w.end] {
		out = append(out, edge(w.cursor(i), it))
	}
	return out
}

// witnessWindow is the range of results a page will show, so the engine
// builds witness paths for those only. It is computed before the query runs
// and never fails: a bad first or after is reported by pageWindow after it.
func witnessWindow(first *int, after *string) projection.Window {
	n := DefaultFirst
	if first != nil && *first >= 0 && *first <= MaxFirst {
		n = *first
	}
	start := 0
	if after != nil && *after != "" {
		if _, off, err := decodeCursor("after", *after); err == nil {
			start = off + 1
		}
	}
	return projection.Window{Offset: start, Limit: max(n, 1)}
}
