package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/gql"
	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/cypher"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/neo4jstore"
	"github.com/accessgraph/accessgraph/graph/projection"
)

func newBenchCmd(g *globals) *cobra.Command {
	var opt bench.Options
	var cacheDir string
	var load bench.LoadOptions
	var bulk bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure ingest, projection and query latency on a synthetic company",
		Long: `Generate (or reuse) a synthetic company of --identities, ingest it into a fresh
embedded store, build the projection, and time blastRadius, paths (depth 6, 100
paths) and whoCanReach over sampled identities and resources. With --neo4j, the
same company is also ingested into Neo4j and the same queries run through the
Cypher engine, side by side, with the ratio of their medians. With
--load-duration (default 10s; 0 turns it off), the GraphQL API is served over
the embedded store on a loopback port and wrk (Debian's wrk package) drives each
query mix from a second process: requests per second and latency percentiles.

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
			if bulk {
				if g.neo4j.uri == "" {
					return usageError{fmt.Errorf("--neo4j-bulk needs --neo4j")}
				}
				opt.Neo4jBulk = func(ctx context.Context, batches []*graph.Batch) (graph.Store, []bench.BulkStep, error) {
					res, err := g.bulkLoad(cmd, batches)
					if err != nil {
						return nil, nil, err
					}
					return res.Store, []bench.BulkStep{{Name: "CSV write", Duration: res.Write},
						{Name: "server stop", Duration: res.Stop}, {Name: "import", Duration: res.Import},
						{Name: "server start", Duration: res.Start}, {Name: "indexes (Open)", Duration: res.Schema}}, nil
				}
			}
			if load.Duration > 0 {
				load.Serve = g.benchServe
				opt.Load = &load
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
	cmd.Flags().DurationVar(&load.Duration, "load-duration", 10*time.Second,
		"how long wrk drives each GraphQL query mix (0: no load phase)")
	cmd.Flags().IntVar(&load.Connections, "load-connections", 16, "connections wrk keeps open")
	cmd.Flags().IntVar(&load.Threads, "load-threads", 2, "wrk threads")
	cmd.Flags().StringVar(&load.Tool, "wrk", "wrk", "the wrk binary")
	cmd.Flags().BoolVar(&bulk, "neo4j-bulk", false,
		"load Neo4j with its offline importer (as ingest --bulk-import: the database must be empty) instead of sync runs")
	cmd.Flags().StringVar(&g.bulk.script, "neo4j-script", envOr(EnvNeo4jScript, filepath.Join("deploy", "neo4j", "neo4j.sh")),
		"with --neo4j-bulk: the deploy/neo4j/neo4j.sh that runs the server (env "+EnvNeo4jScript+")")
	cmd.Flags().StringVar(&cacheDir, "cache", filepath.Join(os.TempDir(), "accessgraph-bench"),
		"folder that keeps generated companies between runs")
	return cmd
}

// benchServe serves the GraphQL API (queries only, no token, default cost
// limit) over st and snap on a free loopback port, for the load phase.
func (g *globals) benchServe(_ context.Context, st graph.Store, snap *projection.Snapshot) (string, func(), error) {
	var holder projection.Holder
	holder.Store(snap)
	gin.SetMode(gin.ReleaseMode)
	// One log line per request would measure the logger: warnings only.
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := &gql.Resolver{Snapshots: &holder, Store: st, Logger: quiet}
	router := gql.NewRouter(r, gql.Options{ComplexityLimit: gql.DefaultComplexityLimit, DisablePlayground: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen on a loopback port: %w", err)
	}
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/graphql", func() { _ = srv.Close() }, nil
}
