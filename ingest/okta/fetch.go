package okta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// BaseURL returns the Management API root of org, the BaseURL of the
// httpapi client Fetch uses.
func BaseURL(org string) string { return "https://" + org + "/api/v1/" }

// SSWS returns an httpapi Authorize function sending an Okta API token as
// "Authorization: SSWS <token>". The token is read on each request and
// never logged.
func SSWS(token func() (string, error)) func(*http.Request) error {
	return func(r *http.Request) error {
		t, err := token()
		if err != nil {
			return fmt.Errorf("okta API token: %w", err)
		}
		r.Header.Set("Authorization", "SSWS "+t)
		return nil
	}
}

// maxRateWait bounds the pause Fetch makes when X-Rate-Limit-Remaining
// reaches 0 before X-Rate-Limit-Reset.
const maxRateWait = 60 * time.Second

// pager follows Okta's Link rel="next" and, when a response says the rate
// limit is spent (X-Rate-Limit-Remaining: 0), waits until
// X-Rate-Limit-Reset (epoch seconds) before the next request. A 429 itself
// is retried by the client, honouring Retry-After when Okta sends it.
func pager(ctx context.Context) httpapi.Pager {
	return func(resp *http.Response, body []byte) (string, error) {
		next, err := httpapi.LinkNext(resp, body)
		if err != nil {
			return "", err
		}
		if resp.Header.Get("X-Rate-Limit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64); err == nil {
				wait := min(time.Until(time.Unix(reset, 0)), maxRateWait)
				if wait > 0 {
					slog.Info("okta: rate limit spent, waiting for reset", "wait", wait)
					select {
					case <-ctx.Done():
						return "", ctx.Err()
					case <-time.After(wait):
					}
				}
			}
		}
		return next, nil
	}
}

// Fetch reads the org through c (BaseURL(org), Authorize SSWS(token) with
// a token of an admin allowed to read users, groups, apps, roles, grants
// and API tokens) and returns the same batch ParseExport returns for an
// export of the same responses. Any failure (after c's retries) returns no
// batch.
func Fetch(ctx context.Context, c *httpapi.Client, opt Options) (*graph.Batch, error) {
	src, err := opt.source()
	if err != nil {
		return nil, err
	}
	d := newData()
	read := func(ref string, optional bool) error {
		segs := apiPath(ref)
		err := c.Pages(ctx, ref, pager(ctx), func(_ int, body []byte) error {
			ok, err := d.ingest("response", segs, body)
			if err == nil && !ok {
				err = fmt.Errorf("no route for %s", ref)
			}
			return err
		})
		var se *httpapi.StatusError
		if optional && errors.As(err, &se) && se.Status == http.StatusNotFound {
			slog.Warn("okta: not found, skipped", "path", ref)
			return nil
		}
		if err != nil {
			return fmt.Errorf("okta: %w", err)
		}
		return nil
	}
	for _, ref := range []string{"users?limit=200", "groups?limit=200", "apps?limit=200", "api-tokens"} {
		if err := read(ref, false); err != nil {
			return nil, err
		}
	}
	for _, id := range sortedKeys(d.groups) {
		for _, ref := range []string{"groups/" + id + "/users?limit=200", "groups/" + id + "/roles"} {
			if err := read(ref, true); err != nil {
				return nil, err
			}
		}
	}
	for _, id := range sortedKeys(d.apps) {
		for _, ref := range []string{"apps/" + id + "/users?limit=200", "apps/" + id + "/groups?limit=200"} {
			if err := read(ref, true); err != nil {
				return nil, err
			}
		}
	}
	users := sortedKeys(d.users)
	for _, id := range users {
		for _, ref := range []string{"users/" + id + "/roles", "users/" + id + "/grants?expand=scope"} {
			if err := read(ref, true); err != nil {
				return nil, err
			}
		}
	}
	return build(src, d)
}
