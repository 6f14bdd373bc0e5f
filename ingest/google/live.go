package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// BaseURL is the Admin SDK's endpoint; pass it as httpapi.Options.BaseURL.
const BaseURL = "https://admin.googleapis.com/"

// BearerAuth returns an httpapi authorizer that sends the OAuth access token
// token() returns (scopes admin.directory.user.readonly,
// admin.directory.group.readonly, admin.directory.group.member.readonly,
// admin.directory.rolemanagement.readonly and admin.directory.user.security
// for tokens.list). The token is never logged.
func BearerAuth(token func() (string, error)) func(*http.Request) error {
	return func(r *http.Request) error {
		t, err := token()
		if err != nil {
			return fmt.Errorf("get access token: %w", err)
		}
		r.Header.Set("Authorization", "Bearer "+t)
		return nil
	}
}

// PageToken is an httpapi.Pager for the Directory API: the next page is
// the request's URL with pageToken set to the body's nextPageToken.
func PageToken(resp *http.Response, body []byte) (string, error) {
	var p struct {
		NextPageToken string `json:"nextPageToken"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return "", fmt.Errorf("read nextPageToken: %w", err)
	}
	if p.NextPageToken == "" {
		return "", nil
	}
	u := *resp.Request.URL
	q := u.Query()
	q.Set("pageToken", p.NextPageToken)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Fetch reads users, groups and their members, admin roles and role
// assignments, and every user's OAuth tokens from the Directory API, and
// returns the same batch ParseExport returns for the same data. Any failed
// request or malformed page fails the whole read: no batch is returned.
func Fetch(ctx context.Context, c *httpapi.Client, opt Options) (*graph.Batch, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	cust := opt.Customer
	if cust == "" {
		cust = "my_customer"
	}
	cq := url.QueryEscape(cust)
	s := &snapshot{}
	const dir = "admin/directory/v1/"
	if err := pages(ctx, c, dir+"users?customer="+cq+"&maxResults=500&orderBy=email", kindUsers,
		func(w string, p *usersPage) error { return s.addUsers(w, p) }); err != nil {
		return nil, err
	}
	if err := pages(ctx, c, dir+"groups?customer="+cq+"&maxResults=200", kindGroups,
		func(w string, p *groupsPage) error { return s.addGroups(w, p) }); err != nil {
		return nil, err
	}
	for _, g := range s.groups {
		ml := memberList{groupKey: g.v.ID}
		ref := dir + "groups/" + url.PathEscape(g.v.ID) + "/members?maxResults=200"
		ml.where = "GET " + ref
		if err := pages(ctx, c, ref, kindMembers, func(w string, p *membersPage) error {
			ms, err := checkMembers(w, p)
			ml.members = append(ml.members, ms...)
			return err
		}); err != nil {
			return nil, err
		}
		s.members = append(s.members, ml)
	}
	if err := pages(ctx, c, dir+"customer/"+url.PathEscape(cust)+"/roles?maxResults=100", kindRoles,
		func(w string, p *rolesPage) error { return s.addRoles(w, p) }); err != nil {
		return nil, err
	}
	if err := pages(ctx, c, dir+"customer/"+url.PathEscape(cust)+"/roleassignments?maxResults=200", kindAssignments,
		func(w string, p *assignmentsPage) error { return s.addAssignments(w, p) }); err != nil {
		return nil, err
	}
	for _, u := range s.users {
		ref := dir + "users/" + url.PathEscape(u.v.ID) + "/tokens"
		tl := tokenList{userKey: u.v.ID, where: "GET " + ref}
		// tokens.list is not paged.
		_, body, err := c.Get(ctx, ref)
		if err != nil {
			return nil, explain(err, body)
		}
		var p tokensPage
		if err := decodePage("GET "+ref, body, kindTokens, &p, false); err != nil {
			return nil, fmt.Errorf("google: %w", err)
		}
		if tl.tokens, err = checkTokens("GET "+ref, &p); err != nil {
			return nil, fmt.Errorf("google: %w", err)
		}
		s.tokens = append(s.tokens, tl)
	}
	return build(opt, s)
}

// maxPages guards against a server that never stops returning a token.
const maxPages = 100_000

// pages reads every page of a list, decoding and validating each. It pages
// itself (rather than with httpapi.Client.Pages) to report Google's error
// body of a failed request.
func pages[P any](ctx context.Context, c *httpapi.Client, first, kind string, each func(where string, p *P) error) error {
	path := strings.SplitN(first, "?", 2)[0]
	for ref, page := first, 1; ref != ""; page++ {
		if page > maxPages {
			return fmt.Errorf("google: GET %s: more than %d pages, stopping", path, maxPages)
		}
		resp, body, err := c.Get(ctx, ref)
		if err != nil {
			return explain(fmt.Errorf("page %d: %w", page, err), body)
		}
		var p P
		w := fmt.Sprintf("GET %s page %d", path, page)
		if err := decodePage(w, body, kind, &p, false); err != nil {
			return fmt.Errorf("google: %w", err)
		}
		if err := each(w, &p); err != nil {
			return fmt.Errorf("google: %w", err)
		}
		if ref, err = PageToken(resp, body); err != nil {
			return fmt.Errorf("google: %s: %w", w, err)
		}
	}
	return nil
}

// explain adds Google's own error message (an error body
// {"error":{"code":401,"message":...,"status":"UNAUTHENTICATED"}}) to err.
func explain(err error, body []byte) error {
	if !errors.Is(err, httpapi.ErrUnauthorized) && !errors.Is(err, httpapi.ErrForbidden) {
		return fmt.Errorf("google: %w", err)
	}
	var e struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return fmt.Errorf("google: %w (Google says %s: %s)", err, e.Error.Status, e.Error.Message)
	}
	return fmt.Errorf("google: %w", err)
}
