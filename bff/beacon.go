package bff

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
)

// The error beacon: the widget tells the BFF, without personal data, that it failed in a
// shopper's browser.
//
//	POST /bff/v1/beacon    {"v": "1.2.0", "tenant": "KEY", "platform": "vtex", "kind": "network", "at": "view"}
//
// It needs no token (the widget may have failed before signing in) and may come as
// text/plain (navigator.sendBeacon: no preflight). The page's origin, when the browser sends
// one, must be one of the tenant's. Each beacon is counted per tenant and kind, and the log
// gets one line per beacon, with the running count; but one client address gets at most one
// line per BeaconLogEvery (the beacons in between are counted, and the next line's count
// shows them), so no client can flood the log. The line has no address, shopper, cart or
// token: only the fields above, each a short token. Answered 204.

// beaconFieldRe is what each field of a beacon must look like: a short token, never free text.
var beaconFieldRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$`)

// maxBeaconCounters bounds the counters (tenant × kind): kinds come from clients.
const maxBeaconCounters = 1000

type beacons struct {
	every   time.Duration
	logged  *gocache.Cache // client address -> when it last had a line
	mu      sync.Mutex
	counts  map[string]*atomic.Int64 // tenant "\x00" kind
	dropped atomic.Int64             // beacons over maxBeaconCounters kinds
}

func newBeacons(every time.Duration) *beacons {
	return &beacons{every: every, logged: gocache.New(every, every), counts: map[string]*atomic.Int64{}}
}

// count adds one beacon and returns the running count for its tenant and kind.
func (b *beacons) count(tenant, kind string) int64 {
	key := tenant + "\x00" + kind
	b.mu.Lock()
	n := b.counts[key]
	if n == nil {
		if len(b.counts) >= maxBeaconCounters {
			b.mu.Unlock()
			return b.dropped.Add(1)
		}
		n = &atomic.Int64{}
		b.counts[key] = n
	}
	b.mu.Unlock()
	return n.Add(1)
}

// mayLog tells whether a client address may have a log line now.
func (b *beacons) mayLog(addr string) bool {
	if b.logged.ItemCount() > 100_000 { // a flood of addresses: nobody gets a line for a while
		return false
	}
	return b.logged.Add(addr, struct{}{}, b.every) == nil
}

// beacon answers POST /bff/v1/beacon.
func (s *Server) beacon(x *exchange) error {
	x.quiet()
	mayLog := s.beacons.mayLog(s.clientAddr(x))
	status, fields, herr := s.readBeacon(x)
	if mayLog {
		attrs := []any{"request_id", x.requestID(), "status", status}
		for _, k := range []string{"tenant", "platform", "v", "kind", "at", "origin"} {
			if v := fields[k]; v != "" {
				attrs = append(attrs, k, v)
			}
		}
		if herr == nil {
			attrs = append(attrs, "count", fields["count"])
		}
		s.log.Info("widget beacon", attrs...)
	}
	if herr != nil {
		return herr
	}
	return x.noContent()
}

// readBeacon checks a beacon and counts it. fields are what may be logged.
func (s *Server) readBeacon(x *exchange) (int, map[string]string, *HTTPError) {
	fields := map[string]string{}
	fail := func(herr *HTTPError) (int, map[string]string, *HTTPError) { return herr.Code, fields, herr }
	if len(x.body()) > s.o.BeaconBodyLimit {
		return fail(&HTTPError{Code: http.StatusRequestEntityTooLarge, ErrorCode: CodeBodyTooLarge, Msg: "The beacon is too large."})
	}
	m, herr := jsonObject(x.body())
	if herr != nil {
		return fail(herr)
	}
	for _, k := range []string{"v", "tenant", "platform", "kind", "at"} {
		v, herr := stringField(m, k, 64)
		if herr != nil {
			return fail(herr)
		}
		if v != "" && !beaconFieldRe.MatchString(v) {
			return fail(badRequest(CodeBadRequest, "%s must be a short token (letters, digits, . _ : / + -).", k))
		}
		fields[k] = v
	}
	if fields["kind"] == "" {
		return fail(badRequest(CodeBadRequest, "kind is required."))
	}
	if fields["tenant"] == "" {
		// A script tag that names no store (data-tenant missing or misspelled): counted and
		// logged under no tenant with the page's origin, so the operator can find the site.
		if fields["kind"] != "opts" {
			return fail(badRequest(CodeBadRequest, "tenant is required (only an \"opts\" beacon, from a tag without data-tenant, may leave it out)."))
		}
		fields["origin"] = clip(x.header("Origin"), 128)
		fields["count"] = strconv.FormatInt(s.beacons.count("", "opts"), 10)
		return http.StatusNoContent, fields, nil
	}
	t := s.tenant(fields["tenant"])
	if t == nil {
		return fail(&HTTPError{Code: http.StatusNotFound, ErrorCode: CodeUnknownTenant, Msg: "Unknown store."})
	}
	if origin := x.header("Origin"); origin != "" && !t.origins[origin] {
		return fail(&HTTPError{Code: http.StatusForbidden, ErrorCode: CodeOriginNotAllowed, Msg: "This page's origin is not allowed for this store."})
	}
	fields["count"] = strconv.FormatInt(s.beacons.count(fields["tenant"], fields["kind"]), 10)
	return http.StatusNoContent, fields, nil
}

// clip keeps at most n bytes of a client's header for a log line.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
