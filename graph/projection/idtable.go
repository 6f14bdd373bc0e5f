package projection

import (
	"encoding/binary"
	"sort"
	"strings"
	"unsafe"
)

// idBlock is the number of IDs front-coded against each other: a lookup
// binary-searches the blocks' first IDs, then decodes at most idBlock IDs.
const idBlock = 16

// idTable holds sorted, distinct node IDs front-coded (incremental prefix
// compression) in blocks of idBlock. The first ID of a block is stored whole
// (a uvarint length and the bytes); each later one as a uvarint count of the
// bytes it shares with the previous ID, a uvarint length of the rest, and
// the rest. IDs such as "okta:acme.okta.com:user:00u..." or
// "arn:aws:iam::123456789012:role/..." share long prefixes with their
// neighbours, so this halves their text.
type idTable struct {
	data  []byte   // the encoded IDs
	block []uint32 // offset in data of each block's first ID
	n     int
}

// newIDTable encodes ids, which must be sorted and distinct.
func newIDTable(n int, id func(i int) string) idTable {
	t := idTable{n: n, block: make([]uint32, 0, (n+idBlock-1)/idBlock)}
	var data []byte
	prev := ""
	for i := range n {
		s := id(i)
		if len(data) > int(^uint32(0)) {
			panic("projection: node IDs exceed 4 GiB")
		}
		if i%idBlock == 0 {
			t.block = append(t.block, uint32(len(data)))
			data = binary.AppendUvarint(data, uint64(len(s)))
			data = append(data, s...)
		} else {
			p := commonPrefix(prev, s)
			data = binary.AppendUvarint(data, uint64(p))
			data = binary.AppendUvarint(data, uint64(len(s)-p))
			data = append(data, s[p:]...)
		}
		prev = s
	}
	// A copy at its exact length: append's spare capacity would otherwise
	// stay with the snapshot for its whole life.
	t.data = exact(data)
	return t
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// uvarint decodes a uvarint at data[p:], with a fast path for one byte.
func uvarint(data []byte, p int) (int, int) {
	if c := data[p]; c < 0x80 {
		return int(c), p + 1
	}
	v, w := binary.Uvarint(data[p:])
	return int(v), p + w
}

// head returns the first ID of block b, sharing the table's memory.
func (t *idTable) head(b int) string {
	l, p := uvarint(t.data, int(t.block[b]))
	if l == 0 {
		return ""
	}
	return unsafe.String(&t.data[p], l)
}

// at returns ID i in a new string.
func (t *idTable) at(i int) string {
	b, k := i/idBlock, i%idBlock
	// Where each ID of the block up to k keeps its own bytes.
	var shared, start, end [idBlock]int
	l, p := uvarint(t.data, int(t.block[b]))
	start[0], end[0] = p, p+l
	p = end[0]
	for j := 1; j <= k; j++ {
		shared[j], p = uvarint(t.data, p)
		l, p = uvarint(t.data, p)
		start[j], end[j] = p, p+l
		p += l
	}
	n := shared[k] + end[k] - start[k]
	if n == 0 {
		return ""
	}
	out := make([]byte, n)
	copy(out[shared[k]:], t.data[start[k]:end[k]])
	// Fill the shared prefix backwards: the bytes out[shared[j]:need] are ID
	// j's own, so each byte is copied once.
	need := shared[k]
	for j := k - 1; need > 0; j-- {
		if need > shared[j] {
			copy(out[shared[j]:need], t.data[start[j]:])
			need = shared[j]
		}
	}
	return unsafe.String(&out[0], n)
}

// find returns the position of id, and whether it is there.
func (t *idTable) find(id string) (int, bool) {
	// The last block whose first ID is not after id.
	b := sort.Search(len(t.block), func(j int) bool { return t.head(j) > id }) - 1
	if b < 0 {
		return 0, false
	}
	var stack [256]byte
	buf := stack[:0]
	l, p := uvarint(t.data, int(t.block[b]))
	buf = append(buf, t.data[p:p+l]...)
	p += l
	for j := 0; ; j++ {
		switch c := strings.Compare(unsafe.String(unsafe.SliceData(buf), len(buf)), id); {
		case c == 0:
			return b*idBlock + j, true
		case c > 0:
			return 0, false
		}
		i := b*idBlock + j + 1
		if i >= t.n || i%idBlock == 0 {
			return 0, false
		}
		var s int
		s, p = uvarint(t.data, p)
		l, p = uvarint(t.data, p)
		buf = append(buf[:s], t.data[p:p+l]...)
		p += l
	}
}

// each calls fn with every ID in order. The bytes are valid only during
// the call.
func (t *idTable) each(fn func(i int, id []byte)) {
	var buf []byte
	p := 0
	for i := range t.n {
		var l int
		if i%idBlock == 0 {
			l, p = uvarint(t.data, p)
			buf = append(buf[:0], t.data[p:p+l]...)
		} else {
			var s int
			s, p = uvarint(t.data, p)
			l, p = uvarint(t.data, p)
			buf = append(buf[:s], t.data[p:p+l]...)
		}
		p += l
		fn(i, buf)
	}
}

// heapBytes is what the table holds.
func (t *idTable) heapBytes() int { return cap(t.data) + 4*cap(t.block) }

// packed is a slice of unsigned integers 16 bits wide when every value
// fits, else 32.
type packed struct {
	w16 []uint16
	w32 []uint32
}

func newPacked(n int, maxValue uint32) packed {
	if maxValue <= 0xffff {
		return packed{w16: make([]uint16, n)}
	}
	return packed{w32: make([]uint32, n)}
}

func (p *packed) set(i int, v uint32) {
	if p.w16 != nil {
		p.w16[i] = uint16(v)
		return
	}
	p.w32[i] = v
}

func (p *packed) get(i int) uint32 {
	if p.w16 != nil {
		return uint32(p.w16[i])
	}
	return p.w32[i]
}

func (p *packed) heapBytes() int { return 2*cap(p.w16) + 4*cap(p.w32) }

// exact returns a copy of s whose capacity is its length (append and
// slices.Clone round capacity up to the allocator's size class).
func exact[T any](s []T) []T {
	out := make([]T, len(s))
	copy(out, s)
	return out
}
