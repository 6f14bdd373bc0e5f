package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is the whole file.
type Config struct {
	Store   Store    `yaml:"store"`
	Server  Server   `yaml:"server"`
	Sources []Source `yaml:"sources"`
	// Workers bounds how many sources sync at once (default 2).
	Workers int `yaml:"workers"`
	// IDP configures accessgraph's own OIDC provider (package idp reads it;
	// see idp.Config). Absent: no provider runs.
	IDP yaml.Node `yaml:"idp"`

	path string
}

// Store chooses the graph store.
type Store struct {
	// Dir is the embedded store's folder.
	Dir string `yaml:"dir"`
	// Neo4j, when its URI is set, replaces the embedded store.
	Neo4j Neo4j `yaml:"neo4j"`
}

// Neo4j locates a Neo4j server.
type Neo4j struct {
	URI      string `yaml:"uri"`
	User     string `yaml:"user"`
	Database string `yaml:"database"`
	Password Secret `yaml:"password"`
}

// Server configures `accessgraph serve`.
type Server struct {
	Addr          string `yaml:"addr"`
	MaxComplexity int    `yaml:"maxComplexity"`
	// Token is the API token /graphql requires as a bearer token.
	Token Secret `yaml:"token"`
}

// Source is one thing to ingest.
type Source struct {
	// Name identifies the source in logs, GraphQL and the CLI.
	Name string `yaml:"name"`
	// Kind picks the connector (see Kinds).
	Kind string `yaml:"kind"`
	// Schedule is a cron expression (5 fields, or @every 1h, @daily ...);
	// empty means only on demand.
	Schedule string `yaml:"schedule"`
	// Paths are export files to read (export mode).
	Paths []string `yaml:"paths"`
	// URL is the live API's base URL (live mode).
	URL string `yaml:"url"`
	// Token is the live API credential.
	Token Secret `yaml:"token"`
	// Options are connector-specific settings (cluster, namespace, org, ...).
	Options map[string]string `yaml:"options"`
	// AllowShrink lets a run report less than half of the previous one
	// (ingest.ErrShrink); leave it off unless the source really shrank.
	AllowShrink bool `yaml:"allowShrink"`

	line int
}

// Line is where the source starts in the file.
func (s *Source) Line() int { return s.line }

// Live reports whether the source reads a live API rather than files.
func (s *Source) Live() bool { return s.URL != "" }

// Secret names where a credential lives: an environment variable or a file.
// Its value is read only when needed and never printed.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// IsZero reports whether no secret is configured.
func (s Secret) IsZero() bool { return s.Env == "" && s.File == "" }

// Value reads the secret.
func (s Secret) Value() (string, error) {
	switch {
	case s.Env != "":
		v := os.Getenv(s.Env)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty or unset", s.Env)
		}
		return v, nil
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", errors.New("no secret configured")
}

// String never shows the value.
func (s Secret) String() string {
	switch {
	case s.Env != "":
		return "env:" + s.Env
	case s.File != "":
		return "file:" + s.File
	}
	return "none"
}

// Kinds are the connector kinds a source may name, with whether each reads
// exports (files) and a live API.
var Kinds = map[string]struct{ Export, Live bool }{
	"aws":               {Export: true},
	"credential-report": {Export: true},
	"k8s":               {Export: true},
	"okta":              {Export: true, Live: true},
	"entra":             {Export: true, Live: true},
	"google":            {Export: true, Live: true},
	"github":            {Export: true, Live: true},
	"ad":                {Export: true},
	"scim":              {Export: true, Live: true},
	"hr":                {Export: true},
}

// Error is a validation error at a line of the file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, raw)
}

// Parse reads and validates raw, naming it path in errors.
func Parse(path string, raw []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	c := &Config{path: path}
	if err := dec.Decode(c); err != nil {
		return nil, decodeError(path, err)
	}
	lines := sourceLines(&doc)
	for i := range c.Sources {
		if i < len(lines) {
			c.Sources[i].line = lines[i]
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var lineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// decodeError turns yaml's "line N: field x not found in type config.Source"
// into "path:N: unknown field x (in a source)".
func decodeError(path string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	m := lineRe.FindStringSubmatch(te.Errors[0])
	if m == nil {
		return &Error{File: path, Msg: te.Errors[0]}
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	if f, typ, ok := strings.Cut(strings.TrimPrefix(msg, "field "), " not found in type config."); ok {
		msg = fmt.Sprintf("unknown field %q in %s", f, strings.ToLower(typ))
	}
	return &Error{File: path, Line: line, Msg: msg}
}

// sourceLines finds the line of each item of the top-level "sources" list.
func sourceLines(doc *yaml.Node) []int {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "sources" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

// Validate checks the configuration and applies defaults.
func (c *Config) Validate() error {
	if c.Workers == 0 {
		c.Workers = 2
	}
	if c.Workers < 0 {
		return &Error{File: c.path, Msg: "workers must be positive"}
	}
	if c.Store.Neo4j.URI != "" && c.Store.Neo4j.Password.IsZero() {
		return &Error{File: c.path, Msg: "store.neo4j.password: name an env variable or a file " +
			"(password: {env: NEO4J_PASSWORD})"}
	}
	seen := map[string]int{}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	for i := range c.Sources {
		s := &c.Sources[i]
		fail := func(format string, args ...any) error {
			return &Error{File: c.path, Line: s.line,
				Msg: fmt.Sprintf("sources[%d] (%s): ", i, s.Name) + fmt.Sprintf(format, args...)}
		}
		if s.Name == "" {
			return fail("name is required")
		}
		if prev, dup := seen[s.Name]; dup {
			return fail("name %q is also used at line %d", s.Name, prev)
		}
		seen[s.Name] = s.line
		k, ok := Kinds[s.Kind]
		if !ok {
			return fail("kind %q is not one of %s", s.Kind, strings.Join(kindNames(), ", "))
		}
		switch {
		case s.Live() && !k.Live:
			return fail("kind %s reads exports only: give paths, not url", s.Kind)
		case !s.Live() && len(s.Paths) == 0:
			return fail("give paths (export files) or url (live API)")
		case s.Live() && len(s.Paths) > 0:
			return fail("give paths or url, not both")
		case s.Live() && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://127.0.0.1") &&
			!strings.HasPrefix(s.URL, "http://localhost"):
			return fail("url %q: live APIs are reached over https (plain http only on localhost)", s.URL)
		case s.Live() && s.Token.IsZero():
			return fail("a live source needs token: {env: NAME} or {file: PATH}")
		}
		if s.Schedule != "" {
			if _, err := parser.Parse(s.Schedule); err != nil {
				return fail("schedule %q: %v", s.Schedule, err)
			}
		}
	}
	return nil
}

func kindNames() []string {
	out := make([]string, 0, len(Kinds))
	for k := range Kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Source returns the source named name.
func (c *Config) Source(name string) (*Source, bool) {
	for i := range c.Sources {
		if c.Sources[i].Name == name {
			return &c.Sources[i], true
		}
	}
	return nil, false
}

// IDPSection returns the idp section re-encoded as YAML, and the line it
// starts at, or nil when the file has none.
func (c *Config) IDPSection() ([]byte, int, error) {
	if c.IDP.Kind == 0 {
		return nil, 0, nil
	}
	out, err := yaml.Marshal(&c.IDP)
	if err != nil {
		return nil, c.IDP.Line, &Error{File: c.path, Line: c.IDP.Line, Msg: "idp: " + err.Error()}
	}
	return out, c.IDP.Line, nil
}

// Path is the file the configuration was read from.
func (c *Config) Path() string { return c.path }
