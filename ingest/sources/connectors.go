package sources

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/ad"
	"github.com/accessgraph/accessgraph/ingest/config"
	"github.com/accessgraph/accessgraph/ingest/entra"
	"github.com/accessgraph/accessgraph/ingest/github"
	"github.com/accessgraph/accessgraph/ingest/google"
	"github.com/accessgraph/accessgraph/ingest/hr"
	"github.com/accessgraph/accessgraph/ingest/okta"
	"github.com/accessgraph/accessgraph/ingest/scim"
)

// host returns the host of a source's URL, the default tenant name of
// live sources.
func host(src *config.Source) string {
	if u, err := url.Parse(src.URL); err == nil {
		return u.Host
	}
	return ""
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func readOkta(ctx context.Context, src *config.Source, opt Options) ([]*graph.Batch, error) {
	o := okta.Options{Org: orDefault(src.Options["org"], host(src))}
	if !src.Live() {
		b, err := okta.ParseExport(o, src.Paths...)
		return one(src, b, err)
	}
	c, err := client(src, opt, strings.TrimRight(src.URL, "/")+"/api/v1/", okta.SSWS)
	if err != nil {
		return nil, err
	}
	b, err := okta.Fetch(ctx, c, o)
	return one(src, b, err)
}

func readEntra(ctx context.Context, src *config.Source, opt Options) ([]*graph.Batch, error) {
	o := entra.Options{Tenant: src.Options["tenant"]}
	if !src.Live() {
		b, err := entra.ParseExport(o, src.Paths...)
		return one(src, b, err)
	}
	c, err := client(src, opt, src.URL, nil)
	if err != nil {
		return nil, err
	}
	b, err := entra.Fetch(ctx, c, o)
	return one(src, b, err)
}

func readGoogle(ctx context.Context, src *config.Source, opt Options) ([]*graph.Batch, error) {
	o := google.Options{Tenant: src.Options["tenant"], Customer: src.Options["customer"]}
	if !src.Live() {
		b, err := google.ParseExport(o, src.Paths...)
		return one(src, b, err)
	}
	c, err := client(src, opt, src.URL, google.BearerAuth)
	if err != nil {
		return nil, err
	}
	b, err := google.Fetch(ctx, c, o)
	return one(src, b, err)
}

func readGitHub(ctx context.Context, src *config.Source, opt Options) ([]*graph.Batch, error) {
	o := github.Options{Org: src.Options["org"], PersonalAccessTokens: src.Options["personal_access_tokens"] == "true"}
	if !src.Live() {
		b, err := github.ParseExport(o, src.Paths...)
		return one(src, b, err)
	}
	c, err := client(src, opt, src.URL, github.BearerAuth)
	if err != nil {
		return nil, err
	}
	b, err := github.Fetch(ctx, c, o)
	return one(src, b, err)
}

func readAD(_ context.Context, src *config.Source, _ Options) ([]*graph.Batch, error) {
	paths, err := expandDirs(src.Paths, ".json", ".zip")
	if err != nil {
		return nil, sourceErr(src, err)
	}
	b, err := ad.ParseExport(ad.Options{Domain: src.Options["domain"]}, paths...)
	return one(src, b, err)
}

// expandDirs replaces each directory in paths by its files with one of the
// extensions, sorted (SharpHound writes one file per object type).
func expandDirs(paths []string, exts ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, e := range entries {
			if !e.IsDir() && slices.Contains(exts, strings.ToLower(filepath.Ext(e.Name()))) {
				out = append(out, filepath.Join(p, e.Name()))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no %s files in the folder", p, strings.Join(exts, " or "))
		}
	}
	return out, nil
}

func readSCIM(ctx context.Context, src *config.Source, opt Options) ([]*graph.Batch, error) {
	o := scim.Options{Host: orDefault(src.Options["host"], host(src))}
	if !src.Live() {
		b, err := scim.ParseExport(o, src.Paths...)
		return one(src, b, err)
	}
	c, err := client(src, opt, src.URL, nil)
	if err != nil {
		return nil, err
	}
	b, err := scim.Fetch(ctx, c, o)
	return one(src, b, err)
}

func readHR(_ context.Context, src *config.Source, _ Options) ([]*graph.Batch, error) {
	var out []*graph.Batch
	for _, p := range src.Paths {
		b, err := hr.ParseFile(hr.Options{Name: orDefault(src.Options["name"], src.Name)}, p)
		if err != nil {
			return nil, sourceErr(src, err)
		}
		out = append(out, b)
	}
	return out, nil
}
