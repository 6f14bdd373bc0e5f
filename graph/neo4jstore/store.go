package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/db"

	"github.com/accessgraph/accessgraph/graph"
)

// Defaults used where Config leaves a field zero.
const (
	DefaultURI          = "bolt://127.0.0.1:7687"
	DefaultUser         = "neo4j"
	DefaultBatchSize    = 10000
	DefaultMaxRetries   = 5
	DefaultAbandonAfter = 6 * time.Hour
	DefaultResumeAfter  = time.Minute
)

// Config says how to reach Neo4j and how to write to it.
type Config struct {
	// URI is the Bolt address, e.g. bolt://127.0.0.1:7687 or neo4j://host:7687.
	URI string
	// User and Password authenticate; User defaults to "neo4j".
	User     string
	Password string
	// PasswordFrom says where Password came from, for errors that ask the
	// user to check it (default "NEO4J_PASSWORD").
	PasswordFrom string
	// Database is the database name; empty means the server's default.
	Database string
	// BatchSize is the number of rows per staged chunk (a chunk is applied
	// in one transaction) and per sweep step (default 10000).
	BatchSize int
	// MaxRetries bounds how often one write transaction is retried after a
	// transient error (deadlock, leader switch) before the call fails
	// (default 5; negative means no retry).
	MaxRetries int
	// AbandonAfter is how long an active run may go without a write before
	// Open marks it abandoned (default 6h; negative disables it).
	AbandonAfter time.Duration
	// ResumeAfter is how long a run that FinishRun left in the applying
	// phase may go without progress before ResumeApplying (and so Open)
	// finishes it (default 1m; negative means at once). Every applied or
	// swept batch counts as progress.
	ResumeAfter time.Duration
	// Logger receives lifecycle messages (default slog.Default()).
	Logger *slog.Logger
}

// ConfigFromEnv reads NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE,
// and optionally NEO4J_BATCH_SIZE and NEO4J_MAX_RETRIES.
func ConfigFromEnv() (Config, error) {
	c := Config{
		URI:      strings.TrimSpace(os.Getenv("NEO4J_URI")),
		User:     strings.TrimSpace(os.Getenv("NEO4J_USER")),
		Password: os.Getenv("NEO4J_PASSWORD"),
		Database: strings.TrimSpace(os.Getenv("NEO4J_DATABASE")),
	}
	for _, v := range []struct {
		key string
		dst *int
	}{{"NEO4J_BATCH_SIZE", &c.BatchSize}, {"NEO4J_MAX_RETRIES", &c.MaxRetries}} {
		s := strings.TrimSpace(os.Getenv(v.key))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, fmt.Errorf("%s=%q: want an integer", v.key, s)
		}
		*v.dst = n
	}
	return c, nil
}

func (c *Config) defaults() {
	if c.URI == "" {
		c.URI = DefaultURI
	}
	if c.User == "" {
		c.User = DefaultUser
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.AbandonAfter == 0 {
		c.AbandonAfter = DefaultAbandonAfter
	}
	if c.ResumeAfter == 0 {
		c.ResumeAfter = DefaultResumeAfter
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Store is a graph.Store on Neo4j. It is safe for concurrent use.
type Store struct {
	drv neo4j.DriverWithContext
	cfg Config
	log *slog.Logger
	// crashAt, when set (by tests), is called at named points of FinishRun
	// ("applying", then after every batch of "nodes", "edges" and "sweep",
	// then "complete"); an error stops FinishRun there, as a crash would.
	crashAt func(step string) error
	// staged remembers the node IDs this Store staged, per run.
	staged stagedIDs
}

var _ graph.Store = (*Store)(nil)

// Open connects to Neo4j, checks the credentials, applies the schema
// migrations this build needs, finishes the runs a FinishRun left applying
// (ResumeApplying), marks stale active runs abandoned (AbandonStale) and
// deletes what is left of failed and abandoned runs' staging. A run that
// cannot be resumed is logged and left applying; it does not stop Open.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.defaults()
	if cfg.Password == "" {
		return nil, fmt.Errorf("neo4j at %s: no password: set NEO4J_PASSWORD", redactURI(cfg.URI))
	}
	drv, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""),
		func(c *config.Config) {
			c.SocketConnectTimeout = 5 * time.Second
			c.ConnectionAcquisitionTimeout = 30 * time.Second
			// Long enough for transient conflicts; short enough that a server
			// that went away is reported in seconds, not minutes.
			c.MaxTransactionRetryTime = 20 * time.Second
			c.FetchSize = 1000
		})
	if err != nil {
		return nil, fmt.Errorf("neo4j at %s: %w", redactURI(cfg.URI), err)
	}
	s := &Store{drv: drv, cfg: cfg, log: cfg.Logger, staged: stagedIDs{seed: maphash.MakeSeed()}}
	if err := s.verify(ctx); err != nil {
		_ = drv.Close(context.Background())
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		_ = drv.Close(context.Background())
		return nil, fmt.Errorf("neo4j at %s: migrate schema: %w", redactURI(cfg.URI), err)
	}
	if _, err := s.ResumeApplying(ctx); err != nil {
		s.log.Error("some sync runs left applying could not be finished; FinishRun retries them", "error", err)
	}
	if cfg.AbandonAfter > 0 {
		if _, err := s.AbandonStale(ctx, cfg.AbandonAfter); err != nil {
			_ = drv.Close(context.Background())
			return nil, fmt.Errorf("neo4j at %s: %w", redactURI(cfg.URI), err)
		}
	}
	if err := s.purgeLeftovers(ctx); err != nil {
		_ = drv.Close(context.Background())
		return nil, fmt.Errorf("neo4j at %s: %w", redactURI(cfg.URI), err)
	}
	return s, nil
}

