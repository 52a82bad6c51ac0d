package bff

// Over 400 lines: every metric the BFF exports is defined here, with the one list of them
// below; split, the list and the definitions would drift apart.

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sony/gobreaker/v2"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// metrics counts what operators watch: Prometheus text at /metrics, served on its own address
// (main's -metrics-addr, METRICS_ADDR), never on the public one. Each Server has its own
// registry (tests run many servers in one process), with the Go runtime's and the process's
// collectors.
//
// Counters and histograms (every name starts with bff_):
//
//	bff_upstream_calls_total{tenant,class,status}      calls sent to a store's platform; status "0": no answer (timeout, unreachable, unreadable)
//	bff_upstream_call_seconds{tenant,class}            how long they took (the wait for a connection not included)
//	bff_cache_lookups_total{tenant,result}             result: hit, miss, stale (a stale copy answered), derived (made by the contract's rules, not asked)
//	bff_coalesced_requests_total{tenant}               requests that joined a platform call already under way
//	bff_budget_refusals_total{tenant,class}            calls that found the store's budget short
//	bff_rate_limited_sent_total{tenant,code}           429s the BFF answered, by ErrorCode
//	bff_rate_limited_received_total{tenant}            429s the platform answered
//	bff_funnel_total{tenant,step}                      the loyalty funnel: view, view_usable, redeem, confirmed, refused, removed, outgrown, reverse, owed, settled, order
//	bff_points_total{tenant,direction}                 points redemptions spent and reversals returned
//	bff_redeemed_value_total{tenant,direction}         the rewards' RedeemedValue, in the store's currency, spent and returned
//	bff_requests_total{tenant,route,status}            requests answered, by Fiber route pattern ("preflight", "unmatched" for the 404) and status
//	bff_request_seconds{tenant,route}                  how long the BFF took to answer them
//
// Gauges, read when scraped (stateCollector):
//
//	bff_breaker_state{tenant}                          0 closed, 1 half-open, 2 open
//	bff_upstream_calls_in_flight{tenant}               calls to the store's platform under way or waiting for a connection
//	bff_budget_left{tenant,window}, bff_budget_limit{tenant,window}   when budgetLeft is set
//	bff_cache_bytes, bff_cache_entries                 the cache's size (absent when the cache is off)
//
// Labels are bounded: tenant is a configured store's key, or "" for a request that named none
// of ours (the call sites check; a key that is not configured is taken as "" here too, and
// only bff_requests_total, bff_request_seconds and bff_rate_limited_sent_total have tenant
// ""); class is money, login or listing; route is a route's pattern, never a path; a status
// outside 100-599 is "0". Every configured store has its series from the first scrape, at
// zero. A store removed by ReloadTenants loses its series at the next scrape; requests under
// way for it then are counted under tenant "", and its platform calls no longer.
//
// The request path calls these methods on every request, cache hits included: after a
// store's, route's and status's first use they find their child metrics in maps read without
// a lock (copied on write, under mu) and allocate nothing.
type metrics struct {
	s       *Server
	reg     *prometheus.Registry
	handler http.Handler

	upstreamCalls        *prometheus.CounterVec
	upstreamSeconds      *prometheus.HistogramVec
	cacheLookups         *prometheus.CounterVec
	coalescedRequests    *prometheus.CounterVec
	budgetRefusals       *prometheus.CounterVec
	rateLimitedSentV     *prometheus.CounterVec
	rateLimitedReceivedV *prometheus.CounterVec
	requests             *prometheus.CounterVec
	requestSeconds       *prometheus.HistogramVec
	funnelV              *prometheus.CounterVec
	seen                 *gocache.Cache // events counted once (once)
	pointsV              *prometheus.CounterVec
	valueRedeemedV       *prometheus.CounterVec

	// budgetLeft, when set, says what is left of a store's upstream budget in each of its
	// windows; the scrape exports it as bff_budget_left and bff_budget_limit. It is set once,
	// in New, before the server serves (budget.go's owner sets it), and called on scrapes
	// only, concurrently with requests.
	budgetLeft func(t *tenant) []budgetWindowLeft

	mu       sync.Mutex                                // the writers of byTenant and of every childMap
	byTenant atomic.Pointer[map[string]*tenantMetrics] // by store key ("": none of ours); copied on write; never nil
}

