package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
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

// startIdP starts the provider, mounts it on the router at its issuer's
// path, and keeps its sessions, tokens and grants in the graph: synced now,
// after every control call (through the returned refresh) and every minute.
func (g *globals) startIdP(ctx context.Context, ic *idp.Config, router *gin.Engine, st graph.Store,
	reproject func(context.Context) error) (*idp.Provider, func(context.Context) error, error) {
	prefix, err := idpPrefix(ic.Issuer)
	if err != nil {
		return nil, nil, err
	}
	p, err := idp.New(ctx, *ic, g.log)
	if err != nil {
		return nil, nil, fmt.Errorf("start the OIDC provider: %w", err)
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
		return nil, nil, fmt.Errorf("sync the OIDC provider into the graph: %w", err)
	}
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := refresh(ctx); err != nil {
					g.log.Error("sync the OIDC provider into the graph", "err", err)
				}
			}
		}
	}()
	g.log.Info("OIDC provider up", "issuer", p.Issuer(), "discovery", p.Issuer()+"/.well-known/openid-configuration")
	return p, refresh, nil
}
