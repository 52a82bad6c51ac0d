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

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// shield stands between the BFF and one tenant's platform:
//   - a circuit breaker: after BreakerFailures platform faults in a row (timeouts, unreachable,
//     5xx, whatever the body), calls fail at once with 503 for BreakerCooldown, then one call
//     probes whether the platform is back. Only the platform's faults count: an answer too
//     large or unreadable (not a 5xx) is one shopper's, a refusal (4xx, 429) is the
//     platform's word, a call that never left (the queue was full) says nothing of it;
//   - the platform's own rate limit: after a 429 with Retry-After, calls for that tenant are
//     answered 429 locally until the time is up, instead of being sent to be refused;
//   - a gate on the calls under way at once (UpstreamConns) with a bounded queue
//     (UpstreamQueue) for the others, each waiting within its deadline.
type shield struct {
	breaker    *gobreaker.CircuitBreaker[int]
	retryUntil atomic.Int64 // unix nanoseconds; 0 when not limited
	gate       *gate
}

// errPlatformFault marks a 5xx answer in the envelope: it is passed to the client as it is,
// and counted as a failure by the breaker.
var errPlatformFault = errors.New("platform answered 5xx")

func newShield(o *Options, tenantKey string, conns int) *shield {
	return &shield{gate: newGate(conns, o.UpstreamQueue), breaker: gobreaker.NewCircuitBreaker[int](gobreaker.Settings{
		Name:    tenantKey,
		Timeout: o.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return int64(c.ConsecutiveFailures) >= int64(o.BreakerFailures)
		},
		IsExcluded: notThePlatformsFault,
		OnStateChange: func(name string, from, to gobreaker.State) {
			o.Logger.Warn("upstream circuit breaker", "tenant", name, "from", from.String(), "to", to.String())
		},
	})}
}

// notThePlatformsFault tells the errors that say nothing of the platform's health: the
// shopper's own cancellation, the rate limit, a call that never left (upstream_busy), and an
// answer too large or unreadable that is not a 5xx (one shopper's answer).
func notThePlatformsFault(err error) bool {
	if err == nil { // every successful call: no errors.As, whose targets escape to the heap
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, platform.ErrTooLarge) {
		return true
	}
	var he *HTTPError
	if errors.As(err, &he) && (he.Code == http.StatusTooManyRequests || he.ErrorCode == CodeUpstreamBusy || he.ErrorCode == CodeAnswerTooLarge) {
		return true
	}
	var pe *platform.Error
	return errors.As(err, &pe) && pe.Kind == platform.BadAnswer && pe.Status > 0 && pe.Status < 500
}

// shielded runs one platform call (do returns the answer's status, or the error without an
// answer) through the tenant's shield. A 5xx answer is passed on, and counted as a fault.
func (s *Server) shielded(ctx context.Context, t *tenant, do func() (int, *HTTPError)) *HTTPError {
	now := s.o.Now()
	if until := t.shield.retryUntil.Load(); until > now.UnixNano() {
		wait := time.Duration(until - now.UnixNano())
		return rateLimited(strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	_, err := t.shield.breaker.Execute(func() (int, error) {
		status, herr := do()
		switch {
		case herr != nil:
			return 0, herr
		case status >= 500:
			return status, errPlatformFault
		}
		return status, nil
	})
	var he *HTTPError
	switch {
	case err == nil, errors.Is(err, errPlatformFault):
		return nil
	case errors.As(err, &he):
		if he.Code == http.StatusTooManyRequests {
			secs, perr := strconv.Atoi(he.RetryAfter)
			if perr != nil || secs < 1 {
				secs = 1
			}
			if he.ErrorCode == CodeRateLimited { // the platform's: every replica holds the store
				hold := time.Duration(secs) * time.Second
				t.shield.retryUntil.Store(now.Add(hold).UnixNano())
				if s.redis != nil {
					s.redis.hold(ctx, t.cfg.Key, hold)
				}
			}
		}
		return he
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return &HTTPError{Code: http.StatusServiceUnavailable, ErrorCode: CodeUpstreamUnavailable,
			Msg: "The loyalty programme is unavailable right now; please try again shortly.", Err: err,
			RetryAfter: strconv.Itoa(int(math.Ceil(s.o.BreakerCooldown.Seconds())))}
	}
	return &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
}
