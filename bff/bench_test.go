package bff

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// Benchmarks of the fast path (issue #8), one per row of its table that a benchmark can show
// (the latency against a bare proxy and the throughput against a hello world are load
// comparisons: go run ./bff/loadcmp). Requests are handed to the BFF's own handler in
// process, so a benchmark measures what a request costs the BFF (and, on a miss, the
// platform's round trip over loopback to a real sandbox), not an HTTP client's costs.
//
//	go test -run '^$' -bench . -benchmem -count 6 ./bff

// inproc hands requests to the BFF's handler without a network.
type inproc struct {
	h   fasthttp.RequestHandler
	req fasthttp.Request
	ctx fasthttp.RequestCtx
}

func newInproc(s *Server, method, uri string, h hdr, body string) *inproc {
	p := &inproc{h: s.front.handler()}
	p.req.Header.SetMethod(method)
	p.req.SetRequestURI(uri)
	for k, v := range h {
		p.req.Header.Set(k, v)
	}
	if body != "" {
		p.req.Header.SetContentType("application/json")
		p.req.SetBodyString(body)
	}
	p.ctx.Init(&p.req, nil, nil)
	return p
}

// do sends the request once and returns the status.
func (p *inproc) do() int {
	p.req.CopyTo(&p.ctx.Request)
	p.ctx.Response.Reset()
	p.h(&p.ctx)
	return p.ctx.Response.StatusCode()
}

func (p *inproc) body() []byte { return p.ctx.Response.Body() }

