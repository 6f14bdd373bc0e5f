// Package httpapi is the HTTP client that live connectors share: bearer or
// custom authentication, bounded retries with backoff on 5xx and on 429 (the
// Retry-After header is honoured), page-by-page reading of JSON APIs, and
// errors that say which URL and which page failed and what to do.
//
// Retries and backoff come from github.com/hashicorp/go-retryablehttp.
// Paging follows either a Link header (RFC 8288, rel="next"; Okta, GitHub)
// or a next-page URL or token inside the body (Microsoft Graph's
// @odata.nextLink, Google's nextPageToken, SCIM's startIndex), chosen by the
// connector through a Pager.
package httpapi
