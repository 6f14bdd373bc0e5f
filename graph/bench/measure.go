package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// firstPage is what a GraphQL client's first page asks for: witnesses of the
// first 50 results (the totals and every result's privilege are computed in
// full either way).
var firstPage = projection.Window{Limit: 50}

// Sample is a fixed set of query inputs drawn from a snapshot.
type Sample struct {
	// Principals are accounts and identities to ask blast radius for.
	Principals []string
	// Resources are resources with at least one ACCESS or CONTAINS edge in.
	Resources []string
	// Pairs are (principal, resource) pairs where the principal reaches the
	// resource, for path queries.
	Pairs [][2]string
}

// Draw samples n principals and n resources with a seeded generator, and
// up to n reachable pairs.
func Draw(s *projection.Snapshot, n int, seed uint64) (*Sample, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	principals := s.Search("", []graph.Kind{graph.KindAccount, graph.KindIdentity}, 0)
	resources := s.Search("", []graph.Kind{graph.KindResource}, 0)
	if len(principals) == 0 || len(resources) == 0 {
		return nil, fmt.Errorf("sample: the snapshot has %d principals and %d resources",
			len(principals), len(resources))
	}
	out := &Sample{}
	for range n {
		out.Principals = append(out.Principals, principals[rng.IntN(len(principals))].ID)
		out.Resources = append(out.Resources, resources[rng.IntN(len(resources))].ID)
	}
	for _, p := range out.Principals {
		r, err := s.BlastRadius(projection.BlastRadiusQuery{From: p})
		if err != nil {
			return nil, err
		}
		if len(r.Reaches) > 0 {
			out.Pairs = append(out.Pairs, [2]string{p, r.Reaches[rng.IntN(len(r.Reaches))].Resource.ID})
		}
	}
	return out, nil
}

// Latency summarises the durations of repeated calls.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
	Mean          time.Duration
	// Failed counts calls that returned an error (a timeout, with
	// MeasureTolerant); they count in the percentiles at their duration.
	Failed int
}

// String formats l for a table.
func (l Latency) String() string {
	s := fmt.Sprintf("p50 %-9s p99 %-9s max %-9s (n=%d)", round(l.P50), round(l.P99), round(l.Max), l.N)
	if l.Failed > 0 {
		s += fmt.Sprintf(", %d timed out", l.Failed)
	}
	return s
}

// MeasureTolerant is Measure for an engine that may not answer in time:
// each call gets timeout, and a call that fails counts at its duration
// instead of stopping the measurement.
func MeasureTolerant(ctx context.Context, n int, timeout time.Duration,
	fn func(ctx context.Context, i int) error) Latency {
	failed := 0
	l, _ := Measure(n, func(i int) error {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := fn(cctx, i); err != nil {
			failed++
		}
		return nil
	})
	l.Failed = failed
	return l
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Nanosecond)
}

// Measure calls fn(i) for i in [0, n) and returns the latency distribution.
func Measure(n int, fn func(i int) error) (Latency, error) {
	ds := make([]time.Duration, 0, n)
	var total time.Duration
	for i := range n {
		start := time.Now()
		if err := fn(i); err != nil {
			return Latency{}, err
		}
		d := time.Since(start)
		ds = append(ds, d)
		total += d
	}
	if n == 0 {
		return Latency{}, nil
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return Latency{N: n, P50: pct(0.50), P99: pct(0.99), Max: ds[len(ds)-1], Mean: total / time.Duration(n)}, nil
}

// peakRSS reads the process's peak resident set (VmHWM) from /proc.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
