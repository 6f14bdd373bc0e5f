package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/gql"
	"github.com/accessgraph/accessgraph/graph/projection"
)

func newQueryCmd(g *globals) *cobra.Command {
	var file, varsJSON, policy string
	var vars []string
	var complexity int
	cmd := &cobra.Command{
		Use:   "query [DOCUMENT]",
		Short: "Run a GraphQL document against the store and print the JSON response",
		Long: `Run a GraphQL document against the store and print the JSON response.

A document that asks for reviewQueue, riskScore or decide first scores the whole
store with the risk policy, as 'review' does (decisions go to the review store
beside the graph store); other documents do not pay for it.`,
		Args: cobra.MaximumNArgs(1),
		Example: `  accessgraph query '{ blastRadius(id: "arn:aws:iam::123456789012:user/alex") { totals { resources } } }'
  accessgraph query -f reach.graphql --var id=arn:aws:iam::123456789012:user/alex`,
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := readDocument(args, file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			vm, err := parseVars(varsJSON, vars)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := g.openExistingStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			snap, err := g.buildSnapshot(ctx, st)
			if err != nil {
				return err
			}
			var h projection.Holder
			h.Store(snap)
			r := &gql.Resolver{Snapshots: &h, Store: st, Logger: g.log, Cypher: cypherEngine(st)}
			if gql.UsesReview(doc) {
				// Scoring reads the whole store: only when the document asks.
				pol, err := loadPolicy(policy)
				if err != nil {
					return err
				}
				svc, err := g.openReview(ctx, st, pol)
				if err != nil {
					return err
				}
				defer svc.Close()
				r.Review = svc
			}
			out, qerr := gql.ExecuteWith(ctx, r, gql.Options{ComplexityLimit: complexity}, doc, vm)
			if out == nil {
				return qerr
			}
			// The response is printed even when it carries errors (they are
			// part of it, with their codes); the exit code then says so.
			var pretty bytes.Buffer
			if json.Indent(&pretty, out, "", "  ") == nil {
				out = pretty.Bytes()
			}
			if _, err := fmt.Fprintln(cmd.OutOrStdout(), string(out)); err != nil {
				return err
			}
			return qerr
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the document from a file (- for stdin)")
	cmd.Flags().StringVar(&varsJSON, "vars", "", "variables as a JSON object")
	cmd.Flags().StringArrayVar(&vars, "var", nil, "a string variable as name=value (repeatable)")
	cmd.Flags().IntVar(&complexity, "max-complexity", gql.DefaultComplexityLimit,
		"highest GraphQL query cost accepted")
	cmd.Flags().StringVar(&policy, "policy", "",
		"risk policy for reviewQueue, riskScore and decide (default: the built-in policy)")
	return cmd
}

func readDocument(args []string, file string, stdin io.Reader) (string, error) {
	switch {
	case len(args) == 1 && file != "":
		return "", usageError{fmt.Errorf("give the document as an argument or with --file, not both")}
	case len(args) == 1:
		return args[0], nil
	case file == "-":
		b, err := io.ReadAll(stdin)
		return string(b), err
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--file: %w", err)
		}
		return string(b), nil
	}
	return "", usageError{fmt.Errorf("no GraphQL document: pass one as an argument or with --file")}
}

func parseVars(js string, kv []string) (map[string]any, error) {
	vm := map[string]any{}
	if js != "" {
		if err := json.Unmarshal([]byte(js), &vm); err != nil {
			return nil, usageError{fmt.Errorf("--vars: not a JSON object: %w", err)}
		}
	}
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--var %q: want name=value", s)}
		}
		vm[k] = v
	}
	return vm, nil
}
