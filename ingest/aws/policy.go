package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// docKind says which grammar a policy document follows.
type docKind int

const (
	identityDoc docKind = iota // identity policy or permissions boundary
	trustDoc                   // role trust (assume-role) policy
)

// principal is one entry of a Principal or NotPrincipal element.
type principal struct {
	// Type is AWS, Service, Federated or CanonicalUser.
	Type string
	// ID is an ARN, account id, service name, provider or "*".
	ID string
}

// statement is one parsed and validated policy statement.
type statement struct {
	path         string
	allow        bool
	actions      []string
	notAction    bool
	resources    []string
	notResource  bool
	principals   []principal
	notPrincipal bool
	// condition is the Condition block as compact JSON with sorted keys, or "".
	condition string
	// passedTo holds the Condition's tests on iam:PassedToService.
	passedTo []serviceTest
}

// policyDoc is a parsed policy document.
type policyDoc struct {
	statements []statement
}

var (
	docKeys  = map[string]bool{"Version": true, "Id": true, "Statement": true}
	stmtKeys = map[string]bool{
		"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
		"Action": true, "NotAction": true, "Resource": true, "NotResource": true,
		"Condition": true,
	}
	principalKeys = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}
)

// parsePolicy parses the policy document raw found at path. GAAD carries
// documents either as JSON objects (the AWS CLI decodes them) or as
// URL-encoded JSON strings (the raw API response); both are accepted.
func parsePolicy(path string, raw json.RawMessage, kind docKind) (*policyDoc, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("%s: missing policy document", path)
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonerr.Element(path, err)
		}
		if t := strings.TrimSpace(s); !strings.HasPrefix(t, "{") {
			u, err := url.PathUnescape(t)
			if err != nil {
				return nil, fmt.Errorf("%s: policy document is neither JSON nor URL-encoded JSON: %w", path, err)
			}
			s = u
		}
		raw = json.RawMessage(s)
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%s: policy document string is not valid JSON", path)
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("%s: expected a policy document object: %w", path, jsonerr.Explain(nil, err))
	}
	for _, k := range sortedKeys(top) {
		if !docKeys[k] {
			return nil, fmt.Errorf("%s: unknown element %q (expected Version, Id, Statement)", path, k)
		}
	}
	stRaw, ok := top["Statement"]
	if !ok {
		return nil, fmt.Errorf("%s: missing Statement", path)
	}
	var list []json.RawMessage
	stRaw = bytes.TrimSpace(stRaw)
	if len(stRaw) > 0 && stRaw[0] == '{' {
		list = []json.RawMessage{stRaw}
	} else if err := json.Unmarshal(stRaw, &list); err != nil {
		return nil, fmt.Errorf("%s.Statement: expected an object or a list of objects: %w", path, jsonerr.Explain(nil, err))
	}
	doc := &policyDoc{}
	for i, sr := range list {
		st, err := parseStatement(fmt.Sprintf("%s.Statement[%d]", path, i), sr, kind)
		if err != nil {
			return nil, err
		}
		doc.statements = append(doc.statements, st)
	}
	return doc, nil
}

