// Command idp-load measures the token endpoint of a running provider from a
// second process: client_credentials grants, or refresh_token rotations
// (each worker first logs in through the login page to get its own refresh
// token, then rotates it in a loop). It only targets loopback addresses and
// stops after -duration.
//
//	idp-load -issuer http://127.0.0.1:9096 -mode cc -client svc -secret-env SVC_SECRET
//	idp-load -issuer http://127.0.0.1:9096 -mode refresh -client web -secret-env WEB_SECRET \
//	    -redirect http://127.0.0.1:9/cb -user alice -password-env ALICE_PASSWORD
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	issuer, mode, client, secret, redirect, user, password string
	workers                                                int
	duration                                               time.Duration
}

func main() {
	var o options
	var secretEnv, passwordEnv string
	flag.StringVar(&o.issuer, "issuer", "http://127.0.0.1:9096", "provider issuer (loopback only)")
	flag.StringVar(&o.mode, "mode", "cc", "cc (client_credentials) or refresh")
	flag.StringVar(&o.client, "client", "svc", "client_id")
	flag.StringVar(&secretEnv, "secret-env", "IDP_CLIENT_SECRET", "environment variable with the client secret")
	flag.StringVar(&o.redirect, "redirect", "", "registered redirect_uri (refresh mode)")
	flag.StringVar(&o.user, "user", "alice", "username (refresh mode)")
	flag.StringVar(&passwordEnv, "password-env", "IDP_PASSWORD", "environment variable with the password (refresh mode)")
	flag.IntVar(&o.workers, "workers", 32, "concurrent workers")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send load")
	flag.Parse()
	o.secret, o.password = os.Getenv(secretEnv), os.Getenv(passwordEnv)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "idp-load:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	u, err := url.Parse(o.issuer)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("issuer %s is not a loopback address", o.issuer)
	}
	if o.duration > 5*time.Minute {
		return errors.New("duration is capped at 5m")
	}
	tr := &http.Transport{MaxIdleConns: o.workers * 2, MaxIdleConnsPerHost: o.workers * 2}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var step func(w int) error
	switch o.mode {
	case "cc":
		step = func(int) error {
			_, err := token(hc, o, url.Values{"grant_type": {"client_credentials"}})
			return err
		}
	case "refresh":
		tokens, err := initialRefreshTokens(o, tr)
		if err != nil {
			return err
		}
		step = func(w int) error {
			out, err := token(hc, o, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens[w]}})
			if err != nil {
				return err
			}
			tokens[w] = out["refresh_token"].(string)
			return nil
		}
	default:
		return fmt.Errorf("unknown mode %q", o.mode)
	}
	return measure(o, step)
}

func measure(o options, step func(int) error) error {
	var ok, failed atomic.Int64
	lat := make([][]time.Duration, o.workers)
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := step(w); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					if o.mode == "refresh" {
						return // the chain is broken
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[int(p*float64(len(all)-1))]
	}
	fmt.Printf("mode=%s workers=%d duration=%s ok=%d failed=%d rate=%.0f/s p50=%s p99=%s\n",
		o.mode, o.workers, el.Round(time.Millisecond), ok.Load(), failed.Load(),
		float64(ok.Load())/el.Seconds(), pct(0.5).Round(time.Microsecond), pct(0.99).Round(time.Microsecond))
	if e := firstErr.Load(); e != nil {
		fmt.Println("first error:", e)
	}
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}

func token(hc *http.Client, o options, form url.Values) (map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, o.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(o.client), url.QueryEscape(o.secret))
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token endpoint answered %d: %s", resp.StatusCode, body)
	}
	out := map[string]any{}
	return out, json.Unmarshal(body, &out)
}

var (
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
)

// initialRefreshTokens logs each worker in through the login page (the
// client must skip consent or have it recorded) and redeems the code.
func initialRefreshTokens(o options, tr *http.Transport) ([]string, error) {
	out := make([]string, o.workers)
	for w := range o.workers {
		jar, _ := cookiejar.New(nil)
		b := &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		verifier := fmt.Sprintf("load-verifier-%d-%d-padding-padding-padding", w, time.Now().UnixNano())
		sum := sha256.Sum256([]byte(verifier))
		q := url.Values{"client_id": {o.client}, "response_type": {"code"}, "redirect_uri": {o.redirect},
			"scope": {"openid offline_access"}, "state": {"s"}, "code_challenge_method": {"S256"},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}
		code, err := login(b, o, o.issuer+"/authorize?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("worker %d login: %w", w, err)
		}
		hc := &http.Client{Transport: tr}
		tok, err := token(hc, o, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {o.redirect}, "code_verifier": {verifier}})
		if err != nil {
			return nil, fmt.Errorf("worker %d code: %w", w, err)
		}
		rt, _ := tok["refresh_token"].(string)
		if rt == "" {
			return nil, errors.New("no refresh_token: the client needs the refresh_token grant")
		}
		out[w] = rt
	}
	return out, nil
}

func login(b *http.Client, o options, start string) (string, error) {
	next, method, form := start, http.MethodGet, url.Values(nil)
	for range 12 {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, next, body)
		if err != nil {
			return "", err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := b.Do(req)
		if err != nil {
			return "", err
		}
		page, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "" {
			lu, _ := req.URL.Parse(loc)
			if strings.HasPrefix(lu.String(), o.redirect) {
				if c := lu.Query().Get("code"); c != "" {
					return c, nil
				}
				return "", fmt.Errorf("authorization failed: %s", lu.RawQuery)
			}
			next, method, form = lu.String(), http.MethodGet, nil
			continue
		}
		m := actionRe.FindSubmatch(page)
		if m == nil {
			return "", fmt.Errorf("unexpected page (%d): %.200s", resp.StatusCode, page)
		}
		form = url.Values{}
		for _, h := range hiddenRe.FindAllSubmatch(page, -1) {
			form.Set(string(h[1]), html.UnescapeString(string(h[2])))
		}
		if strings.Contains(string(page), `id="username"`) {
			form.Set("username", o.user)
			form.Set("password", o.password)
		} else {
			form.Set("decision", "allow")
		}
		au, _ := req.URL.Parse(html.UnescapeString(string(m[1])))
		next, method = au.String(), http.MethodPost
	}
	return "", errors.New("login did not finish")
}
