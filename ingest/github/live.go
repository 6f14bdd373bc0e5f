package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// BaseURL is GitHub's REST endpoint; pass it as httpapi.Options.BaseURL.
const BaseURL = "https://api.github.com/"

// APIVersion is the REST API version this package reads.
const APIVersion = "2022-11-28"

// BearerAuth returns an httpapi authorizer that sends token() as a bearer
// token with the API version and media type GitHub asks for. The token
// (a PAT with read:org, or an App installation token) is never logged.
func BearerAuth(token func() (string, error)) func(*http.Request) error {
	return func(r *http.Request) error {
		t, err := token()
		if err != nil {
			return fmt.Errorf("get token: %w", err)
		}
		r.Header.Set("Authorization", "Bearer "+t)
		r.Header.Set("X-GitHub-Api-Version", APIVersion)
		r.Header.Set("Accept", "application/vnd.github+json")
		return nil
	}
}

// fetcher reads lists with Link paging and waits out GitHub's secondary
// rate limits, which come as 403 (or 429) with Retry-After or
// x-ratelimit-remaining: 0 and x-ratelimit-reset.
type fetcher struct {
	c       *httpapi.Client
	maxWait time.Duration
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time
}

const (
	maxPages       = 100_000
	rateLimitTries = 4
)

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// rateLimitWait says how long to wait before retrying a rate-limited
// answer, or false if resp is no rate limit.
func (f *fetcher) rateLimitWait(resp *http.Response, body []byte) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests) {
		return 0, false
	}
	if d, ok := httpapi.RetryAfter(resp.Header.Get("Retry-After"), f.now()); ok {
		return d, true
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(f.now()), 0) + time.Second, true
		}
	}
	if strings.Contains(strings.ToLower(string(body)), "rate limit") {
		return time.Minute, true // GitHub: wait at least one minute
	}
	return 0, false
}

