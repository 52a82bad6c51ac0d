package platform

// Over 400 lines: the client's transport, its retry rule and one method per endpoint of the
// contract; the retry rule must be read with the methods that rely on it.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/valyala/fasthttp"
)

// ClientOptions configure a Client. Every zero field has a default (setDefaults).
type ClientOptions struct {
	// Conns bounds the keep-alive connections to the platform (the pool); a call that finds
	// every one busy waits for one within its deadline. Default 64.
	Conns int
	// DialTimeout bounds making a connection (TLS included). Default 2 seconds.
	DialTimeout time.Duration
	// Timeout bounds one whole call, answer read, when the context has no earlier deadline.
	// Default 8 seconds.
	Timeout time.Duration
	// IdleTimeout closes a keep-alive connection idle that long. Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxBody bounds an answer's body. Default 1 MiB.
	MaxBody int
	// MaxRedeemedBody bounds the answer of endpoint 3 (the redeemed list), which grows with
	// every redemption a shopper keeps: a long list must not be lost. Default 8 MiB (never
	// below MaxBody).
	MaxRedeemedBody int
}

// DefaultIdleTimeout is how long a connection to the platform may sit idle in the pool (the
// default of ClientOptions.IdleTimeout and of the BFF's UpstreamIdleTimeout). The platform's
// own idle timeout is unknown; a server that closes a connection first makes the next call on
// it fail (a stale connection, retryStale), so the pool drops it before any common server
// default would: Node's http server and Apache's httpd close idle connections after 5 s
// (uvicorn too), an AWS load balancer after 60 s, nginx after 75 s, IIS after 120 s, Go's
// net/http after its ReadTimeout or never. 4 s leaves a second below the shortest for the
// answer's way back (the pool counts from when it has read the answer, the server from when it
// wrote it). A server quicker still (gunicorn's 2 s) costs a call one resend on a new
// connection, not the call. The price of a short idle time is one new connection (and TLS
// handshake, resumed: dial) after each quiet spell of 4 s; under steady traffic none.
const DefaultIdleTimeout = 4 * time.Second

func (o *ClientOptions) setDefaults() {
	if o.Conns <= 0 {
		o.Conns = 64
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 8 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.MaxRedeemedBody <= 0 {
		o.MaxRedeemedBody = 8 << 20
	}
	o.MaxRedeemedBody = max(o.MaxRedeemedBody, o.MaxBody)
}

// Client calls one platform (one base URL) for any of its stores, over a pool of keep-alive
// connections of its own, with one method per endpoint. A call is never cancelled half-way
// (the platform's answer to a redeem must be read to be known): it ends at its deadline, the
// context's if earlier than Timeout. A call that is safe to repeat is sent again, once, when
// the platform had closed its kept-alive connection (retryStale). Requests and answers are
// pooled buffers; what a call returns is decoded into the wire types, once, and owns its
// memory.
type Client struct {
	hc     *fasthttp.HostClient
	o      ClientOptions
	tls    *tls.Config // nil for http
	scheme string
	host   string
	prefix string // the base URL's path, without a trailing slash
}

// NewClient makes a client for the platform at base (scheme://host[:port][/path]).
func NewClient(base string, o ClientOptions) (*Client, error) {
	o.setDefaults()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("platform base URL %q: want an absolute http(s) URL without query", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	c := &Client{o: o, scheme: u.Scheme, host: u.Host, prefix: strings.TrimRight(u.EscapedPath(), "/")}
	if u.Scheme == "https" {
		// Sessions are resumed: with a short idle time, connections are made again often.
		c.tls = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12, ClientSessionCache: tls.NewLRUClientSessionCache(0)}
	}
	c.hc = &fasthttp.HostClient{
		Addr:                     addr,
		IsTLS:                    c.tls != nil, // the handshake is dial's
		NoDefaultUserAgentHeader: true,
		MaxConns:                 o.Conns,
		MaxConnWaitTimeout:       o.Timeout,
		MaxIdleConnDuration:      o.IdleTimeout,
		// The most recently used connection first: the others idle out of the pool, and when
		// the one given out turns out stale, every other idle one has been idle longer.
		ConnPoolStrategy:    fasthttp.LIFO,
		MaxResponseBodySize: o.MaxRedeemedBody, // the largest bound; each call holds its answer to its own (send)
		// At most one resend, and only of a call retryStale allows (GETs included: fasthttp's
		// own rule, any GET after any error, no longer applies).
		MaxIdemponentCallAttempts: 2,
		RetryIfErr:                c.retryStale,
		DialTimeout:               c.dial,
		DisablePathNormalizing:    true,
	}
	return c, nil
}

// dial makes a connection to the platform, the TLS handshake included, within DialTimeout (or
// the call's time left, if shorter). The handshake is done here, not by fasthttp, so that the
// connection counts the answers' bytes above TLS: a handshake's bytes are no answer (conn).
func (c *Client) dial(addr string, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 || timeout > c.o.DialTimeout { // 0: fasthttp dialing for a queued call
		timeout = c.o.DialTimeout
	}
	deadline := time.Now().Add(timeout)
	raw, err := fasthttp.DialTimeout(addr, timeout)
	if err != nil {
		return nil, err
	}
	cn := &conn{Conn: raw}
	cn.local = connAddr{Addr: raw.LocalAddr(), conn: cn}
	if c.tls == nil {
		return cn, nil
	}
	tc := tls.Client(raw, c.tls)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close() // the handshake's error is the one to report
		return nil, err
	}
	cn.Conn = tc
	return tlsConn{cn}, nil
}

