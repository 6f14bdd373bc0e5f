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
	o.put("{")
	return o
}

// list starts the array value of key.
func (o *objWriter) list(key string) {
	if o.keys > 0 {
		o.put(",")
	}
	o.keys++
	o.items = 0
	o.put(fmt.Sprintf("\n    %q: [", key))
}

// item appends one element to the current array.
func (o *objWriter) item(v any) error {
	o.buf.Reset()
	if err := o.enc.Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	if o.items > 0 {
		o.put(",")
	}
	o.items++
	o.written++
	o.put("\n        ")
	o.putb(bytes.TrimRight(o.buf.Bytes(), "\n"))
	return nil
}

// end closes the current array.
func (o *objWriter) end() {
	if o.items > 0 {
		o.put("\n    ")
	}
	o.put("]")
}

// close closes the object.
func (o *objWriter) close() { o.put("\n}\n") }

// awsID returns a stable 21-character IAM unique ID with the given 4-letter
// prefix (AIDA users, AGPA groups, AROA roles, ANPA policies, AIPA instance
// profiles), derived from key so that it never depends on generation order.
func awsID(prefix, key string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := fnv.New64a()
	_, _ = h.Write([]byte(key)) // a hash never fails to write
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

// arrWriter streams a JSON array, one compact element per line, as the Okta
// and Google APIs' list responses hold them once pages are concatenated.
type arrWriter struct {
	w     *bufio.Writer
	buf   bytes.Buffer
	enc   *json.Encoder
	items int
}

func newArrWriter(w *bufio.Writer) *arrWriter {
	a := &arrWriter{w: w}
	a.enc = json.NewEncoder(&a.buf)
	a.enc.SetEscapeHTML(false)
	a.put("[")
	return a
}

// item appends v, encoded.
func (a *arrWriter) item(v any) error {
	a.buf.Reset()
	if err := a.enc.Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	a.raw(bytes.TrimRight(a.buf.Bytes(), "\n"))
	return nil
}

// raw appends an element already encoded.
func (a *arrWriter) raw(b []byte) {
	if a.items > 0 {
		a.put(",")
	}
	a.items++
	a.put("\n")
	a.putb(b)
}

// close ends the array.
func (a *arrWriter) close() {
	if a.items > 0 {
		a.put("\n")
	}
	a.put("]\n")
}

// idChars is the alphabet of Okta-style object ids.
const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// oktaID returns a 20-character Okta object id: prefix (00u users, 00g
// groups, 0oa apps, 00T API tokens, oag grants, ra1 role assignments)
// followed by characters derived from key.
func oktaID(prefix, key string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key)) // a hash never fails to write
	a := mix64(h.Sum64())
	b := mix64(a ^ 0x2b)
	var sb strings.Builder
	sb.Grow(20)
	sb.WriteString(prefix)
	for i := 0; sb.Len() < 20; i++ {
		v := a
		if i >= 10 {
			v = b
		}
		sb.WriteByte(idChars[(v>>(6*(i%10)))%62])
	}
	return sb.String()
}

// digits returns n decimal digits derived from key, the first not zero.
func digits(key string, n int) string {
	h := hexID(key, 2*n)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		d := (h[2*i]%16 + h[2*i+1]) % 10
		if i == 0 && d == 0 {
			d = 1
		}
		sb.WriteByte('0' + d)
	}
	return sb.String()
}

// lowerID returns n lower-case alphanumeric characters derived from key.
func lowerID(key string, n int) string {
	h := hexID(key, 2*n)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(idChars[10+int(h[2*i]+h[2*i+1])%26])
		if i%3 == 1 {
			sb.WriteByte(idChars[int(h[2*i])%10])
			i++
		}
	}
	return sb.String()[:n]
}

// put and putb write to the buffered writer: bufio.Writer keeps the first
// error and returns it from Flush, which every caller checks.
func (o *objWriter) put(s string)  { _, _ = o.w.WriteString(s) }
func (o *objWriter) putb(b []byte) { _, _ = o.w.Write(b) }
func (a *arrWriter) put(s string)  { _, _ = a.w.WriteString(s) }
func (a *arrWriter) putb(b []byte) { _, _ = a.w.Write(b) }
