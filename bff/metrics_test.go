package bff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// The metrics, over real HTTP, against what really happened: a real BFF in front of a real
// sandbox that counts every call by store, class and status, scraped and parsed as Prometheus
// parses it.

// countingSandbox is a real sandbox (tenants "demo" and "other"; other's platform allows one
// call a second, and the test's clock stands still) that counts the calls it answers by
// tenant, class and status, and can hold the next listing call until the test releases it.
type countingSandbox struct {
	url   string
	mu    sync.Mutex
	calls map[[3]string]int // tenant, class, status
	hold  *metricsHold
}

type metricsHold struct{ arrived, release chan struct{} }

func startCountingSandbox(t *testing.T, c *clock) *countingSandbox {
	t.Helper()
	seed := twoTenantSeed()
	seed.Tenants[1].RateLimit = &sandbox.RateLimit{PerSecond: 1}
	sb, err := sandbox.New(sandbox.Options{Seed: seed, Now: c.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingSandbox{calls: map[[3]string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		class := classMoney.String() // redeem, use-redeemed, reverse, the applied state
		switch {
		case strings.HasSuffix(r.URL.Path, "/securelogin"):
			class = classLogin.String()
		case r.Method == http.MethodGet:
			class = classListing.String()
		}
		cs.mu.Lock()
		h := cs.hold
		if class == classListing.String() {
			cs.hold = nil
		}
		cs.mu.Unlock()
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, r)
		if h != nil && class == classListing.String() {
			close(h.arrived)
			<-h.release
		}
		cs.mu.Lock()
		cs.calls[[3]string{r.Header.Get(platform.HeaderTenant), class, strconv.Itoa(rec.Code)}]++
		cs.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	cs.url = srv.URL
	return cs
}

// holdNextListing makes the next listing call wait (arrived is closed when it has reached the
// sandbox) until release is closed.
func (cs *countingSandbox) holdNextListing() *metricsHold {
	h := &metricsHold{arrived: make(chan struct{}), release: make(chan struct{})}
	cs.mu.Lock()
	cs.hold = h
	cs.mu.Unlock()
	return h
}

func (cs *countingSandbox) counts() map[[3]string]int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := map[[3]string]int{}
	for k, v := range cs.calls {
		out[k] = v
	}
	return out
}

// scraped is one scrape, parsed.
type scraped struct {
	t   *testing.T
	fam map[string]*dto.MetricFamily
	raw string
}

// scrapeMetrics serves s.Metrics() over real HTTP and returns a function that scrapes it.
func scrapeMetrics(t *testing.T, s *Server) func() scraped {
	t.Helper()
	srv := httptest.NewServer(s.Metrics())
	t.Cleanup(srv.Close)
	return func() scraped {
		t.Helper()
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var raw strings.Builder
		p := expfmt.NewTextParser(model.UTF8Validation)
		fam, err := p.TextToMetricFamilies(teeReader{res.Body, &raw})
		if err != nil {
			t.Fatalf("metrics do not parse: %v", err)
		}
		return scraped{t: t, fam: fam, raw: raw.String()}
	}
}

type teeReader struct {
	r interface{ Read([]byte) (int, error) }
	w *strings.Builder
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// series returns the metrics of a family whose labels include every name=value pair given.
func (s scraped) series(name string, labels ...string) []*dto.Metric {
	f := s.fam[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			ok = ok && have[labels[i]] == labels[i+1]
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// value is the one series' value (a histogram's count); 0 when there is no such series.
func (s scraped) value(name string, labels ...string) float64 {
	s.t.Helper()
	ms := s.series(name, labels...)
	switch {
	case len(ms) == 0:
		return 0
	case len(ms) > 1:
		s.t.Fatalf("%s%v: %d series", name, labels, len(ms))
	}
	m := ms[0]
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	s.t.Fatalf("%s: neither counter, gauge nor histogram", name)
	return 0
}

func (s scraped) sum(name string, labels ...string) float64 {
	total := 0.0
	for _, m := range s.series(name, labels...) {
		total += m.GetCounter().GetValue()
	}
	return total
}

func (s scraped) want(name string, want float64, labels ...string) {
	s.t.Helper()
	if got := s.value(name, labels...); got != want {
		s.t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

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

// The store's loyalty funnel, per store: views and views with a usable reward (cached ones
// too), redeems and reversals once each (a retry with the same key is not a second one), the
// points and value they moved as the platform's answers say, and the orders the widget
// reports; another store's series stay at zero.
func TestFunnelMetrics(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	scrape := scrapeMetrics(t, b.srv)
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	view := func() { mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=99.80&checkoutCode=cart-f", a, "")) }
	view()
	view()        // from the cache: still a view the shopper saw
	for range 2 { // a retry with the same key: one redemption
		mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/301?purchaseValue=99.80", a, `{"OriginalId":"cart-f"}`))
	}
	view()
	red := mustOK(t, b.do("GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=99.80", a, "")).list()
	id := num(red[0].(map[string]any)["RedeemedId"])
	for range 2 {
		mustOK(t, b.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%v/reverse", id), a, ""))
	}
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302?purchaseValue=99.80", a, `{"OriginalId":"cart-f"}`))
	cash := mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/305?purchaseValue=99.80", a, `{"OriginalId":"cart-cash"}`)).item()
	cashValue := num(cash["Reward"].(map[string]any)["RedeemedValue"])
	if cashValue <= 0 {
		t.Fatalf("a cashback redemption with no value: %v", cash)
	}
	if r := b.do("POST", PathOrder, a, `{"CheckoutCode":"cart-f"}`); r.Status != 204 {
		t.Fatalf("order: %d %s", r.Status, r.Raw)
	}
	m := scrape()
	for step, want := range map[string]float64{"view": 3, "view_usable": 3, "redeem": 3, "reverse": 1, "order": 1} {
		m.want("bff_funnel_total", want, "tenant", "demo", "step", step)
		m.want("bff_funnel_total", 0, "tenant", "other", "step", step)
	}
	m.want("bff_points_total", 100+250, "tenant", "demo", "direction", "spent")
	m.want("bff_points_total", 100, "tenant", "demo", "direction", "returned")
	// RedeemedValue, as the platform's answers carry it (the sandbox: the cashback a
	// redemption used; none for these two discounts).
	var value float64
	for _, r := range red {
		value += num(r.(map[string]any)["RedeemedValue"])
	}
	m.want("bff_redeemed_value_total", value, "tenant", "demo", "direction", "returned")
	m.want("bff_redeemed_value_total", value+cashValue, "tenant", "demo", "direction", "spent")
	if p, _ := ledger(t, up.URL, "demo", "ana@example.com"); p != 5000-250 {
		t.Errorf("the ledger says %v points, the funnel %v spent and %v returned", p, m.value("bff_points_total", "tenant", "demo", "direction", "spent"), m.value("bff_points_total", "tenant", "demo", "direction", "returned"))
	}
}
