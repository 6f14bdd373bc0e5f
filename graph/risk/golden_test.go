package risk_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/synth"
)

// writeDump writes everything a scoring run says of each item, in result
// order: id, subject, score, contributions, hits with evidence, features
// and the facts the rules saw. Two runs are equivalent when their dumps are
// byte-identical.
func writeDump(w io.Writer, res *risk.Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "items %d rule_errors %d first %q\n", len(res.Assessments), res.RuleErrors, res.FirstRuleError)
	for i := range res.Assessments {
		a := &res.Assessments[i]
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%v\n", a.Item.ID, a.Item.Kind, a.Subject,
			strconv.FormatFloat(a.Score, 'g', -1, 64), a.Contributions)
		for _, h := range a.Hits {
			fmt.Fprintf(bw, "\thit %s %s %v %q\n", h.Rule, h.Severity, h.Weight, h.Evidence)
		}
		names := make([]string, 0, len(a.Features))
		for k := range a.Features {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			fmt.Fprintf(bw, "\tfeature %s %v\n", k, a.Features[k])
		}
		facts, err := json.Marshal(a.Facts)
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "\tfacts %s\n", facts)
	}
	return bw.Flush()
}

func dumpDigest(t testing.TB, res *risk.Result) string {
	h := sha256.New()
	require.NoError(t, writeDump(h, res))
	return hex.EncodeToString(h.Sum(nil))
}

// TestScoreDump writes the full score output of the seed-7 company
// ($ACCESSGRAPH_RISK_DUMP_IDENTITIES identities, default 1000) and of the
// cloudsplaining account to $ACCESSGRAPH_RISK_DUMP (a folder), to compare
// two versions of the scorer byte for byte:
//
//	ACCESSGRAPH_RISK_DUMP=/tmp/before go test ./graph/risk -run TestScoreDump -count=1
//	(change the scorer)
//	ACCESSGRAPH_RISK_DUMP=/tmp/after go test ./graph/risk -run TestScoreDump -count=1
//	cmp /tmp/before/company-1000.txt /tmp/after/company-1000.txt
func TestScoreDump(t *testing.T) {
	dir := os.Getenv("ACCESSGRAPH_RISK_DUMP")
	if dir == "" {
		t.Skip("set ACCESSGRAPH_RISK_DUMP to a folder to write the score output")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("ACCESSGRAPH_RISK_DUMP_IDENTITIES")); err == nil && v > 0 {
		n = v
	}
	write := func(name string, res *risk.Result) {
		f, err := os.Create(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, writeDump(f, res))
		require.NoError(t, f.Close())
		t.Logf("%s: %d items, digest %s", name, len(res.Assessments), dumpDigest(t, res))
	}
	write("company-"+strconv.Itoa(n)+".txt", scoreAll(t, companyInput(t, n)))
	write("store-company-"+strconv.Itoa(n)+".txt", scoreAll(t, storeInput(t, n)))
	write("cloudsplaining.txt", scoreAll(t, cloudsplaining(t))) // skips without the datasets
}

// scoreAll scores in with the default policy, keeping every item's facts.
func scoreAll(t testing.TB, in *risk.Input) *risk.Result {
	t.Helper()
	pol, err := risk.DefaultPolicy()
	require.NoError(t, err)
	sc, err := risk.NewScorer(pol, risk.WithAllFacts())
	require.NoError(t, err)
	res, err := sc.Score(context.Background(), in)
	require.NoError(t, err)
	require.Zero(t, res.RuleErrors, res.FirstRuleError)
	return res
}

func cloudsplaining(t *testing.T) *risk.Input {
	ds := datasetsDir(t)
	levels, err := aws.LoadActionLevels(filepath.Join(ds, "aws", "policy-sentry-iam-action-access-levels-2020.csv"))
	require.NoError(t, err)
	path := filepath.Join(ds, "aws", "cloudsplaining-test-account-authorization-details.json")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	b, err := aws.ParseAuthorizationDetails(path, f, aws.Options{Levels: levels})
	require.NoError(t, err)
	return risk.NewInput(b.Nodes(), b.Edges())
}

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/score-golden.txt from this scorer")

