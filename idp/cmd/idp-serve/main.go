// Command idp-serve runs the accessgraph OpenID provider alone, from a YAML
// or JSON config file (see idp.Config). It is what the load figures in
// docs/BENCHMARKS.md were measured against; `accessgraph serve` mounts the
// same handler beside the GraphQL API.
//
//	idp-serve -config idp.yaml -listen 127.0.0.1:9096
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" //nolint:gosec // served only on the -pprof address, off by default
	"os"
	"os/signal"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/accessgraph/accessgraph/idp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idp-serve:", err)
		os.Exit(1)
	}
}

func run() error {
	cfgPath := flag.String("config", "idp.yaml", "provider config file (YAML or JSON)")
	listen := flag.String("listen", "127.0.0.1:9096", "listen address")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this (loopback) address")
	flag.Parse()
	raw, err := os.ReadFile(*cfgPath)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var cfg idp.Config
	if err := yaml.UnmarshalStrict(raw, &cfg); err != nil {
		return fmt.Errorf("parse %s: %w", *cfgPath, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	slog.SetDefault(logger)
	p, err := idp.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer p.Close()
	if *pprofAddr != "" {
		// A CPU profile or trace streams for ?seconds=N (30 by default), so
		// the write timeout leaves room for profiles of up to ~2 minutes.
		ps := newServer(*pprofAddr, http.DefaultServeMux, 150*time.Second)
		go func() {
			if err := ps.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Warn("pprof listener", "err", err)
			}
		}()
		defer ps.Close()
	}
	srv := newServer(*listen, p.Handler(), 30*time.Second)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(os.Stderr, "idp-serve: issuer %s listening on %s\n", p.Issuer(), *listen)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// maxBodyBytes caps every request body. The provider's forms and token
// requests are a few kilobytes; its own handlers cap them lower still.
const maxBodyBytes = 1 << 20

// newServer returns a server for h on addr with bounded header, body, write
// and idle times and bodies of at most maxBodyBytes, so a slow or oversized
// client cannot hold a connection or memory.
func newServer(addr string, h http.Handler, writeTimeout time.Duration) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           http.MaxBytesHandler(h, maxBodyBytes),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}
