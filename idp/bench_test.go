package idp

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// benchClient posts to the token endpoint over loopback HTTP with keep-alive.
func benchToken(b *testing.B, hc *http.Client, o *testOP, client, secret string, form url.Values) map[string]any {
	req, _ := http.NewRequest(http.MethodPost, o.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := jsonDecode(resp.Body, &out); err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d: %v %v", resp.StatusCode, out, err)
	}
	return out
}

// BenchmarkClientCredentials measures client_credentials grants through the
// HTTP handler (in process; see cmd/idp-load for the second-process figure).
func BenchmarkClientCredentials(b *testing.B) {
	o := newTestOP(&testing.T{})
	defer o.p.Close()
	loopbackOnly(&testing.T{}, o.issuer)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchToken(b, hc, o, "svc", svcSecret, url.Values{"grant_type": {"client_credentials"}})
		}
	})
}

// BenchmarkRefresh measures refresh-token rotations, one chain per goroutine.
func BenchmarkRefresh(b *testing.B) {
	t := &testing.T{}
	o := newTestOP(t)
	defer o.p.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	br := newBrowser(t)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		b.StopTimer()
		code, v := "", ""
		func() {
			// Logins are serialized by the browser's cookie jar use.
			code, v = codeFor(t, o, br, "web")
		}()
		tok := benchToken(b, hc, o, "web", webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {o.redirect()}, "code_verifier": {v}})
		rt := tok["refresh_token"].(string)
		n.Add(1)
		b.StartTimer()
		for pb.Next() {
			out := benchToken(b, hc, o, "web", webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			rt = out["refresh_token"].(string)
		}
	})
}
