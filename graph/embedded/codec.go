package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/accessgraph/accessgraph/graph"
)

// The on-disk encoding (schema 2) is a compact binary one: uvarint lengths
// and counts, strings as length and bytes, maps in key order. Two values
// that say the same thing encode to the same bytes (a nil and an empty list
// or map are the same), so FinishRun compares old and new values as bytes.
// A value never holds the run that wrote it: every element of a source was
// written by the source's latest complete run (a complete run sweeps what it
// did not write), so Node and Scan take SyncRun from the sources bucket.
//
// node value:  uvarint source number, flags (1 = stub), kind, sensitivity,
//              subkind, name, props
// edge list:   the value of bucket fwd under a From node ID: entries of
//              kind, to, uvarint body length, body; sorted by "KIND|to"
// edge body:   uvarint source number, privilege, actions, conditions, via, props

const flagStub = 1

var errCorrupt = errors.New("truncated or corrupt value")

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrs(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendStr(b, s)
	}
	return b
}

func appendProps(b []byte, p map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	switch len(p) {
	case 0:
		return b
	case 1:
		for k, v := range p {
			b = appendStr(b, k)
			b = appendStr(b, v)
		}
		return b
	}
	var small [8]string
	keys := small[:0]
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendStr(b, k)
		b = appendStr(b, p[k])
	}
	return b
}

// appendNode encodes n (owned by source number src).
func appendNode(b []byte, n *graph.Node, src uint64) []byte {
	b = binary.AppendUvarint(b, src)
	var flags byte
	if n.Props[graph.PropStub] == "true" {
		flags |= flagStub
	}
	b = append(b, flags, byte(n.Kind), byte(n.Sensitivity))
	b = appendStr(b, n.Subkind)
	b = appendStr(b, n.Name)
	return appendProps(b, n.Props)
}

// appendEdgeBody encodes what e says beyond its endpoints and kind.
func appendEdgeBody(b []byte, e *graph.Edge, src uint64) []byte {
	b = binary.AppendUvarint(b, src)
	b = append(b, byte(e.Privilege))
	b = appendStrs(b, e.Actions)
	b = appendStrs(b, e.Conditions)
	b = appendStrs(b, e.Via)
	return appendProps(b, e.Props)
}

// appendEntry appends one entry of an edge list.
func appendEntry(b []byte, kind graph.EdgeKind, to, body []byte) []byte {
	b = append(b, byte(kind))
	b = binary.AppendUvarint(b, uint64(len(to)))
	b = append(b, to...)
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

// entrySize is the encoded size of an edge list entry.
func entrySize(to, body int) int {
	return 1 + uvarintLen(to) + to + uvarintLen(body) + body
}

func uvarintLen(v int) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// dec reads an encoded value; the first error sticks.
type dec struct {
	b   []byte
	err error
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) byte1() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// raw returns the next length-prefixed bytes without copying.
func (d *dec) raw() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string { return string(d.raw()) }

func (d *dec) strs() []string {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *dec) props() map[string]string {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	out := make(map[string]string, n)
	for range n {
		k := d.str()
		out[k] = d.str()
	}
	return out
}

// srcTable names the sources by number, with each one's latest complete run.
type srcTable struct {
	names []string
	runs  []string
}

func (t *srcTable) name(no uint64) string {
	if no < uint64(len(t.names)) {
		return t.names[no]
	}
	return ""
}

func (t *srcTable) run(no uint64) string {
	if no < uint64(len(t.runs)) {
		return t.runs[no]
	}
	return ""
}

// decodeNode decodes the node id from its stored value v.
func decodeNode(id string, v []byte, t *srcTable, n *graph.Node) error {
	d := dec{b: v}
	src := d.uvarint()
	d.byte1() // flags, derived from props
	*n = graph.Node{ID: id, Kind: graph.Kind(d.byte1()), Sensitivity: graph.Sensitivity(d.byte1())}
	n.Subkind = d.str()
	n.Name = d.str()
	n.Props = d.props()
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	n.Source, n.SyncRun = t.name(src), t.run(src)
	return d.err
}

// nodeHead returns the source number and stub flag of a stored node value.
func nodeHead(v []byte) (src uint64, stub bool, err error) {
	d := dec{b: v}
	src = d.uvarint()
	flags := d.byte1()
	return src, flags&flagStub != 0, d.err
}

// entry is one decoded edge list entry; its slices point into the list.
type entry struct {
	kind graph.EdgeKind
	to   []byte
	body []byte
	src  uint64
}

// parseList decodes an edge list into out (reused).
func parseList(v []byte, out []entry) ([]entry, error) {
	out = out[:0]
	d := dec{b: v}
	for len(d.b) > 0 && d.err == nil {
		var e entry
		e.kind = graph.EdgeKind(d.byte1())
		e.to = d.raw()
		e.body = d.raw()
		if d.err == nil {
			b := dec{b: e.body}
			e.src = b.uvarint()
			d.err = b.err
		}
		out = append(out, e)
	}
	return out, d.err
}

// decodeEdge fills e from one entry of the list of from.
func decodeEdge(from string, en *entry, t *srcTable, e *graph.Edge) error {
	d := dec{b: en.body}
	src := d.uvarint()
	*e = graph.Edge{From: from, To: string(en.to), Kind: en.kind, Source: t.name(src), SyncRun: t.run(src)}
	e.Privilege = graph.Privilege(d.byte1())
	e.Actions = d.strs()
	e.Conditions = d.strs()
	e.Via = d.strs()
	e.Props = d.props()
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return d.err
}

// cmpEntry orders edge list entries as their edge IDs order ("KIND|to"):
// no kind name is a prefix of another, so differing kinds order by name.
func cmpEntry(ak graph.EdgeKind, ato []byte, bk graph.EdgeKind, bto []byte) int {
	if ak != bk {
		as, bs := ak.String(), bk.String()
		if as < bs {
			return -1
		}
		return 1
	}
	return bytes.Compare(ato, bto)
}

// appendEdgeIDStr is appendEdgeID for strings (converting them would copy).
func appendEdgeIDStr(b []byte, from string, kind graph.EdgeKind, to string) []byte {
	b = append(b, from...)
	b = append(b, '|')
	b = append(b, kind.String()...)
	b = append(b, '|')
	return append(b, to...)
}

// appendEdgeID appends the edge ID of from -kind-> to.
func appendEdgeID(b []byte, from []byte, kind graph.EdgeKind, to []byte) []byte {
	b = append(b, from...)
	b = append(b, '|')
	b = append(b, kind.String()...)
	b = append(b, '|')
	return append(b, to...)
}
