package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/ingest/config"
	"github.com/accessgraph/accessgraph/ingest/schedule"
	"github.com/accessgraph/accessgraph/ingest/sources"
)

// EnvConfig names the configuration file.
const EnvConfig = "ACCESSGRAPH_CONFIG"

// loadConfig reads the configuration file, if one is named, and lets it
// choose the store unless a flag already did.
func (g *globals) loadConfig(cmd *cobra.Command, path string) (*config.Config, error) {
	if path == "" {
		return nil, nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	flags := cmd.Flags()
	if cfg.Store.Dir != "" && !flags.Changed("store") && os.Getenv(EnvStore) == "" {
		g.storeDir = cfg.Store.Dir
	}
	if n := cfg.Store.Neo4j; n.URI != "" && g.neo4j.uri == "" {
		pw, err := n.Password.Value()
		if err != nil {
			return nil, fmt.Errorf("%s: store.neo4j.password (%s): %w", path, n.Password, err)
		}
		g.neo4j.uri, g.neo4j.database = n.URI, n.Database
		if n.User != "" {
			g.neo4j.user = n.User
		}
		g.neo4j.password = pw
	}
	return cfg, nil
}

// fetcher reads configured sources with the real connectors.
func (g *globals) fetcher() schedule.Fetcher {
	var opt sources.Options
	if p := defaultLevelsPath(); p != "" {
		if lv, err := loadLevels(g, p); err == nil {
			opt.ActionLevels = lv
		}
	}
	return sources.Fetch(opt)
}

func newSyncCmd(g *globals) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "sync SOURCE... --config FILE",
		Short: "Run one sync run of each named source from the configuration file, now",
		Long: `Run the named sources of the configuration file once, now, as the scheduler in
'serve --config' would: read the export or live API, write one sync run per
sync source, sweep what the source no longer reports, then resolve identities.
Each run reports its drift: what was added, changed and removed since the last one.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if path == "" {
				return usageError{fmt.Errorf("--config is required")}
			}
			cfg, err := g.loadConfig(cmd, path)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sched := schedule.New(cfg, st, g.fetcher(), nil, g.log)
			out := cmd.OutOrStdout()
			var failed []string
			for _, name := range args {
				res := sched.RunNow(ctx, name)
				for _, r := range res.Runs {
					fmt.Fprintf(out, "%s: %s run %s %s", name, r.Source, r.ID, r.Status)
					if d := r.Stats.Drift; d != nil {
						fmt.Fprintf(out, ": +%d ~%d -%d nodes, +%d ~%d -%d edges", d.NodesAdded, d.NodesChanged,
							d.NodesRemoved, d.EdgesAdded, d.EdgesChanged, d.EdgesRemoved)
					}
					fmt.Fprintln(out)
				}
				if res.Err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", name, res.Err)
					failed = append(failed, name)
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("sync failed for %s; the previous state of each is kept", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", envOr(EnvConfig, ""), "configuration file (env "+EnvConfig+")")
	return cmd
}
