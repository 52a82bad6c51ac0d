package bff

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// Answers: the final bytes of a request, keyed by its variant, sent from the cache or built
// once for every concurrent caller.

// answer is what a route answers: a status and a JSON payload. keep: it may be cached (a
// whole, successful answer).
type answer struct {
	status int
	body   *payload
	keep   bool
	age    time.Duration // > 0: made of a stale copy that old (sent as the Age header)
	usable bool          // a view with a reward the shopper can use (the funnel's view_usable)
}

// countView counts a view answered in the store's funnel.
func (s *Server) countView(tenant string, a *answer) {
	s.metrics.funnel(tenant, stepView)
	if a.usable {
		s.metrics.funnel(tenant, stepViewUsable)
	}
}

// variant is what an answer depends on besides the tenant and the shopper: the route, the
// purchase value, the cart and the locale.
type variant struct {
	route  byte // 'L' listing, 'R' redeemed list, 'A' applied state, 'a' one learnt (derived.go), 'V' view
	cents  int64
	cart   string
	locale string
	// a view's: the coupon the widget says the cart holds ("" none), when it says (hinted)
	coupon string
	hinted bool
}

// key writes the variant as a cache key into buf; parts (no locale) and answers differ by
// their first byte.
func (v variant) key(buf []byte, answer bool) []byte {
	kind := byte('p')
	if answer {
		kind = 'a'
	}
	buf = append(buf, kind, v.route)
	buf = strconv.AppendInt(buf, v.cents, 10)
	buf = append(buf, 0)
	buf = append(buf, v.cart...)
	if answer {
		buf = append(buf, 0)
		buf = append(buf, v.locale...)
	}
	if v.hinted {
		buf = append(buf, 0, 'c')
		buf = append(buf, v.coupon...)
	}
	return buf
}

// respond answers x with the answer for v: the cached one (its stored bytes, no JSON work),
// or build's, made once for every concurrent caller of the same shopper and variant, and
// kept when build says so. build runs detached from x (x is gone when x's handler returns):
// it must not touch x.
func (s *Server) respond(x *exchange, v variant, build func(context.Context, *shopperCache) (*answer, *HTTPError)) error {
	a, herr := s.answerFor(x.ctx(), x.sess.shopper, s.generationOf(x), v, build)
	if herr != nil {
		return herr
	}
	if a.age > 0 {
		x.setAge(a.age)
	}
	if v.route == 'V' {
		s.countView(x.t.cfg.Key, a)
	}
	return x.send(a.status, a.body)
}

// sendCached answers x from the cache when it holds the answer for v, and says whether it
// did. It is the whole of a hit: no closure, no JSON, the stored bytes written as they are.
func (s *Server) sendCached(x *exchange, v variant) bool {
	c := s.cache
	if c == nil {
		return false
	}
	sh := c.lookupAt(x.sess.shopper, s.generationOf(x))
	if sh == nil {
		return false
	}
	var buf [160]byte
	val, _ := c.get(sh, v.key(buf[:0], true))
	if val == nil {
		return false
	}
	s.metrics.cacheLookup(x.t.cfg.Key, "hit")
	a := val.(*answer)
	if v.route == 'V' {
		s.countView(x.t.cfg.Key, a)
	}
	_ = x.send(a.status, a.body)
	return true
}

// answerFor returns the answer for a shopper's variant, from the cache or from build; gen is
// the shopper's generation in Redis (-1: not known).
func (s *Server) answerFor(ctx context.Context, shopper string, gen int64, v variant, build func(context.Context, *shopperCache) (*answer, *HTTPError)) (*answer, *HTTPError) {
	c := s.cache
	if c == nil {
		return build(ctx, nil)
	}
	sh := c.shopper(shopper, gen)
	var buf [160]byte
	key := v.key(buf[:0], true)
	if val, _ := c.get(sh, key); val != nil {
		return val.(*answer), nil
	}
	k := string(key)
	val, err, joined := c.shared(ctx, sh, k, func(ctx context.Context) (any, error) {
		a, herr := build(ctx, sh)
		if herr != nil {
			return nil, herr
		}
		if a.keep {
			// Set before the answer is shared: a compressed form made later is counted.
			a.body.grown = func(n int64) { c.grow(sh, k, a, n) }
			c.put(sh, k, a, int64(len(a.body.raw)), false)
		}
		return a, nil
	})
	if joined {
		s.metrics.coalesced(tenantOf(shopper))
	}
	if err != nil {
		return nil, asHTTPError(err)
	}
	return val.(*answer), nil
}

// asHTTPError is an error from a shared call as the client sees it.
func asHTTPError(err error) *HTTPError {
	var he *HTTPError
	if errors.As(err, &he) {
		return he
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &HTTPError{Code: StatusClientClosed, ErrorCode: CodeClientClosed, Msg: "The request ended before its answer.", Err: err}
	}
	return &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
}

// encodeOK is a successful answer's payload.
func (s *Server) encodeOK(v any) (*answer, *HTTPError) {
	b, err := platform.Marshal(v)
	if err != nil {
		return nil, &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
	}
	return &answer{status: http.StatusOK, body: newPayload(b, s.o.CompressMinBytes), keep: true}, nil
}

// relayFailure is the platform's refusal or error, passed on with its status and ErrorCode
// added.
func relayFailure[T any](s *Server, r *platform.Reply[T]) *answer {
	env := failureEnvelope(r)
	b, err := platform.Marshal(env)
	if err != nil {
		b = errorBody(badAnswer(err))
	}
	return &answer{status: r.Status, body: newPayload(b, s.o.CompressMinBytes)}
}

// failureEnvelope is a failed answer's envelope, its Item verbatim, with ErrorCode.
func failureEnvelope[T any](r *platform.Reply[T]) platform.Envelope[jsontext.Value] {
	item := r.FailedItem
	if len(item) == 0 {
		item = jsontext.Value("null")
	}
	return platform.Envelope[jsontext.Value]{ProgramName: r.Env.ProgramName, PointsBalance: r.Env.PointsBalance,
		HasError: r.Env.HasError, Message: r.Env.Message, Item: item, ErrorCode: upstreamErrorCode(r.Status),
		Unknown: r.Env.Unknown}
}