// verify checks connectivity, credentials and the database, and turns the
// driver's errors into ones that say what to do.
func (s *Store) verify(ctx context.Context) error {
	vctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err := s.drv.VerifyConnectivity(vctx)
	if err == nil {
		_, err = s.read(vctx, func(tx neo4j.ManagedTransaction) (any, error) {
			res, err := tx.Run(vctx, "RETURN 1", nil)
			if err != nil {
				return nil, err
			}
			return res.Consume(vctx)
		})
	}
	if err == nil {
		return nil
	}
	return s.explain(err)
}

// passwordFrom names where the password came from.
func (s *Store) passwordFrom() string {
	if s.cfg.PasswordFrom != "" {
		return s.cfg.PasswordFrom
	}
	return "NEO4J_PASSWORD"
}

// explain rewrites a connection-time error; the password is never printed.
func (s *Store) explain(err error) error {
	var ne *db.Neo4jError
	if errors.As(err, &ne) {
		switch {
		case ne.IsAuthenticationFailed():
			return fmt.Errorf("neo4j at %s: authentication failed for user %q: check %s (%s)",
				redactURI(s.cfg.URI), s.cfg.User, s.passwordFrom(), ne.Code)
		case ne.Code == "Neo.ClientError.Security.AuthenticationRateLimit":
			return fmt.Errorf("neo4j at %s: too many failed logins for user %q: wait, then check %s (%s)",
				redactURI(s.cfg.URI), s.cfg.User, s.passwordFrom(), ne.Code)
		case ne.Code == "Neo.ClientError.Database.DatabaseNotFound":
			return fmt.Errorf("neo4j at %s: database %q does not exist: check NEO4J_DATABASE (%s)",
				redactURI(s.cfg.URI), s.cfg.Database, ne.Code)
		}
		return fmt.Errorf("neo4j at %s: %w", redactURI(s.cfg.URI), err)
	}
	var ae *neo4j.InvalidAuthenticationError
	if errors.As(err, &ae) {
		return fmt.Errorf("neo4j at %s: authentication failed for user %q: check %s",
			redactURI(s.cfg.URI), s.cfg.User, s.passwordFrom())
	}
	if Unreachable(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("neo4j at %s: cannot connect: is it running? (deploy/neo4j/neo4j.sh start): %w",
			redactURI(s.cfg.URI), err)
	}
	return fmt.Errorf("neo4j at %s: %w", redactURI(s.cfg.URI), err)
}

// Close releases the driver's connections.
func (s *Store) Close() error { return s.drv.Close(context.Background()) }

// Driver returns the underlying driver, for Cypher queries outside the
// Store interface (analysis in Cypher, admin tools).
func (s *Store) Driver() neo4j.DriverWithContext { return s.drv }

// Database returns the configured database name ("" for the default).
func (s *Store) Database() string { return s.cfg.Database }

func (s *Store) session(ctx context.Context, mode neo4j.AccessMode) neo4j.SessionWithContext {
	return s.drv.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.cfg.Database, AccessMode: mode})
}

// tooManyRetriesError ends a managed transaction that has been retried
// Config.MaxRetries times; it is not retryable, so the driver gives up.
type tooManyRetriesError struct {
	attempts int
	last     error
}

func (e *tooManyRetriesError) Error() string {
	if e.last == nil {
		return fmt.Sprintf("gave up after %d attempts that failed to commit", e.attempts)
	}
	return fmt.Sprintf("gave up after %d attempts: %v", e.attempts, e.last)
}

func (e *tooManyRetriesError) Unwrap() error { return e.last }

// write runs fn in a managed write transaction, retried by the driver on
// transient errors at most Config.MaxRetries times.
func (s *Store) write(ctx context.Context, fn func(tx neo4j.ManagedTransaction) (any, error)) (any, error) {
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(context.Background())
	var attempts atomic.Int32
	var last error
	out, err := sess.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		n := int(attempts.Add(1))
		if n > s.cfg.MaxRetries+1 {
			return nil, &tooManyRetriesError{attempts: n - 1, last: last}
		}
		out, err := fn(tx)
		last = err
		return out, err
	})
	if Unreachable(err) {
		return out, s.explain(err)
	}
	return out, err
}

// Unreachable reports whether err (or an error it wraps) means the Neo4j
// server could not be reached, directly or after the driver's retries.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ce *neo4j.ConnectivityError
	if errors.As(err, &ce) {
		return true
	}
	var tel *neo4j.TransactionExecutionLimit
	if errors.As(err, &tel) {
		for _, e := range tel.Errors {
			if errors.As(e, &ce) {
				return true
			}
		}
	}
	return false
}

// read runs fn in a managed read transaction.
func (s *Store) read(ctx context.Context, fn func(tx neo4j.ManagedTransaction) (any, error)) (any, error) {
	sess := s.session(ctx, neo4j.AccessModeRead)
	defer sess.Close(context.Background())
	out, err := sess.ExecuteRead(ctx, fn)
	if Unreachable(err) {
		return out, s.explain(err)
	}
	return out, err
}

// redactURI drops any user:password part of a URI before it is printed.
func redactURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		return uri
	}
	u.User = nil
	return u.String()
}
