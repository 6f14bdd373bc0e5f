package aws

import (
	"strings"
	"unicode/utf8"
)

// hasWildcard reports whether s contains an IAM wildcard (* or ?).
func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// matchAction reports whether the action pattern p matches or covers the
// action name or pattern q. Action names are case-insensitive in IAM.
func matchAction(p, q string) bool { return globCovers(p, q, true) }

// matchResource reports whether the resource pattern p matches or covers the
// ARN or ARN pattern q. ARNs are case-sensitive.
func matchResource(p, q string) bool { return globCovers(p, q, false) }

// globCovers reports whether every string matched by q is matched by p, where
// both use IAM wildcards: * matches any run of characters and ? exactly one.
// It treats q's wildcards as characters that only a * of p may absorb (a ?
// of p may absorb a ? of q), which is exact when q is a plain string and a
// sound (never wrong when true) test of inclusion when q is a pattern.
func globCovers(p, q string, fold bool) bool {
	if !hasWildcard(p) && !hasWildcard(q) {
		if fold {
			return strings.EqualFold(p, q)
		}
		return p == q
	}
	if isASCII(p) && isASCII(q) {
		return coversASCII(p, q, fold)
	}
	pr, qr := []rune(p), []rune(q)
	if !utf8.ValidString(p) || !utf8.ValidString(q) {
		return p == q
	}
	eq := func(a, b rune) bool {
		if b == '*' || b == '?' {
			return false
		}
		if fold {
			return a == b || strings.EqualFold(string(a), string(b))
		}
		return a == b
	}
	pi, qi := 0, 0
	star, mark := -1, 0
	for qi < len(qr) {
		switch {
		case pi < len(pr) && pr[pi] == '*':
			star, mark = pi, qi
			pi++
		case pi < len(pr) && pr[pi] == '?' && qr[qi] != '*':
			pi++
			qi++
		case pi < len(pr) && pr[pi] != '?' && eq(pr[pi], qr[qi]):
			pi++
			qi++
		case star >= 0:
			pi = star + 1
			mark++
			qi = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '*' {
		pi++
	}
	return pi == len(pr)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// coversASCII is globCovers for ASCII strings, without allocating.
func coversASCII(p, q string, fold bool) bool {
	eq := func(a, b byte) bool {
		if b == '*' || b == '?' {
			return false
		}
		return a == b || (fold && lowerASCII(a) == lowerASCII(b))
	}
	pi, qi := 0, 0
	star, mark := -1, 0
	for qi < len(q) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, qi
			pi++
		case pi < len(p) && p[pi] == '?' && q[qi] != '*':
			pi++
			qi++
		case pi < len(p) && p[pi] != '?' && eq(p[pi], q[qi]):
			pi++
			qi++
		case star >= 0:
			pi = star + 1
			mark++
			qi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// globsMayOverlap reports whether two patterns match a common string.
func globsMayOverlap(a, b string, fold bool) bool {
	ar, br := []rune(a), []rune(b)
	eq := func(x, y rune) bool {
		return x == '?' || y == '?' || x == y || (fold && strings.EqualFold(string(x), string(y)))
	}
	type state struct{ i, j int }
	seen := map[state]bool{}
	stack := []state{{0, 0}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		if s.i == len(ar) && s.j == len(br) {
			return true
		}
		aStar := s.i < len(ar) && ar[s.i] == '*'
		bStar := s.j < len(br) && br[s.j] == '*'
		if aStar {
			stack = append(stack, state{s.i + 1, s.j})
			if s.j < len(br) {
				stack = append(stack, state{s.i, s.j + 1})
			}
		}
		if bStar {
			stack = append(stack, state{s.i, s.j + 1})
			if s.i < len(ar) {
				stack = append(stack, state{s.i + 1, s.j})
			}
		}
		if !aStar && !bStar && s.i < len(ar) && s.j < len(br) && eq(ar[s.i], br[s.j]) {
			stack = append(stack, state{s.i + 1, s.j + 1})
		}
	}
	return false
}

// actionService returns the service prefix of an action pattern ("s3" for
// "s3:GetObject", "*" for "*"), lower-cased.
func actionService(action string) string {
	svc, _, found := strings.Cut(action, ":")
	if !found {
		return "*"
	}
	return strings.ToLower(svc)
}

// actionsMayOverlap reports whether two action patterns name a common action.
func actionsMayOverlap(a, b string) bool { return globsMayOverlap(a, b, true) }
