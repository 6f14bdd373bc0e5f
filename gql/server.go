package gql

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/gin-gonic/gin"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/accessgraph/accessgraph/gql/generated"
)

// Defaults of Options.
const (
	DefaultComplexityLimit = 5000
	DefaultMaxDepth        = 12
	DefaultMaxBodyBytes    = 1 << 20
)

// Options tunes the GraphQL server. The zero value uses the defaults.
type Options struct {
	// ComplexityLimit is the highest cost an operation may have; connections
	// cost their page size times what each item selects (default 5000).
	ComplexityLimit int
	// MaxDepth is how deep an operation may nest fields (default 12).
	MaxDepth int
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// DisablePlayground stops serving the GraphiQL page at "/".
	DisablePlayground bool
	// DisableIntrospection rejects introspection queries.
	DisableIntrospection bool
	// Token, if set, is required as "Authorization: Bearer <token>" on every
	// /graphql request. Without one, queries are served but mutations (which
	// end sessions and revoke grants) are refused.
	Token string
	// trustedCaller marks the in-process executor (the CLI), which may run
	// mutations without a token: its caller already holds the store.
	trustedCaller bool
}

func (o Options) withDefaults() Options {
	if o.ComplexityLimit <= 0 {
		o.ComplexityLimit = DefaultComplexityLimit
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return o
}

// executableSchema binds r to the generated schema with its cost functions.
func executableSchema(r *Resolver) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: r, Complexity: complexityRoot()})
}

// configurable is what handler.Server and executor.Executor share.
type configurable interface {
	Use(graphql.HandlerExtension)
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	AroundOperations(graphql.OperationMiddleware)
}

// configure applies the same limits, error handling and snapshot pinning to
// the HTTP server and to the in-process executor.
func configure(x configurable, r *Resolver, opt Options) {
	x.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if !opt.DisableIntrospection {
		x.Use(extension.Introspection{})
	}
	x.Use(extension.FixedComplexityLimit(opt.ComplexityLimit))
	x.Use(depthLimit{max: opt.MaxDepth})
	x.SetErrorPresenter(r.presentError)
	x.SetRecoverFunc(r.recoverPanic)
	x.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if opt.Token == "" && !opt.trustedCaller && oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: "mutations need an API " +
				"token: start the server with one (ACCESSGRAPH_API_TOKEN, --api-token-file or server.token) " +
				"and send it as Authorization: Bearer <token>", Extensions: map[string]any{"code": "UNAUTHENTICATED"}}}})
		}
		return next(r.withSnapshot(ctx))
	})
}

// NewHandler returns the GraphQL endpoint alone (GET and POST).
func NewHandler(r *Resolver, opt Options) http.Handler {
	opt = opt.withDefaults()
	srv := handler.New(executableSchema(r))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	configure(srv, r, opt)
	return srv
}

// NewRouter returns a gin engine serving POST and GET /graphql, the GraphiQL
// page at "/" and GET /healthz, with request logging and a body size limit.
// Timeouts belong to the http.Server that serves it.
//
// Limitation: the GraphiQL page loads its scripts and styles from the
// jsDelivr CDN (gqlgen's playground package), so it needs internet access in
// the browser; the /graphql endpoint does not.
func NewRouter(r *Resolver, opt Options) *gin.Engine {
	opt = opt.withDefaults()
	log := r.logger()

	e := gin.New()
	e.Use(requestLogger(log), gin.CustomRecovery(func(c *gin.Context, v any) {
		log.ErrorContext(c.Request.Context(), "http handler panicked", "path", c.Request.URL.Path,
			"panic", fmt.Sprint(v))
		c.AbortWithStatus(http.StatusInternalServerError)
	}))

	gqlHandler := gin.WrapH(NewHandler(r, opt))
	auth := requireToken(opt.Token)
	e.POST("/graphql", auth, limitBody(opt.MaxBodyBytes), gqlHandler)
	e.GET("/graphql", auth, gqlHandler)
	e.OPTIONS("/graphql", gqlHandler)
	e.GET("/healthz", r.healthz)
	if !opt.DisablePlayground {
		e.GET("/", gin.WrapH(playground.Handler("accessgraph", "/graphql")))
	}
	return e
}

