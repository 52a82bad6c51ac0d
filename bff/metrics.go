package bff

import (
	"net/http"
	"time"
)

// metrics counts what operators watch (Prometheus text at /metrics, on its own address).
// SKELETON: the methods are called from the request path; their bodies are being written.
type metrics struct{}

func newMetrics(s *Server) *metrics { return &metrics{} }

// Handler serves the metrics in Prometheus' text format.
func (s *Server) Metrics() http.Handler { return http.NotFoundHandler() }

// upstreamCall: one call sent to a tenant's platform, of a class, and its answer's status (0:
// no answer: timeout, unreachable, unreadable), and how long it took.
func (m *metrics) upstreamCall(tenant string, class callClass, status int, d time.Duration) {}

// cacheLookup: a cached answer or part was looked for: result is "hit", "miss" or "stale"
// (a stale copy answered, the budget being short or the platform failing).
func (m *metrics) cacheLookup(tenant, result string) {}

// coalesced: a request joined a platform call already under way for the same shopper and
// variant, instead of making its own.
func (m *metrics) coalesced(tenant string) {}

// budgetRefused: a call of a class found the tenant's budget short (it was answered stale,
// waited, or refused).
func (m *metrics) budgetRefused(tenant string, class callClass) {}

// rateLimitedSent: the BFF answered a client 429, with its ErrorCode (rate_limited,
// client_rate_limited, ...).
func (m *metrics) rateLimitedSent(tenant, code string) {}

// rateLimitedReceived: the platform answered 429.
func (m *metrics) rateLimitedReceived(tenant string) {}

// answered: the BFF answered a request on a route (the route's pattern, not the path; "/" for
// the 404), for a tenant ("" when the request named none of ours), with a
// status, after d.
func (m *metrics) answered(tenant, route string, status int, d time.Duration) {}
