package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// ErrUnauthorized is returned when the API refuses the credentials (HTTP
// 401): an expired or revoked token, or a wrong one.
var ErrUnauthorized = errors.New("unauthorized")

// ErrForbidden is returned on HTTP 403: the credentials lack a permission.
var ErrForbidden = errors.New("forbidden")

// StatusError is a non-success HTTP answer that retries did not cure.
type StatusError struct {
	URL    string
	Status int
	Body   string // the first bytes of the response body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d: %s", e.URL, e.Status, e.Body)
}

// Options configures a Client.
type Options struct {
	// BaseURL is where relative paths resolve, e.g. "https://graph.microsoft.com/v1.0/".
	BaseURL string
	// Authorize sets credentials on each request (e.g. a bearer token). It
	// must not log them.
	Authorize func(*http.Request) error
	// MaxRetries bounds retries of one request (default 5).
	MaxRetries int
	// MinWait and MaxWait bound the backoff between retries (defaults 200ms and 30s).
	// A Retry-After header within MaxWait is honoured as given.
	MinWait, MaxWait time.Duration
	// Timeout bounds one attempt (default 60s).
	Timeout time.Duration
	// MaxPages bounds a paged read (default 100,000), a guard against a
	// server that never stops returning a next link.
	MaxPages int
	// UserAgent is sent on every request.
	UserAgent string
	// Logger receives retry and paging messages (never credentials).
	Logger *slog.Logger
	// HTTPClient replaces the transport (tests).
	HTTPClient *http.Client
}

// Client reads JSON APIs with retries and paging.
type Client struct {
	base *url.URL
	rc   *retryablehttp.Client
	opt  Options
}

// New returns a client for opt.
func New(opt Options) (*Client, error) {
	base, err := url.Parse(opt.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("base URL %q: want an absolute http(s) URL", opt.BaseURL)
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 5
	}
	if opt.MinWait == 0 {
		opt.MinWait = 200 * time.Millisecond
	}
	if opt.MaxWait == 0 {
		opt.MaxWait = 30 * time.Second
	}
	if opt.Timeout == 0 {
		opt.Timeout = 60 * time.Second
	}
	if opt.MaxPages == 0 {
		opt.MaxPages = 100_000
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "accessgraph"
	}
	rc := retryablehttp.NewClient()
	rc.RetryMax = opt.MaxRetries
	rc.RetryWaitMin, rc.RetryWaitMax = opt.MinWait, opt.MaxWait
	rc.Logger = nil
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	if opt.HTTPClient != nil {
		rc.HTTPClient = opt.HTTPClient
	}
	rc.HTTPClient.Timeout = opt.Timeout
	log := opt.Logger
	rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
		if attempt > 0 {
			log.Warn("retrying request", "url", redact(r.URL), "attempt", attempt)
		}
	}
	return &Client{base: base, rc: rc, opt: opt}, nil
}

// redact drops the query string, which may carry tokens or cursors.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	c.User = nil
	return c.String()
}

// Resolve turns a path or URL into an absolute URL under the base. A next
// link on another host than the base is refused: following it would send
// the credentials elsewhere.
func (c *Client) Resolve(ref string) (*url.URL, error) {
	u, err := c.base.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", ref, err)
	}
	if u.Host != c.base.Host || u.Scheme != c.base.Scheme {
		return nil, fmt.Errorf("url %s is not on %s://%s: refusing to send credentials there",
			redact(u), c.base.Scheme, c.base.Host)
	}
	return u, nil
}

// Get fetches ref and returns the response with its whole body read.
func (c *Client) Get(ctx context.Context, ref string) (*http.Response, []byte, error) {
	u, err := c.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opt.UserAgent)
	if c.opt.Authorize != nil {
		if err := c.opt.Authorize(req.Request); err != nil {
			return nil, nil, fmt.Errorf("authorize request to %s: %w", redact(u), err)
		}
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", redact(u), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: read body: %w", redact(u), err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return resp, body, fmt.Errorf("GET %s: %w: the token is expired, revoked or wrong; "+
			"renew it and run again (nothing was written)", redact(u), ErrUnauthorized)
	case resp.StatusCode == http.StatusForbidden:
		return resp, body, fmt.Errorf("GET %s: %w: the credentials lack a permission this "+
			"connector needs (see its documentation)", redact(u), ErrForbidden)
	case resp.StatusCode == http.StatusTooManyRequests:
		return resp, body, fmt.Errorf("GET %s: still rate limited after %d retries (Retry-After %q); "+
			"try later or lower the schedule's frequency", redact(u), c.opt.MaxRetries, resp.Header.Get("Retry-After"))
	case resp.StatusCode >= 300:
		return resp, body, &StatusError{URL: redact(u), Status: resp.StatusCode, Body: snippet(body)}
	}
	return resp, body, nil
}

func snippet(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// Pager decides the next page from a response: it returns the next URL or
// path, or "" when the read is done.
type Pager func(resp *http.Response, body []byte) (next string, err error)

// Pages reads first and every following page, calling each with the page's
// body and its 1-based number. Any failure stops the read and is returned
// with the page number; nothing partial should be written by the caller.
func (c *Client) Pages(ctx context.Context, first string, next Pager,
	each func(page int, body []byte) error) error {
	ref := first
	for page := 1; ref != ""; page++ {
		if page > c.opt.MaxPages {
			return fmt.Errorf("GET %s: more than %d pages: stopping (the server keeps returning a next link)",
				first, c.opt.MaxPages)
		}
		resp, body, err := c.Get(ctx, ref)
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		if err := each(page, body); err != nil {
			return fmt.Errorf("page %d of %s: %w", page, first, err)
		}
		if ref, err = next(resp, body); err != nil {
			return fmt.Errorf("page %d of %s: next page: %w", page, first, err)
		}
	}
	return nil
}

// LinkNext is a Pager for APIs that put the next page in a Link header
// (rel="next"), as Okta and GitHub do.
func LinkNext(resp *http.Response, _ []byte) (string, error) {
	for _, l := range parseLinks(resp.Header.Values("Link")) {
		if l.rel == "next" {
			return l.url, nil
		}
	}
	return "", nil
}

// RetryAfter parses a Retry-After header (seconds or an HTTP date).
func RetryAfter(h string, now time.Time) (time.Duration, bool) {
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
