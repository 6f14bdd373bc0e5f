package idp

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNodeOpenIDClient logs in with the npm package openid-client v6
// (testdata/rp-node): discovery, PKCE S256 authorization URL, code exchange
// with ID token validation, userinfo and refresh.
func TestNodeOpenIDClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; run testdata/install-test-tools.sh")
	}
	dir := filepath.Join("testdata", "rp-node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openid-client")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm is not installed; run testdata/install-test-tools.sh")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm ci: %s", out)
	}
	o := newTestOP(t)
	cmd := exec.Command(node, "rp.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ISSUER="+o.issuer, "CLIENT_ID=web", "CLIENT_SECRET="+webSecret,
		"REDIRECT_URI="+o.redirect())
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "node printed nothing: %s", stderr)
	var first struct{ AuthorizationURL string }
	require.NoError(t, json.Unmarshal(lines.Bytes(), &first), lines.Text())

	p := newBrowser(t).authorize(o, first.AuthorizationURL, "alice", alicePassword)
	codeFrom(t, p)
	_, err = io.WriteString(stdin, p.location+"\n")
	require.NoError(t, err)

	require.True(t, lines.Scan(), "node failed: %s", stderr)
	var res struct {
		Sub, Sid, Email, RefreshedSub string
		Rotated                       bool
	}
	require.NoError(t, json.Unmarshal(lines.Bytes(), &res), lines.Text())
	require.Equal(t, "u-alice", res.Sub)
	require.NotEmpty(t, res.Sid)
	require.Equal(t, "alice@example.org", res.Email)
	require.True(t, res.Rotated)
	require.Equal(t, "u-alice", res.RefreshedSub)
	select {
	case err := <-done:
		require.NoError(t, err, "node: %s", stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("node did not exit: %s", stderr)
	}
}
