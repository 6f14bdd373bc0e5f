package cypher

import (
	"context"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// DefaultTimeout bounds one query when the context has no earlier deadline.
const DefaultTimeout = 2 * time.Minute

// Engine answers the analysis questions in Cypher. It is safe for
// concurrent use.
type Engine struct {
	drv neo4j.DriverWithContext
	db  string
	// Timeout bounds each query (server-side transaction timeout too);
	// zero means DefaultTimeout. An earlier context deadline wins.
	Timeout time.Duration
}

// New returns an engine reading database (empty: the server's default)
// through driver. graph/neo4jstore's Store.Driver and Store.Database give
// both.
func New(driver neo4j.DriverWithContext, database string) *Engine {
	return &Engine{drv: driver, db: database}
}

// read runs fn in a managed read transaction bounded by the engine's
// timeout and ctx's deadline.
func (e *Engine) read(ctx context.Context, fn func(tx neo4j.ManagedTransaction) error) error {
	d := e.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = time.Until(dl)
	}
	if d <= 0 {
		return context.DeadlineExceeded
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	sess := e.drv.NewSession(ctx, neo4j.SessionConfig{DatabaseName: e.db, AccessMode: neo4j.AccessModeRead})
	defer sess.Close(context.Background())
	_, err := sess.ExecuteRead(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		return nil, fn(tx)
	}, neo4j.WithTxTimeout(d))
	return err
}
