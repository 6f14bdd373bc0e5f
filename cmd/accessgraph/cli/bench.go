package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/cypher"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/neo4jstore"
)

func newBenchCmd(g *globals) *cobra.Command {
	var opt bench.Options
	var cacheDir string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure ingest, projection and query latency on a synthetic company",
		Long: `Generate (or reuse) a synthetic company of --identities, ingest it into a fresh
embedded store, build the projection, and time blastRadius, paths (depth 6, 100
paths) and whoCanReach over sampled identities and resources. With --neo4j, the
same company is also ingested into Neo4j and the same queries run through the
Cypher engine, side by side, with the ratio of their medians.

The Neo4j run writes the company's sources into the database it is pointed at:
use a throw-away one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if opt.Identities <= 0 {
				return usageError{fmt.Errorf("--identities must be positive")}
			}
			opt.Dir = filepath.Join(cacheDir, fmt.Sprintf("company-%d-%d", opt.Identities, opt.Seed))
			if p := defaultLevelsPath(); p != "" {
				if lv, err := loadLevels(g, p); err == nil {
					opt.Levels = lv
				}
			}
			tmp, err := os.MkdirTemp("", "accessgraph-bench-store-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			opt.Embedded = func() (graph.Store, error) {
				return embedded.Open(tmp, embedded.Options{Logger: g.log})
			}
			if g.neo4j.uri != "" {
				opt.Neo4j = func() (graph.Store, error) { return g.neo4j.open(ctx, g.log) }
				opt.Cypher = func(st graph.Store) bench.Engine {
					n := st.(*neo4jstore.Store)
					return cypher.New(n.Driver(), n.Database())
				}
			}
			opt.Log = func(msg string, args ...any) { g.log.Info(msg, args...) }
			rep, err := bench.Run(ctx, opt)
			if err != nil {
				return err
			}
			rep.Print(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().IntVar(&opt.Identities, "identities", 10_000, "size of the synthetic company")
	cmd.Flags().Int64Var(&opt.Seed, "seed", 1, "generator seed")
	cmd.Flags().IntVar(&opt.Queries, "queries", 200, "sampled queries of each kind through the projection")
	cmd.Flags().IntVar(&opt.CypherQueries, "cypher-queries", 50, "sampled queries of each kind through Cypher")
	cmd.Flags().DurationVar(&opt.CypherTimeout, "cypher-timeout", 30*time.Second,
		"bound on one Cypher query; slower ones count as timed out")
	cmd.Flags().StringVar(&cacheDir, "cache", filepath.Join(os.TempDir(), "accessgraph-bench"),
		"folder that keeps generated companies between runs")
	return cmd
}