// conn is a connection to the platform that knows whether an answer has come on it: a call
// whose connection had carried one is on a reused connection, which the platform may have
// closed while it sat idle in the pool (retryStale). One call at a time uses a connection (and
// RetryIfErr runs in that call), so the field needs no lock.
type conn struct {
	net.Conn
	local    connAddr
	answered bool // a byte of an answer was read
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.answered = true
	}
	return n, err
}

// LocalAddr is the way back from a call to its connection: fasthttp keeps the connection's
// LocalAddr in the call's Response (Response.ParseNetConn), and retryStale reads it there.
func (c *conn) LocalAddr() net.Addr { return &c.local }

// connAddr is a conn's local address, and the conn.
type connAddr struct {
	net.Addr
	conn *conn
}

// tlsConn is a conn over TLS, its handshake done: fasthttp takes a connection with a Handshake
// method for one that is TLS already, and does not wrap it again.
type tlsConn struct{ *conn }

func (c tlsConn) Handshake() error { return c.Conn.(*tls.Conn).Handshake() } // done: a no-op

// retryKey is the Request's user value (the call's Response) that marks a call as safe to send
// again (sendLimited's repeat).
type retryKey struct{}

// retryStale is the client's RetryIfErr: a call whose first attempt failed is sent again, once,
// on a new connection, only when all of these hold:
//   - the call is safe to repeat (repeatable: each method says why);
//   - its connection had carried an answer before (conn.answered): the platform, or a proxy
//     before it, closed a connection that sat idle in the pool (its idle timeout shorter than
//     ours). A new connection that fails is a server in trouble: a resend would only add to
//     its load, and the circuit breaker must see the fault;
//   - nothing of the answer came: the connection was closed before the first byte (fasthttp
//     reports any error on the first byte as io.EOF), or the request could not even be written
//     (the server had reset the connection). A timeout is never retried (the request may be
//     under way at the platform, and the call's time is spent), nor an answer cut short.
//
// The resend is on a new connection: the pool's idle ones are closed first. The pool gives out
// its most recently used connection (LIFO), so every other idle one has been idle at least as
// long as the one the server closed. The resend keeps the call's deadline.
func (c *Client) retryStale(req *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	res, _ := req.UserValue(retryKey{}).(*fasthttp.Response)
	if res == nil || attempts != 1 || !nothingReceived(err) {
		return false, false
	}
	if a, ok := res.LocalAddr().(*connAddr); !ok || !a.conn.answered {
		return false, false
	}
	c.hc.CloseIdleConnections()
	return false, true
}

