package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const listing = "/pub/widget/rewards/checkout?purchaseValue="

func compare(d time.Duration, conns, shoppers int, maxBytes int64) error {
	fmt.Println("machine:", machine())
	var children []*child
	defer func() {
		for _, c := range children {
			c.stop()
		}
	}()
	run := func(role string, env ...string) (*child, error) {
		c, err := start(role, env...)
		if err == nil {
			children = append(children, c)
		}
		return c, err
	}
	sb, err := run("sandbox", "LOADCMP_SHOPPERS="+strconv.Itoa(shoppers))
	if err != nil {
		return err
	}
	up := "http://" + sb.addr
	// The miss is a real one (the platform asked): derived listings are off in this BFF.
	// Another BFF, with them on (the default), answers the same cart changes by derivation.
	hot, err := run("bff", "UPSTREAM="+up, "CACHE_TTL=10m", "LOADCMP_NODERIVE=1")
	if err != nil {
		return err
	}
	deriving, err := run("bff", "UPSTREAM="+up, "CACHE_TTL=10m")
	if err != nil {
		return err
	}
	cold, err := run("bff", "UPSTREAM="+up, "CACHE_TTL=0")
	if err != nil {
		return err
	}
	proxy, err := run("proxy", "UPSTREAM="+up)
	if err != nil {
		return err
	}
	hello, err := run("hello")
	if err != nil {
		return err
	}

	upTok, err := login(sb.addr, "ana")
	if err != nil {
		return err
	}
	hotTok, err := login(hot.addr, "ana")
	if err != nil {
		return err
	}
	coldTok, err := login(cold.addr, "ana")
	if err != nil {
		return err
	}
	derivingTok, err := login(deriving.addr, "ana")
	if err != nil {
		return err
	}
	// The listing of a cart worth another purchase value on every request (a cache answers
	// none), or of the same one (the BFF answers it from its cache).
	list := func(name, addr, tok string, distinct bool) target {
		t := target{name: name, addr: addr, method: "GET", uri: listing, want: 200, distinct: distinct,
			header: map[string]string{"X-Bq-Tenant": "demo", "X-Bq-SecureToken": tok}}
		if !distinct {
			t.uri += "120"
		}
		return t
	}
	direct := list("sandbox alone", sb.addr, upTok, true)
	proxied := list("ReverseProxy -> sandbox", proxy.addr, upTok, true)
	miss := list("BFF -> sandbox, cache miss", hot.addr, hotTok, true)
	hit := list("BFF, cached", hot.addr, hotTok, false)
	off := list("BFF -> sandbox, cache off", cold.addr, coldTok, true)
	derived := list("BFF, new value derived", deriving.addr, derivingTok, true)
	hw := target{name: "Fiber hello world", addr: hello.addr, method: "GET", uri: "/", want: 200}

	const rounds = 4
	fmt.Printf("\nlatency of one listing at 1 connection, p50 over %v each in %d interleaved rounds (added: minus the sandbox's own p50)\n", d, rounds)
	ts := []target{direct, proxied, miss, off, derived, hit, hw}
	if os.Getenv("LOADCMP_DEBUG") != "" {
		nh, err := run("nethttp-hello")
		if err != nil {
			return err
		}
		ts = append(ts, target{name: "net/http hello world", addr: nh.addr, method: "GET", uri: "/", want: 200})
	}
	lat, err := interleaved(ts, 1, d, rounds)
	if err != nil {
		return err
	}
	for _, t := range ts {
		r := lat[t.name]
		added := ""
		if t.name == proxied.name || t.name == miss.name || t.name == off.name || t.name == derived.name {
			added = fmt.Sprintf("added %s", us(r.p50-lat[direct.name].p50))
		}
		fmt.Printf("  %-28s %10s   p99 %10s   %s\n", t.name, us(r.p50), us(r.p99), added)
		if os.Getenv("LOADCMP_DEBUG") != "" {
			fmt.Printf("    p10 %s p25 %s p50 %s p75 %s p90 %s mean %s\n", us(r.lat[len(r.lat)/10]), us(r.lat[len(r.lat)/4]), us(r.p50),
				us(r.lat[len(r.lat)*3/4]), us(r.lat[len(r.lat)*9/10]), us(mean(r.lat)))
		}
	}
	addedProxy := lat[proxied.name].p50 - lat[direct.name].p50
	addedBFF := lat[miss.name].p50 - lat[direct.name].p50

	fmt.Printf("\nthroughput at %d connections, %v each in %d interleaved rounds\n", conns, d, rounds)
	ts = []target{hw, hit, proxied, miss, off}
	tput, err := interleaved(ts, conns, d, rounds)
	if err != nil {
		return err
	}
	for _, t := range ts {
		r := tput[t.name]
		fmt.Printf("  %-28s %10.0f req/s   p50 %10s   p99 %10s\n", t.name, r.rps, us(r.p50), us(r.p99))
	}

	if os.Getenv("LOADCMP_DEBUG") != "" { // the memory of the BFF that missed, and of the one without a cache
		for _, c := range []*child{hot, cold} {
			fmt.Print("  BFF ", c.addr, ":")
			if _, _, err := memStatsOf(c); err != nil {
				return err
			}
		}
	}
	if prefix := os.Getenv("LOADCMP_PROFILE"); prefix != "" { // CPU profiles at 1 connection: the BFF missing, without a cache, the proxy
		for _, p := range []struct {
			c *child
			t target
		}{{hot, miss}, {cold, off}, {proxy, proxied}} {
			done := make(chan error, 1)
			go func() {
				body, err := call(target{addr: p.c.stats, method: "GET", uri: "/debug/pprof/profile?seconds=4", want: 200})
				if err == nil {
					err = os.WriteFile(prefix+"-"+strings.NewReplacer(" ", "", ",", "-", ">", "").Replace(p.t.name)+".prof", body, 0o600) //nolint:gosec // G703: the operator names the file (LOADCMP_PROFILE)
				}
				done <- err
			}()
			r, err := load(p.t, 1, 5*time.Second)
			if err != nil {
				return err
			}
			if err := <-done; err != nil {
				return err
			}
			fmt.Printf("  profiled %s: %d requests in 5 s\n", p.t.name, r.reqs)
		}
	}
	fmt.Println("\nratios (issue #8's targets)")
	fmt.Printf("  added latency, BFF cache miss / ReverseProxy        %6.2f   (target <= 1.0)\n", float64(addedBFF)/float64(addedProxy))
	fmt.Printf("  added latency, BFF cache off / ReverseProxy         %6.2f\n", float64(lat[off.name].p50-lat[direct.name].p50)/float64(addedProxy))
	fmt.Printf("  added latency, BFF derived / ReverseProxy           %6.2f\n", float64(lat[derived.name].p50-lat[direct.name].p50)/float64(addedProxy))
	fmt.Printf("  cached listing req/s / Fiber hello world req/s      %6.3f   (target >= 0.5)\n", tput[hit.name].rps/tput[hw.name].rps)
	fmt.Printf("  cached listing req/s / ReverseProxy req/s           %6.2f\n", tput[hit.name].rps/tput[proxied.name].rps)

	if shoppers > 0 {
		if err := memoryRun(run, up, shoppers, maxBytes, conns); err != nil {
			return err
		}
	}
	return nil
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(max(1, len(ds)))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// login signs a shopper in at addr (the sandbox or a BFF) and returns the token.
func login(addr, session string) (string, error) {
	body, err := call(target{addr: addr, method: "POST", uri: "/pub/widget/vendors/vtex/securelogin", want: 200,
		header: map[string]string{"X-Bq-Tenant": "demo"}, body: `{"sessionToken":"` + session + `","segmentToken":"x"}`})
	if err != nil {
		return "", err
	}
	var env struct{ Item struct{ SecureToken string } }
	if err := json.Unmarshal(body, &env); err != nil || env.Item.SecureToken == "" {
		return "", fmt.Errorf("login at %s: %s", addr, body)
	}
	return env.Item.SecureToken, nil
}

// memStatsOf reads a child's RSS and live heap.
func memStatsOf(c *child) (rss, heap int64, err error) {
	body, err := call(target{addr: c.stats, method: "GET", uri: "/", want: 200})
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(body))
	rss, _ = strconv.ParseInt(f[0], 10, 64)
	heap, _ = strconv.ParseInt(f[1], 10, 64)
	if os.Getenv("LOADCMP_DEBUG") != "" {
		fmt.Println("    debug: rss heapAlloc heapSys heapIdle heapReleased stackInuse sys:", string(body))
	}
	return rss, heap, nil
}

