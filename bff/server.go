// Package bff is the backend-for-frontend of the loyalty checkout widget: a drop-in proxy of
// the loyalty platform's /pub/widget API for many stores (tenants). It keeps the platform's
// SecureToken out of the browser (the browser holds the BFF's own signed token, with the
// platform's token sealed inside), adds a localised message to every reward, answers the
// widget's whole checkout view in one round trip, caches listings, and turns upstream faults
// into clear, enveloped errors.
package bff

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// Server is a configured BFF.
type Server struct {
	o       Options
	app     *fiber.App
	tenants map[string]*tenant
	keys    *keyring
	up      *upstream
	cache   *listingCache
	log     *slog.Logger
	ids     *requestIDs
	ready   atomic.Bool
}

// tenant is a store at run time.
type tenant struct {
	cfg     TenantConfig
	base    string // upstream base URL without a trailing slash
	origins map[string]bool
	msgs    *messages
	shield  *shield
}

// New validates the options and builds the server. It does not listen. Keys are required: a
// key made up here would make every replica refuse the others' tokens, so only the caller
// (the all-in-one demo) may choose a random one (RandomKey).
func New(o Options) (*Server, error) {
	o.setDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	keys, err := newKeyring(o.Keys, o.TokenTTL, o.TokenLeeway, o.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, tenants: map[string]*tenant{}, keys: keys, up: newUpstream(&o), cache: newListingCache(o.CacheTTL, o.CacheMaxShoppers),
		log: o.Logger, ids: newRequestIDs()}
	allOrigins := map[string]bool{}
	for _, tc := range o.Tenants {
		t := &tenant{cfg: tc, base: strings.TrimRight(tc.Upstream, "/"), origins: map[string]bool{}, msgs: newMessages(tc), shield: newShield(&o, tc.Key)}
		for _, origin := range tc.AllowedOrigins {
			t.origins[origin] = true
			allOrigins[origin] = true
		}
		s.tenants[tc.Key] = t
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "loyalty-bff",
		BodyLimit:             o.BodyLimit,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		IdleTimeout:           o.IdleTimeout,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
	})
	s.app.Use(s.withRequestID)
	s.app.Use(s.logRequests)
	s.app.Use(recover.New()) // inside the logger: a panic is answered in the envelope and logged
	// Preflights name no tenant, so they are answered for the union of every tenant's exact
	// origins; the real request is then held to its own tenant's origins (withTenant).
	s.app.Use(cors.New(cors.Config{
		AllowOriginsFunc: func(origin string) bool { return allOrigins[origin] },
		AllowMethods:     "GET,POST,OPTIONS",
		AllowHeaders:     "Content-Type,X-Bq-Tenant,X-Bq-SecureToken",
		ExposeHeaders:    "X-Request-ID,Retry-After",
		MaxAge:           600,
	}))
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	s.app.Get("/readyz", s.readyz)

	w := s.app.Group("/pub/widget", s.withTenant)
	w.Post("/vendors/:platform/securelogin", s.login)
	auth := w.Group("", s.withSession)
	auth.Get("/rewards/checkout", s.listAvailable)
	auth.Get("/rewards/checkout/redeemed", s.listRedeemed)
	auth.Post("/rewards/redeem/:id", s.redeemer(redeemReward))
	auth.Post("/rewardredeemed/checkout/redeem/:id", s.redeemer(useRedeemedReward))
	auth.Post("/rewards/checkout", s.applied)
	auth.Post("/rewards/checkout/:id/reverse", s.reverse)
	s.app.Get("/bff/v1/checkout", s.withTenant, s.withSession, s.checkout)
	s.ready.Store(true)
	return s, nil
}

// App is the Fiber application, for mounting more routes (the widget's files) before serving.
func (s *Server) App() *fiber.App { return s.app }

// NotFound installs the last handler: an enveloped 404 for every unknown path. Call it after
// every route is mounted.
func (s *Server) NotFound() {
	s.app.Use(func(c *fiber.Ctx) error {
		return &HTTPError{Code: http.StatusNotFound, ErrorCode: CodeNotFound, Msg: "No such path: " + c.Method() + " " + c.Path()}
	})
}

