package bff

// Over 400 lines: the only file that knows Fiber (routes, CORS, request ids, the access log,
// how answers are written); the rest of the package sees an *exchange.

// The only file that knows Fiber: the routes, the middleware around them, and how an answer
// is written. Handlers elsewhere see an *exchange.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// Paths the BFF adds to the contract's.
const (
	PathCheckout = "/bff/v1/checkout" // GET: the widget's whole view
	PathSession  = "/bff/v1/session"  // POST: sign in and the view, in one exchange
	PathBeacon   = "/bff/v1/beacon"   // POST: the widget failed in a shopper's browser
	PathOrder    = "/bff/v1/order"    // POST: the shopper's order was placed at the store
	PathApplied  = "/bff/v1/applied"  // POST: the store's cart holds the shopper's coupon
)

// front is the Fiber application that serves the BFF.
type front struct{ app *fiber.App }

func (f *front) serve(ln net.Listener) error         { return f.app.Listener(ln) }
func (f *front) shutdown(ctx context.Context) error  { return f.app.ShutdownWithContext(ctx) }
func (f *front) handler() func(*fasthttp.RequestCtx) { return f.app.Handler() }

// routes builds the application: every route, the widget's included, and last the enveloped
// 404. It is called once, by New: there is no order of calls after it that could break a
// route.
func (s *Server) routes() *front {
	o := s.o
	app := fiber.New(fiber.Config{
		AppName:               "loyalty-bff",
		BodyLimit:             o.BodyLimit,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		IdleTimeout:           o.IdleTimeout,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
	})
	app.Use(s.withRequestID)
	app.Use(s.logRequests)
	app.Use(recover.New()) // inside the logger: a panic is answered in the envelope and logged
	// Preflights name no tenant, so they are answered for the union of every tenant's exact
	// origins; the real request is then held to its own tenant's origins (withTenant).
	app.Use(cors.New(cors.Config{
		AllowOriginsFunc: func(origin string) bool { return s.tenants.Load().origins[origin] },
		AllowMethods:     "GET,POST,OPTIONS",
		AllowHeaders:     "Content-Type,X-Bq-Tenant,X-Bq-SecureToken",
		ExposeHeaders:    "X-Request-ID,Retry-After,Age",
		MaxAge:           int(o.PreflightMaxAge.Seconds()),
	}))
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		return c.Send(openAPI)
	})

	// The contract's seven paths, as the platform has them.
	for _, r := range []struct {
		platform.Endpoint
		h    func(*exchange) error
		auth bool
	}{
		{platform.Endpoint{Method: "POST", Path: platform.PathLogin}, s.login, false},
		{platform.Endpoint{Method: "GET", Path: platform.PathRewards}, s.listRewards, true},
		{platform.Endpoint{Method: "GET", Path: platform.PathRedeemed}, s.listRedeemed, true},
		{platform.Endpoint{Method: "POST", Path: platform.PathRedeem}, s.redeemer(redeemReward), true},
		{platform.Endpoint{Method: "POST", Path: platform.PathUseRedeemed}, s.redeemer(useRedeemedReward), true},
		{platform.Endpoint{Method: "POST", Path: platform.PathApplied}, s.applied, true},
		{platform.Endpoint{Method: "POST", Path: platform.PathReverse}, s.reverse, true},
	} {
		app.Add(r.Method, fiberPath(r.Path), s.handle(r.auth, r.h))
	}
	app.Get(PathCheckout, s.handle(true, s.checkout))
	app.Post(PathSession, s.handle(false, s.newSession))
	app.Post(PathOrder, s.handle(true, s.orderPlaced))
	app.Post(PathApplied, s.handle(true, s.couponApplied))
	app.Post(PathBeacon, func(c *fiber.Ctx) error { return s.beacon(&exchange{c: c}) })
	if w := s.widget; w != nil {
		app.Get("/widget.js", s.asset(w.js, "public, max-age=300"))
		app.Get("/"+w.name, s.asset(w.js, "public, max-age=31536000, immutable"))
		app.Get("/"+w.name+".map", s.asset(w.sourceMap, "public, max-age=31536000, immutable"))
		if w.types != nil {
			app.Get("/loyalty-widget.d.ts", s.asset(w.types, "public, max-age=300"))
		}
		app.Get("/widget.json", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
			c.Set(fiber.HeaderCacheControl, "no-cache")
			return c.JSON(w.manifest)
		})
	}
	for _, r := range o.extraRoutes { // tests only
		app.Add(r.method, r.path, func(c *fiber.Ctx) error { return r.h(&exchange{c: c}) })
	}
	app.Use(func(c *fiber.Ctx) error {
		return &HTTPError{Code: http.StatusNotFound, ErrorCode: CodeNotFound, Msg: "No such path: " + c.Method() + " " + c.Path()}
	})
	return &front{app: app}
}