// goldenIdentities is the size of the company TestScoreGolden scores.
const goldenIdentities = 300

// TestScoreGolden guards the scorer's optimisations: the full score output
// (writeDump) of a small company made by the project's own generator (seed 7)
// must hash to the digest recorded in testdata/score-golden.txt. The digest
// is recorded with the generator version and a hash of the default policy;
// when either differs the recorded digest says nothing and the test skips.
// A change that is meant to change scores (a rule, a fact, a feature) updates
// the file with
//
//	go test ./graph/risk -run TestScoreGolden -update-golden
func TestScoreGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a company")
	}
	pol := sha256.Sum256(risk.DefaultPolicyBytes())
	head := fmt.Sprintf("generator %s\npolicy %s\nidentities %d\n", synth.GeneratorVersion,
		hex.EncodeToString(pol[:8]), goldenIdentities)
	in := companyInput(t, goldenIdentities)
	res := scoreAll(t, in)
	got := head + fmt.Sprintf("items %d\ndigest %s\n", len(res.Assessments), dumpDigest(t, res))
	// By default only assessments with a hit keep their facts; nothing else
	// differs.
	lean := score(t, in)
	require.Len(t, lean.Assessments, len(res.Assessments))
	for i := range res.Assessments {
		a := res.Assessments[i]
		if len(a.Hits) == 0 {
			require.Nil(t, lean.Assessments[i].Facts, a.Item.ID)
			a.Facts = nil
		}
		require.Equal(t, a, lean.Assessments[i], a.Item.ID)
	}
	path := filepath.Join("testdata", "score-golden.txt")
	if *updateGolden {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	if !strings.HasPrefix(string(raw), head) {
		t.Skipf("%s was recorded for another generator or policy; rerun with -update-golden:\n%s", path, raw)
	}
	require.Equal(t, string(raw), got, "the scores of the %d-identity company changed; if that is meant "+
		"(a rule, fact or feature changed), rerun with -update-golden", goldenIdentities)
}

// A rule whose when reads a path sees it before it fires: the witnesses
// are then computed before the rules run.
func TestWhenReadsPath(t *testing.T) {
	pol, err := risk.ParsePolicy("paths.yaml", []byte(`version: 1
name: paths
rules:
  - id: has-access-path
    title: reaches something
    severity: low
    weight: 1
    when: size(item.access_path) > 0 && item.privilege_tier < 3
    evidence: item.access_path
`))
	require.NoError(t, err)
	res := scoreWith(t, pol, smallGraph("pat"))
	require.Zero(t, res.RuleErrors, res.FirstRuleError)
	role := find(res, "arn:aws:iam::111111111111:role/open")
	require.NotNil(t, role)
	require.Equal(t, []string{"has-access-path"}, rules(role))
	require.Equal(t, []string{"arn:aws:iam::111111111111:role/open -ACCESS(write)-> bucket"}, role.Hits[0].Evidence)
}

// A severity outside low/medium/high/critical is refused, naming the rule;
// a when that reads a field items do not have fails at scoring, and the
// result counts it and names the rule.
func TestPolicySeverityAndRuleErrors(t *testing.T) {
	_, err := risk.ParsePolicy("p.yaml", []byte(`version: 1
name: p
rules:
  - id: loud
    title: loud
    severity: urgent
    weight: 1
    when: true
`))
	require.EqualError(t, err, `parse policy p.yaml: rules[0] (loud).severity: "urgent" is not one of [low medium high critical]`)

	pol, err := risk.ParsePolicy("typo.yaml", []byte(`version: 1
name: typo
rules:
  - id: misspelt
    title: misspelt field
    severity: low
    weight: 1
    when: item.privilege_tierr > 0
`))
	require.NoError(t, err)
	res := scoreWith(t, pol, smallGraph("pat"))
	require.Equal(t, len(res.Assessments), res.RuleErrors, "one failure per item")
	require.Contains(t, res.FirstRuleError, "misspelt")
}
