package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// timeLayout is how the AWS CLI prints timestamps in JSON and how the
// credential report writes them.
const timeLayout = "2006-01-02T15:04:05+00:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// objWriter streams a JSON object whose values are long arrays, indented like
// the AWS CLI (4 spaces), one element encoded at a time.
type objWriter struct {
	w       *bufio.Writer
	buf     bytes.Buffer
	enc     *json.Encoder
	keys    int
	items   int
	written int
}

func newObjWriter(w *bufio.Writer) *objWriter {
	o := &objWriter{w: w}
	o.enc = json.NewEncoder(&o.buf)
	o.enc.SetEscapeHTML(false)
	o.enc.SetIndent("        ", "    ")
	o.w.WriteString("{")
	return o
}

// list starts the array value of key.
func (o *objWriter) list(key string) {
	if o.keys > 0 {
		o.w.WriteString(",")
	}
	o.keys++
	o.items = 0
	fmt.Fprintf(o.w, "\n    %q: [", key)
}

// item appends one element to the current array.
func (o *objWriter) item(v any) error {
	o.buf.Reset()
	if err := o.enc.Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	if o.items > 0 {
		o.w.WriteString(",")
	}
	o.items++
	o.written++
	o.w.WriteString("\n        ")
	o.w.Write(bytes.TrimRight(o.buf.Bytes(), "\n"))
	return nil
}

// end closes the current array.
func (o *objWriter) end() {
	if o.items > 0 {
		o.w.WriteString("\n    ")
	}
	o.w.WriteString("]")
}

// close closes the object.
func (o *objWriter) close() { o.w.WriteString("\n}\n") }

// awsID returns a stable 21-character IAM unique ID with the given 4-letter
// prefix (AIDA users, AGPA groups, AROA roles, ANPA policies, AIPA instance
// profiles), derived from key so that it never depends on generation order.
func awsID(prefix, key string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := fnv.New64a()
	h.Write([]byte(key))
	a := mix64(h.Sum64())
	b := mix64(a ^ 0x5f)
	var sb strings.Builder
	sb.WriteString(prefix)
	for i := range 17 {
		v := a
		if i >= 12 {
			v = b
		}
		sb.WriteByte(alphabet[(v>>(5*(i%12)))&31])
	}
	return sb.String()
}

// hexID returns n upper-case hex digits derived from key.
func hexID(key string, n int) string {
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s#%d", key, i)
		fmt.Fprintf(&sb, "%016X", mix64(h.Sum64()))
	}
	return sb.String()[:n]
}

// mix64 is the splitmix64 finalizer: it spreads the bits of FNV hashes of
// similar keys so that derived IDs look unrelated.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