// Serve serves on a listener until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops taking requests (readyz turns 503 at once) and waits for the ones under way.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	return s.app.ShutdownWithContext(ctx)
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if !s.ready.Load() {
		return c.Status(http.StatusServiceUnavailable).JSON(fiber.Map{"status": "shutting down"})
	}
	return c.JSON(fiber.Map{"status": "ready", "tenants": len(s.tenants)})
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
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("request_id", requestID(c))}
	if cid := clientRequestID(c); cid != "" {
		attrs = append(attrs, slog.String("client_request_id", cid))
	}
	attrs = append(attrs, slog.String("method", c.Method()), slog.String("path", c.Path()),
		slog.Int("status", status), slog.Duration("duration", time.Since(start)), slog.String("tenant", c.Get("X-Bq-Tenant")))
	s.log.LogAttrs(c.UserContext(), level, "request", attrs...)
	return nil
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(ctxRequestID).(string)
	return id
}

func clientRequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(ctxClientRequestID).(string)
	return id
}

// errorEnvelope is every error's body.
type errorEnvelope struct {
	HasError  bool    `json:"HasError"`
	Message   string  `json:"Message"`
	Item      *string `json:"Item"`
	ErrorCode string  `json:"ErrorCode"`
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
	if c.GetRespHeader(fiber.HeaderXRequestID) == "" { // refused before the middleware ran (413)
		c.Set(fiber.HeaderXRequestID, s.ids.next())
	}
	return c.Status(he.Code).JSON(errorEnvelope{HasError: true, Message: he.Msg, ErrorCode: he.ErrorCode})
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

// withTenant resolves X-Bq-Tenant and holds a browser's request to the tenant's own origins.
func (s *Server) withTenant(c *fiber.Ctx) error {
	key := c.Get("X-Bq-Tenant")
	if key == "" {
		return badRequest(CodeMissingTenant, "The X-Bq-Tenant header (the store's public key) is required.")
	}
	t := s.tenants[key]
	if t == nil {
		return &HTTPError{Code: http.StatusNotFound, ErrorCode: CodeUnknownTenant, Msg: "Unknown store (X-Bq-Tenant)."}
	}
	if origin := c.Get("Origin"); origin != "" && !t.origins[origin] {
		return &HTTPError{Code: http.StatusForbidden, ErrorCode: CodeOriginNotAllowed, Msg: "This page's origin is not allowed for this store."}
	}
	c.Locals(ctxTenant, t)
	return c.Next()
}

// withSession verifies the BFF token against the tenant and keeps the unsealed session.
func (s *Server) withSession(c *fiber.Ctx) error {
	t := c.Locals(ctxTenant).(*tenant)
	tok := c.Get("X-Bq-SecureToken")
	if tok == "" {
		return unauthorized("Sign in again: the X-Bq-SecureToken header is missing.", nil)
	}
	sess, err := s.keys.verify(tok, t.cfg.Key)
	if err != nil {
		return unauthorized("Sign in again: the session token is invalid or expired.", err)
	}
	c.Locals(ctxSession, sess)
	return c.Next()
}

type ctxKey int

const (
	ctxTenant ctxKey = iota
	ctxSession
	ctxRequestID
	ctxClientRequestID
)

func callOf(c *fiber.Ctx) (*tenant, session) {
	return c.Locals(ctxTenant).(*tenant), c.Locals(ctxSession).(session)
}

var platformRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

func (s *Server) login(c *fiber.Ctx) error {
	t := c.Locals(ctxTenant).(*tenant)
	platform := c.Params("platform")
	if !platformRe.MatchString(platform) {
		return badRequest(CodeBadRequest, "The platform in the path must be a lowercase name such as vtex or magazord.")
	}
	fields, herr := jsonObject(c.Body())
	if herr != nil {
		return herr
	}
	creds := map[string]string{}
	for _, f := range []string{"sessionToken", "segmentToken"} {
		v, herr := stringField(fields, f, 4096)
		if herr != nil {
			return herr
		}
		if v == "" {
			return badRequest(CodeBadRequest, "%s is required (the storefront's session values).", f)
		}
		creds[f] = v
	}
	body, _ := json.Marshal(creds)
	reply, herr := s.call(c.UserContext(), t, upstreamCall{method: "POST", url: t.base + "/pub/widget/vendors/" + platform + "/securelogin", body: body})
	if herr != nil {
		return herr
	}
	env, herr := decodeEnvelope(reply)
	if herr != nil {
		return herr
	}
	if reply.status != 200 || env["HasError"] == true {
		return s.relayDecoded(c, t, reply.status, env)
	}
	item, _ := env["Item"].(map[string]any)
	upTok, _ := item["SecureToken"].(string)
	userID, _ := item["UserId"].(string)
	if upTok == "" || userID == "" {
		return badAnswer(errors.New("login answer without SecureToken or UserId"))
	}
	tok, exp, err := s.keys.issue(t.cfg.Key, userID, upTok)
	if err != nil {
		return err
	}
	item["SecureToken"] = tok
	item["ExpiresAt"] = exp.UTC().Format(time.RFC3339)
	return c.Status(200).JSON(env)
}

// purchaseParam validates purchaseValue and returns it in cents; ok is false when absent.
func purchaseParam(c *fiber.Ctx, required bool) (cents int64, ok bool, herr *HTTPError) {
	raw := c.Query("purchaseValue")
	if raw == "" {
		if required {
			return 0, false, badRequest(CodeInvalidPurchase, "purchaseValue is required: the cart's items total, e.g. 149.90.")
		}
		return 0, false, nil
	}
	cents, herr = parseCents(raw)
	return cents, herr == nil, herr
}

// maxPurchaseMicros is the largest purchaseValue, 999999999.99, in millionths: the finest
// unit purchaseValue may be written in.
const (
	maxPurchaseMicros = 999_999_999_990_000
	maxPurchase       = 1e9 // as a float, for amounts the platform sends
)

var decimalRe = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?$`)

// parseCents reads a non-negative decimal exactly, from its digits and without a float (a
// float turned 1.005 into 1.00, and let 999999999.999999 past the maximum by rounding it to
// 1000000000.00 before the check), checks the exact value against the maximum, and only then
// rounds half up to cents.
func parseCents(raw string) (int64, *HTTPError) {
	if strings.HasPrefix(raw, "-") {
		return 0, badRequest(CodeInvalidPurchase, "purchaseValue must not be negative.")
	}
	m := decimalRe.FindStringSubmatch(raw)
	if m == nil {
		return 0, badRequest(CodeInvalidPurchase, "purchaseValue must be a decimal number with a dot, e.g. 149.90.")
	}
	whole, frac := m[1], m[2]
	if len(whole) > 15 || len(frac) > 6 {
		return 0, badRequest(CodeInvalidPurchase, "purchaseValue has too many digits: at most 15 before the dot and 6 after it.")
	}
	whole = strings.TrimLeft(whole, "0")
	tooLarge := badRequest(CodeInvalidPurchase, "purchaseValue is too large (at most 999999999.99).")
	if len(whole) > 9 {
		return 0, tooLarge
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)                 // at most 9 digits
	f, _ := strconv.ParseInt(frac+"000000"[len(frac):], 10, 64) // exactly 6 digits
	micros := w*1_000_000 + f
	if micros > maxPurchaseMicros {
		return 0, tooLarge
	}
	return (micros + 5_000) / 10_000, nil
}

func centsString(c int64) string {
	return strconv.FormatInt(c/100, 10) + "." + strconv.FormatInt(100+c%100, 10)[1:]
}

var cartIDRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// cartParam validates an optional cart id (VTEX's orderFormId is 32 hex characters).
func cartParam(name, v string) *HTTPError {
	if v != "" && !cartIDRe.MatchString(v) {
		return badRequest(CodeBadRequest, "%s must be 1 to 128 letters, digits or . _ : -", name)
	}
	return nil
}

// idParam validates a reward or redemption id in the path.
func idParam(c *fiber.Ctx) (string, *HTTPError) {
	raw := c.Params("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || id > 1<<53 {
		return "", badRequest(CodeInvalidID, "The id in the path must be a positive integer.")
	}
	return strconv.FormatInt(id, 10), nil
}

func (s *Server) listAvailable(c *fiber.Ctx) error { return s.listing(c, s.available) }

func (s *Server) listRedeemed(c *fiber.Ctx) error { return s.listing(c, s.redeemedList) }

// listing serves endpoints 2 and 3: a required purchaseValue and an optional order_form_id.
func (s *Server) listing(c *fiber.Ctx, fetch func(context.Context, *tenant, session, int64, string) (upstreamReply, *HTTPError)) error {
	t, sess := callOf(c)
	pv, _, herr := purchaseParam(c, true)
	if herr != nil {
		return herr
	}
	cart := strings.Clone(c.Query("order_form_id")) // may become part of a cache key
	if herr := cartParam("order_form_id", cart); herr != nil {
		return herr
	}
	reply, herr := fetch(c.UserContext(), t, sess, pv, cart)
	if herr != nil {
		return herr
	}
	return s.relay(c, t, reply)
}

// listingURL is the upstream URL of endpoint 2 or 3.
func listingURL(t *tenant, path string, pv int64, cart string) string {
	url := t.base + path + "?purchaseValue=" + centsString(pv)
	if cart != "" {
		url += "&order_form_id=" + cart
	}
	return url
}

// available fetches (or reuses) the available-rewards answer.
func (s *Server) available(ctx context.Context, t *tenant, sess session, pv int64, cart string) (upstreamReply, *HTTPError) {
	url := listingURL(t, "/pub/widget/rewards/checkout", pv, cart)
	return s.cache.get(shopperKey(t.cfg.Key, sess.subject), centsString(pv)+"\x00"+cart, s.o.Now(), func() (upstreamReply, *HTTPError) {
		return s.call(ctx, t, upstreamCall{method: "GET", url: url, token: sess.upstreamToken})
	})
}

func (s *Server) redeemedList(ctx context.Context, t *tenant, sess session, pv int64, cart string) (upstreamReply, *HTTPError) {
	url := listingURL(t, "/pub/widget/rewards/checkout/redeemed", pv, cart)
	return s.call(ctx, t, upstreamCall{method: "GET", url: url, token: sess.upstreamToken})
}

// redeemRoute is endpoint 4 or 5: where it is forwarded, and where the platform lists the
// reward it names (to explain a refusal in the shopper's language).
type redeemRoute struct {
	prefix  string
	list    func(*Server, context.Context, *tenant, session, int64, string) (upstreamReply, *HTTPError)
	idField string // the listing's field that the path's id is
}

var (
	redeemReward      = redeemRoute{prefix: "/pub/widget/rewards/redeem/", list: (*Server).available, idField: "Id"}
	useRedeemedReward = redeemRoute{prefix: "/pub/widget/rewardredeemed/checkout/redeem/", list: (*Server).redeemedList, idField: "RedeemedId"}
)

func (s *Server) redeemer(route redeemRoute) fiber.Handler {
	return func(c *fiber.Ctx) error { return s.redeemAt(c, route) }
}

// redeemAt forwards endpoints 4 and 5: id, optional purchaseValue, and OriginalId, the key
// that makes a retry safe (required unless the tenant allows redeeming without one).
func (s *Server) redeemAt(c *fiber.Ctx, route redeemRoute) error {
	t, sess := callOf(c)
	id, herr := idParam(c)
	if herr != nil {
		return herr
	}
	pv, hasPV, herr := purchaseParam(c, false)
	if herr != nil {
		return herr
	}
	cart, body, herr := cartBody(c.Body(), "OriginalId")
	if herr != nil {
		return herr
	}
	if cart == "" && !t.cfg.AllowRedeemWithoutOriginalId {
		return badRequest(CodeMissingOriginalID, "OriginalId is required: a redeem without a key is not safe to retry, "+
			"since a retry (a network retry, a second click) could debit the points twice. Send the cart id as OriginalId, "+
			"and the same one on every retry: the same key redeems once.")
	}
	url := t.base + route.prefix + id
	if hasPV {
		url += "?purchaseValue=" + centsString(pv)
	}
	reply, herr := s.call(c.UserContext(), t, upstreamCall{method: "POST", url: url, token: sess.upstreamToken, body: body})
	s.cache.drop(shopperKey(t.cfg.Key, sess.subject))
	if herr != nil {
		return herr
	}
	env, herr := decodeEnvelope(reply)
	if herr != nil {
		return herr
	}
	if hasPV && refusal(reply.status, env) {
		s.explainRefusal(c, env, route, id, pv, cart)
	}
	return s.relayDecoded(c, t, reply.status, env)
}

// refusal tells whether the platform refused a redeem for a reason of its own: a 4xx other
// than an expired session or a rate limit, or an error in a 2xx envelope.
func refusal(status int, env map[string]any) bool {
	if status >= 400 && status < 500 {
		return status != http.StatusUnauthorized && status != http.StatusTooManyRequests
	}
	return status < 400 && env["HasError"] == true
}

// explainRefusal replaces a refused redeem's Message (the platform's, in Portuguese) with the
// shopper's sentence for the reward's UseReason, in the answer's language, and adds
// UseReasonName; the status and ErrorCode stay the platform's. The reason is the one the
// platform lists for that reward at this purchase value; when it cannot be had, or says the
// reward can be used, the refusal passes through unchanged.
func (s *Server) explainRefusal(c *fiber.Ctx, env map[string]any, route redeemRoute, id string, pv int64, cart string) {
	t, sess := callOf(c)
	reply, herr := route.list(s, c.UserContext(), t, sess, pv, cart)
	if herr != nil || reply.status != 200 {
		return
	}
	listing, herr := decodeEnvelope(reply)
	if herr != nil || listing["HasError"] == true {
		return
	}
	items, _ := listing["Item"].([]any)
	for _, e := range items {
		r, _ := e.(map[string]any)
		if r == nil || !sameID(r[route.idField], id) {
			continue
		}
		if reason, known := reasonValue(r["UseReason"]); !known || reason <= 0 || reason >= len(reasonNames) {
			return
		}
		t.msgs.annotate(r, s.locale(c, t))
		if msg, _ := r["UseReasonMessage"].(string); msg != "" {
			env["Message"] = msg
			env["UseReasonName"] = r["UseReasonName"]
		}
		return
	}
}

// sameID tells whether a listing's id field (a JSON number) is the path's id.
func sameID(v any, id string) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	i, err := n.Int64()
	return err == nil && strconv.FormatInt(i, 10) == id
}

func (s *Server) applied(c *fiber.Ctx) error {
	t, sess := callOf(c)
	_, body, herr := cartBody(c.Body(), "CheckoutCode")
	if herr != nil {
		return herr
	}
	reply, herr := s.call(c.UserContext(), t, upstreamCall{method: "POST", url: t.base + "/pub/widget/rewards/checkout", token: sess.upstreamToken, body: body})
	if herr != nil {
		return herr
	}
	return s.relay(c, t, reply)
}

func (s *Server) reverse(c *fiber.Ctx) error {
	t, sess := callOf(c)
	id, herr := idParam(c)
	if herr != nil {
		return herr
	}
	reply, herr := s.call(c.UserContext(), t, upstreamCall{method: "POST", url: t.base + "/pub/widget/rewards/checkout/" + id + "/reverse", token: sess.upstreamToken, body: []byte("{}")})
	s.cache.drop(shopperKey(t.cfg.Key, sess.subject))
	if herr != nil {
		return herr
	}
	return s.relay(c, t, reply)
}

// bodyFields are a request body's top-level fields keyed by foldName: each name at most once,
// so which value a field has never depends on map order.
type bodyFields map[string]any

// jsonObject decodes a request body that must be empty or exactly one JSON object, with
// nothing after it, whose top-level names are unambiguous. The platform matches names
// without regard to case, so a body naming a field twice (exactly, or in two casings) could be
// read either way: once, ranging over a map, it was read both ways and one redeem debited
// twice. Such a body is refused before anything reaches the platform.
func jsonObject(b []byte) (bodyFields, *HTTPError) {
	fields := bodyFields{}
	if len(bytes.TrimSpace(b)) == 0 {
		return fields, nil
	}
	notObject := badRequest(CodeInvalidJSON, "The request body must be a JSON object.")
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, notObject
	}
	spelled := map[string]string{} // folded name -> as the body first wrote it
	for dec.More() {
		tok, err := dec.Token()
		name, isName := tok.(string)
		if err != nil || !isName {
			return nil, notObject
		}
		var v any
		if err := dec.Decode(&v); err != nil { // a nested value whole: its names are its own
			return nil, notObject
		}
		key := foldName(name)
		if first, dup := spelled[key]; dup {
			return nil, ambiguous(first, name)
		}
		spelled[key] = name
		fields[key] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest(CodeInvalidJSON, "The request body must be one JSON object with nothing after it.")
	}
	return fields, nil
}

// ambiguous refuses a body that names one field twice, quoting both spellings (clipped: they
// come from the client).
func ambiguous(first, again string) *HTTPError {
	const maxShown = 64
	clip := func(s string) string {
		if r := []rune(s); len(r) > maxShown {
			return string(r[:maxShown]) + "…"
		}
		return s
	}
	if first == again {
		return badRequest(CodeAmbiguousBody, "The request body names %q twice, so it could be read two ways: send each field once.", clip(first))
	}
	return badRequest(CodeAmbiguousBody, "The request body names %q and %q, the same field (names match without regard to case), "+
		"so it could be read two ways: send each field once.", clip(first), clip(again))
}

// foldName maps a name to one spelling per case-insensitive equivalence class (each rune to
// the smallest rune of its Unicode simple-folding orbit), so that two names are equal under
// strings.EqualFold exactly when their foldNames are equal.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// stringField reads an optional string field, matching its name without regard to case as the
// platform does (jsonObject has made the match unique).
func stringField(m bodyFields, name string, maxLen int) (string, *HTTPError) {
	v, ok := m[foldName(name)]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badRequest(CodeBadRequest, "%s must be a string.", name)
	}
	if len(s) > maxLen {
		return "", badRequest(CodeBadRequest, "%s is longer than %d characters.", name, maxLen)
	}
	return s, nil
}

// cartBody validates an optional {"<field>": cart id} body: it returns the cart id ("" when
// absent, null or empty) and the body to forward.
func cartBody(b []byte, field string) (string, []byte, *HTTPError) {
	m, herr := jsonObject(b)
	if herr != nil {
		return "", nil, herr
	}
	cart, herr := stringField(m, field, 128)
	if herr != nil {
		return "", nil, herr
	}
	if herr := cartParam(field, cart); herr != nil {
		return "", nil, herr
	}
	if cart == "" {
		return "", []byte("{}"), nil
	}
	out, _ := json.Marshal(map[string]string{field: cart})
	return cart, out, nil
}

// decodeEnvelope decodes an upstream answer keeping numbers exact.
func decodeEnvelope(r upstreamReply) (map[string]any, *HTTPError) {
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var env map[string]any
	if err := dec.Decode(&env); err != nil {
		return nil, badAnswer(err)
	}
	return env, nil
}

// relay answers with an upstream envelope, its rewards annotated with localised messages.
func (s *Server) relay(c *fiber.Ctx, t *tenant, r upstreamReply) error {
	env, herr := decodeEnvelope(r)
	if herr != nil {
		return herr
	}
	return s.relayDecoded(c, t, r.status, env)
}

func (s *Server) relayDecoded(c *fiber.Ctx, t *tenant, status int, env map[string]any) error {
	t.msgs.annotate(env["Item"], s.locale(c, t))
	if status >= 400 || env["HasError"] == true {
		env["ErrorCode"] = upstreamErrorCode(status)
	}
	return c.Status(status).JSON(env)
}

func upstreamErrorCode(status int) string {
	if status == http.StatusUnauthorized {
		return CodeUnauthorized
	}
	return CodeUpstreamError
}

func (s *Server) locale(c *fiber.Ctx, t *tenant) string {
	return pickLocale(c.Query("lang"), c.Get("Accept-Language"), t.cfg.Locale)
}