// nothingReceived tells whether a transport error came before any byte of the answer.
func nothingReceived(err error) bool {
	// io.EOF itself, not wrapped: fasthttp's first-byte failure. An answer cut short after its
	// first byte is another error (io.ErrUnexpectedEOF, or wrapped in "error when reading").
	if err == io.EOF || errors.Is(err, fasthttp.ErrConnectionClosed) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "write" && !op.Timeout()
}

// Whether a call may be sent again (retryStale): the platform does what it asks once, however
// many copies arrive, or it asks for nothing to be done.
const (
	repeatable = true
	onlyOnce   = false
)

// Close closes the idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Reply is an answer in the envelope: its status, and the envelope decoded. When the call
// succeeded (Failed false), Env.Item is decoded into T; when it failed, Env.Item is T's zero
// value and FailedItem holds the platform's Item verbatim.
type Reply[T any] struct {
	Status     int
	Env        Envelope[T]
	FailedItem jsontext.Value
	Bytes      int    // the body's size as it came (what decoding it costs in memory is about twice that)
	Body       []byte // the body as it came, when the call asked for it (Call.KeepBody) and succeeded
	// Derived says the BFF made it from other answers by the contract's rules, without
	// asking (bff/derive.go); never set by a call.
	Derived bool
}

// Failed tells whether the platform refused or failed the call (status from 300, or HasError).
func (r *Reply[T]) Failed() bool { return r.Env.Failed(r.Status) }

// ErrorKind says where a call that got no answer in the envelope failed.
type ErrorKind int

const (
	// Unreachable: no connection could be made, or it broke.
	Unreachable ErrorKind = iota
	// Timeout: no whole answer within the deadline.
	Timeout
	// BadAnswer: the answer is not the JSON envelope (or not of the expected shape), is over
	// MaxBody, or redirects.
	BadAnswer
	// RateLimited: HTTP 429; RetryAfter says for how long (seconds, at least "1").
	RateLimited
)

// ErrTooLarge is wrapped by a BadAnswer whose body is over its bound (MaxBody,
// MaxRedeemedBody for endpoint 3). It says nothing of the platform's health: it is one
// shopper's answer.
var ErrTooLarge = errors.New("answer over the size bound")

// Error is a call that got no answer in the envelope.
type Error struct {
	Kind       ErrorKind
	RetryAfter string // RateLimited only
	Status     int    // the HTTP status, when an answer came
	Err        error
}

