package cli

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/neo4jstore"
)

// EnvNeo4jScript names deploy/neo4j/neo4j.sh for --bulk-import.
const EnvNeo4jScript = "ACCESSGRAPH_NEO4J_SCRIPT"

// bulkFlags select a bulk initial load into Neo4j with its offline importer.
type bulkFlags struct {
	enabled     bool
	script, dir string
}

func (f *bulkFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.enabled, "bulk-import", false,
		"initial load into an empty Neo4j (--neo4j) with its offline importer: writes CSV files, stops the "+
			"local server, imports, starts it again and builds the indexes (deploy/neo4j only)")
	fs.StringVar(&f.script, "neo4j-script", envOr(EnvNeo4jScript, filepath.Join("deploy", "neo4j", "neo4j.sh")),
		"with --bulk-import: the deploy/neo4j/neo4j.sh that runs the server, with its NEO4J_DATA_DIR, "+
			"NEO4J_HOME_DIR, ... from the environment (env "+EnvNeo4jScript+")")
	fs.StringVar(&f.dir, "bulk-dir", "",
		"with --bulk-import: where the CSV files go (kept; default a temporary folder, deleted after the load)")
}

// bulkServer is the local server the script runs, reached at uri.
func bulkServer(script string, cfg neo4jstore.Config) (neo4jstore.ScriptServer, error) {
	if _, err := os.Stat(script); err != nil {
		return neo4jstore.ScriptServer{}, usageError{fmt.Errorf("--bulk-import stops, imports into and starts "+
			"the local Neo4j through deploy/neo4j/neo4j.sh: %w (pass --neo4j-script or set %s)", err, EnvNeo4jScript)}
	}
	env := os.Environ()
	if os.Getenv("NEO4J_PASSWORD") == "" {
		env = append(env, "NEO4J_PASSWORD="+cfg.Password)
	}
	if u, err := url.Parse(cfg.URI); err == nil && u.Port() != "" && os.Getenv("NEO4J_BOLT_PORT") == "" {
		env = append(env, "NEO4J_BOLT_PORT="+u.Port())
	}
	if cfg.Database != "" {
		env = append(env, "NEO4J_IMPORT_DATABASE="+cfg.Database)
	}
	return neo4jstore.ScriptServer{Script: script, Env: env}, nil
}

// bulkLoad runs neo4jstore.BulkLoad for the flags; the caller closes the
// store.
func (g *globals) bulkLoad(cmd *cobra.Command, batches []*graph.Batch) (*neo4jstore.BulkResult, error) {
	ctx := cmd.Context()
	if g.neo4j.uri == "" {
		return nil, usageError{fmt.Errorf("--bulk-import loads Neo4j: pass --neo4j bolt://HOST:PORT (or set NEO4J_URI)")}
	}
	cfg, err := g.neo4j.config(g.log)
	if err != nil {
		return nil, err
	}
	srv, err := bulkServer(g.bulk.script, cfg)
	if err != nil {
		return nil, err
	}
	dir := g.bulk.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "accessgraph-bulk-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "csv")
	}
	return neo4jstore.BulkLoad(ctx, cfg, batches, neo4jstore.BulkOptions{Dir: dir, Server: srv})
}

// bulkIngest is ingest --bulk-import: the batches in one bulk load, then
// identity resolution as an ordinary sync run.
func (g *globals) bulkIngest(cmd *cobra.Command, batches []*graph.Batch) error {
	res, err := g.bulkLoad(cmd, batches)
	if err != nil {
		return err
	}
	defer res.Store.Close()
	out := cmd.OutOrStdout()
	for i, r := range res.Files.Runs {
		n, e := batches[i].Len()
		fmt.Fprintf(out, "%s: run %s complete (bulk import): %d nodes, %d edges\n", r.Source, r.ID, n, e)
	}
	el := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	fmt.Fprintf(out, "bulk import: %d nodes, %d relationships in %s (CSV %s, stop %s, import %s, start %s, indexes %s): %.0f elements/s\n",
		res.Files.Nodes, res.Files.Edges, el(res.Total()), el(res.Write), el(res.Stop), el(res.Import), el(res.Start),
		el(res.Schema), float64(res.Files.Nodes+res.Files.Edges)/res.Total().Seconds())
	return g.resolveIdentities(cmd.Context(), res.Store, out)
}
