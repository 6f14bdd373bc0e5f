package cli

import (
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// The bench command serves the GraphQL API and drives it with a real wrk
// from a second process; every query mix completes requests without errors.
func TestBenchGraphQLLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a company and runs wrk")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (Debian package wrk; idp/testdata/install-test-tools.sh installs it)")
	}
	out := mustRun(t, "", "bench", "--identities", "300", "--queries", "30",
		"--load-duration", "1s", "--load-connections", "4", "--cache", t.TempDir())
	require.Contains(t, out, "GraphQL under load (wrk)")
	row := regexp.MustCompile(`(?m)^(blastRadius|paths \(depth 6, 100\)|whoCanReach)\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(\d+) of (\d+)$`)
	m := row.FindAllStringSubmatch(out, -1)
	require.Len(t, m, 3, "one load row per query mix:\n%s", out)
	for _, r := range m {
		rps, _ := strconv.Atoi(r[2])
		errs, _ := strconv.Atoi(r[3])
		reqs, _ := strconv.Atoi(r[4])
		require.Positive(t, rps, r[0])
		require.Positive(t, reqs, r[0])
		require.Zero(t, errs, "%s: failed requests", r[1])
	}
	require.Regexp(t, `projection memory\s+\S+ MiB\s+\d+\.\d bytes per edge`, out)
}