// fiberPath writes a ServeMux pattern's {name} as Fiber's :name.
func fiberPath(pattern string) string {
	if p := platform.Param(pattern); p != "" {
		return strings.Replace(pattern, "{"+p+"}", ":"+p, 1)
	}
	return pattern
}

// exchange is one request and its answer, as the handlers see them. Strings it returns are
// valid during the request only (Fiber reuses its buffers): copy what must outlive it.
type exchange struct {
	c    *fiber.Ctx
	t    *tenant
	sess session
	// the shopper's generation in Redis, read once per request (generationOf)
	gen     int64
	genRead bool
}

func (x *exchange) header(name string) string { return x.c.Get(name) }
func (x *exchange) query(name string) string  { return x.c.Query(name) }
func (x *exchange) param(name string) string  { return x.c.Params(name) }
func (x *exchange) body() []byte              { return x.c.Body() }
func (x *exchange) ctx() context.Context      { return x.c.UserContext() }
func (x *exchange) requestID() string         { return requestID(x.c) }

// quiet leaves this request out of the access log (the beacon writes its own line, when the
// client may have one).
func (x *exchange) quiet() { x.c.Locals(ctxQuiet, true) }

// setAge says the answer is made of a stale copy that old (the Age header, in seconds).
func (x *exchange) setAge(age time.Duration) {
	x.c.Set(fiber.HeaderAge, strconv.Itoa(max(1, int(age.Round(time.Second)/time.Second))))
}

// noContent answers 204.
func (x *exchange) noContent() error { x.c.Status(http.StatusNoContent); return nil }

// send answers with a JSON payload, compressed as the client accepts when it is big enough.
// The payload's bytes are written as they are (no copy): they never change.
func (x *exchange) send(status int, p *payload) error {
	c := x.c
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	body, enc := p.encoded(acceptedEncoding(c.Get(fiber.HeaderAcceptEncoding)))
	if p.compressible() {
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	}
	if enc != identity {
		c.Set(fiber.HeaderContentEncoding, enc.String())
	}
	c.Response().SetBodyRaw(body)
	return nil
}

// handle wraps a handler: the tenant (X-Bq-Tenant, and the page's origin held to the
// tenant's), then, when auth, the shopper's session from the BFF token.
func (s *Server) handle(auth bool, h func(*exchange) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		x := &exchange{c: c}
		if herr := s.withTenant(x); herr != nil {
			return herr
		}
		if auth {
			tok := c.Get(platform.HeaderToken)
			if tok == "" {
				return unauthorized("Sign in again: the X-Bq-SecureToken header is missing.", nil)
			}
			sess, err := s.session(tok, x.t.cfg.Key)
			if err != nil {
				return unauthorized("Sign in again: the session token is invalid or expired.", err)
			}
			x.sess = sess
			if herr := s.shopperAllowed(x); herr != nil {
				return herr
			}
		}
		return h(x)
	}
}

// clientAddr is the client's address: from the trusted proxy's header when one is
// configured (TrustedProxyHeader), else the connection's.
func (s *Server) clientAddr(x *exchange) string {
	h := ""
	if s.o.TrustedProxyHeader != "" {
		h = x.header(s.o.TrustedProxyHeader)
	}
	return realClientAddr(h, x.c.IP())
}

