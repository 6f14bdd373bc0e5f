package idp

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestChromiumLoginAndConsent drives a real headless Chromium through the
// login and consent pages of the provider for a Go relying party.
func TestChromiumLoginAndConsent(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("chromium is not installed; run testdata/install-test-tools.sh")
	}
	o := newTestOP(t)
	prov, err := gooidc.NewProvider(context.Background(), o.issuer)
	require.NoError(t, err)
	conf := oauth2.Config{ClientID: "web", ClientSecret: webSecret, Endpoint: prov.Endpoint(),
		RedirectURL: o.redirect(), Scopes: []string{"openid", "profile", "email"}}
	verifier, state := oauth2.GenerateVerifier(), randomID(12)
	o.onStart = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	}
	o.onCallback = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") != state {
			http.Error(w, "bad state", http.StatusBadRequest)
			return
		}
		tok, err := conf.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
			return
		}
		idt, err := prov.Verifier(&gooidc.Config{ClientID: "web"}).Verify(r.Context(), tok.Extra("id_token").(string))
		if err != nil {
			http.Error(w, "verify: "+err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `<!doctype html><html lang="en"><body><p id="who">signed in as %s</p></body></html>`, idt.Subject)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(o.rp.URL+"/start"), chromedp.WaitVisible(css("#username"))))
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	require.NoError(t, err)
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	require.NoError(t, err)
	labelFor, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('label[for=password]').textContent`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(css("#username"), "alice"),
		chromedp.SendKeys(css("#password"), alicePassword),
		chromedp.Click(css("#submit")),
		chromedp.WaitVisible(css("#allow")),
	))
	scopes, err := chromedp.Run(ctx, chromedp.Text(css("#scopes")))
	require.NoError(t, err)
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(css("#allow")), chromedp.WaitVisible(css("#who"))))
	who, err := chromedp.Run(ctx, chromedp.Text(css("#who")))
	require.NoError(t, err)
	require.Equal(t, "en", lang)
	require.Equal(t, "username", focused, "the first field has focus")
	require.Equal(t, "Password", labelFor)
	require.Contains(t, scopes, "email")
	require.Equal(t, "signed in as u-alice", who)
	if dir := os.Getenv("IDP_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "consent.png"), shot, 0o644)
	}
	g, err := o.p.st.grant("u-alice", "web")
	require.NoError(t, err)
	require.Equal(t, []string{"email", "openid", "profile"}, g.Scopes)
}
