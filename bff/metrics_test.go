package bff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
)

// The metrics, over real HTTP, against what really happened: a real BFF in front of a real
// sandbox that counts every call by store, class and status, scraped and parsed as Prometheus
// parses it.

func TestMetrics(t *testing.T) {
	c := newClock()
	up := startCountingSandbox(t, c)
	b := startBFF(t, c, up.url, func(o *Options) {
		o.CacheTTL = time.Minute
		o.ClientLoginBurst, o.ClientLoginEvery = 3, time.Hour // three logins per address, then 429
	})
	scrape := scrapeMetrics(t, b.srv)
	login := func(tenant, session string) resp {
		return b.do("POST", loginPath, hdr{"X-Bq-Tenant": tenant}, `{"sessionToken":"`+session+`","segmentToken":"seg"}`)
	}

	// Before any request, every store has its series, at zero.
	m := scrape()
	for _, tenant := range []string{"demo", "other"} {
		for _, result := range []string{"hit", "miss", "stale"} {
			if len(m.series("bff_cache_lookups_total", "tenant", tenant, "result", result)) != 1 {
				t.Errorf("no bff_cache_lookups_total for %s %s before the first request", tenant, result)
			}
		}
		m.want("bff_breaker_state", 0, "tenant", tenant)
	}

	// demo: three logins reach the platform (one refused), the fourth is refused by the BFF.
	ana := auth("demo", mustOK(t, login("demo", "ana")).item()["SecureToken"].(string))
	if r := login("demo", "made-up"); r.Status != 401 {
		t.Fatalf("made-up login: %d %s", r.Status, r.Raw)
	}
	bruno := auth("demo", mustOK(t, login("demo", "bruno")).item()["SecureToken"].(string))
	if r := login("demo", "carla"); r.Status != 429 || r.code() != CodeClientRateLimited {
		t.Fatalf("fourth login: %d %s", r.Status, r.Raw)
	}
	// A listing twice: the platform once, then a hit. A redeem: a money call.
	const list = rewardsPath + "?purchaseValue=100"
	mustOK(t, b.do("GET", list, ana, ""))
	mustOK(t, b.do("GET", list, ana, ""))
	hits := 1.0
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", ana, `{"OriginalId":"cart-m"}`))

	// Two identical listings at once: the second joins the first's call (if it came too late,
	// it is a hit instead: tried again, waiting longer).
	coalesced := 0.0
	for attempt, wait := range []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second} {
		path := fmt.Sprintf("%s?purchaseValue=%d", rewardsPath, 200+attempt)
		h := up.holdNextListing()
		answers := make(chan resp, 2)
		get := func() {
			r, err := try(http.DefaultClient, b.url, "GET", path, bruno, "")
			if err != nil {
				t.Error(err)
			}
			answers <- r
		}
		go get()
		<-h.arrived
		if n := scrape().value("bff_upstream_calls_in_flight", "tenant", "demo"); n != 1 {
			t.Errorf("calls in flight while one is held: %v", n)
		}
		go get()
		time.Sleep(wait)
		close(h.release)
		mustOK(t, <-answers)
		mustOK(t, <-answers)
		m := scrape()
		coalesced = m.value("bff_coalesced_requests_total", "tenant", "demo")
		if coalesced == 1 {
			break
		}
		hits++ // the second came after the first's answer was kept
		t.Logf("attempt %d: the second listing came after %v (coalesced %v)", attempt, wait, coalesced)
	}
	if coalesced != 1 {
		t.Fatalf("coalesced requests: %v, want 1", coalesced)
	}

	// other: its platform allows one call a second and the clock stands still: the login
	// passes, the listing gets the platform's 429, the next one the BFF's own hold.
	oana := auth("other", mustOK(t, login("other", "ana")).item()["SecureToken"].(string))
	for i := range 2 {
		if r := b.do("GET", list, oana, ""); r.Status != 429 || r.code() != CodeRateLimited {
			t.Fatalf("other's listing %d: %d %s", i, r.Status, r.Raw)
		}
	}

	// Requests that name none of our stores.
	if r := b.do("GET", list, hdr{"X-Bq-Tenant": "made-up-store", "X-Bq-SecureToken": "x"}, ""); r.Status < 400 {
		t.Fatalf("an unknown store: %d", r.Status)
	}
	b.do("GET", "/healthz", nil, "")
	if r := b.do("GET", "/no/such/path", nil, ""); r.Status != 404 {
		t.Fatalf("404: %d", r.Status)
	}
	if r := b.do("OPTIONS", PathSession, hdr{"Origin": shopOrigin, "Access-Control-Request-Method": "POST"}, ""); r.Status != 204 {
		t.Fatalf("preflight: %d", r.Status)
	}
	if r := b.do("OPTIONS", PathSession, hdr{"Access-Control-Request-Method": "POST"}, ""); r.Status != 404 { // no Origin: not a preflight
		t.Fatalf("OPTIONS without an Origin: %d", r.Status)
	}

	m = scrape()
	// Upstream calls: exactly what the sandbox answered, by store, class and status.
	seen := up.counts()
	total := 0
	for k, n := range seen {
		total += n
		m.want("bff_upstream_calls_total", float64(n), "tenant", k[0], "class", k[1], "status", k[2])
	}
	if got := m.sum("bff_upstream_calls_total"); got != float64(total) {
		t.Errorf("bff_upstream_calls_total sums to %v, the sandbox answered %d calls: %v", got, total, seen)
	}
	for _, class := range []string{"money", "login", "listing"} {
		for _, tenant := range []string{"demo", "other"} {
			n := 0
			for k, v := range seen {
				if k[0] == tenant && k[1] == class {
					n += v
				}
			}
			m.want("bff_upstream_call_seconds", float64(n), "tenant", tenant, "class", class)
		}
	}
	for _, want := range [][3]string{{"demo", "login", "200"}, {"demo", "login", "401"}, {"demo", "listing", "200"}, {"demo", "money", "200"}, {"other", "listing", "429"}} {
		if seen[want] == 0 {
			t.Errorf("the sandbox saw no %v call: the test proves less than it says (%v)", want, seen)
		}
	}
	// What the BFF answered, by route pattern.
	const loginRoute = "/pub/widget/vendors/:platform/securelogin"
	m.want("bff_requests_total", 2, "tenant", "demo", "route", loginRoute, "status", "200")
	m.want("bff_requests_total", 1, "tenant", "demo", "route", loginRoute, "status", "401")
	m.want("bff_requests_total", 1, "tenant", "demo", "route", loginRoute, "status", "429")
	m.want("bff_requests_total", 2, "tenant", "other", "route", rewardsPath, "status", "429")
	m.want("bff_requests_total", 1, "tenant", "other", "route", loginRoute, "status", "200")
	m.want("bff_request_seconds", 4, "tenant", "demo", "route", loginRoute)
	m.want("bff_requests_total", 1, "tenant", "", "route", "/healthz", "status", "200")
	m.want("bff_requests_total", 2, "tenant", "", "route", "unmatched", "status", "404")
	m.want("bff_requests_total", 1, "tenant", "", "route", "preflight", "status", "204")
	for _, name := range []string{"bff_cache_lookups_total", "bff_upstream_call_seconds", "bff_budget_refusals_total", "bff_coalesced_requests_total"} {
		if n := len(m.series(name, "tenant", "")); n != 0 {
			t.Errorf("%s has %d series for tenant \"\": only a store's", name, n)
		}
	}
	if strings.Contains(m.raw, "made-up-store") {
		t.Errorf("a store's name made up by a client became a label value")
	}
	// 429s, the cache, coalescing, the breaker.
	m.want("bff_rate_limited_sent_total", 1, "tenant", "demo", "code", CodeClientRateLimited)
	m.want("bff_rate_limited_sent_total", 2, "tenant", "other", "code", CodeRateLimited)
	m.want("bff_rate_limited_received_total", 0, "tenant", "demo")
	m.want("bff_rate_limited_received_total", 1, "tenant", "other")
	m.want("bff_cache_lookups_total", hits, "tenant", "demo", "result", "hit")
	m.want("bff_coalesced_requests_total", 1, "tenant", "demo")
	m.want("bff_coalesced_requests_total", 0, "tenant", "other")
	m.want("bff_upstream_calls_in_flight", 0, "tenant", "demo")
	m.want("bff_breaker_state", 0, "tenant", "demo")
	if m.value("bff_cache_bytes") <= 0 || m.value("bff_cache_entries") <= 0 {
		t.Errorf("cache: %v bytes, %v entries", m.value("bff_cache_bytes"), m.value("bff_cache_entries"))
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if m.fam[name] == nil {
			t.Errorf("no %s: the Go and process collectors are not registered", name)
		}
	}
	if t.Failed() {
		t.Logf("sandbox: %v\n%s", seen, bffLines(m.raw))
	}
}

