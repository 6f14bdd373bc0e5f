package aws

import (
	"fmt"
	"strings"
)

// condKeyPassedTo is the condition key naming the service a role is passed to.
const condKeyPassedTo = "iam:PassedToService"

// serviceTest is one test of a Condition block on iam:PassedToService.
type serviceTest struct {
	// op is the string operator without ForAnyValue:/ForAllValues: and
	// IfExists: StringEquals, StringLike or StringEqualsIgnoreCase.
	op     string
	negate bool // StringNot...
	values []string
}

// stringOps maps the string condition operators to their positive form and
// whether they negate it.
var stringOps = map[string]struct {
	op     string
	negate bool
}{
	"StringEquals":              {"StringEquals", false},
	"StringLike":                {"StringLike", false},
	"StringEqualsIgnoreCase":    {"StringEqualsIgnoreCase", false},
	"StringNotEquals":           {"StringEquals", true},
	"StringNotLike":             {"StringLike", true},
	"StringNotEqualsIgnoreCase": {"StringEqualsIgnoreCase", true},
}

// parsePassedTo reads the iam:PassedToService tests of a Condition block
// found at path. Operators other than the string ones are not evaluated (a
// test with them admits every service); a value that is not a string or a
// list of strings is an error.
func parsePassedTo(path string, cond map[string]map[string]any) ([]serviceTest, error) {
	var out []serviceTest
	for _, rawOp := range sortedKeys(cond) {
		for _, key := range sortedKeys(cond[rawOp]) {
			if !strings.EqualFold(key, condKeyPassedTo) {
				continue
			}
			var values []string
			switch v := cond[rawOp][key].(type) {
			case string:
				values = []string{v}
			case []any:
				for _, x := range v {
					s, ok := x.(string)
					if !ok {
						return nil, fmt.Errorf("%s.%s.%s: expected a string or a list of strings", path, rawOp, key)
					}
					values = append(values, s)
				}
			default:
				return nil, fmt.Errorf("%s.%s.%s: expected a string or a list of strings", path, rawOp, key)
			}
			op := rawOp
			if _, rest, ok := strings.Cut(op, ":"); ok && strings.HasPrefix(op, "For") {
				op = rest
			}
			op = strings.TrimSuffix(op, "IfExists")
			so, ok := stringOps[op]
			if !ok {
				continue
			}
			out = append(out, serviceTest{op: so.op, negate: so.negate, values: values})
		}
	}
	return out, nil
}

// admitsService reports whether the statement's iam:PassedToService tests
// (all of them: the blocks of a Condition are ANDed) let a role be passed to
// service. A statement without such tests admits every service.
func (s *statement) admitsService(service string) bool {
	for _, t := range s.passedTo {
		match := false
		for _, v := range t.values {
			switch t.op {
			case "StringEquals":
				match = match || v == service
			case "StringEqualsIgnoreCase":
				match = match || strings.EqualFold(v, service)
			case "StringLike":
				match = match || matchResource(v, service)
			}
		}
		if match == t.negate {
			return false
		}
	}
	return true
}
