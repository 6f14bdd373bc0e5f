package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/gql"
	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/graph/risk"
	"github.com/accessgraph/accessgraph/ingest/config"
	"github.com/accessgraph/accessgraph/ingest/schedule"
)

type serveFlags struct {
	addr       string
	complexity int
	config     string
	tokenFile  string
	token      string
	advice     adviceFlags
	policy     string
	// pol is the policy read from policy (loadPolicy); serveWith reads it
	// when the command did not already.
	pol *risk.Policy
	// ln, if set, is a listener already bound to addr (the demo binds
	// before its long ingest, so a busy port fails at once); serveWith
	// serves on it and closes it.
	ln net.Listener
}

// loadPolicy reads and checks f.policy into f.pol, once.
func (f *serveFlags) loadPolicy() error {
	if f.pol != nil {
		return nil
	}
	p, err := loadPolicy(f.policy)
	if err != nil {
		return err
	}
	f.pol = p
	return nil
}

// listen binds f.addr, with the error every command gives for a busy one.
func (f *serveFlags) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another server using it? pass --addr)", f.addr, err)
	}
	return ln, nil
}

func (f *serveFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().IntVar(&f.complexity, "max-complexity", gql.DefaultComplexityLimit,
		"highest GraphQL query cost accepted")
	cmd.Flags().StringVar(&f.tokenFile, "api-token-file", "",
		"file holding the API token /graphql requires (else env "+EnvAPIToken+", else server.token)")
	cmd.Flags().StringVar(&f.policy, "policy", "",
		"risk policy file for the review queue (default: the built-in policy; see graph/risk/policy/default.yaml)")
	f.advice.register(cmd.Flags())
}

// EnvAPIToken holds the API token /graphql requires.
const EnvAPIToken = "ACCESSGRAPH_API_TOKEN"

// resolveToken finds the API token and refuses to serve the graph without
// one anywhere but on loopback: the graph is a map of every attack path.
func (f *serveFlags) resolveToken(cfg *config.Config) error {
	switch {
	case f.tokenFile != "":
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return fmt.Errorf("--api-token-file: %w", err)
		}
		f.token = strings.TrimRight(string(b), "\r\n")
	case os.Getenv(EnvAPIToken) != "":
		f.token = os.Getenv(EnvAPIToken)
	case cfg != nil && !cfg.Server.Token.IsZero():
		v, err := cfg.Server.Token.Value()
		if err != nil {
			return fmt.Errorf("server.token (%s): %w", cfg.Server.Token, err)
		}
		f.token = v
	}
	if f.token != "" && len(f.token) < 16 {
		return usageError{fmt.Errorf("the API token is %d characters: use at least 16", len(f.token))}
	}
	if f.token == "" && !loopback(f.addr) {
		return usageError{fmt.Errorf("refusing to serve the access graph on %s without an API token: "+
			"set %s (or --api-token-file, or server.token in the configuration), or listen on 127.0.0.1",
			f.addr, EnvAPIToken)}
	}
	return nil
}

// loopback reports whether addr listens on a loopback address only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newServeCmd(g *globals) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the GraphQL API (and GraphiQL at /) over the store",
		Args:  cobra.NoArgs,
		Long: `Serve the GraphQL API over the store, with GraphiQL at the root.

With --config, the sources the file lists are synced on their schedules while the
server runs (one run per source at a time), and each finished run publishes a new
projection; activeSyncs and syncRuns show progress and drift.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := g.loadConfig(cmd, f.config)
			if err != nil {
				return err
			}
			if cfg != nil && !cmd.Flags().Changed("addr") && cfg.Server.Addr != "" {
				f.addr = cfg.Server.Addr
			}
			if cfg != nil && !cmd.Flags().Changed("max-complexity") && cfg.Server.MaxComplexity > 0 {
				f.complexity = cfg.Server.MaxComplexity
			}
			if err := f.resolveToken(cfg); err != nil {
				return err
			}
			// The policy before the store: a broken rule stops serve before
			// the projection build and before any sync starts.
			if err := f.loadPolicy(); err != nil {
				return err
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			return g.serveWith(ctx, st, f, cfg, nil)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.config, "config", envOr(EnvConfig, ""), "configuration file with sources and schedules (env "+EnvConfig+")")
	return cmd
}

// serve builds the projection and serves until ctx ends. ready, if set, is
// called with the listening address once the server accepts connections.
func (g *globals) serve(ctx context.Context, st graph.Store, f serveFlags, ready func(addr string)) error {
	return g.serveWith(ctx, st, f, nil, ready)
}

// serveWith is serve with an optional configuration whose sources are
// scheduled while the server runs.
func (g *globals) serveWith(ctx context.Context, st graph.Store, f serveFlags, cfg *config.Config,
	ready func(addr string)) error {
	snap, err := g.buildSnapshot(ctx, st)
	if err != nil {
		return err
	}
	var holder projection.Holder
	holder.Store(snap)
	gin.SetMode(gin.ReleaseMode)
	r := &gql.Resolver{Snapshots: &holder, Store: st, Logger: g.log, Cypher: cypherEngine(st)}
	ic, err := idpConfig(cfg)
	if err != nil {
		return err
	}
	sched := schedule.New(orEmpty(cfg), st, g.fetcher(), &holder, g.log)
	if cfg != nil {
		if err := sched.Start(ctx); err != nil {
			return err
		}
		defer sched.Stop()
		r.Syncs = sched
	}
	if err := f.loadPolicy(); err != nil {
		return err
	}
	adv, err := newAdvisor(f.advice, f.pol.LLM.MaxRaise)
	if err != nil {
		return err
	}
	svc, err := g.startReview(ctx, st, f.pol, adv, f.advice)
	if err != nil {
		return err
	}
	defer svc.Close()
	r.Review = svc
	router := gql.NewRouter(r, gql.Options{ComplexityLimit: f.complexity, Token: f.token})
	if f.token == "" {
		g.log.Warn("no API token: GraphQL queries are open to anyone who reaches " + f.addr +
			", and mutations are refused (set " + EnvAPIToken + ")")
	}
	if ic != nil {
		p, refresh, stop, err := g.startIDP(ctx, ic, router, st, sched.Reproject)
		if err != nil {
			return err
		}
		defer stop()
		r.IDP, r.AfterIDPChange = p, refresh
	}
	ln := f.ln
	if ln == nil {
		if ln, err = f.listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler: router, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
	}
	addr := ln.Addr().String()
	g.log.Info("serving", "graphql", "http://"+addr+"/graphql", "graphiql", "http://"+addr+"/")
	if ready != nil {
		ready(addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	g.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// orEmpty returns cfg, or an empty configuration (no sources).
func orEmpty(cfg *config.Config) *config.Config {
	if cfg == nil {
		return &config.Config{Workers: 1}
	}
	return cfg
}
