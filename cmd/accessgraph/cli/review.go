package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/remediate/review"
)

// scoreStore runs the rules and features over the whole store.
func (g *globals) scoreStore(ctx context.Context, st graph.Store, p *risk.Policy) (*risk.Result, error) {
	sc, err := risk.NewScorer(p)
	if err != nil {
		return nil, err
	}
	in, err := risk.LoadInput(ctx, st)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := sc.Score(ctx, in)
	if err != nil {
		return nil, err
	}
	g.log.Info("risk scored", "elements", len(res.Assessments), "rule_errors", res.RuleErrors,
		"duration", time.Since(start).Round(time.Millisecond))
	if res.RuleErrors > 0 {
		// A rule that fails to evaluate (a misspelt field, a missing param)
		// counts as not fired: say so loudly, naming the first failure.
		g.log.Warn("some risk rules failed to evaluate and did not fire: check the policy", "policy",
			p.Label(), "failures", res.RuleErrors, "first", res.FirstRuleError)
	}
	return res, nil
}

// loadPolicy reads the risk policy at path, or the built-in one when path
// is empty, and compiles its rules once to check them: a broken rule is
// reported now, naming the file and the rule, not when scoring starts.
func loadPolicy(path string) (*risk.Policy, error) {
	p, err := risk.DefaultPolicy()
	if path != "" {
		p, err = risk.LoadPolicy(path)
	}
	if err != nil {
		return nil, fmt.Errorf("risk policy: %w", err)
	}
	if _, err := risk.NewScorer(p); err != nil {
		return nil, err
	}
	return p, nil
}

// startReview opens the review queue's decision store beside the graph
// store and fills the queue in the background, so the server starts at once
// (reviewQueue is empty until the first scoring ends). After scoring, the
// advisor (nil: none configured) is asked about the top of the queue within
// the bounds of af; items show their advice as it comes, or why there is
// none.
func (g *globals) startReview(ctx context.Context, st graph.Store, pol *risk.Policy, adv *risk.Advisor,
	af adviceFlags) (*review.Service, error) {
	if err := os.MkdirAll(g.storeDir, 0o700); err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	svc, err := review.Open(filepath.Join(g.storeDir, "review.db"), review.Options{Logger: g.log})
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	if err := svc.Start(); err != nil {
		_ = svc.Close()
		return nil, fmt.Errorf("review queue: %w", err)
	}
	go func() {
		res, err := g.scoreStore(ctx, st, pol)
		if err != nil {
			if ctx.Err() == nil {
				g.log.Error("risk scoring for the review queue", "err", err)
			}
			return
		}
		g.adviseQueue(ctx, svc, res, adv, af)
	}()
	return svc, nil
}

// openReview opens the review queue's decision store beside the graph
// store and fills the queue by scoring st now, as 'review' does: for
// 'query', which answers reviewQueue, riskScore and decide in process.
// No model is asked; every item says so.
func (g *globals) openReview(ctx context.Context, st graph.Store, pol *risk.Policy) (*review.Service, error) {
	res, err := g.scoreStore(ctx, st, pol)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(g.storeDir, 0o700); err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	svc, err := review.Open(filepath.Join(g.storeDir, "review.db"), review.Options{Logger: g.log})
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	svc.Load(res, noAdvice(res, "accessgraph query asks no LLM advisor (serve with "+EnvOllamaURL+
		" or --ollama-url does)"))
	return svc, nil
}

func newReviewCmd(g *globals) *cobra.Command {
	var policy, reviewer string
	var first int
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Score every identity and access item by the risk rules and print the top of the review queue",
		Long: `Score every identity, account, credential, grant, role and group in the store with the
risk policy (CEL rules and features; graph/risk/policy/default.yaml unless --policy), and
print the top of the review queue with each item's reasons. 'serve' serves the same queue
over GraphQL (reviewQueue, riskScore, decide).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			pol, err := loadPolicy(policy)
			if err != nil {
				return err
			}
			st, err := g.openExistingStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := g.scoreStore(ctx, st, pol)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(g.storeDir, 0o700); err != nil {
				return err
			}
			svc, err := review.Open(filepath.Join(g.storeDir, "review.db"), review.Options{Logger: g.log})
			if err != nil {
				return fmt.Errorf("review queue: %w", err)
			}
			defer svc.Close()
			svc.Load(res, nil)
			page, err := svc.Queue(reviewer, review.Filters{}, first, "")
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "SCORE\tKIND\tITEM\tREASONS\n")
			for _, it := range page.Items {
				// Each rule once, with how many of the item's members it hit.
				var rs []string
				n := map[string]int{}
				for _, r := range it.Reasons {
					if n[r.Rule] == 0 {
						rs = append(rs, r.Rule)
					}
					n[r.Rule]++
				}
				for i, r := range rs {
					if n[r] > 1 {
						rs[i] = fmt.Sprintf("%s (x%d)", r, n[r])
					}
				}
				name := it.ID
				if it.Name != "" && !strings.HasSuffix(it.ID, it.Name) {
					name += " (" + it.Name + ")"
				}
				fmt.Fprintf(tw, "%.1f\t%s\t%s\t%s\n", it.Score, it.Kind, name, strings.Join(rs, ", "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d items in the queue\n", page.Total)
			return nil
		},
	}
	cmd.Flags().StringVar(&policy, "policy", "", "risk policy file (default: the built-in policy)")
	cmd.Flags().StringVar(&reviewer, "reviewer", "", "only items this reviewer (email) should review")
	cmd.Flags().IntVar(&first, "first", 20, "how many items to print")
	return cmd
}