// bffLines are the bff_ lines of a scrape, sorted, histograms' buckets left out.
func bffLines(raw string) string {
	var out []string
	for _, l := range strings.Split(raw, "\n") {
		if strings.HasPrefix(l, "bff_") && !strings.Contains(l, "_bucket{") {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestMetricsBreakerUnreachableAndReload: a platform that answers 503 opens its store's
// breaker (state 2, the 503 counted), an unreachable one counts status "0", a store whose
// budget reports its windows shows them, and a store removed by a reload loses its series.
func TestMetricsBreakerUnreachableAndReload(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there now
	c := newClock()
	b := startBFF(t, c, failing.URL, func(o *Options) {
		o.BreakerFailures = 1
		o.Tenants[1].Upstream = closed.URL
	})
	b.srv.metrics.budgetLeft = func(t *tenant) []budgetWindowLeft {
		return []budgetWindowLeft{{Window: "second", Left: len(t.cfg.Key), Limit: 10}, {Window: "minute", Left: 290, Limit: 300}}
	}
	scrape := scrapeMetrics(t, b.srv)
	for _, tenant := range []string{"demo", "demo", "other"} {
		if r := b.do("POST", loginPath, hdr{"X-Bq-Tenant": tenant}, `{"sessionToken":"ana","segmentToken":"s"}`); r.Status < 500 {
			t.Fatalf("%s: %d %s", tenant, r.Status, r.Raw)
		}
	}
	m := scrape()
	m.want("bff_upstream_calls_total", 1, "tenant", "demo", "class", "login", "status", "503") // the second never left: the breaker is open
	m.want("bff_breaker_state", 2, "tenant", "demo")
	m.want("bff_upstream_calls_total", 1, "tenant", "other", "class", "login", "status", "0")
	m.want("bff_budget_left", 4, "tenant", "demo", "window", "second")
	m.want("bff_budget_limit", 300, "tenant", "other", "window", "minute")

	if err := b.srv.ReloadTenants(b.srv.o.Tenants[:1]); err != nil {
		t.Fatal(err)
	}
	m = scrape()
	if strings.Contains(m.raw, `tenant="other"`) {
		t.Errorf("the removed store's series are still there:\n%s", bffLines(m.raw))
	}
	m.want("bff_upstream_calls_total", 1, "tenant", "demo", "class", "login", "status", "503")
	if n := m.sum("bff_requests_total", "tenant", "demo", "route", "/pub/widget/vendors/:platform/securelogin"); n != 2 {
		t.Errorf("demo's logins answered: %v, want 2", n)
	}
}

// BenchmarkMetricsAnswered: what every request pays for its metrics (a store, a route and a
// status seen before): no allocation.
func BenchmarkMetricsAnswered(b *testing.B) {
	m := benchMetrics(b)
	m.answered("demo", rewardsPath, 200, time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		m.answered("demo", rewardsPath, 200, 3*time.Microsecond)
	}
}

// BenchmarkMetricsCacheHit: a cache hit's whole cost in metrics (the lookup and the answer).
func BenchmarkMetricsCacheHit(b *testing.B) {
	m := benchMetrics(b)
	m.answered("demo", rewardsPath, 200, time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		m.cacheLookup("demo", "hit")
		m.answered("demo", rewardsPath, 200, 3*time.Microsecond)
	}
}

func BenchmarkMetricsUpstreamCall(b *testing.B) {
	m := benchMetrics(b)
	m.upstreamCall("demo", classListing, 200, time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		m.upstreamCall("demo", classListing, 200, 20*time.Millisecond)
	}
}

func BenchmarkMetricsAnsweredParallel(b *testing.B) {
	m := benchMetrics(b)
	m.answered("demo", rewardsPath, 200, time.Millisecond)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.answered("demo", rewardsPath, 200, 3*time.Microsecond)
		}
	})
}

