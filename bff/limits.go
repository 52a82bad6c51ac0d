package bff

import (
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"golang.org/x/time/rate"
)

// keyedLimits is a token bucket (golang.org/x/time/rate) per key (a store and a client
// address, or a shopper), held in go-cache: a key unused for as long as its bucket takes to
// fill again is forgotten (a new bucket is the same as a full one).
type keyedLimits struct {
	every time.Duration
	burst int
	idle  time.Duration
	m     *gocache.Cache // key -> *rate.Limiter
}

// newKeyedLimits is nil (no limit) when burst is negative.
func newKeyedLimits(burst int, every time.Duration) *keyedLimits {
	if burst < 0 {
		return nil
	}
	idle := time.Duration(burst)*every + time.Minute
	return &keyedLimits{every: every, burst: burst, idle: idle, m: gocache.New(idle, time.Minute)}
}

func (l *keyedLimits) limiter(key string) *rate.Limiter {
	if v, exp, ok := l.m.GetWithExpiration(key); ok {
		lim := v.(*rate.Limiter)
		if time.Until(exp) < l.idle/2 { // used: kept for another idle period (a write lock: not on every call)
			l.m.Set(key, lim, l.idle)
		}
		return lim
	}
	lim := rate.NewLimiter(rate.Every(l.every), l.burst)
	if err := l.m.Add(key, lim, l.idle); err != nil { // another request made it first
		if v, ok := l.m.Get(key); ok {
			return v.(*rate.Limiter)
		}
	}
	return lim
}

// take spends one token for key at now, or says how long until one is there.
func (l *keyedLimits) take(key string, now time.Time) (time.Duration, bool) {
	if l == nil {
		return 0, true
	}
	r := l.limiter(key).ReserveN(now, 1)
	if !r.OK() {
		return l.every, false // burst 0: never
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// wait says how long until key has a token, spending none (0 when it has one).
func (l *keyedLimits) wait(key string, now time.Time) time.Duration {
	if l == nil {
		return 0
	}
	v, ok := l.m.Get(key)
	if !ok {
		return 0
	}
	tokens := v.(*rate.Limiter).TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(l.every))
}

// spend spends one token for key (a refused login), going below zero if need be.
func (l *keyedLimits) spend(key string, now time.Time) {
	if l != nil {
		l.limiter(key).AllowN(now, 1)
	}
}

// clientLimits are the per-client limits: logins per client address and store, the logins
// the platform refused per client address and store, and calls per signed-in shopper.
type clientLimits struct {
	logins, refused, shoppers *keyedLimits
}

func newClientLimits(o *Options) *clientLimits {
	return &clientLimits{logins: newKeyedLimits(o.ClientLoginBurst, o.ClientLoginEvery),
		refused:  newKeyedLimits(o.ClientRefusedBurst, o.ClientRefusedEvery),
		shoppers: newKeyedLimits(o.ShopperBurst, o.ShopperEvery)}
}

// clientLimited is the 429 a client that asked too often gets (no one else does).
func clientLimited(wait time.Duration, msg string) *HTTPError {
	return &HTTPError{Code: http.StatusTooManyRequests, ErrorCode: CodeClientRateLimited, Msg: msg,
		RetryAfter: strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))}
}

// sharedLimit runs a limit for key in Redis when the replicas share one (mode: take, peek or
// spend), else (or when Redis fails) in this process. It returns the wait (0: allowed).
func (s *Server) sharedLimit(ctx context.Context, name string, l *keyedLimits, key, mode string) time.Duration {
	if l == nil {
		return 0
	}
	if s.redis != nil {
		if wait, err := s.redis.limit(ctx, name, key, l.every, l.burst, mode); err == nil {
			return wait
		}
	}
	now := s.o.Now()
	switch mode {
	case "peek":
		return l.wait(key, now)
	case "spend":
		l.spend(key, now)
		return 0
	}
	wait, _ := l.take(key, now)
	return wait
}

// loginAllowed spends one of a client's logins to a store, or refuses it: too many logins,
// or too many the platform refused lately. Shared by the replicas through Redis.
func (s *Server) loginAllowed(ctx context.Context, t *tenant, client string) *HTTPError {
	key := t.cfg.Key + "\x00" + client
	if wait := s.sharedLimit(ctx, "refused", t.limits.refused, key, "peek"); wait > 0 {
		return clientLimited(wait, "Too many sign-ins were refused from this device; please try again later.")
	}
	if wait := s.sharedLimit(ctx, "login", t.limits.logins, key, "take"); wait > 0 {
		return clientLimited(wait, "Too many sign-ins from this device; please try again in a moment.")
	}
	return nil
}

// loginRefused remembers a login the platform refused (401) for the client.
func (s *Server) loginRefused(ctx context.Context, t *tenant, client string) {
	s.sharedLimit(ctx, "refused", t.limits.refused, t.cfg.Key+"\x00"+client, "spend")
}

// shareAllowed spends one of a client's calls from its share of the store's budget (a
// shopper's listings, an address's logins), or refuses it: that client asked for more than
// its share (ClientShare) while the store's budget is contended; no one else is refused.
// While the budget has room, a client past its share is let through (the platform would
// answer it). Shared by the replicas through Redis.
func (s *Server) shareAllowed(ctx context.Context, t *tenant, client string) *HTTPError {
	if client == "" {
		return nil
	}
	if wait := s.sharedLimit(ctx, "share", t.share, client, "take"); wait > 0 && t.contended(time.Now()) {
		return clientLimited(wait, "Too many requests from this device; please try again in a moment.")
	}
	return nil
}

// shopperAllowed spends one of a signed-in shopper's calls, or refuses it.
// Shared by the replicas through Redis: a shopper's calls spread over them count once. With
// Redis, the same round trip reads the shopper's generation for the request (generationOf).
func (s *Server) shopperAllowed(x *exchange) *HTTPError {
	shopper, l := x.sess.shopper, x.t.limits.shoppers
	wait := time.Duration(-1)
	if s.redis != nil && l != nil {
		if w, gen, err := s.redis.shopperLimit(x.ctx(), shopper, l.every, l.burst); err == nil {
			wait = w
			if gen <= math.MaxInt64 {
				x.gen, x.genRead = int64(gen), true
			}
		}
	}
	if wait < 0 {
		wait = s.sharedLimit(x.ctx(), "shopper", l, shopper, "take")
	}
	if wait > 0 {
		return clientLimited(wait, "Too many requests; please try again in a moment.")
	}
	return nil
}

// realClientAddr is the client's address: the last address in the trusted proxy's header
// when one is configured and holds one, else the connection's.
func realClientAddr(header, conn string) string {
	if header == "" {
		return conn
	}
	if i := strings.LastIndexByte(header, ','); i >= 0 {
		header = header[i+1:]
	}
	header = strings.TrimSpace(header)
	if ip := net.ParseIP(header); ip != nil {
		return ip.String()
	}
	if host, _, err := net.SplitHostPort(header); err == nil {
		if ip := net.ParseIP(host); ip != nil {
			return ip.String()
		}
	}
	return conn
}
