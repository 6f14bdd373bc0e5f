package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func client(t *testing.T, url string) *Client {
	t.Helper()
	c, err := New(Options{BaseURL: url, MinWait: 10 * time.Millisecond, MaxWait: 2 * time.Second,
		MaxRetries: 3, Authorize: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer t0ken")
			return nil
		}})
	require.NoError(t, err)
	return c
}

func TestRetryAfterAndRecovery(t *testing.T) {
	var calls atomic.Int32
	var gap time.Duration
	var last time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer t0ken", r.Header.Get("Authorization"))
		n := calls.Add(1)
		now := time.Now()
		if n == 2 {
			gap = now.Sub(last)
		}
		last = now
		switch n {
		case 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusBadGateway)
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()
	_, body, err := client(t, srv.URL).Get(context.Background(), "/users")
	require.NoError(t, err)
	require.JSONEq(t, `{"ok":true}`, string(body))
	require.EqualValues(t, 3, calls.Load())
	require.GreaterOrEqual(t, gap, 900*time.Millisecond, "Retry-After: 1 was honoured")
}

func TestUnauthorizedIsClear(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`)
	}))
	defer srv.Close()
	_, _, err := client(t, srv.URL).Get(context.Background(), "/users?secret=x")
	require.ErrorIs(t, err, ErrUnauthorized)
	require.ErrorContains(t, err, "token is expired, revoked or wrong")
	require.NotContains(t, err.Error(), "secret=x", "query strings are not echoed")
}

func TestLinkPagingAndHostGuard(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("after") {
		case "":
			w.Header().Add("Link", fmt.Sprintf(`<%s/users?limit=2>; rel="self"`, srv.URL))
			w.Header().Add("Link", fmt.Sprintf(`<%s/users?after=2&limit=2>; rel="next"`, srv.URL))
			fmt.Fprint(w, `[1,2]`)
		case "2":
			w.Header().Set("Link", `<https://evil.example/users?after=4>; rel="next"`)
			fmt.Fprint(w, `[3,4]`)
		}
	}))
	defer srv.Close()
	var pages []string
	err := client(t, srv.URL).Pages(context.Background(), "/users?limit=2", LinkNext,
		func(page int, body []byte) error {
			pages = append(pages, fmt.Sprintf("%d:%s", page, body))
			return nil
		})
	require.Equal(t, []string{"1:[1,2]", "2:[3,4]"}, pages)
	require.ErrorContains(t, err, "refusing to send credentials there")
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d, ok := RetryAfter("7", now)
	require.True(t, ok)
	require.Equal(t, 7*time.Second, d)
	d, ok = RetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)
	require.True(t, ok)
	require.Equal(t, 30*time.Second, d)
	_, ok = RetryAfter("soon", now)
	require.False(t, ok)
}