// budgetWindowLeft is one window of a store's upstream budget: its name ("second", "minute",
// "hour", ...), the calls left in it now and its limit.
type budgetWindowLeft struct {
	Window      string
	Left, Limit int
}

// tenantMetrics are one store's child metrics, found without a lock.
type tenantMetrics struct {
	key  string // the label value: a configured key, or ""
	gone bool   // pruned (the store was removed): under mu; a new child goes to "" instead

	sent   childMap[string, prometheus.Counter] // by ErrorCode
	routes childMap[string, *routeMetrics]

	// A configured store's only (store): a platform call, a cache lookup, the budget are a
	// store's. For "", these are nil, and such an event is not counted.
	store           bool
	upstreamCalls   [numClasses]childMap[int, prometheus.Counter] // by class, then status
	upstreamSeconds [numClasses]prometheus.Observer
	budgetRefused   [numClasses]prometheus.Counter
	hit, miss       prometheus.Counter
	stale           prometheus.Counter
	derived         prometheus.Counter
	funnel          [len(funnelSteps)]prometheus.Counter
	spent, returned prometheus.Counter
	valueSpent      prometheus.Counter
	valueReturned   prometheus.Counter
	otherLookups    childMap[string, prometheus.Counter]
	coalesced       prometheus.Counter
	received        prometheus.Counter
}

// routeMetrics are one store's and route's.
type routeMetrics struct {
	route    string // the label value
	seconds  prometheus.Observer
	byStatus childMap[int, prometheus.Counter]
}

// childMap is a map read without a lock: a writer (holding metrics.mu) stores a new copy.
type childMap[K comparable, V any] struct{ p atomic.Pointer[map[K]V] }

func (c *childMap[K, V]) get(k K) (V, bool) {
	if m := c.p.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// add stores v under k; the caller holds metrics.mu.
func (c *childMap[K, V]) add(k K, v V) {
	old := c.p.Load()
	n := map[K]V{}
	if old != nil {
		n = make(map[K]V, len(*old)+1)
		for k, v := range *old {
			n[k] = v
		}
	}
	n[k] = v
	c.p.Store(&n)
}

// Buckets: a platform call takes milliseconds to UpstreamTimeout (8 s); the BFF answers a
// cache hit in microseconds.
var (
	upstreamBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	requestBuckets  = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

func newMetrics(s *Server) *metrics {
	m := &metrics{s: s, reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		m.reg.MustRegister(v)
		return v
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(v)
		return v
	}
	m.upstreamCalls = counter("bff_upstream_calls_total", `Calls sent to a store's platform, by class (money, login, listing) and the answer's status ("0": no answer: timeout, unreachable, unreadable).`, "tenant", "class", "status")
	m.upstreamSeconds = histogram("bff_upstream_call_seconds", "How long a call to a store's platform took, by class (the wait for a connection not included).", upstreamBuckets, "tenant", "class")
	m.cacheLookups = counter("bff_cache_lookups_total", "Answers and parts looked for in the cache: hit, miss, or stale (a stale copy answered, the budget being short or the platform failing).", "tenant", "result")
	m.coalescedRequests = counter("bff_coalesced_requests_total", "Requests that joined a platform call already under way for the same shopper and variant instead of making their own.", "tenant")
	m.budgetRefusals = counter("bff_budget_refusals_total", "Platform calls that found the store's budget short (answered stale, waited, or refused), by class.", "tenant", "class")
	m.rateLimitedSentV = counter("bff_rate_limited_sent_total", "429s the BFF answered, by ErrorCode (rate_limited: the platform's hold; client_rate_limited: one client's limit).", "tenant", "code")
	m.rateLimitedReceivedV = counter("bff_rate_limited_received_total", "429s a store's platform answered.", "tenant")
	m.requests = counter("bff_requests_total", `Requests the BFF answered, by route pattern ("preflight" for a CORS preflight, "unmatched" for a path that has none) and status; tenant "" when the request named none of ours.`, "tenant", "route", "status")
	m.requestSeconds = histogram("bff_request_seconds", "How long the BFF took to answer a request, by route pattern.", requestBuckets, "tenant", "route")
	m.seen = gocache.New(time.Hour, 10*time.Minute)
	m.funnelV = counter("bff_funnel_total", "The store's loyalty funnel, by step: view (a checkout view answered), view_usable (one with a reward the shopper can use), redeem (a reward redeemed or a redeemed one used), confirmed (the widget saw its coupon in the store's cart), refused (the store refused the coupon and the widget reversed the redemption), removed (the shopper took the reward out), outgrown (the cart no longer fit the reward), reverse (every reversal), owed (a reversal that failed for now: the widget retries it), settled (an owed reversal made), order (the widget reported an order placed).", "tenant", "step")
	m.pointsV = counter("bff_points_total", "Points the shopper's redemptions debited (spent) and their reversals gave back (returned), as the platform's answers say.", "tenant", "direction")
	m.valueRedeemedV = counter("bff_redeemed_value_total", "The value of the rewards redeemed (RedeemedValue: a fixed discount's amount, the cashback used) in the store's currency: spent by redemptions, returned by their reversals.", "tenant", "direction")
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &stateCollector{m: m})
	m.byTenant.Store(&map[string]*tenantMetrics{})
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            promLog{s.log},
		ErrorHandling:       promhttp.ContinueOnError, // serve what was gathered; the error is logged
		Registry:            m.reg,                    // promhttp_metric_handler_errors_total
		MaxRequestsInFlight: 4,
		Timeout:             5 * time.Second,
	})
	m.sync()
	return m
}

