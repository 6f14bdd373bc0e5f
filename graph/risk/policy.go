package risk

import (
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"slices"

	"sigs.k8s.io/yaml"
)

//go:embed policy/default.yaml
var defaultPolicy []byte

// Policy is a risk policy: rules, feature weights, parameters and
// separation-of-duties pairs. See policy/default.yaml.
type Policy struct {
	Version int                `json:"version"`
	Name    string             `json:"name"`
	Params  map[string]any     `json:"params"`
	Weights map[string]float64 `json:"weights"`
	// RuleDecay makes overlapping hits count less: the rules that fired
	// are taken by weight, highest first, and the k-th adds weight x
	// RuleDecay^k (0 or 1: every hit adds its full weight). One critical
	// finding then outranks a pile of minor ones, and more findings still
	// rank higher than fewer.
	RuleDecay  float64     `json:"rule_decay"`
	LLM        LLMPolicy   `json:"llm"`
	ToxicPairs []ToxicPair `json:"toxic_pairs"`
	Rules      []Rule      `json:"rules"`

	file string // where ParsePolicy read it from, for errors
}

// Label names the policy in errors and logs: the file it came from, else its
// name.
func (p *Policy) Label() string {
	switch {
	case p.file != "" && p.Name != "":
		return fmt.Sprintf("%s (%s)", p.file, p.Name)
	case p.file != "":
		return p.file
	case p.Name != "":
		return p.Name
	}
	return "(unnamed)"
}

// LLMPolicy bounds what the model may do.
type LLMPolicy struct {
	// MaxRaise is the most points an LLM answer may add to a score.
	MaxRaise float64 `json:"max_raise"`
}

// ToxicPair is a separation-of-duties pair: holding something that matches
// Left and something that matches Right is a toxic combination.
type ToxicPair struct {
	Name  string `json:"name"`
	Left  string `json:"left"`
	Right string `json:"right"`

	left, right *regexp.Regexp
}

// Rule is one rule of a policy.
type Rule struct {
	// ID names the rule in hits and decisions.
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Severity string  `json:"severity"`
	Weight   float64 `json:"weight"`
	// When is a CEL expression over item and params that yields a bool.
	When string `json:"when"`
	// Evidence is a CEL expression that yields a list of strings (element
	// IDs or rendered paths). Empty: the item's ID.
	Evidence string `json:"evidence"`
}

// Severities are the severities a rule may have, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

// Features names the feature weights a policy may set, in report order.
var Features = []string{"privilege_tier", "max_sensitivity", "blast_weighted", "escalation_paths",
	"credential_age", "credential_unused", "scope_breadth", "peer_unusualness"}

// DefaultPolicy returns the policy that ships with accessgraph.
func DefaultPolicy() (*Policy, error) {
	return ParsePolicy("policy/default.yaml", defaultPolicy)
}

// DefaultPolicyBytes returns the text of the default policy file.
func DefaultPolicyBytes() []byte { return slices.Clone(defaultPolicy) }

// LoadPolicy reads a policy file.
func LoadPolicy(path string) (*Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	return ParsePolicy(path, raw)
}

// ParsePolicy parses and validates a policy; name is used in errors. The
// CEL expressions are compiled by NewScorer.
func ParsePolicy(name string, raw []byte) (*Policy, error) {
	var p Policy
	if err := yaml.UnmarshalStrict(raw, &p); err != nil {
		return nil, fmt.Errorf("parse policy %s: %w", name, err)
	}
	p.file = name
	if p.Version != 1 {
		return nil, fmt.Errorf("parse policy %s: version: got %d, want 1", name, p.Version)
	}
	if p.Params == nil {
		p.Params = map[string]any{}
	}
	for k := range p.Weights {
		if !contains(Features, k) {
			return nil, fmt.Errorf("parse policy %s: weights.%s: unknown feature (want one of %v)", name, k, Features)
		}
	}
	if p.RuleDecay < 0 || p.RuleDecay > 1 {
		return nil, fmt.Errorf("parse policy %s: rule_decay: got %v, want 0..1", name, p.RuleDecay)
	}
	if p.RuleDecay == 0 {
		p.RuleDecay = 1
	}
	if p.LLM.MaxRaise < 0 {
		return nil, fmt.Errorf("parse policy %s: llm.max_raise: must not be negative", name)
	}
	for i := range p.ToxicPairs {
		tp := &p.ToxicPairs[i]
		var err error
		if tp.Name == "" {
			return nil, fmt.Errorf("parse policy %s: toxic_pairs[%d].name: empty", name, i)
		}
		if tp.left, err = regexp.Compile(tp.Left); err != nil {
			return nil, fmt.Errorf("parse policy %s: toxic_pairs[%d].left: %w", name, i, err)
		}
		if tp.right, err = regexp.Compile(tp.Right); err != nil {
			return nil, fmt.Errorf("parse policy %s: toxic_pairs[%d].right: %w", name, i, err)
		}
	}
	seen := map[string]bool{}
	for i, r := range p.Rules {
		switch {
		case r.ID == "":
			return nil, fmt.Errorf("parse policy %s: rules[%d].id: empty", name, i)
		case seen[r.ID]:
			return nil, fmt.Errorf("parse policy %s: rules[%d].id: duplicate %q", name, i, r.ID)
		case r.When == "":
			return nil, fmt.Errorf("parse policy %s: rules[%d] (%s).when: empty", name, i, r.ID)
		case r.Weight < 0:
			return nil, fmt.Errorf("parse policy %s: rules[%d] (%s).weight: must not be negative", name, i, r.ID)
		case !contains(Severities, r.Severity) && r.Severity != "":
			return nil, fmt.Errorf("parse policy %s: rules[%d] (%s).severity: %q is not one of %v", name, i, r.ID,
				r.Severity, Severities)
		}
		seen[r.ID] = true
	}
	return &p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