func benchKeyring(b *testing.B) *keyring {
	kr, err := newKeyring([]Key{testKey}, 55*time.Minute, 30*time.Second, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	return kr
}

func BenchmarkTokenIssue(b *testing.B) {
	kr := benchKeyring(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := kr.issue("demo", "ana@example.com", "742b9b93-c1dc-4ec1-8f92-6b3a1838c613"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenVerify(b *testing.B) {
	kr := benchKeyring(b)
	tok, _, _ := kr.issue("demo", "ana@example.com", "742b9b93-c1dc-4ec1-8f92-6b3a1838c613")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.verify(tok, "demo"); err != nil {
			b.Fatal(err)
		}
	}
}

// listingBench is one authenticated listing of ana's, annotated, with the cache as given.
func listingBench(b *testing.B, cacheTTL time.Duration, path string) {
	c := &clock{t: time.Now()}
	up, calls := startBenchSandbox(b, c)
	env := startBFF(b, c, up.URL, func(o *Options) { o.CacheTTL = cacheTTL; o.Now = time.Now })
	p := newInproc(env.srv, "GET", path, auth("demo", env.login("demo", "ana")), "")
	if st := p.do(); st != 200 {
		b.Fatalf("%d %s", st, p.body())
	}
	before := calls.get(rewardsPath) + calls.get(redeemedPath)
	b.ReportAllocs()
	for b.Loop() {
		if st := p.do(); st != 200 {
			b.Fatal(st)
		}
	}
	b.ReportMetric(float64(calls.get(rewardsPath)+calls.get(redeemedPath)-before)/float64(b.N), "upstream-calls/op")
}

// BenchmarkProxiedListing is one listing with the cache off: every iteration asks the
// sandbox (loopback), decodes, annotates and encodes. The cache-miss cost.
func BenchmarkProxiedListing(b *testing.B) {
	listingBench(b, -1, rewardsPath+"?purchaseValue=120")
}

// BenchmarkMissedListing is the listing with the cache on, for another purchase value every
// time: a miss as a shopper's cart change makes one (the token is verified from the cache).
func BenchmarkMissedListing(b *testing.B) {
	c := &clock{t: time.Now()}
	up, _ := startBenchSandbox(b, c)
	env := startBFF(b, c, up.URL, func(o *Options) { o.Now = time.Now })
	p := newInproc(env.srv, "GET", rewardsPath+"?purchaseValue=1", auth("demo", env.login("demo", "ana")), "")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		p.req.SetRequestURI(rewardsPath + "?purchaseValue=" + strconv.Itoa(n))
		if st := p.do(); st != 200 {
			b.Fatal(st)
		}
	}
}

// BenchmarkCachedListing is the same listing answered from the cache: the hit's cost.
// Issue #8: hit / miss at most 0.1.
func BenchmarkCachedListing(b *testing.B) {
	listingBench(b, time.Hour, rewardsPath+"?purchaseValue=120")
}

// BenchmarkCachedView is the whole checkout view answered from the cache.
func BenchmarkCachedView(b *testing.B) {
	listingBench(b, time.Hour, "/bff/v1/checkout?purchaseValue=120&checkoutCode=cart-1")
}

// BenchmarkColdViews is 100 identical concurrent views of a cold cache (the shopper's cache
// dropped before each round): it reports the platform calls they cost together. Issue #8: at
// most 3 (was 201).
func BenchmarkColdViews(b *testing.B) {
	c := &clock{t: time.Now()}
	up := startGatedSandbox(b, c)
	up.delay = 2 * time.Millisecond // the platform takes its time: the views overlap
	env := startBFF(b, c, up.url, func(o *Options) { o.Now = time.Now })
	h := auth("demo", env.login("demo", "ana"))
	const path = "/bff/v1/checkout?purchaseValue=120&checkoutCode=cart-1"
	ps := make([]*inproc, 100)
	for i := range ps {
		ps[i] = newInproc(env.srv, "GET", path, h, "")
	}
	shopper := shopperKey("demo", "ana@example.com")
	before := up.count(viewCalls...)
	b.ReportAllocs()
	for b.Loop() {
		env.srv.cache.drop(shopper)
		var wg sync.WaitGroup
		for _, p := range ps {
			wg.Go(func() {
				if st := p.do(); st != 200 {
					b.Error(st)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(up.count(viewCalls...)-before)/float64(b.N), "upstream-calls/100-views")
}

// BenchmarkRepeatedView is a view asked again within the TTL: it reports the platform calls
// it costs. Issue #8: 0 (was 2).
func BenchmarkRepeatedView(b *testing.B) {
	c := &clock{t: time.Now()}
	up := startGatedSandbox(b, c)
	env := startBFF(b, c, up.url, func(o *Options) { o.Now = time.Now })
	p := newInproc(env.srv, "GET", "/bff/v1/checkout?purchaseValue=120&checkoutCode=cart-1", auth("demo", env.login("demo", "ana")), "")
	p.do()
	before := up.count(viewCalls...)
	b.ReportAllocs()
	for b.Loop() {
		if st := p.do(); st != 200 {
			b.Fatal(st)
		}
	}
	b.ReportMetric(float64(up.count(viewCalls...)-before)/float64(b.N), "upstream-calls/op")
}

// BenchmarkFirstVisit is what a shopper's first view costs the widget's browser: the
// securelogin then the view (two exchanges, as before issue #8), or POST /bff/v1/session (one).
func BenchmarkFirstVisit(b *testing.B) {
	c := &clock{t: time.Now()}
	up, _ := startBenchSandbox(b, c)
	env := startBFF(b, c, up.URL, func(o *Options) { o.Now = time.Now })
	const q = "?purchaseValue=120&checkoutCode=cart-1"
	b.Run("login+view", func(b *testing.B) {
		login := newInproc(env.srv, "POST", loginPath, hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"ana","segmentToken":"s"}`)
		b.ReportAllocs()
		for b.Loop() {
			if st := login.do(); st != 200 {
				b.Fatal(st)
			}
			var signed struct{ Item struct{ SecureToken string } }
			if err := json.Unmarshal(login.body(), &signed); err != nil {
				b.Fatal(err)
			}
			view := newInproc(env.srv, "GET", PathCheckout+q, auth("demo", signed.Item.SecureToken), "")
			if st := view.do(); st != 200 {
				b.Fatal(st, string(view.body()))
			}
		}
		b.ReportMetric(2, "exchanges/op")
	})
	b.Run("session", func(b *testing.B) {
		p := newInproc(env.srv, "POST", PathSession+q, hdr{"X-Bq-Tenant": "demo"}, sessionBody)
		b.ReportAllocs()
		for b.Loop() {
			if st := p.do(); st != 200 {
				b.Fatal(st)
			}
		}
		b.ReportMetric(1, "exchanges/op")
	})
}

// BenchmarkParallelListingShield is many concurrent listings of one shopper's cart through
// the BFF over HTTP with the default cache: it reports how many upstream calls each request
// cost.
func BenchmarkParallelListingShield(b *testing.B) {
	c := &clock{t: time.Now()}
	up, calls := startBenchSandbox(b, c)
	env := startBFF(b, c, up.URL, func(o *Options) { o.Now = time.Now })
	tok := env.login("demo", "ana")
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", env.url+"/pub/widget/rewards/checkout?purchaseValue=120", nil)
		req.Header.Set("X-Bq-Tenant", "demo")
		req.Header.Set("X-Bq-SecureToken", tok)
		for pb.Next() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
	b.ReportMetric(float64(calls.get("/pub/widget/rewards/checkout"))/float64(b.N), "upstream-calls/op")
}

// BenchmarkCacheMemory is the live heap after the views of 10 shoppers, then of 10,000, with
// CacheMaxBytes 8 MiB. Issue #8: memory after 10,000 at most that after 10 plus the bound
// plus 8 MiB (the load comparison shows the process's RSS, go run ./bff/loadcmp).
func BenchmarkCacheMemory(b *testing.B) {
	const shoppers, bound = 10_000, 8 << 20
	seed := sandbox.DefaultSeed()
	for i := range shoppers {
		id := "s" + strconv.Itoa(i)
		seed.Tenants[0].Shoppers = append(seed.Tenants[0].Shoppers, sandbox.SeedShopper{SessionToken: id, UserID: id + "@load.test",
			Name: id, Email: id + "@load.test", Points: 5000, Enrolled: true})
	}
	sb, err := sandbox.New(sandbox.Options{Seed: &seed, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	// Measured once, however many iterations are asked for: a round is seconds of work.
	{
		up := startHandler(b, sb)
		env := startBFF(b, &clock{t: time.Now()}, up, func(o *Options) { o.Now = time.Now; o.CacheMaxBytes = bound; o.CacheTTL = time.Hour })
		view := func(i int) {
			tok := env.login("demo", "s"+strconv.Itoa(i))
			p := newInproc(env.srv, "GET", "/bff/v1/checkout?purchaseValue=120&checkoutCode=c"+strconv.Itoa(i), auth("demo", tok), "")
			if st := p.do(); st != 200 {
				b.Fatal(st)
			}
		}
		heap := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(m.HeapAlloc) / (1 << 20)
		}
		for i := range 10 {
			view(i)
		}
		h10 := heap()
		for i := 10; i < shoppers; i++ {
			view(i)
		}
		h10k := heap()
		used, entries := env.srv.cache.stats()
		b.ReportMetric(h10, "heap-MiB-10")
		b.ReportMetric(h10k, "heap-MiB-10k")
		b.ReportMetric(float64(used)/(1<<20), "cache-MiB")
		b.ReportMetric(float64(entries), "entries")
		if h10k > h10+bound/(1<<20)+8 {
			b.Errorf("heap after %d shoppers %.1f MiB, after 10 %.1f MiB: over the bound (%d MiB) plus 8 MiB", shoppers, h10k, h10, bound>>20)
		}
	}
}

// startBenchSandbox is startSandbox without holding each answer to openapi.json (the tests'
// check): a benchmark measures the BFF, not the validator.
func startBenchSandbox(b *testing.B, c *clock) (*httptest.Server, *callCounter) {
	sb, err := sandbox.New(sandbox.Options{Seed: twoTenantSeed(), Now: c.Now, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	cc := &callCounter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cc.add(r.URL.Path)
		sb.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	return srv, cc
}

// startHandler serves a handler over HTTP for one benchmark.
func startHandler(b *testing.B, h http.Handler) string {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}

// missBench is a listing at another purchase value every time, as loadcmp's cache-miss run
// sends (every one asks the sandbox), in a BFF set up as loadcmp's: the soft memory limit
// main gives it (SoftMemoryLimit), and, with the cache on, a cache filled to its bound first,
// so each miss is stored into a full cache (evicting) beside a heap as large as production's.
func missBench(b *testing.B, cacheTTL time.Duration) {
	c := &clock{t: time.Now()}
	up, calls := startBenchSandbox(b, c)
	var opts Options
	env := startBFF(b, c, up.URL, func(o *Options) { o.CacheTTL = cacheTTL; o.Now = time.Now; opts = *o })
	if limit := SoftMemoryLimit(opts); limit > 0 {
		old := debug.SetMemoryLimit(limit)
		b.Cleanup(func() { debug.SetMemoryLimit(old) })
	}
	p := newInproc(env.srv, "GET", rewardsPath+"?purchaseValue=1", auth("demo", env.login("demo", "ana")), "")
	n := 0
	ask := func() {
		n++
		p.req.SetRequestURI(rewardsPath + "?purchaseValue=" + strconv.Itoa(n))
		if st := p.do(); st != 200 {
			b.Fatal(st, string(p.body()))
		}
	}
	if cc := env.srv.cache; cc != nil {
		// Emptied at the end: its expiry timer keeps the cache alive past the server, and the
		// next run (-count) would start beside a full one.
		b.Cleanup(cc.flush)
		for cc.evictions.Load() == 0 {
			ask()
		}
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if cc := env.srv.cache; cc != nil {
		used, entries := cc.stats()
		b.Logf("full: heap %.1f MiB, cache counts %.1f MiB in %d entries, %d misses", float64(m.HeapAlloc)/(1<<20), float64(used)/(1<<20), entries, n)
	}
	before := calls.get(rewardsPath)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		ask()
	}
	// The process's CPU (the BFF, the sandbox, the collector) a miss: on a shared machine
	// steadier than the wall clock's ns/op, which counts the time others ran.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(calls.get(rewardsPath)-before)/float64(b.N), "upstream-calls/op")
	if cc := env.srv.cache; cc != nil {
		used, entries := cc.stats()
		b.ReportMetric(float64(used)/float64(entries), "cached-B/entry")
	}
}

// BenchmarkMiss is a cache miss stored into a full cache: what the miss path costs (issue 17:
// at most what BenchmarkCacheOff costs; the one saves a token check, the other stores).
func BenchmarkMiss(b *testing.B) { missBench(b, 0) }

// BenchmarkCacheOff is the same listing with the cache off.
func BenchmarkCacheOff(b *testing.B) { missBench(b, -1) }

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
