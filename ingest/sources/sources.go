package sources

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/config"
	"github.com/accessgraph/accessgraph/ingest/httpapi"
	"github.com/accessgraph/accessgraph/ingest/k8s"
)

// Options are settings shared by every source.
type Options struct {
	// ActionLevels is the AWS action catalogue (nil: the verb heuristic).
	ActionLevels *aws.ActionLevels
	// Now is the time credential ages are computed against (default now).
	Now time.Time
	// HTTPClient replaces the live API transport (tests).
	HTTPClient *http.Client
}

// reader reads one kind of source.
type reader func(ctx context.Context, src *config.Source, opt Options) ([]*graph.Batch, error)

// readers holds one reader per config kind; connectors register here.
var readers = map[string]reader{
	"aws":               readAWS,
	"credential-report": readCredentialReport,
	"k8s":               readK8s,
	"okta":              readOkta,
	"entra":             readEntra,
	"google":            readGoogle,
	"github":            readGitHub,
	"ad":                readAD,
	"scim":              readSCIM,
	"hr":                readHR,
}

// Fetch returns a scheduler Fetcher bound to opt.
func Fetch(opt Options) func(ctx context.Context, src *config.Source) ([]*graph.Batch, error) {
	return func(ctx context.Context, src *config.Source) ([]*graph.Batch, error) {
		r, ok := readers[src.Kind]
		if !ok {
			return nil, fmt.Errorf("source %s: kind %s has no connector in this build", src.Name, src.Kind)
		}
		if opt.Now.IsZero() {
			opt.Now = time.Now()
		}
		return r(ctx, src, opt)
	}
}

func eachFile(src *config.Source, fn func(path string, f *os.File) (*graph.Batch, error)) ([]*graph.Batch, error) {
	var out []*graph.Batch
	for _, p := range src.Paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, sourceErr(src, err)
		}
		b, err := fn(p, f)
		_ = f.Close()
		if err != nil {
			return nil, sourceErr(src, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func readAWS(_ context.Context, src *config.Source, opt Options) ([]*graph.Batch, error) {
	return eachFile(src, func(p string, f *os.File) (*graph.Batch, error) {
		return aws.ParseAuthorizationDetails(p, f, aws.Options{Levels: opt.ActionLevels, Now: opt.Now})
	})
}

func readCredentialReport(_ context.Context, src *config.Source, opt Options) ([]*graph.Batch, error) {
	return eachFile(src, func(p string, f *os.File) (*graph.Batch, error) {
		return aws.ParseCredentialReport(p, f, aws.Options{Now: opt.Now})
	})
}

func readK8s(_ context.Context, src *config.Source, _ Options) ([]*graph.Batch, error) {
	b, err := k8s.ParseFiles(k8s.Options{Cluster: src.Options["cluster"],
		DefaultNamespace: src.Options["namespace"]}, src.Paths...)
	if err != nil {
		return nil, sourceErr(src, err)
	}
	return []*graph.Batch{b}, nil
}

// client builds the live API client of a source. auth turns the token
// getter into the connector's Authorization scheme (nil: bearer).
func client(src *config.Source, opt Options, base string,
	auth func(func() (string, error)) func(*http.Request) error) (*httpapi.Client, error) {
	token := func() (string, error) {
		v, err := src.Token.Value()
		if err != nil {
			return "", fmt.Errorf("token (%s): %w", src.Token, err)
		}
		return v, nil
	}
	if _, err := token(); err != nil {
		return nil, sourceErr(src, err)
	}
	if auth == nil {
		auth = bearer
	}
	c, err := httpapi.New(httpapi.Options{BaseURL: base, HTTPClient: opt.HTTPClient, Authorize: auth(token)})
	if err != nil {
		return nil, sourceErr(src, err)
	}
	return c, nil
}

func bearer(token func() (string, error)) func(*http.Request) error {
	return func(r *http.Request) error {
		v, err := token()
		if err != nil {
			return err
		}
		r.Header.Set("Authorization", "Bearer "+v)
		return nil
	}
}

// one wraps a single batch, naming the source in an error.
func one(src *config.Source, b *graph.Batch, err error) ([]*graph.Batch, error) {
	if err != nil {
		return nil, sourceErr(src, err)
	}
	return []*graph.Batch{b}, nil
}

// sourceError names the source an error came from.
type sourceError struct {
	msg string
	err error
}

func (e *sourceError) Error() string { return e.msg }
func (e *sourceError) Unwrap() error { return e.err }

// sourceErr prefixes err with "source NAME: ". A connector names its kind
// ("ad: ...") and a source from the command line is named after its kind,
// so the name is said once: "source ad: users.json: ...", not
// "source ad: ad: users.json: ...".
func sourceErr(src *config.Source, err error) error {
	msg := err.Error()
	if src.Name != "" {
		msg = strings.TrimPrefix(msg, src.Name+": ")
	}
	return &sourceError{msg: "source " + src.Name + ": " + msg, err: err}
}
