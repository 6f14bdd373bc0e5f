package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// ServeFunc starts the GraphQL API over st and snap on a loopback port and
// returns its /graphql URL and a function that stops it.
type ServeFunc func(ctx context.Context, st graph.Store, snap *projection.Snapshot) (url string, stop func(), err error)

// LoadOptions configures the GraphQL load phase: wrk, a load tool from
// Debian's packages, runs in a second process against the API served over
// the benchmark's store, one mix of sampled queries at a time.
type LoadOptions struct {
	// Serve starts the API (required).
	Serve ServeFunc
	// Tool is the wrk binary (default: "wrk" on PATH).
	Tool string
	// Duration of each mix (default 10s).
	Duration time.Duration
	// Connections kept open (default 16) by Threads threads (default 2).
	Connections, Threads int
}

// LoadResult is what wrk measured for one query mix.
type LoadResult struct {
	Query string
	// Requests completed and their rate.
	Requests int
	RPS      float64
	// Errors counts responses that were not 200 or carried GraphQL errors,
	// plus socket errors.
	Errors        int
	P50, P90, P99 time.Duration
}

// loadQueries are the GraphQL documents of the three mixes, each taking one
// sampled argument pair as variables.
var loadQueries = []struct{ name, doc string }{
	{"blastRadius", `query($a: ID!) { blastRadius(id: $a, first: 20) { totals { resources } ` +
		`reaches { totalCount edges { node { privilege resource { id } witness { length } } } } } }`},
	{"paths (depth 6, 100)", `query($a: ID!, $b: ID!) { paths(from: $a, to: $b, maxDepth: 6, maxPaths: 100, first: 20) ` +
		`{ totalCount edges { node { length privilege } } } }`},
	{"whoCanReach", `query($a: ID!) { whoCanReach(resource: $a, first: 20) { byPrivilege { privilege count } ` +
		`reachers { totalCount edges { node { privilege principal { id } } } } } }`},
}

// wrkScript cycles through the request bodies, counts failed responses per
// thread, and prints machine-readable totals when the run ends.
const wrkScript = `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
failed = 0
request = function()
  n = n % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[n])
end
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then failed = failed + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local f = 0
  for _, t in ipairs(threads) do f = f + t:get("failed") end
  local e = summary.errors
  io.write(string.format("ag_requests %d\nag_duration_us %d\nag_failed %d\n", summary.requests, summary.duration, f))
  io.write(string.format("ag_socket_errors %d\n", e.connect + e.read + e.write + e.status + e.timeout))
  io.write(string.format("ag_p50_us %d\nag_p90_us %d\nag_p99_us %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
`

// runLoad serves the API and drives each query mix with wrk.
func runLoad(ctx context.Context, opt *LoadOptions, st graph.Store, snap *projection.Snapshot,
	smp *Sample, logf func(string, ...any)) ([]LoadResult, error) {
	tool := opt.Tool
	if tool == "" {
		tool = "wrk"
	}
	path, err := exec.LookPath(tool)
	if err != nil {
		return nil, fmt.Errorf("graphql load: %s not found (install Debian's wrk package, or run bench with --load-duration 0): %w", tool, err)
	}
	dur := opt.Duration
	if dur <= 0 {
		dur = 10 * time.Second
	}
	conns, threads := opt.Connections, opt.Threads
	if conns <= 0 {
		conns = 16
	}
	if threads <= 0 {
		threads = 2
	}
	threads = min(threads, conns)
	url, stop, err := opt.Serve(ctx, st, snap)
	if err != nil {
		return nil, fmt.Errorf("graphql load: serve: %w", err)
	}
	defer stop()
	dir, err := os.MkdirTemp("", "accessgraph-wrk-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	var out []LoadResult
	for qi, q := range loadQueries {
		var vars []map[string]string
		switch qi {
		case 0:
			for _, p := range smp.Principals {
				vars = append(vars, map[string]string{"a": p})
			}
		case 1:
			for _, p := range smp.Pairs {
				vars = append(vars, map[string]string{"a": p[0], "b": p[1]})
			}
		case 2:
			for _, r := range smp.Resources {
				vars = append(vars, map[string]string{"a": r})
			}
		}
		if len(vars) == 0 {
			continue
		}
		script := filepath.Join(dir, fmt.Sprintf("mix%d.lua", qi))
		if err := writeWrkScript(script, q.doc, vars); err != nil {
			return nil, err
		}
		logf("graphql load", "query", q.name, "duration", dur, "connections", conns, "distinct requests", len(vars))
		cmd := exec.CommandContext(ctx, path, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
			"-d", fmt.Sprintf("%ds", max(1, int(dur.Seconds()))), "--timeout", "10s", "-s", script, url)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("graphql load: wrk (%s): %w: %s", q.name, err, strings.TrimSpace(stderr.String()))
		}
		r, err := parseWrk(stdout.Bytes())
		if err != nil {
			return nil, fmt.Errorf("graphql load: %s: %w\n%s", q.name, err, stdout.String())
		}
		r.Query = q.name
		out = append(out, r)
	}
	return out, nil
}

// writeWrkScript writes the Lua script with one JSON request body per
// variable set, as Lua long strings.
func writeWrkScript(path, doc string, vars []map[string]string) error {
	var b strings.Builder
	b.WriteString("bodies = {\n")
	for _, v := range vars {
		body, err := json.Marshal(map[string]any{"query": doc, "variables": v})
		if err != nil {
			return err
		}
		if bytes.Contains(body, []byte("]==]")) {
			return fmt.Errorf("graphql load: request body contains a Lua string terminator: %s", body)
		}
		b.WriteString("[==[" + string(body) + "]==],\n")
	}
	b.WriteString("}\n")
	b.WriteString(wrkScript)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("graphql load: write wrk script: %w", err)
	}
	return nil
}

// parseWrk reads the ag_* lines the script's done() prints.
func parseWrk(out []byte) (LoadResult, error) {
	vals := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && strings.HasPrefix(f[0], "ag_") {
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return LoadResult{}, fmt.Errorf("wrk output line %q: %w", sc.Text(), err)
			}
			vals[f[0]] = v
		}
	}
	for _, k := range []string{"ag_requests", "ag_duration_us", "ag_failed", "ag_socket_errors", "ag_p50_us", "ag_p90_us", "ag_p99_us"} {
		if _, ok := vals[k]; !ok {
			return LoadResult{}, fmt.Errorf("wrk output lacks %s (did the script run?)", k)
		}
	}
	us := func(k string) time.Duration { return time.Duration(vals[k]) * time.Microsecond }
	r := LoadResult{
		Requests: int(vals["ag_requests"]),
		Errors:   int(vals["ag_failed"] + vals["ag_socket_errors"]),
		P50:      us("ag_p50_us"), P90: us("ag_p90_us"), P99: us("ag_p99_us"),
	}
	if d := vals["ag_duration_us"]; d > 0 {
		r.RPS = float64(r.Requests) / (float64(d) / 1e6)
	}
	return r, nil
}
