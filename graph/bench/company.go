package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/google"
	"github.com/accessgraph/accessgraph/ingest/hr"
	"github.com/accessgraph/accessgraph/ingest/k8s"
	"github.com/accessgraph/accessgraph/ingest/okta"
	"github.com/accessgraph/accessgraph/ingest/synth"
)

// Company is a generated company, parsed into batches.
type Company struct {
	Dir      string
	Manifest *synth.Manifest
	Batches  []*graph.Batch
	// Nodes and Edges count the elements of all batches.
	Nodes, Edges int
	// GenerateTime and ParseTime are how long each step took (zero when the
	// exports were reused from Dir).
	GenerateTime, ParseTime time.Duration
}

// LoadCompany generates the company for (identities, seed) into dir, or
// reuses what an earlier call of the same generator version wrote there, and parses it with the real
// connectors. levels may be nil (the verb heuristic rates actions).
func LoadCompany(dir string, identities int, seed int64, levels *aws.ActionLevels) (*Company, error) {
	m, gen, err := GenerateCompany(dir, identities, seed)
	if err != nil {
		return nil, err
	}
	c := &Company{Dir: dir, Manifest: m, GenerateTime: gen}
	start := time.Now()
	batches, err := Parse(dir, c.Manifest, levels)
	if err != nil {
		return nil, err
	}
	c.Batches, c.ParseTime = batches, time.Since(start)
	for _, b := range batches {
		n, e := b.Len()
		c.Nodes += n
		c.Edges += e
	}
	return c, nil
}

// GenerateCompany generates the company for (identities, seed) into dir, or
// reuses what an earlier call of the same generator version wrote there,
// without parsing it. The duration is zero when the exports were reused.
func GenerateCompany(dir string, identities int, seed int64) (*synth.Manifest, time.Duration, error) {
	mpath := filepath.Join(dir, "manifest.json")
	if raw, err := os.ReadFile(mpath); err == nil {
		var m synth.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", mpath, err)
		}
		if m.Generator == synth.GeneratorVersion && m.Options.Identities == identities && m.Options.Seed == seed {
			return &m, 0, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, 0, err
	}
	start := time.Now()
	m, err := synth.Generate(dir, synth.Options{Identities: identities, Seed: seed}, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("generate: %w", err)
	}
	return m, time.Since(start), nil
}

// Parse runs the connectors over every file a manifest lists, one batch per
// source: AWS, HR, Kubernetes, and the Okta and Google Workspace exports
// when the manifest has them.
func Parse(dir string, m *synth.Manifest, levels *aws.ActionLevels) ([]*graph.Batch, error) {
	var out []*graph.Batch
	err := ParseEach(dir, m, levels, func(b *graph.Batch) error { out = append(out, b); return nil })
	return out, err
}

// ParseEach is Parse handing each source's batch to fn as soon as it is
// parsed, in Parse's order, so a caller that writes each batch to a store
// and drops it holds one source's batch at a time.
func ParseEach(dir string, m *synth.Manifest, levels *aws.ActionLevels, fn func(*graph.Batch) error) error {
	for _, f := range m.Files.AWSAuthorizationDetails {
		b, err := parseFile(filepath.Join(dir, f.Path), func(name string, fh *os.File) (*graph.Batch, error) {
			return aws.ParseAuthorizationDetails(name, fh, aws.Options{Levels: levels, Now: m.Options.Now})
		})
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	for _, f := range m.Files.AWSCredentialReports {
		b, err := parseFile(filepath.Join(dir, f.Path), func(name string, fh *os.File) (*graph.Batch, error) {
			return aws.ParseCredentialReport(name, fh, aws.Options{Now: m.Options.Now})
		})
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if m.Files.HR != "" {
		b, err := hr.ParseFile(hr.Options{Name: m.Domain}, filepath.Join(dir, m.Files.HR))
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	for _, f := range m.Files.K8s {
		b, err := k8s.ParseFiles(k8s.Options{Cluster: f.Cluster, DefaultNamespace: f.DefaultNamespace},
			filepath.Join(dir, f.Path))
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if f := m.Files.Okta; f != nil {
		b, err := okta.ParseExport(okta.Options{Org: f.Org}, filepath.Join(dir, f.Path))
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if f := m.Files.Google; f != nil {
		b, err := google.ParseExport(google.Options{Tenant: f.Tenant}, filepath.Join(dir, f.Path))
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

func parseFile(path string, fn func(string, *os.File) (*graph.Batch, error)) (*graph.Batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return fn(path, f)
}

// Snapshot builds a projection from every batch in memory, as a store scan
// would (stub nodes yield to the node their owner reported).
func (c *Company) Snapshot() *projection.Snapshot {
	nodes := make(map[string]graph.Node, c.Nodes)
	var edges []graph.Edge
	for _, b := range c.Batches {
		for _, n := range b.Nodes() {
			if old, ok := nodes[n.ID]; ok && n.Props[graph.PropStub] == "true" &&
				old.Props[graph.PropStub] != "true" {
				continue
			}
			nodes[n.ID] = n
		}
		edges = append(edges, b.Edges()...)
	}
	ns := make([]graph.Node, 0, len(nodes))
	for _, n := range nodes {
		ns = append(ns, n)
	}
	return projection.FromElements(ns, edges)
}
