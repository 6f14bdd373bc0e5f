package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// Fetch reads every User and Group from the SCIM endpoint the client's base
// URL points at (e.g. "https://example.com/scim/v2/") and returns the same
// batch ParseExport builds from the same resources. Credentials are the
// client's (a bearer token set by its Authorize hook). Any failed, refused or
// malformed page fails the whole read and no batch is returned.
func Fetch(ctx context.Context, c *httpapi.Client, opt Options) (*graph.Batch, error) {
	b, _, err := FetchWithReport(ctx, c, opt)
	return b, err
}

// FetchWithReport is Fetch that also returns a Report.
func FetchWithReport(ctx context.Context, c *httpapi.Client, opt Options) (*graph.Batch, *Report, error) {
	if opt.PageSize <= 0 {
		opt.PageSize = 100
	}
	if opt.Host == "" {
		u, err := c.Resolve("Users")
		if err != nil {
			return nil, nil, fmt.Errorf("scim: %w", err)
		}
		opt.Host = u.Hostname()
	}
	var all []*resource
	for _, ep := range []string{"Users", "Groups"} {
		rs, err := fetchAll(ctx, c, ep, opt.PageSize)
		if err != nil {
			return nil, nil, fmt.Errorf("scim: %w", err)
		}
		all = append(all, rs...)
	}
	return build(opt, all)
}

// pageURL is the query for one page: RFC 7644 section 3.4.2.4.
func pageURL(endpoint string, start, count int) string {
	q := url.Values{}
	q.Set("startIndex", strconv.Itoa(start))
	q.Set("count", strconv.Itoa(count))
	return endpoint + "?" + q.Encode()
}

// fetchAll reads every page of one endpoint. The next page starts after the
// resources received so far; the read ends when totalResults are in. A page
// that returns nothing before totalResults is reached, restarts at another
// index, or holds a resource of the wrong type is an error.
func fetchAll(ctx context.Context, c *httpapi.Client, endpoint string, count int) ([]*resource, error) {
	var (
		out   []*resource
		next  = 1
		total = -1
	)
	want := "User"
	if endpoint == "Groups" {
		want = "Group"
	}
	each := func(page int, body []byte) error {
		lr, err := decodeList(body)
		if err != nil {
			return fmt.Errorf("GET %s: %w", endpoint, err)
		}
		if lr.StartIndex != nil && *lr.StartIndex != next {
			return fmt.Errorf("GET %s: asked for startIndex %d, got a page starting at %d", endpoint, next, *lr.StartIndex)
		}
		if total >= 0 && *lr.TotalResults != total {
			// The set changed while paging: a consistent read is not possible.
			return fmt.Errorf("GET %s: totalResults changed from %d to %d while paging; run again",
				endpoint, total, *lr.TotalResults)
		}
		total = *lr.TotalResults
		if len(lr.Resources) == 0 && next <= total {
			return fmt.Errorf("GET %s: page at startIndex %d is empty but totalResults is %d (%d read)",
				endpoint, next, total, len(out))
		}
		rs, err := decodeResources(lr.Resources, "Resources")
		if err != nil {
			return fmt.Errorf("GET %s: %w", endpoint, err)
		}
		for _, r := range rs {
			if r.kind != want {
				return fmt.Errorf("GET %s: %s (id %q) is a %s, want a %s", endpoint, r.at, r.ID, r.kind, want)
			}
			r.at = fmt.Sprintf("%s page %d %s", endpoint, page, r.at)
		}
		out = append(out, rs...)
		next += len(rs)
		return nil
	}
	pager := func(*http.Response, []byte) (string, error) {
		if next > total {
			return "", nil
		}
		return pageURL(endpoint, next, count), nil
	}
	if err := c.Pages(ctx, pageURL(endpoint, 1, count), pager, each); err != nil {
		return nil, err
	}
	return out, nil
}
