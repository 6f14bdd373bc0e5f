package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/remediate/review"
)

// Environment variables naming the Ollama server and model that serve asks
// for advice on the top of the review queue.
const (
	EnvOllamaURL   = "ACCESSGRAPH_OLLAMA_URL"
	EnvOllamaModel = "ACCESSGRAPH_OLLAMA_MODEL"
)

// adviceFlags bound the LLM advice serve asks for after each scoring.
type adviceFlags struct {
	url, model string
	// sample is how many review items (from the top) are sent to the model.
	sample int
	// budget bounds the whole pass; call bounds one answer.
	budget, call time.Duration
}

func (a *adviceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.url, "ollama-url", envOr(EnvOllamaURL, ""),
		"Ollama server asked for advice on the top of the review queue (env "+EnvOllamaURL+"; empty: no advice)")
	fs.StringVar(&a.model, "ollama-model", envOr(EnvOllamaModel, ""),
		"Ollama model (env "+EnvOllamaModel+"; default accessgraph-gemma3-270m)")
	fs.IntVar(&a.sample, "advice-sample", 20, "how many review items, from the top, the model is asked about")
	fs.DurationVar(&a.budget, "advice-budget", 15*time.Minute, "time bound of one advice pass over the sample")
	fs.DurationVar(&a.call, "advice-timeout", 2*time.Minute, "time bound of one model answer")
}

// noAdvice marks every assessment's advice unavailable with a reason.
func noAdvice(res *risk.Result, reason string) []risk.Advice {
	out := make([]risk.Advice, len(res.Assessments))
	for i := range out {
		out[i] = risk.Advice{State: risk.LLMUnavailable, PromptVersion: risk.PromptVersion, Error: reason}
	}
	return out
}

// sampleOf picks the assessments the model is asked about: for each of the
// first n review items (subjects with a rule hit, by score) that are not
// decided already, its highest-scored assessment, which is the one whose
// advice the item shows.
func sampleOf(res *risk.Result, n int, decided map[string]bool) []int {
	var out []int
	seen := map[string]bool{}
	for i := range res.Assessments {
		a := &res.Assessments[i]
		if len(out) == n {
			break
		}
		if len(a.Hits) == 0 || seen[a.Subject] || decided[a.Subject] {
			continue
		}
		seen[a.Subject] = true
		out = append(out, i)
	}
	return out
}

// adviseQueue asks the advisor about the top of the queue and reloads the
// queue after each answer, so reviewQueue shows rationales as they come.
// It never withholds scores: a missing server, a timeout or a spent budget
// only mark advice unavailable, with the reason. A nil advisor marks every
// item "no LLM advisor configured".
func (g *globals) adviseQueue(ctx context.Context, svc *review.Service, res *risk.Result, adv *risk.Advisor,
	f adviceFlags) []risk.Advice {
	if adv == nil {
		advice := noAdvice(res, "no LLM advisor configured (set "+EnvOllamaURL+" or --ollama-url)")
		svc.Load(res, advice)
		return advice
	}
	if err := adv.Ping(ctx); err != nil {
		g.log.Warn("LLM advice unavailable", "err", err)
		advice := noAdvice(res, err.Error())
		svc.Load(res, advice)
		return advice
	}
	decided, err := svc.Decided()
	if err != nil {
		g.log.Warn("LLM advice: decided items not known; they may be sampled", "err", err)
	}
	sample := sampleOf(res, f.sample, decided)
	advice := make([]risk.Advice, len(res.Assessments))
	for i := range advice {
		advice[i] = risk.Advice{State: risk.LLMSkipped, PromptVersion: risk.PromptVersion, Model: adv.Model(),
			Error: fmt.Sprintf("outside the advice sample (the top %d undecided review items)", f.sample)}
	}
	for _, i := range sample {
		advice[i] = risk.Advice{State: risk.LLMUnavailable, PromptVersion: risk.PromptVersion, Model: adv.Model(),
			Error: "advice pending: the model has not answered yet"}
	}
	svc.Load(res, advice)
	bctx, cancel := context.WithTimeout(ctx, f.budget)
	defer cancel()
	start := time.Now()
	ok := 0
	for k, i := range sample {
		if bctx.Err() != nil {
			for _, j := range sample[k:] {
				advice[j].Error = fmt.Sprintf("advice budget (%s) spent before the model was asked", f.budget)
			}
			break
		}
		advice[i] = adv.Advise(bctx, &res.Assessments[i])
		if advice[i].State == risk.LLMOK {
			ok++
		}
		svc.Load(res, advice)
	}
	if ctx.Err() == nil {
		svc.Load(res, advice)
	}
	g.log.Info("LLM advice", "model", adv.Model(), "asked", len(sample), "ok", ok,
		"failed", adv.Failed.Load(), "rejected", adv.Rejected.Load(), "duration", time.Since(start).Round(time.Millisecond))
	return advice
}

// newAdvisor returns the advisor the flags describe, or nil without a URL.
func newAdvisor(f adviceFlags, maxRaise float64) (*risk.Advisor, error) {
	if f.url == "" {
		return nil, nil
	}
	adv, err := risk.NewAdvisor(risk.AdvisorOptions{URL: f.url, Model: f.model, Timeout: f.call, MaxRaise: maxRaise})
	if err != nil {
		return nil, fmt.Errorf("--ollama-url: %w", err)
	}
	return adv, nil
}
