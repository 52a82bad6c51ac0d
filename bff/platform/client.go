package platform

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
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
	// IdleTimeout closes a keep-alive connection idle that long. Default 90 seconds.
	IdleTimeout time.Duration
	// MaxBody bounds an answer's body. Default 1 MiB.
	MaxBody int
	// MaxRedeemedBody bounds the answer of endpoint 3 (the redeemed list), which grows with
	// every redemption a shopper keeps: a long list must not be lost. Default 8 MiB (never
	// below MaxBody).
	MaxRedeemedBody int
}

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
		o.IdleTimeout = 90 * time.Second
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
// context's if earlier than Timeout. Requests and answers are pooled buffers; what a call
// returns is decoded into the wire types, once, and owns its memory.
type Client struct {
	hc     *fasthttp.HostClient
	o      ClientOptions
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
	dial := o.DialTimeout
	c := &Client{o: o, scheme: u.Scheme, host: u.Host, prefix: strings.TrimRight(u.EscapedPath(), "/")}
	c.hc = &fasthttp.HostClient{
		Addr:                      addr,
		IsTLS:                     u.Scheme == "https",
		TLSConfig:                 &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12},
		NoDefaultUserAgentHeader:  true,
		MaxConns:                  o.Conns,
		MaxConnWaitTimeout:        o.Timeout,
		MaxIdleConnDuration:       o.IdleTimeout,
		MaxResponseBodySize:       o.MaxRedeemedBody, // the largest bound; each call holds its answer to its own (send)
		MaxIdemponentCallAttempts: 2,                 // a GET is sent again once, when a kept-alive connection turns out closed
		DialTimeout: func(addr string, timeout time.Duration) (net.Conn, error) {
			return fasthttp.DialTimeout(addr, min(timeout, dial))
		},
		DisablePathNormalizing: true,
	}
	return c, nil
}

// Close closes the idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Reply is an answer in the envelope: its status, and the envelope decoded. When the call
// succeeded (Failed false), Env.Item is decoded into T; when it failed, Env.Item is T's zero
// value and FailedItem holds the platform's Item verbatim.
type Reply[T any] struct {
	Status     int
	Env        Envelope[T]
	FailedItem jsontext.Value
	Bytes      int // the body's size as it came (what decoding it costs in memory is about twice that)
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
}

// Login is endpoint 1.
func (c *Client) Login(ctx context.Context, call Call, platform string, body LoginRequest) (Reply[LoginItem], error) {
	b, _ := Marshal(body)
	return send[LoginItem](ctx, c, call, "POST", Expand(PathLogin, platform), "", b)
}

// Rewards is endpoint 2: every reward for a cart of purchaseValue (a decimal with a dot, e.g.
// "149.90"), with the cart id as order_form_id when given.
func (c *Client) Rewards(ctx context.Context, call Call, purchaseValue, cart string) (Reply[[]Reward], error) {
	return send[[]Reward](ctx, c, call, "GET", PathRewards, listingQuery(purchaseValue, cart), nil)
}

// Redeemed is endpoint 3: the shopper's redeemed, unused rewards.
func (c *Client) Redeemed(ctx context.Context, call Call, purchaseValue, cart string) (Reply[[]RedeemedReward], error) {
	return sendLimited[[]RedeemedReward](ctx, c, call, "GET", PathRedeemed, listingQuery(purchaseValue, cart), nil, c.o.MaxRedeemedBody)
}

// Redeem is endpoint 4: purchaseValue "" leaves it out; cart "" sends {}.
func (c *Client) Redeem(ctx context.Context, call Call, rewardID, purchaseValue, cart string) (Reply[RedeemResult], error) {
	return send[RedeemResult](ctx, c, call, "POST", Expand(PathRedeem, rewardID), optionalPurchase(purchaseValue), cartBody("OriginalId", cart))
}

// UseRedeemed is endpoint 5: a redeemed reward applied to a cart, with no new debit.
func (c *Client) UseRedeemed(ctx context.Context, call Call, redeemedID, purchaseValue, cart string) (Reply[RedeemResult], error) {
	return send[RedeemResult](ctx, c, call, "POST", Expand(PathUseRedeemed, redeemedID), optionalPurchase(purchaseValue), cartBody("OriginalId", cart))
}

// Applied is endpoint 6: what is applied to a cart ("" sends {}).
func (c *Client) Applied(ctx context.Context, call Call, cart string) (Reply[AppliedState], error) {
	return send[AppliedState](ctx, c, call, "POST", PathApplied, "", cartBody("CheckoutCode", cart))
}

// Reverse is endpoint 7: the redemption is cancelled and its points come back.
func (c *Client) Reverse(ctx context.Context, call Call, redeemedID string) (Reply[AppliedState], error) {
	return send[AppliedState](ctx, c, call, "POST", Expand(PathReverse, redeemedID), "", emptyObject)
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

// send makes one call and decodes its answer, of at most MaxBody bytes.
func send[T any](ctx context.Context, c *Client, call Call, method, path, query string, body []byte) (Reply[T], error) {
	return sendLimited[T](ctx, c, call, method, path, query, body, c.o.MaxBody)
}

// sendLimited is send with an answer of at most maxBody bytes.
func sendLimited[T any](ctx context.Context, c *Client, call Call, method, path, query string, body []byte, maxBody int) (Reply[T], error) {
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
		presize(&r.Env.Item, raw)
		if err := Unmarshal(raw, &r.Env); err == nil {
			if !r.Env.HasError {
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
