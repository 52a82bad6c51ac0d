package bff

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// CheckoutView is the Item of GET /bff/v1/checkout: everything the widget shows, in one round
// trip. A part the platform could not give is null, named in Missing, and explained in
// Problems; the parts that worked are still there.
type CheckoutView struct {
	ProgramName   *string                   `json:"ProgramName"`
	PointsBalance platform.Number           `json:"PointsBalance"`
	Rewards       []platform.Reward         `json:"Rewards"`  // endpoint 2's Item: every reward, annotated
	Redeemed      []platform.RedeemedReward `json:"Redeemed"` // endpoint 3's Item: redeemed, unused rewards
	Applied       *platform.AppliedState    `json:"Applied"`  // endpoint 6's Item for checkoutCode, or null
	Missing       []string                  `json:"Missing"`
	Problems      map[string]Problem        `json:"Problems"`
	// Currency is the tenant's ISO 4217 code: the widget prints its amounts in it, so they
	// agree with the amounts in the BFF's messages.
	Currency string `json:"Currency"`
	// Theme is the tenant's (colours, radius, font, join and terms links), or null.
	Theme *themeView `json:"Theme"`
	// Age is how old, in seconds, the oldest part of the view is: 0 when every part is
	// fresh; more when the store's budget was short or the platform failing and a stale copy
	// (at most CacheTTL + CacheStale old) answered instead. The answer's Age header says it too.
	Age int `json:"Age"`
	// Derived says a part was derived from the platform's earlier answers by the contract's
	// rules instead of asked (derive.go): exact by those rules.
	Derived bool `json:"Derived,omitzero"`
}

// themeView is a tenant's Theme as the view carries it (empty fields left out).
type themeView struct {
	Accent     string `json:"Accent,omitzero"`
	AccentText string `json:"AccentText,omitzero"`
	Radius     string `json:"Radius,omitzero"`
	Font       string `json:"Font,omitzero"`
	JoinURL    string `json:"JoinURL,omitzero"`
	TermsURL   string `json:"TermsURL,omitzero"`
}

func newThemeView(t *Theme) *themeView {
	if t == nil || *t == (Theme{}) {
		return nil
	}
	return &themeView{Accent: t.Accent, AccentText: t.AccentText, Radius: t.Radius, Font: t.Font, JoinURL: t.JoinURL, TermsURL: t.TermsURL}
}

