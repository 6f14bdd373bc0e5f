package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNewServer: every timeout is set and a body over maxBodyBytes is cut
// off with an error while one at the limit is read whole.
func TestNewServer(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		}
	})
	srv := newServer("127.0.0.1:0", h, 150*time.Second)
	require.Equal(t, 10*time.Second, srv.ReadHeaderTimeout)
	require.Equal(t, 30*time.Second, srv.ReadTimeout)
	require.Equal(t, 150*time.Second, srv.WriteTimeout)
	require.Equal(t, 2*time.Minute, srv.IdleTimeout)

	ts := httptest.NewUnstartedServer(srv.Handler)
	ts.Config = srv
	ts.Start()
	defer ts.Close()
	for _, tc := range []struct {
		size   int
		status int
	}{
		{maxBodyBytes, http.StatusOK},
		{maxBodyBytes + 1, http.StatusRequestEntityTooLarge},
	} {
		resp, err := http.Post(ts.URL, "application/octet-stream", strings.NewReader(strings.Repeat("a", tc.size)))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tc.status, resp.StatusCode, "size %d: %s", tc.size, body)
	}
}
