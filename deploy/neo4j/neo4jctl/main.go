// Command neo4jctl is the small Bolt client behind deploy/neo4j/neo4j.sh: it
// waits until a local Neo4j answers queries, and runs one Cypher statement,
// without needing cypher-shell.
//
// Usage:
//
//	neo4jctl wait [-timeout 120s] [-pid N]
//	neo4jctl cypher 'MATCH (n) RETURN count(n) AS n'
//
// It reads NEO4J_URI (default bolt://127.0.0.1:7687), NEO4J_USER (default
// neo4j), NEO4J_PASSWORD and NEO4J_DATABASE (default: the server's default).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/db"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: neo4jctl wait [-timeout D] [-pid N] | neo4jctl cypher QUERY")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "wait":
		err = runWait(os.Args[2:])
	case "cypher":
		err = runCypher(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want wait or cypher)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "neo4jctl:", err)
		os.Exit(1)
	}
}

type target struct {
	uri, user, password, database string
}

func targetFromEnv() (target, error) {
	t := target{
		uri:      envOr("NEO4J_URI", "bolt://127.0.0.1:7687"),
		user:     envOr("NEO4J_USER", "neo4j"),
		password: os.Getenv("NEO4J_PASSWORD"),
		database: os.Getenv("NEO4J_DATABASE"),
	}
	if t.password == "" {
		return t, errors.New("NEO4J_PASSWORD is not set")
	}
	return t, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (t target) driver() (neo4j.DriverWithContext, error) {
	return neo4j.NewDriverWithContext(t.uri, neo4j.BasicAuth(t.user, t.password, ""), func(c *config.Config) {
		c.SocketConnectTimeout = 2 * time.Second
		c.ConnectionAcquisitionTimeout = 5 * time.Second
		c.MaxTransactionRetryTime = 0
	})
}

// isAuthError reports whether err says the credentials were refused.
func isAuthError(err error) bool {
	var ne *db.Neo4jError
	if errors.As(err, &ne) {
		return ne.IsAuthenticationFailed() || ne.Code == "Neo.ClientError.Security.AuthenticationRateLimit"
	}
	var ie *neo4j.InvalidAuthenticationError
	return errors.As(err, &ie)
}

func runWait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 120*time.Second, "give up after this long")
	pid := fs.Int("pid", 0, "fail at once if this process exits")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := targetFromEnv()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	drv, err := t.driver()
	if err != nil {
		return fmt.Errorf("driver for %s: %w", t.uri, err)
	}
	defer drv.Close(context.Background())
	start := time.Now()
	var last error
	for {
		if *pid > 0 && syscall.Kill(*pid, 0) != nil {
			return fmt.Errorf("neo4j process %d exited while waiting for %s", *pid, t.uri)
		}
		qctx, qcancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := neo4j.ExecuteQuery(qctx, drv, "RETURN 1 AS ok", nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(t.database))
		qcancel()
		if err == nil {
			fmt.Printf("neo4j at %s answers (after %s)\n", t.uri, time.Since(start).Round(100*time.Millisecond))
			return nil
		}
		if isAuthError(err) {
			return fmt.Errorf("neo4j at %s: authentication failed for user %q: NEO4J_PASSWORD differs from the one the data directory was initialised with (%w)", t.uri, t.user, err)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("neo4j at %s did not answer within %s: %w", t.uri, *timeout, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func runCypher(args []string) error {
	if len(args) != 1 {
		return errors.New("cypher takes exactly one argument: the query")
	}
	t, err := targetFromEnv()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	drv, err := t.driver()
	if err != nil {
		return fmt.Errorf("driver for %s: %w", t.uri, err)
	}
	defer drv.Close(context.Background())
	sess := drv.NewSession(ctx, neo4j.SessionConfig{DatabaseName: t.database})
	defer sess.Close(context.Background())
	res, err := sess.Run(ctx, args[0], nil)
	if err != nil {
		return fmt.Errorf("run query: %w", err)
	}
	enc := json.NewEncoder(os.Stdout)
	for res.Next(ctx) {
		if err := enc.Encode(res.Record().AsMap()); err != nil {
			return fmt.Errorf("print record: %w", err)
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return nil
}