// get fetches ref, waiting out rate limits.
func (f *fetcher) get(ctx context.Context, ref string) (*http.Response, []byte, error) {
	for try := 1; ; try++ {
		resp, body, err := f.c.Get(ctx, ref)
		if err == nil {
			return resp, body, nil
		}
		wait, limited := f.rateLimitWait(resp, body)
		if !limited {
			return resp, body, explain(err, body)
		}
		if try >= rateLimitTries {
			return resp, body, fmt.Errorf("still rate limited after %d tries: %w", try, explain(err, body))
		}
		if wait > f.maxWait {
			return resp, body, fmt.Errorf("rate limited for %s, more than the %s allowed (Options.MaxRateLimitWait): "+
				"run again later: %w", wait.Round(time.Second), f.maxWait, explain(err, body))
		}
		slog.Warn("github rate limit: waiting", "url", strings.SplitN(ref, "?", 2)[0], "wait", wait)
		if err := f.sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

// explain adds GitHub's message ({"message":"Bad credentials",...}) to err.
func explain(err error, body []byte) error {
	var e struct {
		Message string `json:"message"`
		DocURL  string `json:"documentation_url"`
	}
	if (errors.Is(err, httpapi.ErrUnauthorized) || errors.Is(err, httpapi.ErrForbidden)) &&
		json.Unmarshal(body, &e) == nil && e.Message != "" {
		return fmt.Errorf("%w (GitHub says %q, see %s)", err, e.Message, e.DocURL)
	}
	return err
}

// list reads every page of an array endpoint into out.
func list[T any](ctx context.Context, f *fetcher, first string, out *[]T, check func(where string, v []T) error) error {
	path := strings.SplitN(first, "?", 2)[0]
	for ref, page := first, 1; ref != ""; page++ {
		if page > maxPages {
			return fmt.Errorf("github: GET %s: more than %d pages, stopping", path, maxPages)
		}
		resp, body, err := f.get(ctx, ref)
		if err != nil {
			return fmt.Errorf("github: GET %s page %d: %w", path, page, err)
		}
		w := fmt.Sprintf("GET %s page %d", path, page)
		var v []T
		if err := decodeJSON(body, &v, true); err != nil {
			return fmt.Errorf("github: %s: %w", w, err)
		}
		if check != nil {
			if err := check(w, v); err != nil {
				return fmt.Errorf("github: %w", err)
			}
		}
		*out = append(*out, v...)
		if ref, err = httpapi.LinkNext(resp, body); err != nil {
			return fmt.Errorf("github: %s: %w", w, err)
		}
	}
	return nil
}

// object reads a single object, or an envelope page by page through each.
func object(ctx context.Context, f *fetcher, first string, each func(where string, body []byte) error) error {
	path := strings.SplitN(first, "?", 2)[0]
	for ref, page := first, 1; ref != ""; page++ {
		if page > maxPages {
			return fmt.Errorf("github: GET %s: more than %d pages, stopping", path, maxPages)
		}
		resp, body, err := f.get(ctx, ref)
		if err != nil {
			return fmt.Errorf("github: GET %s page %d: %w", path, page, err)
		}
		if err := each(fmt.Sprintf("GET %s page %d", path, page), body); err != nil {
			return fmt.Errorf("github: %w", err)
		}
		if ref, err = httpapi.LinkNext(resp, body); err != nil {
			return err
		}
	}
	return nil
}

// Fetch reads the organization from the REST API and returns the same
// batch ParseExport returns for the same data. Any failed request or
// malformed page fails the whole read: no batch is returned.
func Fetch(ctx context.Context, c *httpapi.Client, opt Options) (*graph.Batch, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	f := &fetcher{c: c, maxWait: opt.MaxRateLimitWait, sleep: sleepCtx, now: time.Now}
	if f.maxWait == 0 {
		f.maxWait = 15 * time.Minute
	}
	return fetch(ctx, f, opt)
}

func fetch(ctx context.Context, f *fetcher, opt Options) (*graph.Batch, error) {
	s := newSnapshot()
	org := "orgs/" + url.PathEscape(opt.Org)
	if err := object(ctx, f, org, func(w string, body []byte) error {
		var o organization
		if err := decodeJSON(body, &o, false); err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		s.org = &o
		return nil
	}); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		ref  string
		into *[]simpleUser
	}{{org + "/members?role=all&per_page=100", &s.members}, {org + "/members?role=admin&per_page=100", &s.admins},
		{org + "/outside_collaborators?per_page=100", &s.outside}} {
		if err := list(ctx, f, l.ref, l.into, checkUsers); err != nil {
			return nil, err
		}
	}
	if err := list(ctx, f, org+"/teams?per_page=100", &s.teams, checkTeams); err != nil {
		return nil, err
	}
	for _, t := range s.teams {
		tp := org + "/teams/" + url.PathEscape(t.Slug)
		var ms, mt []simpleUser
		var rs []repository
		if err := list(ctx, f, tp+"/members?role=all&per_page=100", &ms, checkUsers); err != nil {
			return nil, err
		}
		if err := list(ctx, f, tp+"/members?role=maintainer&per_page=100", &mt, checkUsers); err != nil {
			return nil, err
		}
		if err := list(ctx, f, tp+"/repos?per_page=100", &rs, func(w string, v []repository) error {
			return checkRepos(w, v, true)
		}); err != nil {
			return nil, err
		}
		s.teamMembers[t.Slug], s.teamMaint[t.Slug], s.teamRepos[t.Slug] = ms, mt, rs
	}
	if err := list(ctx, f, org+"/repos?type=all&per_page=100", &s.repos, func(w string, v []repository) error {
		return checkRepos(w, v, false)
	}); err != nil {
		return nil, err
	}
	for _, r := range s.repos {
		var cs []collaborator
		ref := "repos/" + url.PathEscape(opt.Org) + "/" + url.PathEscape(r.Name) + "/collaborators?affiliation=direct&per_page=100"
		if err := list(ctx, f, ref, &cs, checkCollaborators); err != nil {
			return nil, err
		}
		s.collaborators[r.Name] = cs
	}
	if err := object(ctx, f, org+"/installations?per_page=100", func(w string, body []byte) error {
		var p installationsPage
		if err := decodeJSON(body, &p, false); err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		if err := checkInstallations(w, p.Installations); err != nil {
			return err
		}
		s.installations = append(s.installations, p.Installations...)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, in := range s.installations {
		if in.RepositorySelection != "selected" {
			continue
		}
		ref := "user/installations/" + strconv.FormatInt(in.ID, 10) + "/repositories?per_page=100"
		if err := object(ctx, f, ref, func(w string, body []byte) error {
			var p installationReposPage
			if err := decodeJSON(body, &p, false); err != nil {
				return fmt.Errorf("%s: %w", w, err)
			}
			if err := checkRepos(w+": repositories", p.Repositories, false); err != nil {
				return err
			}
			s.instRepos[in.ID] = append(s.instRepos[in.ID], p.Repositories...)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if opt.PersonalAccessTokens {
		if err := list(ctx, f, org+"/personal-access-tokens?per_page=100", &s.pats, checkPATs); err != nil {
			return nil, err
		}
		for _, t := range s.pats {
			if t.RepositorySelection != "subset" {
				continue
			}
			var rs []repository
			ref := org + "/personal-access-tokens/" + strconv.FormatInt(t.ID, 10) + "/repositories?per_page=100"
			if err := list(ctx, f, ref, &rs, func(w string, v []repository) error { return checkRepos(w, v, false) }); err != nil {
				return nil, err
			}
			s.patRepos[t.ID] = rs
		}
	}
	return build(opt, s)
}
