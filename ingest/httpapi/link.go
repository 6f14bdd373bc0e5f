package httpapi

import "strings"

type link struct{ url, rel string }

// parseLinks reads RFC 8288 Link header values: <url>; rel="next", ...
func parseLinks(values []string) []link {
	var out []link
	for _, v := range values {
		for _, part := range splitLinks(v) {
			part = strings.TrimSpace(part)
			if !strings.HasPrefix(part, "<") {
				continue
			}
			end := strings.Index(part, ">")
			if end < 0 {
				continue
			}
			l := link{url: part[1:end]}
			for _, param := range strings.Split(part[end+1:], ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "rel") {
					for _, r := range strings.Fields(strings.Trim(val, `"`)) {
						if strings.EqualFold(r, "next") {
							l.rel = "next"
						}
					}
				}
			}
			out = append(out, l)
		}
	}
	return out
}

// splitLinks splits a header value on commas outside angle brackets.
func splitLinks(v string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range v {
		switch c {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}