func benchMetrics(b *testing.B) *metrics {
	b.Helper()
	s, err := New(Options{Tenants: []TenantConfig{{Key: "demo", Upstream: "http://127.0.0.1:1", AllowedOrigins: []string{shopOrigin}}},
		Keys: []Key{testKey}, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	return s.metrics
}

// TestMetricsAllocateNothing: after their first use, the request path's metrics allocate
// nothing.
func TestMetricsAllocateNothing(t *testing.T) {
	s, err := New(Options{Tenants: []TenantConfig{{Key: "demo", Upstream: "http://127.0.0.1:1", AllowedOrigins: []string{shopOrigin}}},
		Keys: []Key{testKey}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m := s.metrics
	calls := func() {
		m.answered("demo", rewardsPath, 200, time.Millisecond)
		m.answered("", "unmatched", 404, time.Millisecond)
		m.cacheLookup("demo", "hit")
		m.cacheLookup("demo", "miss")
		m.coalesced("demo")
		m.upstreamCall("demo", classMoney, 200, time.Millisecond)
		m.rateLimitedSent("demo", CodeClientRateLimited)
		m.rateLimitedReceived("demo")
		m.budgetRefused("demo", classListing)
	}
	calls()
	if n := testing.AllocsPerRun(100, calls); n != 0 {
		t.Fatalf("%v allocations per round", n)
	}
}
