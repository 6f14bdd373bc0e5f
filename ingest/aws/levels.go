package aws

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// ActionLevelsEnv is the environment variable that may name the action
// catalogue CSV (see DefaultActionLevelsPath).
const ActionLevelsEnv = "ACCESSGRAPH_AWS_ACTION_LEVELS"

// actionLevelsFile is the catalogue's file name in the shared datasets folder.
const actionLevelsFile = "policy-sentry-iam-action-access-levels-2020.csv"

// ActionLevels is a catalogue of IAM actions and their access levels, as
// published in AWS's Service Authorization Reference and scraped by
// policy_sentry into a semicolon-separated CSV. It classifies actions into
// privilege tiers and lets wildcard patterns be expanded into action names.
//
// A nil *ActionLevels is valid: every lookup then uses the verb heuristic
// described at Level.
type ActionLevels struct {
	// levels maps a lower-case "service:action" to its tier.
	levels map[string]graph.Privilege
	// access maps a lower-case "service:action" to the catalogue's level name.
	access map[string]string
	// byService maps a lower-case service prefix to its action names, sorted.
	byService map[string][]string
}

// LoadActionLevels reads the policy_sentry action table at path. Its header
// must name the columns service, name and access_level; other columns are
// ignored. An action listed with several levels (one row per resource type)
// keeps the highest.
func LoadActionLevels(path string) (*ActionLevels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load action levels: %w", err)
	}
	defer f.Close()

	a, err := readActionLevels(f)
	if err != nil {
		return nil, fmt.Errorf("load action levels %s: %w", path, err)
	}
	return a, nil
}

func readActionLevels(r io.Reader) (*ActionLevels, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1

	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, want := range []string{"service", "name", "access_level"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("header %q: missing column %q (expected service;name;description;access_level;...)",
				strings.Join(header, ";"), want)
		}
	}

	a := &ActionLevels{
		levels:    map[string]graph.Privilege{},
		access:    map[string]string{},
		byService: map[string][]string{},
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read row: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= col["access_level"] || len(rec) <= col["name"] || len(rec) <= col["service"] {
			return nil, fmt.Errorf("line %d: %d fields, want at least %d", line, len(rec), len(header))
		}
		svc, name := strings.TrimSpace(rec[col["service"]]), strings.TrimSpace(rec[col["name"]])
		level := strings.TrimSpace(rec[col["access_level"]])
		p, ok := catalogueLevel(level)
		if !ok {
			return nil, fmt.Errorf("line %d: action %s:%s: unknown access level %q "+
				"(want List, Read, Write, Tagging or Permissions management)", line, svc, name, level)
		}
		if svc == "" || name == "" {
			return nil, fmt.Errorf("line %d: empty service or action name", line)
		}
		key := strings.ToLower(svc + ":" + name)
		old, seen := a.levels[key]
		if !seen {
			lsvc := strings.ToLower(svc)
			a.byService[lsvc] = append(a.byService[lsvc], svc+":"+name)
		}
		if !seen || p > old {
			a.levels[key] = p
			a.access[key] = level
		}
	}
	if len(a.levels) == 0 {
		return nil, fmt.Errorf("no actions")
	}
	for _, names := range a.byService {
		sort.Strings(names)
	}
	return a, nil
}

// catalogueLevel maps a Service Authorization Reference access level to a
// privilege tier: List and Read are read, Write and Tagging are write, and
// Permissions management is admin (its holder can change permissions).
func catalogueLevel(level string) (graph.Privilege, bool) {
	switch strings.ToLower(level) {
	case "list", "read":
		return graph.PrivRead, true
	case "write", "tagging":
		return graph.PrivWrite, true
	case "permissions management":
		return graph.PrivAdmin, true
	}
	return graph.PrivNone, false
}

// Len returns the number of distinct actions in the catalogue.
func (a *ActionLevels) Len() int {
	if a == nil {
		return 0
	}
	return len(a.levels)
}