// promLog writes promhttp's errors to the server's log.
type promLog struct{ log *slog.Logger }

func (l promLog) Println(v ...any) { l.log.Warn("metrics", "error", fmt.Sprint(v...)) }

// Metrics serves the metrics in Prometheus' text format. Mount it on the operators' address
// only (main does: -metrics-addr). Before each scrape, the stores removed since the last one
// lose their series and new ones get theirs (zeros).
func (s *Server) Metrics() http.Handler {
	m := s.metrics
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.sync()
		m.handler.ServeHTTP(w, r)
	})
}

// sync matches the per-store series to the stores configured now: a removed store's are
// deleted, a new store's are made (at zero, so they exist before their first event).
func (m *metrics) sync() {
	set := m.s.tenants.Load()
	cur := *m.byTenant.Load()
	stale := false
	for key := range cur {
		if key != "" && set.byKey[key] == nil {
			stale = true
		}
	}
	missing := false
	for key := range set.byKey {
		if cur[key] == nil {
			missing = true
		}
	}
	if !stale && !missing {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur = *m.byTenant.Load()
	next := make(map[string]*tenantMetrics, len(set.byKey)+1)
	var gone []*tenantMetrics
	for key, tm := range cur {
		if key != "" && set.byKey[key] == nil {
			tm.gone = true
			gone = append(gone, tm)
			continue
		}
		next[key] = tm
	}
	for key := range set.byKey {
		if next[key] == nil {
			next[key] = m.newTenantMetrics(key, true)
		}
	}
	m.byTenant.Store(&next)
	for _, tm := range gone {
		match := prometheus.Labels{"tenant": tm.key}
		for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{m.upstreamCalls, m.upstreamSeconds,
			m.cacheLookups, m.coalescedRequests, m.budgetRefusals, m.rateLimitedSentV, m.rateLimitedReceivedV,
			m.requests, m.requestSeconds, m.funnelV, m.pointsV, m.valueRedeemedV} {
			v.DeletePartialMatch(match)
		}
	}
}

// newTenantMetrics makes a store's fixed children (none for "": not a store); the caller
// holds mu.
func (m *metrics) newTenantMetrics(key string, store bool) *tenantMetrics {
	key = labelValue(key)
	tm := &tenantMetrics{key: key, store: store}
	if !store {
		return tm
	}
	for c := range tm.upstreamSeconds {
		class := callClass(c).String()
		tm.upstreamSeconds[c] = m.upstreamSeconds.WithLabelValues(key, class)
		tm.budgetRefused[c] = m.budgetRefusals.WithLabelValues(key, class)
	}
	tm.hit = m.cacheLookups.WithLabelValues(key, "hit")
	tm.miss = m.cacheLookups.WithLabelValues(key, "miss")
	tm.stale = m.cacheLookups.WithLabelValues(key, "stale")
	tm.derived = m.cacheLookups.WithLabelValues(key, "derived")
	tm.coalesced = m.coalescedRequests.WithLabelValues(key)
	tm.received = m.rateLimitedReceivedV.WithLabelValues(key)
	for i, step := range funnelSteps {
		tm.funnel[i] = m.funnelV.WithLabelValues(key, step)
	}
	tm.spent = m.pointsV.WithLabelValues(key, "spent")
	tm.returned = m.pointsV.WithLabelValues(key, "returned")
	tm.valueSpent = m.valueRedeemedV.WithLabelValues(key, "spent")
	tm.valueReturned = m.valueRedeemedV.WithLabelValues(key, "returned")
	return tm
}

// A step of the loyalty funnel (bff_funnel_total's step label).
type funnelStep uint8

const (
	stepView       funnelStep = iota
	stepViewUsable            // a view with at least one usable reward
	stepRedeem
	stepConfirmed // the widget saw the coupon in the store's cart (POST /bff/v1/applied)
	stepRefused   // the store refused the coupon and the widget reversed (reverse why=refused)
	stepRemoved   // the shopper took the reward out (why=removed)
	stepOutgrown  // the cart no longer fits the reward, reversed (why=outgrown)
	stepReverse   // every reversal, whatever why
	stepOwed      // a reversal that failed retryably: the widget owes it
	stepSettled   // an owed reversal made (why=owed)
	stepOrder
)

var funnelSteps = [...]string{"view", "view_usable", "redeem", "confirmed", "refused", "removed", "outgrown", "reverse", "owed", "settled", "order"}

// once says whether an event (kind, id: a redemption debited, reversed, an order) is counted
// for the first time on this replica in the last hour: a retry with the same key gets the
// same answer and is not a second redemption.
func (m *metrics) once(tenant, kind string, id platform.Number) bool {
	if m == nil || id.Null() {
		return m != nil
	}
	return m.seen.Add(tenant+"\x00"+kind+string(id), struct{}{}, time.Hour) == nil
}

// funnel counts a step of a store's loyalty funnel.
func (m *metrics) funnel(tenant string, step funnelStep) {
	if m == nil {
		return
	}
	if tm := m.tenantFor(tenant); tm.store {
		tm.funnel[step].Inc()
	}
}

// redeemed counts what a redemption debited (points, from RedeemedPoints) and its value
// (RedeemedValue); a reversal (back) counts them as given back.
func (m *metrics) redeemed(tenant string, r *platform.RedeemedReward, back bool) {
	if m == nil || r == nil {
		return
	}
	tm := m.tenantFor(tenant)
	if !tm.store {
		return
	}
	points, _ := r.RedeemedPoints.Int64()
	value, _ := exactCents(platform.Number(strings.TrimPrefix(string(r.RedeemedValue), "-")))
	pc, vc := tm.spent, tm.valueSpent
	if back {
		pc, vc = tm.returned, tm.valueReturned
	}
	pc.Add(float64(max(-points, points)))
	vc.Add(float64(value) / 100)
}

// labelValue is s made valid UTF-8 (Prometheus refuses anything else), copied: a string from
// a request is Fiber's buffer, reused after it.
func labelValue(s string) string { return strings.Clone(strings.ToValidUTF8(s, "\uFFFD")) }

// tenantFor returns a store's children: found without a lock after the first use.
func (m *metrics) tenantFor(key string) *tenantMetrics {
	if tm := (*m.byTenant.Load())[key]; tm != nil {
		return tm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tenantLocked(key)
}

// tenantLocked is tenantFor with mu held: a key that is not configured is "".
func (m *metrics) tenantLocked(key string) *tenantMetrics {
	if key != "" && m.s.tenant(key) == nil {
		key = ""
	}
	cur := *m.byTenant.Load()
	if tm := cur[key]; tm != nil {
		return tm
	}
	tm := m.newTenantMetrics(key, key != "")
	next := make(map[string]*tenantMetrics, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[strings.Clone(key)] = tm // by the key, as the call sites pass it; tm.key is the label value
	m.byTenant.Store(&next)
	return tm
}

// live is tm, or "" 's when tm was pruned meanwhile; the caller holds mu.
func (m *metrics) live(tm *tenantMetrics) *tenantMetrics {
	if tm.gone {
		return m.tenantLocked("")
	}
	return tm
}

// statusLabel bounds a status: anything outside 100-599 is 0.
func statusLabel(status int) int {
	if status < 100 || status > 599 {
		return 0
	}
	return status
}

// upstreamCall: one call sent to a tenant's platform, of a class, and its answer's status (0:
// no answer: timeout, unreachable, unreadable), and how long it took.
func (m *metrics) upstreamCall(tenant string, class callClass, status int, d time.Duration) {
	if m == nil {
		return
	}
	tm, status := m.tenantFor(tenant), statusLabel(status)
	if !tm.store || class >= numClasses {
		return
	}
	c, ok := tm.upstreamCalls[class].get(status)
	if !ok {
		if c, tm = m.addUpstreamCall(tm, class, status); c == nil {
			return
		}
	}
	c.Inc()
	tm.upstreamSeconds[class].Observe(d.Seconds())
}

// addUpstreamCall makes a store's counter for a class and a status: nil when the store was
// removed meanwhile.
func (m *metrics) addUpstreamCall(tm *tenantMetrics, class callClass, status int) (prometheus.Counter, *tenantMetrics) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if tm.gone {
		return nil, tm
	}
	if c, ok := tm.upstreamCalls[class].get(status); ok {
		return c, tm
	}
	c := m.upstreamCalls.WithLabelValues(tm.key, class.String(), strconv.Itoa(status))
	tm.upstreamCalls[class].add(status, c)
	return c, tm
}

// cacheLookup: a cached answer or part was looked for: result is "hit", "miss" or "stale"
// (a stale copy answered, the budget being short or the platform failing).
func (m *metrics) cacheLookup(tenant, result string) {
	if m == nil {
		return
	}
	tm := m.tenantFor(tenant)
	if !tm.store {
		return
	}
	switch result {
	case "hit":
		tm.hit.Inc()
	case "miss":
		tm.miss.Inc()
	case "stale":
		tm.stale.Inc()
	case "derived":
		tm.derived.Inc()
	default:
		if c := m.child(tm, func(tm *tenantMetrics) *childMap[string, prometheus.Counter] { return &tm.otherLookups }, result, m.cacheLookups, true); c != nil {
			c.Inc()
		}
	}
}

// child returns tm's counter for one more label value in the map pick names, made on its
// first use from vec (labels tenant and that one); storeOnly: a store's counter, nil for ""
// (and after the store was removed).
func (m *metrics) child(tm *tenantMetrics, pick func(*tenantMetrics) *childMap[string, prometheus.Counter], value string, vec *prometheus.CounterVec, storeOnly bool) prometheus.Counter {
	if c, ok := pick(tm).get(value); ok {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if tm = m.live(tm); storeOnly && !tm.store {
		return nil
	}
	if c, ok := pick(tm).get(value); ok {
		return c
	}
	value = labelValue(value)
	c := vec.WithLabelValues(tm.key, value)
	pick(tm).add(value, c)
	return c
}

// coalesced: a request joined a platform call already under way for the same shopper and
// variant, instead of making its own.
func (m *metrics) coalesced(tenant string) {
	if m == nil {
		return
	}
	if tm := m.tenantFor(tenant); tm.store {
		tm.coalesced.Inc()
	}
}

// budgetRefused: a call of a class found the tenant's budget short (it was answered stale,
// waited, or refused).
func (m *metrics) budgetRefused(tenant string, class callClass) {
	if m == nil {
		return
	}
	if tm := m.tenantFor(tenant); tm.store && class < numClasses {
		tm.budgetRefused[class].Inc()
	}
}

// rateLimitedSent: the BFF answered a client 429, with its ErrorCode (rate_limited,
// client_rate_limited, ...).
func (m *metrics) rateLimitedSent(tenant, code string) {
	if m == nil {
		return
	}
	m.child(m.tenantFor(tenant), func(tm *tenantMetrics) *childMap[string, prometheus.Counter] { return &tm.sent }, code, m.rateLimitedSentV, false).Inc()
}

// rateLimitedReceived: the platform answered 429.
func (m *metrics) rateLimitedReceived(tenant string) {
	if m == nil {
		return
	}
	if tm := m.tenantFor(tenant); tm.store {
		tm.received.Inc()
	}
}

// answered: the BFF answered a request on a route (the route's pattern, not the path;
// "preflight", "unmatched": see routeLabel), for a tenant ("" when the request named none of ours), with a
// status, after d.
func (m *metrics) answered(tenant, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	tm, status := m.tenantFor(tenant), statusLabel(status)
	if rm, ok := tm.routes.get(route); ok {
		if c, ok := rm.byStatus.get(status); ok {
			c.Inc()
			rm.seconds.Observe(d.Seconds())
			return
		}
	}
	c, seconds := m.addAnswered(tm, route, status)
	c.Inc()
	seconds.Observe(d.Seconds())
}

// addAnswered makes a store's children for a route and a status.
func (m *metrics) addAnswered(tm *tenantMetrics, route string, status int) (prometheus.Counter, prometheus.Observer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tm = m.live(tm)
	rm, ok := tm.routes.get(route)
	if !ok {
		route = labelValue(route)
		rm = &routeMetrics{route: route, seconds: m.requestSeconds.WithLabelValues(tm.key, route)}
		tm.routes.add(route, rm)
	}
	c, ok := rm.byStatus.get(status)
	if !ok {
		c = m.requests.WithLabelValues(tm.key, rm.route, strconv.Itoa(status))
		rm.byStatus.add(status, c)
	}
	return c, rm.seconds
}

// stateCollector reads the gauges when scraped: each configured store's breaker, calls under
// way and budget, and the cache's size.
type stateCollector struct{ m *metrics }

var (
	breakerStateDesc = prometheus.NewDesc("bff_breaker_state", "A store's circuit breaker: 0 closed, 1 half-open, 2 open.", []string{"tenant"}, nil)
	inFlightDesc     = prometheus.NewDesc("bff_upstream_calls_in_flight", "Calls to a store's platform under way or waiting for a connection.", []string{"tenant"}, nil)
	budgetLeftDesc   = prometheus.NewDesc("bff_budget_left", "Calls left in a window of a store's upstream budget.", []string{"tenant", "window"}, nil)
	budgetLimitDesc  = prometheus.NewDesc("bff_budget_limit", "The calls a window of a store's upstream budget allows.", []string{"tenant", "window"}, nil)
	cacheBytesDesc   = prometheus.NewDesc("bff_cache_bytes", "Bytes the cache holds (its bound is CacheMaxBytes).", nil, nil)
	cacheEntriesDesc = prometheus.NewDesc("bff_cache_entries", "Entries the cache holds.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{breakerStateDesc, inFlightDesc, budgetLeftDesc, budgetLimitDesc, cacheBytesDesc, cacheEntriesDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	for key, t := range m.s.tenants.Load().byKey {
		key = labelValue(key)
		ch <- prometheus.MustNewConstMetric(breakerStateDesc, prometheus.GaugeValue, breakerState(t.shield.breaker.State()), key)
		ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, float64(t.shield.gate.in.Load()), key)
		if m.budgetLeft == nil {
			continue
		}
		for _, w := range m.budgetLeft(t) {
			window := labelValue(w.Window)
			ch <- prometheus.MustNewConstMetric(budgetLeftDesc, prometheus.GaugeValue, float64(w.Left), key, window)
			ch <- prometheus.MustNewConstMetric(budgetLimitDesc, prometheus.GaugeValue, float64(w.Limit), key, window)
		}
	}
	if m.s.cache != nil {
		used, entries := m.s.cache.stats()
		ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(used))
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(entries))
	}
}

func breakerState(s gobreaker.State) float64 {
	switch s {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}
