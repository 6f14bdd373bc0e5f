package gql

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/neo4jstore"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// Error codes put in extensions.code of GraphQL errors.
const (
	CodeNotFound        = "NOT_FOUND"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeStaleCursor     = "STALE_CURSOR"
	CodeUnavailable     = "UNAVAILABLE"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
	CodeDepthLimit      = "DEPTH_LIMIT_EXCEEDED"
	CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
)

// NotFoundError reports an ID that is not in the snapshot.
type NotFoundError struct {
	// ID is the unknown node ID.
	ID string
	// What names the kind of thing when it is not a node (e.g. "grant").
	What string
}

// Error implements error.
func (e *NotFoundError) Error() string {
	if e.What != "" {
		return fmt.Sprintf("no %s with id %q", e.What, e.ID)
	}
	return fmt.Sprintf("no node with id %q (search by name with search(text:...))", e.ID)
}

// Unwrap lets errors.Is(err, graph.ErrNotFound) match.
func (e *NotFoundError) Unwrap() error { return graph.ErrNotFound }

// InputError reports an invalid argument.
type InputError struct {
	// Argument names the argument, as spelled in the schema.
	Argument string
	// Reason says what was wrong and what was expected.
	Reason string
}

// Error implements error.
func (e *InputError) Error() string { return e.Argument + ": " + e.Reason }

func inputErrorf(arg, format string, args ...any) error {
	return &InputError{Argument: arg, Reason: fmt.Sprintf(format, args...)}
}

// StaleCursorError reports a cursor issued on another snapshot version.
type StaleCursorError struct {
	// Argument names the argument that carried the cursor.
	Argument string
	// Cursor is the version the cursor was issued on; Current is the
	// version answering now.
	Cursor, Current uint64
}

// Error implements error.
func (e *StaleCursorError) Error() string {
	return fmt.Sprintf("cursor is from snapshot version %d, current is %d: restart pagination",
		e.Cursor, e.Current)
}

// UnavailableError reports a missing dependency: no snapshot, no store or no
// engine for the requested kind.
type UnavailableError struct {
	// Reason says what is missing.
	Reason string
}

// Error implements error.
func (e *UnavailableError) Error() string { return e.Reason }

var (
	errNoSnapshot = &UnavailableError{Reason: "no graph snapshot is loaded yet: run a sync first"}
	errNoStore    = &UnavailableError{Reason: "sync runs need a graph store, and this server has none"}
	errNoCypher   = &UnavailableError{Reason: "cypher engine needs --neo4j"}
	errNoIDP      = &UnavailableError{Reason: "the OIDC provider is not configured on this server (idp: in the configuration file)"}
)

// presentError is the one place where domain errors become GraphQL errors:
// it sets extensions.code (and extensions.argument for bad input) and logs
// server faults.
func (r *Resolver) presentError(ctx context.Context, err error) *gqlerror.Error {
	ge := graphql.DefaultErrorPresenter(ctx, err)
	if ge.Extensions == nil {
		ge.Extensions = map[string]any{}
	}
	if _, ok := ge.Extensions["code"]; ok {
		return ge // already classified, e.g. by gqlgen's validation
	}

	var (
		inErr    *InputError
		stale    *StaleCursorError
		unavail  *UnavailableError
		notFound *NotFoundError
	)
	switch {
	case errors.As(err, &inErr):
		ge.Extensions["code"] = CodeBadUserInput
		ge.Extensions["argument"] = inErr.Argument
	case errors.Is(err, projection.ErrBadQuery):
		ge.Extensions["code"] = CodeBadUserInput
	case errors.As(err, &stale):
		ge.Extensions["code"] = CodeStaleCursor
		ge.Extensions["argument"] = stale.Argument
	case errors.As(err, &notFound), errors.Is(err, graph.ErrNotFound):
		ge.Extensions["code"] = CodeNotFound
	case errors.As(err, &unavail):
		ge.Extensions["code"] = CodeUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		ge.Extensions["code"] = CodeUnavailable
	default:
		// The detail (store paths, driver errors) stays in the server's log,
		// under an id the client can quote. It is read before the message is
		// replaced: ge may be err itself.
		detail := ge.Message
		if ge.Err != nil {
			detail = ge.Err.Error()
		}
		id := errorID()
		ge.Extensions["code"] = CodeInternal
		if neo4jstore.Unreachable(err) {
			// The store or the Cypher engine lost Neo4j: the client may retry.
			ge.Extensions["code"] = CodeUnavailable
		}
		ge.Extensions["errorId"] = id
		ge.Message = "internal error (id " + id + "): see the server log"
		if ge.Extensions["code"] == CodeUnavailable {
			ge.Message = "the graph database is unavailable (id " + id + "): see the server log"
		}
		r.logger().ErrorContext(ctx, "graphql resolver failed", "error_id", id, "path", ge.Path.String(),
			"err", detail)
	}
	return ge
}

// errorID returns a short random id that ties a client's error to a log line.
func errorID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recoverPanic turns a resolver panic into an internal error and logs it.
func (r *Resolver) recoverPanic(ctx context.Context, v any) error {
	r.logger().ErrorContext(ctx, "graphql resolver panicked", "panic", fmt.Sprint(v))
	return errors.New("internal server error")
}
