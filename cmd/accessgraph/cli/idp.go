package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"
	bolterrors "go.etcd.io/bbolt/errors"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/idp"
	"github.com/accessgraph/accessgraph/ingest/config"
)

// idpConfig reads the configuration file's idp section, or returns nil.
func idpConfig(cfg *config.Config) (*idp.Config, error) {
	if cfg == nil {
		return nil, nil
	}
	raw, line, err := cfg.IDPSection()
	if err != nil || raw == nil {
		return nil, err
	}
	var ic idp.Config
	if err := sigsyaml.UnmarshalStrict(raw, &ic); err != nil {
		return nil, fmt.Errorf("%s:%d: idp: %w", cfg.Path(), line, err)
	}
	if err := ic.Validate(); err != nil {
		return nil, fmt.Errorf("%s:%d: idp: %w", cfg.Path(), line, err)
	}
	return &ic, nil
}

// idpPrefix is the path the provider is mounted at: the issuer's path. It
// may not be the root, which serves GraphiQL.
func idpPrefix(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", fmt.Errorf("idp issuer %q: %w", issuer, err)
	}
	p := strings.TrimRight(u.Path, "/")
	if p == "" || p == "/graphql" || p == "/healthz" {
		return "", fmt.Errorf("idp issuer %q: give it a path of its own, e.g. %s/idp", issuer,
			strings.TrimRight(issuer, "/"))
	}
	return p, nil
}

// startIDP starts the provider, mounts it on the router at its issuer's
// path, and keeps its sessions, tokens and grants in the graph: synced now,
// after every control call (through the returned refresh) and every minute.
func (g *globals) startIDP(ctx context.Context, ic *idp.Config, router *gin.Engine, st graph.Store,
	reproject func(context.Context) error) (*idp.Provider, func(context.Context) error, func(), error) {
	prefix, err := idpPrefix(ic.Issuer)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := idp.New(ctx, *ic, g.log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("start the OIDC provider: %w", err)
	}
	h := http.StripPrefix(prefix, p.Handler())
	router.Any(prefix+"/*rest", gin.WrapH(h))
	refresh := func(ctx context.Context) error {
		if _, err := p.SyncGraph(ctx, st); err != nil {
			return err
		}
		return reproject(ctx)
	}
	if err := refresh(ctx); err != nil {
		_ = p.Close()
		return nil, nil, nil, fmt.Errorf("sync the OIDC provider into the graph: %w", err)
	}
	// The periodic sync picks up logins and refreshes; it ends, and is waited
	// for, before the provider and the store close.
	loopCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-loopCtx.Done():
				return
			case <-t.C:
				if err := refresh(loopCtx); err != nil && loopCtx.Err() == nil {
					g.log.Error("sync the OIDC provider into the graph", "err", err)
				}
			}
		}
	}()
	stop := func() {
		cancel()
		wg.Wait()
		_ = p.Close()
	}
	g.log.Info("OIDC provider up", "issuer", p.Issuer(), "discovery", p.Issuer()+"/.well-known/openid-configuration")
	return p, refresh, stop, nil
}

func newIDPCmd(g *globals) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "idp",
		Short: "Inspect and end what an identity holds at accessgraph's OIDC provider",
		Long: `Inspect and end the sessions, tokens and grants an identity holds at accessgraph's
OIDC provider (the idp: section of the configuration file). Each call prints JSON: what
it ended, which clients were sent back-channel logout tokens, and a verification read
proving nothing remains. The provider's store is opened directly, so stop a running
'serve' first, or use the GraphQL mutations (endSessions, revokeGrant, revokeAll).`,
	}
	cmd.PersistentFlags().StringVar(&path, "config", envOr(EnvConfig, ""), "configuration file (env "+EnvConfig+")")
	open := func(cmd *cobra.Command) (*idp.Provider, error) {
		if path == "" {
			return nil, usageError{fmt.Errorf("--config is required")}
		}
		cfg, err := config.Load(path)
		if err != nil {
			return nil, err
		}
		ic, err := idpConfig(cfg)
		if err != nil {
			return nil, err
		}
		if ic == nil {
			return nil, fmt.Errorf("%s has no idp section", path)
		}
		p, err := idp.New(cmd.Context(), *ic, g.log)
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: the provider's store is held by a running 'accessgraph serve': "+
				"stop it, or use the GraphQL mutations endSessions, revokeGrant and revokeAll", err)
		}
		return p, err
	}
	call := func(use, short string, fn func(context.Context, *idp.Provider, string) (any, error)) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				p, err := open(cmd)
				if err != nil {
					return err
				}
				defer p.Close()
				out, err := fn(cmd.Context(), p, args[0])
				if err != nil {
					return err
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			},
		}
	}
	cmd.AddCommand(
		call("sessions SUBJECT", "List an identity's sessions, tokens and grants",
			func(ctx context.Context, p *idp.Provider, s string) (any, error) { return p.ListIdentityState(ctx, s) }),
		call("end-sessions SUBJECT", "End an identity's browser sessions and the tokens minted in them",
			func(ctx context.Context, p *idp.Provider, s string) (any, error) { return p.EndSessions(ctx, s) }),
		call("revoke-grant GRANT", "Revoke one consent grant and its client's tokens for the identity",
			func(ctx context.Context, p *idp.Provider, s string) (any, error) { return p.RevokeGrant(ctx, s) }),
		call("revoke-all SUBJECT", "End every session, token and grant of an identity",
			func(ctx context.Context, p *idp.Provider, s string) (any, error) { return p.RevokeAll(ctx, s) }),
	)
	return cmd
}
