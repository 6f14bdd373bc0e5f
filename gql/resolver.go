package gql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/idp"
	"github.com/accessgraph/accessgraph/ingest/schedule"
	"github.com/accessgraph/accessgraph/remediate/review"
)

// Engine answers the three analysis questions. The projection snapshot
// satisfies it through ProjectionEngine; another package can plug a Cypher
// engine on Neo4j into Resolver.Cypher. Both must give the same answers.
type Engine interface {
	// BlastRadius returns every resource q.From reaches. An unknown ID
	// returns an error wrapping graph.ErrNotFound.
	BlastRadius(ctx context.Context, q projection.BlastRadiusQuery) (*projection.BlastRadiusResult, error)
	// PathsDetailed returns distinct simple paths from q.From to q.To,
	// shortest first, at most q.MaxPaths of them, and whether the search
	// stopped at its work bound before trying every path (Truncated;
	// reaching MaxPaths is not reported there: the caller asks for one more).
	PathsDetailed(ctx context.Context, q projection.PathsQuery) (*projection.PathsResult, error)
	// WhoCanReach returns every principal that reaches q.Resource.
	WhoCanReach(ctx context.Context, q projection.WhoCanReachQuery) (*projection.WhoCanReachResult, error)
}

// ProjectionEngine adapts a projection snapshot to Engine.
type ProjectionEngine struct {
	// Snapshot answers the queries; it must not be nil.
	Snapshot *projection.Snapshot
}

var _ Engine = ProjectionEngine{}

// BlastRadius implements Engine.
func (e ProjectionEngine) BlastRadius(
	_ context.Context, q projection.BlastRadiusQuery,
) (*projection.BlastRadiusResult, error) {
	return e.Snapshot.BlastRadius(q)
}

// PathsDetailed implements Engine.
func (e ProjectionEngine) PathsDetailed(_ context.Context, q projection.PathsQuery) (*projection.PathsResult, error) {
	return e.Snapshot.PathsDetailed(q)
}

// WhoCanReach implements Engine.
func (e ProjectionEngine) WhoCanReach(
	_ context.Context, q projection.WhoCanReachQuery,
) (*projection.WhoCanReachResult, error) {
	return e.Snapshot.WhoCanReach(q)
}

// Resolver is the root of the GraphQL resolvers and holds their
// dependencies.
type Resolver struct {
	// Snapshots holds the current projection snapshot. Each operation reads
	// the snapshot that is current when it starts, for all its fields.
	Snapshots *projection.Holder
	// Store answers syncRuns; it may be nil, and syncRuns then fails with
	// code UNAVAILABLE.
	Store graph.Store
	// Cypher is the optional second engine for engine: CYPHER; nil until a
	// Cypher engine is plugged in.
	Cypher Engine
	// Syncs reports sync runs in progress; nil without a scheduler.
	Syncs ActiveSyncs
	// IDP is accessgraph's OIDC provider; nil when it is not configured.
	IDP IdentityProvider
	// AfterIDPChange, if set, runs after a control call ended something, so
	// the graph (and the next snapshot) show it gone.
	AfterIDPChange func(ctx context.Context) error
	// Logger receives server faults; nil means slog.Default().
	Logger *slog.Logger
	// Review serves reviewQueue, riskScore and decide; nil: UNAVAILABLE.
	Review *review.Service
	// ReviewActor names the caller of decide; nil: "graphql".
	ReviewActor ReviewActor
}

// IdentityProvider is the control surface of accessgraph's OIDC provider
// (package idp).
type IdentityProvider interface {
	ListIdentityState(ctx context.Context, subject string) (*idp.IdentityState, error)
	EndSessions(ctx context.Context, subject string) (*idp.ControlResult, error)
	RevokeGrant(ctx context.Context, grantID string) (*idp.ControlResult, error)
	RevokeAll(ctx context.Context, subject string) (*idp.ControlResult, error)
}

// control runs one provider control call, logs it, and refreshes the graph.
func (r *Resolver) control(ctx context.Context, op, target string,
	call func(context.Context, string) (*idp.ControlResult, error)) (idp.ControlResult, error) {
	if r.IDP == nil {
		return idp.ControlResult{}, errNoIDP
	}
	res, err := call(ctx, target)
	if errors.Is(err, idp.ErrUnknownGrant) {
		return idp.ControlResult{}, &NotFoundError{What: "grant", ID: target}
	}
	if err != nil {
		return idp.ControlResult{}, fmt.Errorf("%s %q: %w", op, target, err)
	}
	r.logger().InfoContext(ctx, "identity provider control", "op", op, "ended", len(res.Ended),
		"verified", res.Verification.OK)
	if r.AfterIDPChange != nil && len(res.Ended) > 0 {
		if err := r.AfterIDPChange(ctx); err != nil {
			r.logger().ErrorContext(ctx, "refresh the graph after a control call", "op", op, "err", err)
		}
	}
	return *res, nil
}

// ActiveSyncs reports the sync runs in progress (ingest/schedule.Scheduler).
type ActiveSyncs interface {
	Active() []schedule.Progress
}

func (r *Resolver) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

type snapshotKey struct{}

// withSnapshot pins the current snapshot into ctx for one operation, so that
// every field of a response reads the same version.
func (r *Resolver) withSnapshot(ctx context.Context) context.Context {
	if r.Snapshots == nil {
		return ctx
	}
	return context.WithValue(ctx, snapshotKey{}, r.Snapshots.Load())
}

// snapshot returns the snapshot pinned for the operation, or the current one.
func (r *Resolver) snapshot(ctx context.Context) (*projection.Snapshot, error) {
	if s, ok := ctx.Value(snapshotKey{}).(*projection.Snapshot); ok && s != nil {
		return s, nil
	}
	if r.Snapshots != nil {
		if s := r.Snapshots.Load(); s != nil {
			return s, nil
		}
	}
	return nil, errNoSnapshot
}
