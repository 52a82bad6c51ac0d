package bff

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// upstreamFailure turns a platform call that got no answer in the envelope into the error the
// client sees: 504 on timeout, 502 when unreachable or unreadable, 429 with Retry-After.
func upstreamFailure(err error) *HTTPError {
	var pe *platform.Error
	if !errors.As(err, &pe) {
		return &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
	}
	switch pe.Kind {
	case platform.Timeout:
		return &HTTPError{Code: http.StatusGatewayTimeout, ErrorCode: CodeUpstreamTimeout,
			Msg: "The loyalty programme took too long to answer.", Err: err}
	case platform.BadAnswer:
		if errors.Is(err, platform.ErrTooLarge) {
			return answerTooLarge(err)
		}
		return badAnswer(err)
	case platform.RateLimited:
		return rateLimited(pe.RetryAfter)
	}
	return &HTTPError{Code: http.StatusBadGateway, ErrorCode: CodeUpstreamUnreachable,
		Msg: "The loyalty programme cannot be reached right now.", Err: err}
}

// callSpec is how a platform call is spent: its class (the budget serves money, then
// logins, then listings), the client it is for (a shopper key or "tenant\x00address"; its
// share of the budget is checked for logins and listings), and how long it may wait for the
// budget (within its deadline).
type callSpec struct {
	class   callClass
	client  string
	maxWait time.Duration
	// now: the call has something else to answer with (a stale copy): it takes a connection
	// only if one is free at once, and does not wait for the budget
	now bool
}

// platformCall sends one call to a tenant's platform through its shield: the platform's 429
// hold, the client's share of the budget, the circuit breaker, the gate on its connections,
// then the budget (spent last, just before the call goes out, so the time counted is the
// time sent). The wait for a connection, for the budget and the call share one deadline
// (UpstreamTimeout, or ctx's when earlier). An answer in the envelope comes back whatever its
// status; anything else is an *HTTPError.
func platformCall[T any](s *Server, ctx context.Context, t *tenant, spec callSpec, do func(context.Context, *platform.Client, platform.Call) (platform.Reply[T], error), token string) (platform.Reply[T], *HTTPError) {
	var r platform.Reply[T]
	if spec.class == classLogin || spec.class == classListing {
		if herr := s.shareAllowed(ctx, t, spec.client); herr != nil {
			return r, herr
		}
	}
	herr := s.shielded(ctx, t, func() (int, *HTTPError) {
		ctx, cancel := withCallDeadline(ctx, s.o.UpstreamTimeout)
		defer cancel()
		enter := t.shield.gate.enter
		if spec.now {
			enter = func(context.Context) *HTTPError { return t.shield.gate.enterNow() }
		}
		if herr := enter(ctx); herr != nil {
			return 0, herr
		}
		defer t.shield.gate.leave()
		maxWait := spec.maxWait
		switch {
		case spec.now:
			maxWait = 0
		case spec.class != classListing:
			maxWait = s.o.UpstreamTimeout
		}
		if herr := s.spend(ctx, t, spec.class, maxWait); herr != nil {
			return 0, herr
		}
		start := time.Now()
		var err error
		r, err = do(ctx, t.client, platform.Call{Tenant: t.cfg.Key, Token: token})
		status := r.Status
		if err != nil {
			status = 0
			var pe *platform.Error
			if errors.As(err, &pe) && pe.Status > 0 {
				status = pe.Status
			}
		}
		s.metrics.upstreamCall(t.cfg.Key, spec.class, status, time.Since(start))
		if status == http.StatusTooManyRequests {
			s.metrics.rateLimitedReceived(t.cfg.Key)
		}
		if err != nil {
			return 0, upstreamFailure(err)
		}
		return r.Status, nil
	})
	return r, herr
}

// failed is a platform refusal or error in the envelope as the error a client of the BFF
// sees: the platform's status (502 for an error in a 2xx), ErrorCode upstream_error
// (unauthorized for a 401), and the platform's message.
func failed(status int, msg *string) *HTTPError {
	code := status
	if code < 400 {
		code = http.StatusBadGateway
	}
	m := ""
	if msg != nil {
		m = *msg
	}
	return &HTTPError{Code: code, ErrorCode: upstreamErrorCode(status), Msg: m}
}

func upstreamErrorCode(status int) string {
	if status == http.StatusUnauthorized {
		return CodeUnauthorized
	}
	return CodeUpstreamError
}