// withTenant resolves X-Bq-Tenant and holds a browser's request to the tenant's own origins.
func (s *Server) withTenant(x *exchange) *HTTPError {
	key := x.header(platform.HeaderTenant)
	if key == "" {
		return badRequest(CodeMissingTenant, "The X-Bq-Tenant header (the store's public key) is required.")
	}
	t := s.tenant(key)
	if t == nil {
		return &HTTPError{Code: http.StatusNotFound, ErrorCode: CodeUnknownTenant, Msg: "Unknown store (X-Bq-Tenant)."}
	}
	if origin := x.header("Origin"); origin != "" && !t.origins[origin] {
		return &HTTPError{Code: http.StatusForbidden, ErrorCode: CodeOriginNotAllowed, Msg: "This page's origin is not allowed for this store."}
	}
	x.t = t
	return nil
}

// asset serves one of the widget's files, precompressed: brotli or gzip as the client
// accepts, with Vary, a strong ETag per encoding, and 304 for a matching If-None-Match. Any
// page may load them (Access-Control-Allow-Origin: *), so <script integrity=...
// crossorigin="anonymous"> works.
func (s *Server) asset(f *staticFile, cacheControl string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body, enc := f.encoded(acceptedEncoding(c.Get(fiber.HeaderAcceptEncoding)))
		etag := f.etag(enc)
		c.Set(fiber.HeaderContentType, f.contentType)
		c.Set(fiber.HeaderCacheControl, cacheControl)
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
		c.Set(fiber.HeaderETag, etag)
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		c.Set("Cross-Origin-Resource-Policy", "cross-origin")
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatches(inm, etag) {
			c.Status(http.StatusNotModified)
			return nil
		}
		if enc != identity {
			c.Set(fiber.HeaderContentEncoding, enc.String())
		}
		c.Response().SetBodyRaw(body)
		return nil
	}
}

// healthz says the process is alive, and which build it is: the BFF's version and commit and
// the widget's version, so an operator can tell replicas apart.
func (s *Server) healthz(c *fiber.Ctx) error {
	h := fiber.Map{"status": "ok", "version": s.o.Build.Version, "commit": s.o.Build.Commit}
	if s.o.Widget != nil {
		h["widget"] = s.o.Widget.Version
	}
	return c.JSON(h)
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if !s.ready.Load() {
		return c.Status(http.StatusServiceUnavailable).JSON(fiber.Map{"status": "shutting down"})
	}
	return c.JSON(fiber.Map{"status": "ready", "tenants": len(s.tenants.Load().byKey)})
}

// requestIDs makes a server's request ids: its start time, 64 random bits drawn at start (so
// replicas, even ones started in the same millisecond, never share ids), and a sequence. A
// client's X-Request-ID is never used as ours: ids would collide, or be forged to blend into
// someone else's requests in the logs.
type requestIDs struct {
	prefix string
	seq    atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &requestIDs{prefix: strconv.FormatInt(time.Now().UnixMilli(), 36) + "-" + hex.EncodeToString(b) + "-"}
}

func (r *requestIDs) next() string { return r.prefix + strconv.FormatUint(r.seq.Add(1), 36) }

// clientRequestIDRe is what a client's own X-Request-ID must look like to be logged beside
// ours; anything else (too long, spaces, control characters) is dropped.
var clientRequestIDRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestID gives every request our own id, answered in X-Request-ID, and keeps a
// well-formed client id to be logged as client_request_id.
func (s *Server) withRequestID(c *fiber.Ctx) error {
	id := s.ids.next()
	c.Locals(ctxRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	if cid := c.Get(fiber.HeaderXRequestID); cid != "" && clientRequestIDRe.MatchString(cid) {
		c.Locals(ctxClientRequestID, strings.Clone(cid))
	}
	return c.Next()
}

// routeLabel names a request's route for the metrics: its pattern, "preflight" for a CORS
// preflight (answered before any route) and "unmatched" for a path that has none (the 404).
func routeLabel(c *fiber.Ctx, status int) string {
	if c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderOrigin) != "" && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		return "preflight"
	}
	if r := c.Route().Path; r != "/" || status != http.StatusNotFound {
		return r
	}
	return "unmatched"
}

