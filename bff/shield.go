package bff

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// shield stands between the BFF and one tenant's platform:
//   - a circuit breaker: after BreakerFailures platform faults in a row (timeouts, unreachable,
//     unreadable answers, 5xx), calls fail at once with 503 for BreakerCooldown, then one
//     call probes whether the platform is back;
//   - the platform's own rate limit: after a 429 with Retry-After, calls for that tenant are
//     answered 429 locally until the time is up, instead of being sent to be refused.
type shield struct {
	breaker    *gobreaker.CircuitBreaker[upstreamReply]
	retryUntil atomic.Int64 // unix nanoseconds; 0 when not limited
}

// errPlatformFault marks a 5xx answer in the envelope: it is passed to the client as it is,
// and counted as a failure by the breaker.
var errPlatformFault = errors.New("platform answered 5xx")

func newShield(o *Options, tenantKey string) *shield {
	return &shield{breaker: gobreaker.NewCircuitBreaker[upstreamReply](gobreaker.Settings{
		Name:    tenantKey,
		Timeout: o.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= uint32(o.BreakerFailures)
		},
		IsExcluded: func(err error) bool {
			// The shopper's own cancellation and the rate limit say nothing of the platform's health.
			var he *HTTPError
			return errors.Is(err, context.Canceled) || (errors.As(err, &he) && he.Code == http.StatusTooManyRequests)
		},
		OnStateChange: func(name string, from, to gobreaker.State) {
			o.Logger.Warn("upstream circuit breaker", "tenant", name, "from", from.String(), "to", to.String())
		},
	})}
}

// call sends one call to the tenant's platform through its shield.
func (s *Server) call(ctx context.Context, t *tenant, c upstreamCall) (upstreamReply, *HTTPError) {
	now := s.o.Now()
	if until := t.shield.retryUntil.Load(); until > now.UnixNano() {
		wait := time.Duration(until - now.UnixNano())
		return upstreamReply{}, rateLimited(strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	c.tenant = t.cfg.Key
	r, err := t.shield.breaker.Execute(func() (upstreamReply, error) {
		r, herr := s.up.do(ctx, c)
		switch {
		case herr != nil:
			return r, herr
		case r.status >= 500:
			return r, errPlatformFault
		}
		return r, nil
	})
	var he *HTTPError
	switch {
	case err == nil, errors.Is(err, errPlatformFault):
		return r, nil
	case errors.As(err, &he):
		if he.Code == http.StatusTooManyRequests {
			secs, perr := strconv.Atoi(he.RetryAfter)
			if perr != nil || secs < 1 {
				secs = 1
			}
			t.shield.retryUntil.Store(now.Add(time.Duration(secs) * time.Second).UnixNano())
		}
		return r, he
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return r, &HTTPError{Code: http.StatusServiceUnavailable, ErrorCode: CodeUpstreamUnavailable,
			Msg: "The loyalty programme is unavailable right now; please try again shortly.", Err: err,
			RetryAfter: strconv.Itoa(int(math.Ceil(s.o.BreakerCooldown.Seconds())))}
	}
	return r, &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
}