// memoryRun fills a fresh BFF's cache with the views of 10 shoppers, then of n, and compares
// its memory, then again once every entry has expired.
func memoryRun(run func(string, ...string) (*child, error), up string, n int, maxBytes int64, conns int) error {
	const ttl = 8 * time.Second
	b, err := run("bff", "UPSTREAM="+up, "CACHE_TTL="+ttl.String(), "CACHE_MAX_BYTES="+strconv.FormatInt(maxBytes, 10))
	if err != nil {
		return err
	}
	views := func(from, to int) error {
		var next atomic.Int64
		next.Store(int64(from))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for range conns {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= to {
						return
					}
					err := view(b.addr, "s"+strconv.Itoa(i))
					if err != nil {
						mu.Lock()
						first = err
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		return first
	}
	fmt.Printf("\nmemory of the BFF: each shopper signs in and asks for the checkout view (CACHE_MAX_BYTES %s, CACHE_TTL %v)\n", mib(maxBytes), ttl)
	if err := views(0, 10); err != nil {
		return err
	}
	rss10, heap10, err := memStatsOf(b)
	if err != nil {
		return err
	}
	fmt.Printf("  after %6d shoppers   RSS %10s   live heap %10s\n", 10, mib(rss10), mib(heap10))
	start := time.Now()
	if err := views(10, n); err != nil {
		return err
	}
	took := time.Since(start)
	rssN, heapN, err := memStatsOf(b)
	if err != nil {
		return err
	}
	fmt.Printf("  after %6d shoppers   RSS %10s   live heap %10s   (%v)\n", n, mib(rssN), mib(heapN), took.Round(time.Millisecond))
	fmt.Printf("  RSS(%d) / RSS(10) = %.2f; RSS grew %s, allowed: the bound + 8 MiB = %s: %v\n", n, float64(rssN)/float64(rss10),
		mib(rssN-rss10), mib(maxBytes+8<<20), rssN-rss10 <= maxBytes+8<<20)
	time.Sleep(ttl + time.Second)
	rssE, heapE, err := memStatsOf(b)
	if err != nil {
		return err
	}
	fmt.Printf("  %v after the last view: RSS %10s   live heap %10s\n", (ttl + time.Second).Round(time.Second), mib(rssE), mib(heapE))
	return nil
}

// view signs a shopper in at a BFF and asks for the checkout view.
func view(addr, session string) error {
	tok, err := login(addr, session)
	if err != nil {
		return err
	}
	_, err = call(target{addr: addr, method: "GET", uri: "/bff/v1/checkout?purchaseValue=120&checkoutCode=cart-" + session, want: 200,
		header: map[string]string{"X-Bq-Tenant": "demo", "X-Bq-SecureToken": tok}})
	return err
}