func parseStatement(path string, raw json.RawMessage, kind docKind) (statement, error) {
	st := statement{path: path}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return st, fmt.Errorf("%s: expected a statement object: %w", path, jsonerr.Explain(nil, err))
	}
	for _, k := range sortedKeys(m) {
		if !stmtKeys[k] {
			return st, fmt.Errorf("%s: unknown element %q (expected Sid, Effect, Principal, NotPrincipal, "+
				"Action, NotAction, Resource, NotResource, Condition)", path, k)
		}
	}

	var effect string
	if _, ok := m["Effect"]; !ok {
		return st, fmt.Errorf("%s: missing Effect: expected \"Allow\" or \"Deny\"", path)
	}
	if err := json.Unmarshal(m["Effect"], &effect); err != nil {
		return st, fmt.Errorf("%s: Effect: expected \"Allow\" or \"Deny\"", path)
	}
	switch effect {
	case "Allow":
		st.allow = true
	case "Deny":
	default:
		return st, fmt.Errorf("%s: Effect %q: expected \"Allow\" or \"Deny\"", path, effect)
	}

	var err error
	st.actions, st.notAction, err = pairOf(path, m, "Action", "NotAction", true)
	if err != nil {
		return st, err
	}
	for _, a := range st.actions {
		if a != "*" && !strings.Contains(a, ":") {
			return st, fmt.Errorf("%s: action %q: expected \"service:Action\" or \"*\"", path, a)
		}
	}
	st.resources, st.notResource, err = pairOf(path, m, "Resource", "NotResource", kind == identityDoc)
	if err != nil {
		return st, err
	}

	_, hasP := m["Principal"]
	_, hasNP := m["NotPrincipal"]
	switch {
	case kind == identityDoc && (hasP || hasNP):
		return st, fmt.Errorf("%s: Principal is not allowed in an identity policy", path)
	case kind == trustDoc && hasP && hasNP:
		return st, fmt.Errorf("%s: both Principal and NotPrincipal: expected one", path)
	case kind == trustDoc && !hasP && !hasNP:
		return st, fmt.Errorf("%s: missing Principal: a trust policy statement must name who may assume the role", path)
	case hasP:
		st.principals, err = parsePrincipals(path+".Principal", m["Principal"])
	case hasNP:
		st.notPrincipal = true
		st.principals, err = parsePrincipals(path+".NotPrincipal", m["NotPrincipal"])
	}
	if err != nil {
		return st, err
	}

	if c, ok := m["Condition"]; ok {
		var cond map[string]map[string]any
		if err := json.Unmarshal(c, &cond); err != nil {
			return st, fmt.Errorf("%s.Condition: expected {operator: {key: value}}: %w", path, jsonerr.Explain(nil, err))
		}
		if len(cond) > 0 {
			b, err := json.Marshal(cond)
			if err != nil {
				return st, fmt.Errorf("%s.Condition: %w", path, err)
			}
			st.condition = string(b)
		}
		if st.passedTo, err = parsePassedTo(path+".Condition", cond); err != nil {
			return st, err
		}
	}
	return st, nil
}

// pairOf reads one of two mutually exclusive elements (Action/NotAction,
// Resource/NotResource), each a string or a list of strings.
func pairOf(path string, m map[string]json.RawMessage, name, notName string, required bool) ([]string, bool, error) {
	v, has := m[name]
	nv, hasNot := m[notName]
	switch {
	case has && hasNot:
		return nil, false, fmt.Errorf("%s: both %s and %s: expected one", path, name, notName)
	case has:
		l, err := stringOrList(path+"."+name, v)
		return l, false, err
	case hasNot:
		l, err := stringOrList(path+"."+notName, nv)
		return l, true, err
	case required:
		return nil, false, fmt.Errorf("%s: missing %s (or %s)", path, name, notName)
	}
	return nil, false, nil
}

func stringOrList(path string, raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var out []string
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonerr.Element(path, err)
		}
		out = []string{s}
	} else if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s: expected a string or a list of strings", path)
	}
	for i, s := range out {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("%s[%d]: empty value", path, i)
		}
	}
	return out, nil
}

func parsePrincipals(path string, raw json.RawMessage) ([]principal, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s != "*" {
			return nil, fmt.Errorf("%s: expected \"*\" or an object with AWS, Service, Federated or CanonicalUser", path)
		}
		return []principal{{Type: "AWS", ID: "*"}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: expected \"*\" or an object with AWS, Service, Federated or CanonicalUser", path)
	}
	var out []principal
	for _, k := range sortedKeys(m) {
		if !principalKeys[k] {
			return nil, fmt.Errorf("%s: unknown element %q (expected AWS, Service, Federated, CanonicalUser)", path, k)
		}
		ids, err := stringOrList(path+"."+k, m[k])
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out = append(out, principal{Type: k, ID: strings.TrimSpace(id)})
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// render returns the statement as compact JSON, used to record a Deny that
// could not be subtracted on the edges it may restrict.
func (s *statement) render() string {
	m := map[string]any{}
	if s.allow {
		m["Effect"] = "Allow"
	} else {
		m["Effect"] = "Deny"
	}
	if s.notAction {
		m["NotAction"] = s.actions
	} else {
		m["Action"] = s.actions
	}
	if s.notResource {
		m["NotResource"] = s.resources
	} else if s.resources != nil {
		m["Resource"] = s.resources
	}
	if s.condition != "" {
		m["Condition"] = json.RawMessage(s.condition)
	}
	if len(s.principals) > 0 {
		ps := map[string][]string{}
		for _, p := range s.principals {
			ps[p.Type] = append(ps[p.Type], p.ID)
		}
		if s.notPrincipal {
			m["NotPrincipal"] = ps
		} else {
			m["Principal"] = ps
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}
