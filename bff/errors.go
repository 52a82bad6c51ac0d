package bff

import (
	"fmt"
	"net/http"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// HTTPError is an error with the status and the message a client sees. Err, when set, is the
// cause: it goes to the log only, never to the client.
type HTTPError struct {
	Code      int    // HTTP status
	ErrorCode string // machine-readable, stable: see the README
	Msg       string // for the client (and the shopper)
	Err       error  // for the log
	// RetryAfter is passed on as the Retry-After header (429).
	RetryAfter string
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Code, e.ErrorCode, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Code, e.ErrorCode, e.Msg)
}

func (e *HTTPError) Unwrap() error { return e.Err }

// Error codes. They are part of the API: widgets and integrators branch on them.
const (
	CodeBadRequest          = "bad_request"
	CodeInvalidPurchase     = "invalid_purchase_value"
	CodeInvalidID           = "invalid_id"
	CodeInvalidJSON         = "invalid_json"
	CodeAmbiguousBody       = "ambiguous_body"      // a top-level name twice, exactly or in two casings
	CodeMissingOriginalID   = "missing_original_id" // a redeem without the key that makes a retry safe
	CodeBodyTooLarge        = "body_too_large"
	CodeMissingTenant       = "missing_tenant"
	CodeUnknownTenant       = "unknown_tenant"
	CodeOriginNotAllowed    = "origin_not_allowed"
	CodeUnauthorized        = "unauthorized"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeRateLimited         = "rate_limited"
	CodeUpstreamError       = "upstream_error"
	CodeUpstreamTimeout     = "upstream_timeout"
	CodeUpstreamUnreachable = "upstream_unreachable"
	CodeUpstreamBadAnswer   = "upstream_bad_answer"
	CodeUpstreamUnavailable = "upstream_unavailable"
	CodeUpstreamBusy        = "upstream_busy"       // the store's connections and queue to the platform are full
	CodeAnswerTooLarge      = "answer_too_large"    // the platform's answer for this shopper is over the size bound
	CodeClientRateLimited   = "client_rate_limited" // this client (address or shopper) asked too often; others are served
	CodeBudgetSpent         = "budget_spent"        // the store's budget with the platform has no call left right now
	CodeInternal            = "internal"
	CodeClientClosed        = "client_closed_request" // the client left before its answer (never seen by it; in the log)
)

// StatusClientClosed is the status logged for a request whose client left before its answer
// (nginx's and Caddy's 499). A shared platform call it was waiting for goes on for the others.
const StatusClientClosed = 499

func badRequest(code, format string, a ...any) *HTTPError {
	return &HTTPError{Code: http.StatusBadRequest, ErrorCode: code, Msg: fmt.Sprintf(format, a...)}
}

func unauthorized(msg string, err error) *HTTPError {
	return &HTTPError{Code: http.StatusUnauthorized, ErrorCode: CodeUnauthorized, Msg: msg, Err: err}
}

// badAnswer: the platform answered something that is not its JSON envelope.
func badAnswer(err error) *HTTPError {
	return &HTTPError{Code: http.StatusBadGateway, ErrorCode: CodeUpstreamBadAnswer,
		Msg: "The loyalty programme sent an answer we could not read.", Err: err}
}

// rateLimited: the platform's rate limit, with the Retry-After to pass on (seconds).
func rateLimited(retryAfter string) *HTTPError {
	return &HTTPError{Code: http.StatusTooManyRequests, ErrorCode: CodeRateLimited,
		Msg: "The loyalty programme is busy; please try again in a moment.", RetryAfter: retryAfter}
}

// answerTooLarge: the platform's answer for this shopper is over the size bound. It is this
// shopper's error, not the platform's: it never counts toward the store's circuit breaker.
func answerTooLarge(err error) *HTTPError {
	return &HTTPError{Code: http.StatusBadGateway, ErrorCode: CodeAnswerTooLarge,
		Msg: "Your loyalty answer is too large for us to show right now; please contact the store.", Err: err}
}

// errorEnvelope is every error's body.
type errorEnvelope struct {
	HasError  bool    `json:"HasError"`
	Message   string  `json:"Message"`
	Item      *string `json:"Item"`
	ErrorCode string  `json:"ErrorCode"`
}

// errorBody is an error's body, in the envelope.
func errorBody(he *HTTPError) []byte {
	b, err := platform.Marshal(errorEnvelope{HasError: true, Message: he.Msg, ErrorCode: he.ErrorCode})
	if err != nil {
		return []byte(`{"HasError":true,"Message":"Internal error.","Item":null,"ErrorCode":"internal"}`)
	}
	return b
}