// Problem says why a part is missing.
type Problem struct {
	Status    int    `json:"Status"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

const (
	partRewards  = "rewards"
	partRedeemed = "redeemed"
	partApplied  = "applied"
)

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

// part fetches one of the view's parts (a platform answer, decoded once): from this
// replica's cache, else from the copy another replica fetched (Redis), else from the
// platform, once for every concurrent caller of the same shopper and variant. A successful
// answer is kept (and shared); a refusal is handed to the callers waiting for it, not kept.
//
// A listing (class listing) may be answered from a stale copy, with its age, when the
// store's budget or the client's share has no call left for it, or the platform fails: a
// listing that has one does not wait for the budget. The applied state never is.
func part[T any](s *Server, ctx context.Context, t *tenant, sess session, sh *shopperCache, v variant, class callClass,
	do func(context.Context, *platform.Client, platform.Call) (platform.Reply[T], error), h partHooks[T]) (*platform.Reply[T], time.Duration, *HTTPError) {
	spec := callSpec{class: class, client: sess.shopper, maxWait: s.o.BudgetWait}
	fetch := func(ctx context.Context, keep bool) (*platform.Reply[T], *HTTPError) {
		call := do
		if keep { // the body, for the cache to keep (storePart)
			call = func(ctx context.Context, c *platform.Client, pc platform.Call) (platform.Reply[T], error) {
				pc.KeepBody = true
				return do(ctx, c, pc)
			}
		}
		r, herr := platformCall(s, ctx, t, spec, call, sess.upstreamToken)
		if herr != nil {
			return nil, herr
		}
		return &r, nil
	}
	if sh == nil {
		s.metrics.cacheLookup(t.cfg.Key, "miss")
		r, herr := fetch(ctx, false)
		return r, 0, herr
	}
	c := s.cache
	canStale := class == classListing
	var buf [160]byte
	key := v.key(buf[:0], false)
	if val, _ := c.get(sh, key); val != nil {
		if r := loadPart[T](val); r != nil {
			s.metrics.cacheLookup(t.cfg.Key, "hit")
			return r, 0, nil
		}
	}
	k := string(key)
	val, err, joined := c.shared(ctx, sh, k, func(ctx context.Context) (any, error) {
		if r, age, ok := sharedPart[T](s, ctx, sh, k); ok {
			kept, size := storePart(r)
			c.putAged(sh, k, kept, size, canStale, age)
			if age < c.ttl {
				return r, nil
			}
			// older than the TTL: kept as this replica's stale copy, in case the budget is short
		}
		if h.derive != nil && !s.o.NoDerive {
			if r := h.derive(); r != nil {
				s.metrics.cacheLookup(t.cfg.Key, "derived")
				c.put(sh, k, r, int64(2*r.Bytes+512), false)
				return r, nil
			}
		}
		s.metrics.cacheLookup(t.cfg.Key, "miss")
		if canStale && c.hasStale(sh, k) {
			spec.now = true // a stale copy answers at once rather than waiting for a connection or the budget
		}
		r, herr := fetch(ctx, true)
		if herr != nil {
			return nil, herr
		}
		if !r.Failed() {
			kept, size := storePart(r)
			c.put(sh, k, kept, size, canStale)
			putSharedPart(s, ctx, sh, k, r)
			if h.observe != nil && !s.o.NoDerive { // the basis serves derivations only
				h.observe(r)
			}
		}
		return r, nil
	})
	if joined {
		s.metrics.coalesced(t.cfg.Key)
	}
	status := 0
	if r, ok := val.(*platform.Reply[T]); ok {
		status = r.Status
	}
	if canStale && staleWillDo(status, err) {
		if old, age := c.staleCopy(sh, k); old != nil {
			if r := loadPart[T](old); r != nil {
				s.metrics.cacheLookup(t.cfg.Key, "stale")
				return r, max(age, time.Second), nil
			}
		}
	}
	if err != nil {
		return nil, 0, asHTTPError(err)
	}
	return val.(*platform.Reply[T]), 0, nil
}

// storedPart is a part as the cache keeps it: the platform's body as it came, not the
// decoded value. A decoded listing is hundreds of strings and slices that the collector
// traces at every cycle for as long as it is kept, and a full cache of them made every miss
// pay for it (issue 17: storing a miss cost what the rest of the path saved); bytes it does
// not scan. A use decodes it again: a value of the caller's own.
type storedPart struct {
	status int
	body   []byte
}

// storePart is what the cache keeps of r, and what that counts against its bound: r's body
// when the call kept it (Call.KeepBody), else (a derived part) r itself, decoded. Either is
// counted as the decoded value is, about twice its size in JSON: a body kept is about half
// that, and the rest is the collector's headroom under the soft memory limit (the bound plus
// 16 MiB, SoftMemoryLimit). Counted at its size, a full cache leaves the collector too
// little and it runs without pause (BenchmarkMiss: 2 ms a miss instead of 0.1).
func storePart[T any](r *platform.Reply[T]) (any, int64) {
	size := int64(2*r.Bytes + 512)
	if r.Body != nil {
		return &storedPart{status: r.Status, body: r.Body}, size
	}
	return r, size
}

// loadPart is a kept part as its callers use it (a stored one decoded again), or nil.
func loadPart[T any](v any) *platform.Reply[T] {
	switch p := v.(type) {
	case *platform.Reply[T]:
		return p
	case *storedPart:
		r, err := platform.Decode[T](p.status, p.body)
		if err != nil {
			return nil
		}
		return &r
	}
	return nil
}

// staleWillDo tells whether a listing that got this may be answered from a stale copy
// instead: the budget, the client's share or the platform's hold said no, the platform
// failed (timeout, unreachable, 5xx, its breaker open, its connections busy). A refusal
// for this shopper (4xx: their session, their request) is theirs to see.
func staleWillDo(status int, err error) bool {
	if err == nil {
		return status >= 500
	}
	var he *HTTPError
	if !errors.As(err, &he) {
		return false
	}
	return he.Code == http.StatusTooManyRequests || he.Code >= 500 && he.ErrorCode != CodeAnswerTooLarge
}

// sharedPart is the part another replica fetched for the shopper's generation, with its age,
// when Redis has one (fresh, or old enough to be only a stale copy: at most TTL + stale).
func sharedPart[T any](s *Server, ctx context.Context, sh *shopperCache, key string) (*platform.Reply[T], time.Duration, bool) {
	if s.redis == nil || sh.rgen < 0 {
		return nil, 0, false
	}
	b, age, ok := s.redis.getPart(ctx, sh.key, uint64(sh.rgen), key) //nolint:gosec // G115: rgen >= 0 here
	if !ok || age >= s.cache.ttl+s.cache.stale {
		return nil, 0, false
	}
	r, err := platform.Decode[T](http.StatusOK, b)
	if err != nil {
		return nil, 0, false
	}
	return &r, age, true
}

// putSharedPart keeps a part for the other replicas, under the shopper's generation.
func putSharedPart[T any](s *Server, ctx context.Context, sh *shopperCache, key string, r *platform.Reply[T]) {
	if s.redis == nil || sh.rgen < 0 {
		return
	}
	b := r.Body // as the platform sent it: no encoding again
	if b == nil {
		var err error
		if b, err = platform.Marshal(r.Env); err != nil {
			return
		}
	}
	s.redis.putPart(ctx, sh.key, uint64(sh.rgen), key, b, s.cache.ttl+s.cache.stale) //nolint:gosec // G115: rgen >= 0 here
}

// generation is the shopper's generation in Redis (bumped by a write on any replica), or -1
// without Redis or while it cannot be reached.
func (s *Server) generation(ctx context.Context, shopper string) int64 {
	if s.redis == nil {
		return -1
	}
	gen, err := s.redis.generation(ctx, shopper)
	if err != nil || gen > math.MaxInt64 {
		return -1
	}
	return int64(gen)
}

// generationOf is the generation of x's shopper, read from Redis once per request (a hit
// and the miss that follows it share the read).
func (s *Server) generationOf(x *exchange) int64 {
	if !x.genRead {
		x.gen, x.genRead = s.generation(x.ctx(), x.sess.shopper), true
	}
	return x.gen
}

// dropShopper forgets what every replica kept for a shopper, after a write: this replica's
// cache at once, the others' through the shopper's generation in Redis.
// It says what it dropped and started, for carryBasis.
func (s *Server) dropShopper(ctx context.Context, shopper string) dropped {
	d := dropped{local: s.cache.drop(shopper), gen: -1}
	if s.redis != nil {
		d.gen = -2 // not known: nothing may be carried over the write
		if gen, err := s.redis.bumpTo(ctx, shopper); err == nil && gen <= math.MaxInt64 {
			d.gen = int64(gen)
		}
	}
	return d
}

// dropped is what a write's dropShopper dropped: this replica's cache of the shopper (its
// gen; 0: none) and the generation it started in Redis (-1: no Redis; -2: not known).
type dropped struct {
	local uint64
	gen   int64
}

// partHooks are what a part may do besides asking: derive itself from what the BFF holds
// (derive.go), and be observed when it was asked (the basis of later derivations).
type partHooks[T any] struct {
	derive  func() *platform.Reply[T]
	observe func(*platform.Reply[T])
}

func rewardsPart(s *Server, ctx context.Context, t *tenant, sess session, sh *shopperCache, cents int64, cart string) (*platform.Reply[[]platform.Reward], time.Duration, *HTTPError) {
	return part(s, ctx, t, sess, sh, variant{route: 'L', cents: cents, cart: cart}, classListing,
		func(ctx context.Context, c *platform.Client, call platform.Call) (platform.Reply[[]platform.Reward], error) {
			return c.Rewards(ctx, call, centsString(cents), cart)
		}, partHooks[[]platform.Reward]{
			derive:  func() *platform.Reply[[]platform.Reward] { return deriveListing(s.basisOf(sh), cents, cart) },
			observe: func(r *platform.Reply[[]platform.Reward]) { s.observeListing(sh, cents, cart, r) },
		})
}

func redeemedPart(s *Server, ctx context.Context, t *tenant, sess session, sh *shopperCache, cents int64, cart string) (*platform.Reply[[]platform.RedeemedReward], time.Duration, *HTTPError) {
	return part(s, ctx, t, sess, sh, variant{route: 'R', cents: cents, cart: cart}, classListing,
		func(ctx context.Context, c *platform.Client, call platform.Call) (platform.Reply[[]platform.RedeemedReward], error) {
			return c.Redeemed(ctx, call, centsString(cents), cart)
		}, partHooks[[]platform.RedeemedReward]{
			derive:  func() *platform.Reply[[]platform.RedeemedReward] { return deriveRedeemed(s.basisOf(sh), cents, cart) },
			observe: func(r *platform.Reply[[]platform.RedeemedReward]) { s.observeRedeemed(sh, cents, cart, r) },
		})
}

func appliedPart(s *Server, ctx context.Context, t *tenant, sess session, sh *shopperCache, cart string) (*platform.Reply[platform.AppliedState], time.Duration, *HTTPError) {
	return part(s, ctx, t, sess, sh, variant{route: 'A', cart: cart}, classRestore,
		func(ctx context.Context, c *platform.Client, call platform.Call) (platform.Reply[platform.AppliedState], error) {
			return c.Applied(ctx, call, cart)
		}, partHooks[platform.AppliedState]{})
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

// viewInput reads what a view is asked for: purchaseValue (required), checkoutCode, and
// coupon, the coupon the cart holds as the widget read it (present and empty: none). Strings
// are valid during the request only.
func viewInput(x *exchange) (pv int64, cart, coupon string, hinted bool, herr *HTTPError) {
	pv, _, herr = purchaseParam(x.query("purchaseValue"), true)
	if herr != nil {
		return 0, "", "", false, herr
	}
	cart = x.query("checkoutCode")
	if herr := cartParam("checkoutCode", cart); herr != nil {
		return 0, "", "", false, herr
	}
	hinted = x.c.Request().URI().QueryArgs().Has("coupon")
	coupon = x.query("coupon")
	if len(coupon) > 128 {
		return 0, "", "", false, badRequest(CodeBadRequest, "coupon is longer than 128 characters: send the coupon code the cart holds, or coupon= when it holds none.")
	}
	return pv, cart, coupon, hinted, nil
}

// checkout answers GET /bff/v1/checkout: the listing, the redeemed rewards and the cart's
// applied reward, asked for at once (each shared with every concurrent caller and cached).
func (s *Server) checkout(x *exchange) error {
	pv, cart, coupon, hinted, herr := viewInput(x)
	if herr != nil {
		return herr
	}
	v := variant{route: 'V', cents: pv, cart: cart, locale: s.locale(x), coupon: coupon, hinted: hinted}
	if s.sendCached(x, v) {
		return nil
	}
	v.cart, v.coupon = cloneString(cart), cloneString(coupon)
	return s.respond(x, v, s.viewBuilder(x.t, x.sess, v))
}

// viewBuilder builds the view's answer for v. The applied state (the restore call) is asked
// only when the cart may hold a reward: not when the widget says the cart holds no coupon
// (nothing to restore: a redemption the cart lost is still in the redeemed list), nor when
// the cart holds the coupon of a redeem the BFF just saw (learntApplied). Without the hint
// (any other client) it is asked whenever there is a cart.
func (s *Server) viewBuilder(t *tenant, sess session, v variant) func(context.Context, *shopperCache) (*answer, *HTTPError) {
	pv, cart, locale := v.cents, v.cart, v.locale
	askApplied := cart != "" && (!v.hinted || v.coupon != "")
	return func(ctx context.Context, sh *shopperCache) (*answer, *HTTPError) {
		view := CheckoutView{Missing: []string{}, Problems: map[string]Problem{}, Currency: t.cfg.Currency, Theme: t.theme}
		var rewards *platform.Reply[[]platform.Reward]
		var redeemed *platform.Reply[[]platform.RedeemedReward]
		var applied *platform.Reply[platform.AppliedState]
		errs := map[string]*HTTPError{}
		var mu sync.Mutex
		fail := func(name string, herr *HTTPError) {
			mu.Lock()
			errs[name] = herr
			mu.Unlock()
		}
		var wg sync.WaitGroup
		var ages [2]time.Duration
		wg.Go(func() {
			r, age, herr := rewardsPart(s, ctx, t, sess, sh, pv, cart)
			ages[0] = age
			if herr == nil && r.Failed() {
				herr = failed(r.Status, r.Env.Message)
			}
			if herr != nil {
				fail(partRewards, herr)
				return
			}
			rewards = r
		})
		wg.Go(func() {
			r, age, herr := redeemedPart(s, ctx, t, sess, sh, pv, cart)
			ages[1] = age
			if herr == nil && r.Failed() {
				herr = failed(r.Status, r.Env.Message)
			}
			if herr != nil {
				fail(partRedeemed, herr)
				return
			}
			redeemed = r
		})
		ask := askApplied
		if ask && v.hinted {
			if learnt := s.learntApplied(ctx, sh, cart, v.coupon); learnt != nil {
				applied, ask = learnt, false
			}
		}
		if ask {
			wg.Go(func() {
				r, _, herr := appliedPart(s, ctx, t, sess, sh, cart)
				if herr == nil && r.Failed() {
					herr = failed(r.Status, r.Env.Message)
				}
				if herr != nil {
					fail(partApplied, herr)
					return
				}
				applied = r
			})
		}
		wg.Wait()

		parts := []string{partRewards, partRedeemed}
		if ask {
			parts = append(parts, partApplied)
		}
		var firstErr *HTTPError
		for _, p := range parts {
			herr := errs[p]
			if herr == nil {
				continue
			}
			if herr.Code == http.StatusUnauthorized {
				return nil, herr // the session is over: the widget must sign in again
			}
			if firstErr == nil {
				firstErr = herr
			}
			view.Missing = append(view.Missing, p)
			view.Problems[p] = Problem{Status: herr.Code, ErrorCode: herr.ErrorCode, Message: herr.Msg}
		}
		if len(view.Missing) == len(parts) {
			return nil, firstErr
		}
		programme := func(name *string, balance platform.Number) {
			if view.ProgramName == nil && name != nil {
				view.ProgramName = name
			}
			if view.PointsBalance.Null() && !balance.Null() {
				view.PointsBalance = balance
			}
		}
		m := t.msgs
		view.Derived = rewards != nil && rewards.Derived || redeemed != nil && redeemed.Derived
		if rewards != nil {
			view.Rewards = m.rewards(rewards.Env.Item, locale)
			programme(rewards.Env.ProgramName, rewards.Env.PointsBalance)
		}
		if redeemed != nil {
			view.Redeemed = m.redeemed(redeemed.Env.Item, locale)
		}
		if applied != nil {
			a := m.applied(applied.Env.Item, locale)
			view.Applied = &a
			programme(applied.Env.ProgramName, applied.Env.PointsBalance)
			fillRedeemedID(view.Applied, view.Redeemed)
		}
		age := max(ages[0], ages[1])
		view.Age = int(age.Round(time.Second) / time.Second)
		a, herr := s.encodeOK(platform.Envelope[*CheckoutView]{Item: &view})
		if herr != nil {
			return nil, herr
		}
		a.keep = len(view.Missing) == 0 && age == 0
		a.age = age
		for i := range view.Rewards {
			a.usable = a.usable || view.Rewards[i].CanUse
		}
		for i := range view.Redeemed {
			a.usable = a.usable || view.Redeemed[i].CanUse
		}
		return a, nil
	}
}

// fillRedeemedID gives the applied reward its RedeemedId (needed to remove it) from the
// redeemed list when the platform's applied state leaves it out, as its documentation shows.
// applied is the view's own copy.
func fillRedeemedID(applied *platform.AppliedState, redeemed []platform.RedeemedReward) {
	if applied == nil || applied.Reward == nil || !applied.Reward.RedeemedID.Null() {
		return
	}
	for _, r := range redeemed {
		if r.ID == applied.Reward.ID && !r.RedeemedID.Null() {
			applied.Reward.RedeemedID = r.RedeemedID
			return
		}
	}
}

// viewItem is the Item of a view answer's bytes (the envelope around it is the BFF's own,
// written by encodeOK).
func viewItem(raw []byte) ([]byte, bool) {
	const prefix = `{"HasError":false,"Message":null,"Item":`
	if !bytes.HasPrefix(raw, []byte(prefix)) || raw[len(raw)-1] != '}' {
		return nil, false
	}
	return raw[len(prefix) : len(raw)-1], true
}

// cloneString copies a string that comes from a request (Fiber reuses its buffers).
func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}
