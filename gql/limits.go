package gql

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/accessgraph/accessgraph/gql/generated"
	"github.com/accessgraph/accessgraph/gql/model"
	"github.com/accessgraph/accessgraph/graph"
)

// analysisCost is what one traversal (blast radius, paths, reverse reach)
// costs before its results are counted: a whole-graph search whatever the
// page size, so one operation may ask for at most about 20 of them under the
// default limit.
const analysisCost = 250

// pageCost charges a connection for the items it may return: first (clamped
// to MaxFirst, so that a too-large first is reported by the resolver as bad
// input) times what each item selects.
func pageCost(first *int, child int) int {
	n := min(max(intArg(first, DefaultFirst), 1), MaxFirst)
	return n * max(child, 1)
}

// complexityRoot charges connections and lists by their page size.
func complexityRoot() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	c.Query.Search = func(child int, _ string, _ []graph.Kind, first *int, _ *string) int {
		return 1 + pageCost(first, child)
	}
	c.Query.BlastRadius = func(child int, _ string, _ *graph.Privilege, _ *graph.Sensitivity,
		_ *int, _ *model.Engine, first *int, _ *string,
	) int {
		return analysisCost + pageCost(first, child)
	}
	c.Query.Paths = func(child int, _, _ string, maxDepth, maxPaths *int, _ *model.Engine, first *int, _ *string) int {
		// Enumeration work grows with how many paths, how long, may be listed,
		// whatever page of them is returned.
		enum := max(intArg(maxPaths, 100), 1) * max(intArg(maxDepth, 6), 1) / 2
		n := min(intArg(first, DefaultFirst), intArg(maxPaths, 100))
		return analysisCost + enum + pageCost(&n, child)
	}
	c.Query.WhoCanReach = func(child int, _ string, _ *graph.Privilege, _ []graph.Kind,
		_ *int, _ *model.Engine, first *int, _ *string,
	) int {
		return analysisCost + pageCost(first, child)
	}
	c.Query.SyncRuns = func(child int, _ *string, first *int) int {
		n := intArg(first, 20)
		return 1 + pageCost(&n, child)
	}
	return c
}

// depthLimit rejects operations whose selections nest deeper than max
// fields. Introspection fields (__schema, __type) are not counted, so that
// GraphiQL's schema query passes.
type depthLimit struct{ max int }

var (
	_ graphql.HandlerExtension        = depthLimit{}
	_ graphql.OperationContextMutator = depthLimit{}
)

// ExtensionName implements graphql.HandlerExtension.
func (depthLimit) ExtensionName() string { return "DepthLimit" }

// Validate implements graphql.HandlerExtension.
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{})
	if depth <= d.max {
		return nil
	}
	err := gqlerror.Errorf("operation nests %d fields deep, which exceeds the limit of %d", depth, d.max)
	err.Extensions = map[string]any{"code": CodeDepthLimit}
	return err
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) int {
	depth := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			depth = max(depth, 1+selectionDepth(s.SelectionSet, frags, seen))
		case *ast.InlineFragment:
			depth = max(depth, selectionDepth(s.SelectionSet, frags, seen))
		case *ast.FragmentSpread:
			f := frags.ForName(s.Name)
			if f == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			depth = max(depth, selectionDepth(f.SelectionSet, frags, seen))
			delete(seen, s.Name)
		}
	}
	return depth
}
