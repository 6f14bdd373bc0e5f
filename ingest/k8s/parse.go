package k8s

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// Options configures Parse.
type Options struct {
	// Cluster names the cluster; it becomes the source "k8s:<Cluster>" and the
	// prefix of every node ID. Default "default".
	Cluster string
	// DefaultNamespace is the namespace of namespaced objects that do not set
	// metadata.namespace, as with `kubectl apply -n`. Default "default".
	DefaultNamespace string
}

// File is one named input: a manifest or `kubectl get -o json|yaml` output.
type File struct {
	// Name identifies the input in error messages (usually its path).
	Name string
	// R yields the content.
	R io.Reader
}

// Report summarises what Parse read and what it left out.
type Report struct {
	// Objects counts every Kubernetes object read (List items one by one).
	Objects int
	// Kinds counts the objects ingested, by kind.
	Kinds map[string]int
	// Skipped counts the objects that carry no RBAC meaning, by kind.
	Skipped map[string]int
	// MissingRoles lists the roles bindings reference but the input does not
	// define ("role/<ns>/<name>", "clusterrole/<name>"); each is a stub node.
	MissingRoles []string
	// MissingServiceAccounts lists the SAs referenced but not defined
	// ("<ns>/<name>"); each is a stub node.
	MissingServiceAccounts []string
	// IgnoredRules lists rules that grant nothing where they are bound, and why.
	IgnoredRules []string
}

// SkippedTotal returns the number of skipped objects.
func (r *Report) SkippedTotal() int {
	n := 0
	for _, c := range r.Skipped {
		n += c
	}
	return n
}

// LogValue implements slog.LogValuer.
func (r *Report) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("objects", r.Objects),
		slog.String("ingested", countList(r.Kinds)),
		slog.String("skipped", countList(r.Skipped)),
		slog.Int("missing_roles", len(r.MissingRoles)),
		slog.Int("missing_service_accounts", len(r.MissingServiceAccounts)),
		slog.Int("ignored_rules", len(r.IgnoredRules)),
	)
}

func countList(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// Parse reads Kubernetes objects from files and returns the RBAC graph of one
// cluster. Every file is read and validated before the batch is built: on
// error, no batch is returned.
func Parse(opt Options, files ...File) (*graph.Batch, error) {
	b, _, err := ParseWithReport(opt, files...)
	return b, err
}

// ParseFiles is Parse on the files at paths.
func ParseFiles(opt Options, paths ...string) (*graph.Batch, error) {
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("k8s: %w", err)
		}
		defer f.Close()
		files = append(files, File{Name: p, R: f})
	}
	return Parse(opt, files...)
}

// ParseWithReport is Parse that also returns a Report of what was ingested
// and skipped.
func ParseWithReport(opt Options, files ...File) (*graph.Batch, *Report, error) {
	if opt.Cluster == "" {
		opt.Cluster = "default"
	}
	if opt.DefaultNamespace == "" {
		opt.DefaultNamespace = "default"
	}
	if strings.Contains(opt.Cluster, ":") {
		return nil, nil, fmt.Errorf("k8s: cluster name %q must not contain ':'", opt.Cluster)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("k8s: no input files")
	}

	b := newBuilder(opt)
	for _, f := range files {
		objs, err := readFile(f)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range objs {
			b.rep.Objects++
			if err := b.classify(o); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := b.build(); err != nil {
		return nil, nil, err
	}
	if err := b.b.Validate(); err != nil {
		return nil, nil, fmt.Errorf("k8s: build graph: %w", err)
	}
	return b.b, b.rep, nil
}
