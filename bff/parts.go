package bff

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// The parts of a shopper's view (listing, redeemed list, applied state): each asked of the
// platform once for every concurrent caller, kept in the cache and in Redis, answered stale
// when the budget is short or the platform fails, and dropped by a write.

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