// healthz reports the snapshot that answers queries.
func (r *Resolver) healthz(c *gin.Context) {
	var s = r.Snapshots
	if s == nil || s.Load() == nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "no snapshot loaded"})
		return
	}
	st := s.Load().Stats()
	c.JSON(http.StatusOK, gin.H{
		"status":  "ok",
		"version": st.Version,
		"nodes":   st.Nodes,
		"edges":   st.Edges,
		"builtAt": st.BuiltAt,
	})
}

// requestLogger logs one line per request: method, path, status and
// duration. It never logs the query string, the body (variables) or headers
// (Authorization).
func requestLogger(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status == http.StatusServiceUnavailable: // no snapshot yet
			level = slog.LevelWarn
		case status >= http.StatusInternalServerError:
			level = slog.LevelError
		}
		log.Log(c.Request.Context(), level, "http request",
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", status,
			"duration", time.Since(start))
	}
}

// limitBody rejects bodies larger than n bytes with 413, whether or not the
// client declared a Content-Length.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		size := c.Request.ContentLength
		if size <= n {
			body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, n))
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				size = -1
			case err != nil:
				c.AbortWithStatusJSON(http.StatusBadRequest, errorBody("read request body: "+err.Error(), "BAD_REQUEST"))
				return
			default:
				c.Request.Body = io.NopCloser(bytes.NewReader(body))
				c.Next()
				return
			}
		}
		msg := fmt.Sprintf("request body is more than the limit of %d bytes", n)
		if size > 0 {
			msg = fmt.Sprintf("request body is %d bytes, more than the limit of %d", size, n)
		}
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, errorBody(msg, "REQUEST_TOO_LARGE"))
	}
}

// requireToken checks "Authorization: Bearer <token>" in constant time when
// a token is configured.
//
// Without a token the server only listens on loopback (the CLI refuses
// anything else), and then the Host header must name a loopback host too: a
// web page whose DNS name was rebound to 127.0.0.1 sends its own name as the
// Host, and would otherwise read the whole access graph from a browser on
// the analyst's machine.
func requireToken(token string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token == "" {
			if !loopbackHost(c.Request.Host) {
				c.AbortWithStatusJSON(http.StatusForbidden, errorBody(fmt.Sprintf(
					"Host %q is not a loopback name: without an API token this server answers only requests "+
						"addressed to localhost, 127.0.0.1 or [::1] (set ACCESSGRAPH_API_TOKEN to serve other names)",
					c.Request.Host), "FORBIDDEN_HOST"))
				return
			}
			c.Next()
			return
		}
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="accessgraph"`)
			c.AbortWithStatusJSON(http.StatusUnauthorized,
				errorBody("missing or wrong API token: send Authorization: Bearer <token>", "UNAUTHENTICATED"))
			return
		}
		c.Next()
	}
}

// loopbackHost reports whether a Host header (name or address, with or
// without a port) names this machine's loopback interface.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errorBody is a GraphQL-shaped error response for transport failures.
func errorBody(msg, code string) gin.H {
	return gin.H{"errors": []gin.H{{"message": msg, "extensions": gin.H{"code": code}}}}
}

// Execute runs one GraphQL document in process (for `accessgraph query`)
// with the default Options and returns the JSON response. When the response
// carries errors, Execute returns it together with an error listing them, so
// that a caller can print the body and fail.
func Execute(ctx context.Context, r *Resolver, query string, vars map[string]any) ([]byte, error) {
	return ExecuteWith(ctx, r, Options{}, query, vars)
}

// ExecuteWith is Execute under opt's limits (ComplexityLimit, MaxDepth;
// zero fields take the defaults). The HTTP-only fields (token, body size,
// playground) do not apply: the in-process caller already holds the store,
// so it may run mutations.
func ExecuteWith(ctx context.Context, r *Resolver, opt Options, query string, vars map[string]any) ([]byte, error) {
	opt.trustedCaller = true
	exec := executor.New(executableSchema(r))
	configure(exec, r, opt.withDefaults())

	ctx = graphql.StartOperationTrace(ctx)
	params := &graphql.RawParams{Query: query, Variables: vars}
	params.ReadTime = graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}

	var resp *graphql.Response
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp = exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
	} else {
		h, octx := exec.DispatchOperation(ctx, oc)
		resp = h(octx)
	}

	body, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	if len(resp.Errors) > 0 {
		return body, fmt.Errorf("graphql: %w", resp.Errors)
	}
	return body, nil
}
