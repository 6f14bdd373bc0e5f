package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/spf13/cobra"
)

// Environment variables that stand in for global flags.
const (
	EnvStore    = "ACCESSGRAPH_STORE"
	EnvLogLevel = "ACCESSGRAPH_LOG_LEVEL"
)

// globals are the flags every command shares.
type globals struct {
	storeDir    string
	allowShrink bool
	neo4j       neo4jFlags
	bulk        bulkFlags
	logLevel    string
	logJSON     bool
	stdout      io.Writer
	stderr      io.Writer
	log         *slog.Logger
}

// Main runs the command line with args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "accessgraph: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks a mistake in how the command was called.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "accessgraph",
		Short: "Who can reach what: identity and access as one queryable graph",
		Long: `accessgraph loads identities, accounts, groups, roles, resources, credentials and
grants from real exports or live APIs (AWS IAM and credential reports, Kubernetes
RBAC, Okta, Microsoft Entra ID, Google Workspace, GitHub, Active Directory through
SharpHound, SCIM and an HR roster) into one graph, links each person's accounts to
one identity, and answers blast radius, paths and reverse reach over GraphQL. It
ranks what to review first by risk (review), and can be the OIDC provider apps
log in through (serve --config, idp).

Start with:  accessgraph demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.setup()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.storeDir, "store", envOr(EnvStore, defaultStoreDir()),
		"folder of the embedded store (env "+EnvStore+")")
	g.neo4j.register(pf)
	pf.StringVar(&g.logLevel, "log-level", envOr(EnvLogLevel, "info"), "debug, info, warn or error")
	pf.BoolVar(&g.logJSON, "log-json", false, "log JSON lines instead of text")
	root.AddCommand(newIngestCmd(g), newServeCmd(g), newQueryCmd(g), newDemoCmd(g), newGenCmd(g),
		newRunsCmd(g), newSyncCmd(g), newBenchCmd(g), newIDPCmd(g), newReviewCmd(g))
	return root
}

func (g *globals) setup() error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if g.logJSON {
		g.log = slog.New(slog.NewJSONHandler(g.stderr, opts))
	} else {
		g.log = slog.New(slog.NewTextHandler(g.stderr, opts))
	}
	slog.SetDefault(g.log)
	g.setMemoryLimit(lvl)
	return nil
}

// setMemoryLimit gives the Go heap a soft limit of 90% of the memory the
// process may use (the cgroup's limit, else the machine's), unless
// GOMEMLIMIT is set or AUTOMEMLIMIT is "off" (or another ratio): a big ingest
// or bench then collects harder near the limit instead of growing its heap
// to twice what is live and being killed. The limit set is logged at info
// level only when debug logging is on; a failure is logged as an error and
// changes nothing else.
func (g *globals) setMemoryLimit(lvl slog.Level) {
	opts := &slog.HandlerOptions{Level: lvl}
	if lvl > slog.LevelDebug {
		opts.Level = max(lvl, slog.LevelWarn)
	}
	var h slog.Handler = slog.NewTextHandler(g.stderr, opts)
	if g.logJSON {
		h = slog.NewJSONHandler(g.stderr, opts)
	}
	_, _ = memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithLogger(slog.New(h)),
		memlimit.WithProvider(memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.FromSystem)))
}

func envOr(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

// defaultStoreDir is $XDG_DATA_HOME/accessgraph or ~/.local/share/accessgraph.
func defaultStoreDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "accessgraph")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "accessgraph")
	}
	return ".accessgraph"
}
