package gql

import (
	"context"
	"errors"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/accessgraph/accessgraph/gql/model"
	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/remediate/review"
)

var errNoReview = &UnavailableError{Reason: "risk scoring and review queues are not configured on this " +
	"server: run accessgraph review, or accessgraph serve and ask over HTTP"}

// reviewFields are the root fields Resolver.Review answers.
var reviewFields = map[string]bool{"reviewQueue": true, "riskScore": true, "decide": true}

// UsesReview reports whether a GraphQL document asks for a field that needs
// Resolver.Review (reviewQueue, riskScore, decide), so that an in-process
// caller scores the store only when the answer needs it. A document that
// does not parse reports false: executing it reports the syntax error.
func UsesReview(query string) bool {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return false
	}
	for _, op := range doc.Operations {
		if rootUsesReview(op.SelectionSet, doc.Fragments, map[string]bool{}) {
			return true
		}
	}
	return false
}

func rootUsesReview(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if reviewFields[s.Name] {
				return true
			}
		case *ast.InlineFragment:
			if rootUsesReview(s.SelectionSet, frags, seen) {
				return true
			}
		case *ast.FragmentSpread:
			f := frags.ForName(s.Name)
			if f == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if rootUsesReview(f.SelectionSet, frags, seen) {
				return true
			}
		}
	}
	return false
}

// ReviewActor names who makes a decide call; the server sets it from the
// authenticated caller. Without one, decisions are recorded as "graphql".
type ReviewActor func(ctx context.Context) string

func (r *Resolver) reviewQueue(reviewer *string, f *model.ReviewFilters, first *int, after *string) (model.ReviewItemConnection, error) {
	if r.Review == nil {
		return model.ReviewItemConnection{}, errNoReview
	}
	n := 50
	if first != nil {
		if *first < 0 || *first > 500 {
			return model.ReviewItemConnection{}, inputErrorf("first", "must be between 0 and 500")
		}
		n = *first
	}
	var flt review.Filters
	if f != nil {
		for _, k := range f.Kinds {
			kk, err := graph.ParseKind(k)
			if err != nil {
				return model.ReviewItemConnection{}, inputErrorf("filters", "kinds: unknown kind %q (want one of %v)",
					k, graph.Kinds())
			}
			flt.Kinds = append(flt.Kinds, kk.String())
		}
		if f.MinScore != nil {
			flt.MinScore = *f.MinScore
		}
		if f.Rule != nil {
			flt.Rule = *f.Rule
		}
		if f.Source != nil {
			flt.Source = *f.Source
		}
		if f.IncludeDecided != nil {
			flt.IncludeDecided = *f.IncludeDecided
		}
	}
	page, err := r.Review.Queue(deref(reviewer), flt, n, deref(after))
	if err != nil {
		return model.ReviewItemConnection{}, inputErrorf("after", "%v", err)
	}
	out := model.ReviewItemConnection{TotalCount: page.Total, Edges: []model.ReviewItemEdge{}}
	for i := range page.Items {
		out.Edges = append(out.Edges, model.ReviewItemEdge{Cursor: page.Cursors[i], Node: toReviewItem(&page.Items[i])})
	}
	out.PageInfo.HasNextPage = page.HasNext
	if page.EndCursor != "" {
		c := page.EndCursor
		out.PageInfo.EndCursor = &c
	}
	return out, nil
}

func (r *Resolver) riskScore(id string) (model.RiskScore, error) {
	if r.Review == nil {
		return model.RiskScore{}, errNoReview
	}
	e, ok := r.Review.Score(id)
	if !ok {
		return model.RiskScore{}, &NotFoundError{What: "scored element", ID: id}
	}
	a := &e.Assessment
	out := model.RiskScore{ID: a.Item.ID, Subject: a.Subject, Score: e.Final, DeterministicScore: a.Score,
		Advice: toAdvice(&e.Advice), Reasons: []model.RiskReason{}, Contributions: []model.RiskContribution{}}
	for _, h := range a.Hits {
		out.Reasons = append(out.Reasons, model.RiskReason{Rule: h.Rule, Title: h.Title, Severity: h.Severity,
			Weight: h.Weight, Element: a.Item.ID, Evidence: h.Evidence})
	}
	for _, c := range a.Contributions {
		out.Contributions = append(out.Contributions, model.RiskContribution{Name: c.Name, Weight: c.Weight,
			Value: c.Value, Points: c.Points})
	}
	return out, nil
}

func (r *Resolver) decide(ctx context.Context, item string, d model.ReviewDecision, expiresAt *time.Time,
	justification string) (model.ReviewDecisionRecord, error) {
	if r.Review == nil {
		return model.ReviewDecisionRecord{}, errNoReview
	}
	who := "graphql"
	if r.ReviewActor != nil {
		if w := r.ReviewActor(ctx); w != "" {
			who = w
		}
	}
	rec, err := r.Review.Decide(item, review.Decision(d), expiresAt, justification, who)
	if errors.Is(err, review.ErrNotFound) {
		return model.ReviewDecisionRecord{}, &NotFoundError{What: "review item", ID: item}
	}
	var ae *review.ArgumentError
	if errors.As(err, &ae) {
		return model.ReviewDecisionRecord{}, inputErrorf(ae.Argument, "%s", ae.Reason)
	}
	if err != nil {
		return model.ReviewDecisionRecord{}, err // a store failure: logged as internal
	}
	r.logger().InfoContext(ctx, "review decision", "item", rec.Item, "decision", rec.Decision, "who", who)
	return toRecord(rec), nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toAdvice(a *risk.Advice) model.RiskAdvice {
	state := a.State
	if state == "" {
		state = risk.LLMUnavailable
	}
	return model.RiskAdvice{State: state, Rationale: optStr(a.Rationale), SuggestedAction: optStr(a.SuggestedAction),
		RaiseAttention: a.RaiseAttention, Raise: a.Raise, Model: optStr(a.Model), PromptVersion: a.PromptVersion,
		Error: optStr(a.Error)}
}

func toRecord(r *review.Record) model.ReviewDecisionRecord {
	return model.ReviewDecisionRecord{ID: r.ID, Item: r.Item, Decision: model.ReviewDecision(r.Decision),
		ExpiresAt: r.ExpiresAt, Justification: r.Justification, Who: r.Who, At: r.At, Score: r.Score,
		Request: optStr(r.Request)}
}

func toReviewItem(it *review.Item) model.ReviewItem {
	out := model.ReviewItem{ID: it.ID, Kind: it.Kind, Subkind: optStr(it.Subkind), Name: it.Name, Source: it.Source,
		Score: it.Score, DeterministicScore: it.DeterministicScore, LlmRaise: it.LLMRaise,
		Rationale: optStr(it.Advice.Rationale), Advice: toAdvice(&it.Advice), Members: it.Members,
		Reviewers: it.Reviewers, Reasons: []model.RiskReason{}}
	if out.Reviewers == nil {
		out.Reviewers = []string{}
	}
	for _, rs := range it.Reasons {
		out.Reasons = append(out.Reasons, model.RiskReason{Rule: rs.Rule, Title: rs.Title, Severity: rs.Severity,
			Weight: rs.Weight, Element: rs.Element, Evidence: rs.Evidence})
	}
	if it.Decision != nil {
		rec := toRecord(it.Decision)
		out.Decision = &rec
	}
	return out
}