// logRequests logs one line per request, after the error handler has set the status. Tokens
// are never logged: only the method, the path (no query), the status and the tenant.
func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	status := c.Response().StatusCode()
	tenant := c.Get(platform.HeaderTenant)
	tenantKey := tenant
	if s.tenant(tenantKey) == nil {
		tenantKey = "" // not one of ours: a client must not make up label values
	}
	s.metrics.answered(tenantKey, routeLabel(c, status), status, time.Since(start))
	if quiet, _ := c.Locals(ctxQuiet).(bool); quiet {
		return nil
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	var buf [7]slog.Attr // on the stack: the line is written before this returns
	attrs := append(buf[:0], slog.String("request_id", requestID(c)))
	if cid := clientRequestID(c); cid != "" {
		attrs = append(attrs, slog.String("client_request_id", cid))
	}
	attrs = append(attrs, slog.String("method", c.Method()), slog.String("path", c.Path()),
		slog.Int("status", status), slog.Duration("duration", time.Since(start)), slog.String("tenant", tenant))
	s.log.LogAttrs(c.UserContext(), level, "request", attrs...)
	return nil
}

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxClientRequestID
	ctxQuiet
)

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(ctxRequestID).(string)
	return id
}

func clientRequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(ctxClientRequestID).(string)
	return id
}

// handleError answers any error in the envelope. The client sees HTTPError.Msg only; causes go
// to the log.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	var he *HTTPError
	var fe *fiber.Error
	switch {
	case errors.As(err, &he):
	case errors.As(err, &fe):
		he = fiberError(fe)
	default:
		he = &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
	}
	if he.Err != nil || he.Code >= 500 {
		attrs := []any{"request_id", requestID(c)}
		if cid := clientRequestID(c); cid != "" {
			attrs = append(attrs, "client_request_id", cid)
		}
		s.log.Warn("request failed", append(attrs, "path", c.Path(), "status", he.Code, "code", he.ErrorCode, "err", he.Err)...)
	}
	if he.RetryAfter != "" {
		c.Set("Retry-After", he.RetryAfter)
	}
	if he.Code == http.StatusTooManyRequests {
		tenantKey := c.Get(platform.HeaderTenant)
		if s.tenant(tenantKey) == nil {
			tenantKey = ""
		}
		s.metrics.rateLimitedSent(tenantKey, he.ErrorCode)
	}
	if c.GetRespHeader(fiber.HeaderXRequestID) == "" { // refused before the middleware ran (413)
		c.Set(fiber.HeaderXRequestID, s.ids.next())
	}
	c.Response().Header.Del(fiber.HeaderContentEncoding)
	c.Status(he.Code)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(errorBody(he))
}

func fiberError(fe *fiber.Error) *HTTPError {
	switch fe.Code {
	case http.StatusRequestEntityTooLarge:
		return &HTTPError{Code: fe.Code, ErrorCode: CodeBodyTooLarge, Msg: "The request body is too large."}
	case http.StatusNotFound:
		return &HTTPError{Code: fe.Code, ErrorCode: CodeNotFound, Msg: "No such path."}
	case http.StatusMethodNotAllowed:
		return &HTTPError{Code: fe.Code, ErrorCode: CodeMethodNotAllowed, Msg: "Method not allowed on this path."}
	case http.StatusRequestTimeout:
		return &HTTPError{Code: fe.Code, ErrorCode: CodeBadRequest, Msg: "The request took too long to arrive."}
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return &HTTPError{Code: fe.Code, ErrorCode: CodeBadRequest, Msg: "Bad request."}
	}
	return &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: fe}
}