// AccessLevel returns the catalogue's access level name for one action
// ("List", "Read", "Write", "Tagging" or "Permissions management"), or "" if
// the catalogue does not list it.
func (a *ActionLevels) AccessLevel(action string) string {
	if a == nil {
		return ""
	}
	return a.access[strings.ToLower(action)]
}

// Level returns the privilege tier of action, an IAM action name or pattern
// such as "s3:GetObject", "s3:Get*" or "*". For a pattern it is the highest
// tier among the catalogue's actions that match it. The boolean reports
// whether the catalogue answered; when it did not (a nil catalogue, an action
// newer than the catalogue, a pattern matching nothing) Level falls back to
// the verb heuristic of heuristicLevel.
func (a *ActionLevels) Level(action string) (graph.Privilege, bool) {
	if a != nil {
		if !hasWildcard(action) {
			if p, ok := a.levels[strings.ToLower(action)]; ok {
				return p, true
			}
		} else if names := a.expand(action); len(names) > 0 {
			best := graph.PrivNone
			for _, n := range names {
				if p := a.levels[strings.ToLower(n)]; p > best {
					best = p
				}
			}
			return best, true
		}
	}
	return heuristicLevel(action), false
}

// expand returns the catalogue's action names matching pattern, sorted.
func (a *ActionLevels) expand(pattern string) []string {
	if a == nil {
		return nil
	}
	svc, _, _ := strings.Cut(pattern, ":")
	var out []string
	scan := func(names []string) {
		for _, n := range names {
			if matchAction(pattern, n) {
				out = append(out, n)
			}
		}
	}
	if !hasWildcard(svc) {
		scan(a.byService[strings.ToLower(svc)])
	} else {
		for _, names := range a.byService {
			scan(names)
		}
		sort.Strings(out)
	}
	return out
}

// readVerbs are action-name prefixes that only read.
var readVerbs = []string{"List", "Describe", "Get", "Head", "Search", "Query", "Scan",
	"Select", "View", "Lookup", "Read", "BatchGet", "BatchDescribe", "Check", "Preview"}

// adminWords mark an action that changes permissions or identities.
var adminWords = []string{"Policy", "Policies", "Permission", "PassRole", "AssumeRole",
	"AccessKey", "LoginProfile", "Acl", "Grant", "Trust"}

// heuristicLevel classifies an action the catalogue does not know by its
// verb: "*" and "service:*" are admin; names starting with a read verb (List,
// Describe, Get, Head, Search, Query ...) are read; a name mentioning
// permissions (Policy, Permission, PassRole, AssumeRole, AccessKey,
// LoginProfile, Acl, Grant, Trust) is admin; everything else (Put, Create,
// Delete, Update, Tag, and unknown verbs) is write. Unknown verbs count as
// write so that an unrecognised action is never under-rated as read.
func heuristicLevel(action string) graph.Privilege {
	_, name, found := strings.Cut(action, ":")
	if !found {
		name = action
	}
	if name == "*" || name == "" {
		return graph.PrivAdmin
	}
	for _, v := range readVerbs {
		if strings.HasPrefix(name, v) {
			return graph.PrivRead
		}
	}
	for _, w := range adminWords {
		if strings.Contains(name, w) {
			return graph.PrivAdmin
		}
	}
	return graph.PrivWrite
}

// DefaultActionLevelsPath returns where the action catalogue probably is:
// the file named by $ACCESSGRAPH_AWS_ACTION_LEVELS if set, else the shared
// datasets copy (../shared/datasets/aws/policy-sentry-iam-action-access-levels-2020.csv)
// relative to the working directory or one of its parents. It returns "" if
// no such file exists.
func DefaultActionLevelsPath() string {
	if p := os.Getenv(ActionLevelsEnv); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		for _, rel := range []string{
			filepath.Join("shared", "datasets", "aws", actionLevelsFile),
			filepath.Join("..", "shared", "datasets", "aws", actionLevelsFile),
		} {
			p := filepath.Join(dir, rel)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return filepath.Clean(p)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
