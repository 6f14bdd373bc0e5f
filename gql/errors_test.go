package gql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// A server fault reaches the client as an id and reaches the log with its
// cause: gqlgen hands the presenter the *gqlerror.Error it returns, so the
// cause must be read before the message is replaced. A lost Neo4j is
// UNAVAILABLE (the client may retry), not INTERNAL.
func TestPresentErrorLogsTheCause(t *testing.T) {
	var buf bytes.Buffer
	r := &Resolver{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter,
		graphql.DefaultRecover)
	cause := errors.New("bolt read: connection reset by peer")
	ge := r.presentError(ctx, gqlerror.WrapPath(ast.Path{ast.PathName("blastRadius")}, cause))
	require.Equal(t, CodeInternal, ge.Extensions["code"])
	id, _ := ge.Extensions["errorId"].(string)
	require.Len(t, id, 12)
	require.Equal(t, "internal error (id "+id+"): see the server log", ge.Message)
	require.Contains(t, buf.String(), "connection reset by peer")
	require.Contains(t, buf.String(), "error_id="+id)

	buf.Reset()
	lost := fmt.Errorf("cypher blastRadius: %w", &neo4j.ConnectivityError{Inner: errors.New("dial tcp: connection refused")})
	ge = r.presentError(ctx, gqlerror.WrapPath(ast.Path{ast.PathName("blastRadius")}, lost))
	require.Equal(t, CodeUnavailable, ge.Extensions["code"])
	require.Contains(t, ge.Message, "the graph database is unavailable")
	require.Contains(t, buf.String(), "connection refused")
}