func (e *Error) Error() string {
	kinds := [...]string{"unreachable", "timeout", "bad answer", "rate limited"}
	s := "platform: " + kinds[e.Kind]
	if e.Status != 0 {
		s += " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Call is what every call carries: the store's key, and the shopper's SecureToken ("" for the
// login).
type Call struct {
	Tenant, Token string
	// KeepBody asks for the body of a successful answer as it came, in Reply.Body (a copy):
	// what a cache keeps instead of the decoded value.
	KeepBody bool
}

// Login is endpoint 1.
func (c *Client) Login(ctx context.Context, call Call, platform string, body LoginRequest) (Reply[LoginItem], error) {
	b, _ := Marshal(body)
	// Repeatable: a second login only makes another SecureToken, and the first is never seen.
	return send[LoginItem](ctx, c, call, "POST", Expand(PathLogin, platform), "", b, repeatable)
}

// Rewards is endpoint 2: every reward for a cart of purchaseValue (a decimal with a dot, e.g.
// "149.90"), with the cart id as order_form_id when given.
func (c *Client) Rewards(ctx context.Context, call Call, purchaseValue, cart string) (Reply[[]Reward], error) {
	return send[[]Reward](ctx, c, call, "GET", PathRewards, listingQuery(purchaseValue, cart), nil, repeatable) // a read
}

// Redeemed is endpoint 3: the shopper's redeemed, unused rewards.
func (c *Client) Redeemed(ctx context.Context, call Call, purchaseValue, cart string) (Reply[[]RedeemedReward], error) {
	return sendLimited[[]RedeemedReward](ctx, c, call, "GET", PathRedeemed, listingQuery(purchaseValue, cart), nil, c.o.MaxRedeemedBody, repeatable) // a read
}

// Redeem is endpoint 4: purchaseValue "" leaves it out; cart "" sends {}.
func (c *Client) Redeem(ctx context.Context, call Call, rewardID, purchaseValue, cart string) (Reply[RedeemResult], error) {
	return send[RedeemResult](ctx, c, call, "POST", Expand(PathRedeem, rewardID), optionalPurchase(purchaseValue), cartBody("OriginalId", cart), keyed(cart))
}

// keyed says whether a redeem (endpoints 4 and 5) may be sent again: only with its cart as
// OriginalId, the key the platform redeems once by (a second copy answers the first's
// redemption). Without one (a tenant that allows old clients), a second copy could debit the
// points again: it is sent once, whatever befalls its connection.
func keyed(cart string) bool { return cart != "" }

// UseRedeemed is endpoint 5: a redeemed reward applied to a cart, with no new debit.
func (c *Client) UseRedeemed(ctx context.Context, call Call, redeemedID, purchaseValue, cart string) (Reply[RedeemResult], error) {
	return send[RedeemResult](ctx, c, call, "POST", Expand(PathUseRedeemed, redeemedID), optionalPurchase(purchaseValue), cartBody("OriginalId", cart), keyed(cart))
}

// Applied is endpoint 6: what is applied to a cart ("" sends {}).
func (c *Client) Applied(ctx context.Context, call Call, cart string) (Reply[AppliedState], error) {
	return send[AppliedState](ctx, c, call, "POST", PathApplied, "", cartBody("CheckoutCode", cart), repeatable) // a read, though a POST
}

// Reverse is endpoint 7: the redemption is cancelled and its points come back.
func (c *Client) Reverse(ctx context.Context, call Call, redeemedID string) (Reply[AppliedState], error) {
	// Repeatable: the platform credits a reversal once; a second copy finds it reversed and
	// answers the same state.
	return send[AppliedState](ctx, c, call, "POST", Expand(PathReverse, redeemedID), "", emptyObject, repeatable)
}

var emptyObject = []byte("{}")

func listingQuery(purchaseValue, cart string) string {
	q := "purchaseValue=" + url.QueryEscape(purchaseValue)
	if cart != "" {
		q += "&order_form_id=" + url.QueryEscape(cart)
	}
	return q
}

func optionalPurchase(purchaseValue string) string {
	if purchaseValue == "" {
		return ""
	}
	return "purchaseValue=" + url.QueryEscape(purchaseValue)
}

// cartBody is {"<field>": cart}, or {} without a cart.
func cartBody(field, cart string) []byte {
	if cart == "" {
		return emptyObject
	}
	b := make([]byte, 0, len(field)+len(cart)+8)
	b = append(b, `{"`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b, _ = jsontext.AppendQuote(b, cart)
	return append(b, '}')
}

// send makes one call and decodes its answer, of at most MaxBody bytes. repeat says whether
// the call is safe to send again when its connection turns out stale (retryStale).
func send[T any](ctx context.Context, c *Client, call Call, method, path, query string, body []byte, repeat bool) (Reply[T], error) {
	return sendLimited[T](ctx, c, call, method, path, query, body, c.o.MaxBody, repeat)
}

// sendLimited is send with an answer of at most maxBody bytes.
func sendLimited[T any](ctx context.Context, c *Client, call Call, method, path, query string, body []byte, maxBody int, repeat bool) (Reply[T], error) {
	var r Reply[T]
	deadline := time.Now().Add(c.o.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.Header.SetMethod(method)
	uri := req.URI()
	uri.SetScheme(c.scheme)
	uri.SetHost(c.host)
	uri.SetPath(c.prefix + path)
	if query != "" {
		uri.SetQueryString(query)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderTenant, call.Tenant)
	if call.Token != "" {
		req.Header.Set(HeaderToken, call.Token)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	if repeat {
		req.SetUserValue(retryKey{}, res)
	}
	if err := c.hc.DoDeadline(req, res, deadline); err != nil {
		return r, classify(err)
	}
	r.Status = res.StatusCode()
	if r.Status == fasthttp.StatusTooManyRequests {
		ra := strings.TrimSpace(string(res.Header.Peek("Retry-After")))
		if secs, err := strconv.Atoi(ra); err != nil || secs < 1 {
			ra = "1"
		}
		return r, &Error{Kind: RateLimited, RetryAfter: ra, Status: r.Status}
	}
	if r.Status >= 300 && r.Status < 400 {
		return r, &Error{Kind: BadAnswer, Status: r.Status, Err: errors.New("the platform redirects")}
	}
	raw := res.Body()
	r.Bytes = len(raw)
	if len(raw) > maxBody {
		return r, &Error{Kind: BadAnswer, Status: r.Status, Err: fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, len(raw), maxBody)}
	}
	if !bytes.Contains(raw, []byte(`"HasError"`)) {
		return r, &Error{Kind: BadAnswer, Status: r.Status, Err: fmt.Errorf("%d bytes without the envelope's HasError", len(raw))}
	}
	if r.Status < 300 {
		if err := decodeInto(&r, raw); err == nil {
			if !r.Env.HasError {
				if call.KeepBody {
					r.Body = bytes.Clone(raw) // res is released when this returns
				}
				return r, nil
			}
			r.Env.Item = *new(T) // an error with an Item of the success's shape: keep it verbatim instead
		} else if !hasError(raw) {
			return r, &Error{Kind: BadAnswer, Status: r.Status, Err: fmt.Errorf("%d bytes: %w", len(raw), err)}
		}
	}
	// A failure: the envelope with its Item verbatim.
	var env Envelope[jsontext.Value]
	if err := Unmarshal(raw, &env); err != nil {
		return r, &Error{Kind: BadAnswer, Status: r.Status, Err: fmt.Errorf("%d bytes: %w", len(raw), err)}
	}
	r.FailedItem = env.Item
	r.Env = Envelope[T]{ProgramName: env.ProgramName, PointsBalance: env.PointsBalance, HasError: env.HasError,
		Message: env.Message, Unknown: env.Unknown}
	return r, nil
}

// Decode is a successful answer kept as it came (Reply.Body) decoded again: what the call
// that fetched it returned, with body as its Body.
func Decode[T any](status int, body []byte) (Reply[T], error) {
	r := Reply[T]{Status: status, Bytes: len(body), Body: body}
	err := decodeInto(&r, body)
	return r, err
}

// decodeInto decodes raw into r's envelope, its listing presized.
func decodeInto[T any](r *Reply[T], raw []byte) error {
	presize(&r.Env.Item, raw)
	return Unmarshal(raw, &r.Env)
}

// maxPresize bounds the capacity presize gives a list: a body full of "Id" members must not
// make a large allocation of its own.
const maxPresize = 256

// presize gives a listing's Item (endpoints 2 and 3) the capacity for the rewards in raw,
// counted by their "Id" members, so decoding does not grow the slice from 1 to 2, 4, 8...
// (four allocations, twice the memory, for six rewards). The decoded value is the same: the
// decoder fills a slice's capacity as it would a grown one, null still makes it nil and []
// still makes it empty. A miscount only costs a grow or some capacity.
func presize[T any](item *T, raw []byte) {
	switch p := any(item).(type) {
	case *[]Reward:
		if n := min(bytes.Count(raw, idMember), maxPresize); n > 0 {
			*p = make([]Reward, 0, n)
		}
	case *[]RedeemedReward:
		if n := min(bytes.Count(raw, idMember), maxPresize); n > 0 {
			*p = make([]RedeemedReward, 0, n)
		}
	}
}

var idMember = []byte(`"Id"`)

// hasError tells whether a body is an envelope saying HasError (whatever its Item).
func hasError(raw []byte) bool {
	var env struct {
		HasError bool `json:"HasError"`
	}
	return Unmarshal(raw, &env) == nil && env.HasError
}

// classify turns a transport error into an Error.
func classify(err error) *Error {
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return &Error{Kind: BadAnswer, Err: fmt.Errorf("%w: %w", ErrTooLarge, err)}
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), errors.Is(err, fasthttp.ErrNoFreeConns),
		errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: Timeout, Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Kind: Timeout, Err: err}
	}
	return &Error{Kind: Unreachable, Err: err}
}
