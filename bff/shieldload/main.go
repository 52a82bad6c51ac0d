// Command shieldload is the shield's load test (issue #9): checkout views at many times a
// store's upstream budget, spread over three BFF replicas sharing one Redis, in front of the
// embedded sandbox with the platform's rate limit on for that store. It passes when the
// sandbox answered no 429, every redeem and every reverse took effect exactly once (the
// sandbox's ledger says so), and no view was older than the staleness bound; it reports how
// the views were answered.
//
//	go run ./bff/shieldload              # 30 seconds, 20× the budget (needs redis-server)
//	go run ./bff/shieldload -d 5s        # shorter
//
// Everything runs in this process (the sandbox, the replicas, the load), each server on its
// own port, over real HTTP; the replicas share nothing but Redis (a redis-server started here
// on a free port, or REDIS_URL).
package main

// Over 400 lines: one command, its flags, the load it runs and its report; journey.go holds
// the journey load.

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/bff/internal/redisserver"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

func main() {
	var c config
	flag.DurationVar(&c.duration, "d", 30*time.Second, "how long the views are asked for")
	flag.IntVar(&c.times, "x", 20, "the views asked a second, as a multiple of the store's budget a second (10)")
	flag.IntVar(&c.replicas, "replicas", 3, "BFF replicas sharing one Redis")
	flag.IntVar(&c.shoppers, "shoppers", 100, "shoppers signed in (before the run) and viewing")
	flag.IntVar(&c.writers, "writers", 10, "shoppers among them who redeem a reward and then reverse it during the run")
	flag.DurationVar(&c.ttl, "cache-ttl", 5*time.Second, "the replicas' CACHE_TTL")
	flag.DurationVar(&c.stale, "cache-stale", 10*time.Second, "the replicas' CacheStale: no view may be older than TTL + this")
	var jc journeyConfig
	flag.Float64Var(&jc.rate, "journeys", 0, "run the journey load test instead: shoppers' checkout journeys started a second (see journey.go)")
	flag.DurationVar(&jc.step, "step", time.Second, "journeys: the time between a shopper's steps")
	flag.Float64Var(&jc.redeem, "redeem", 1, "journeys: the share of shoppers who redeem")
	flag.Float64Var(&jc.reverse, "reverse", 1.0/3, "journeys: the share of redeemers who then remove the reward")
	flag.Uint64Var(&jc.seed, "seed", 1, "journeys: the random seed of the shoppers' choices")
	flag.Parse()
	if jc.rate > 0 {
		jc.duration = c.duration
		rep, err := runJourneys(jc, os.Stdout)
		if err != nil {
			fmt.Fprintln(os.Stderr, "shieldload:", err)
			os.Exit(1)
		}
		if len(rep.Failures) > 0 {
			fmt.Fprintln(os.Stderr, "shieldload: FAILED:\n  "+strings.Join(rep.Failures, "\n  "))
			os.Exit(1)
		}
		return
	}
	rep, err := run(c, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shieldload:", err)
		os.Exit(1)
	}
	if len(rep.Failures) > 0 {
		fmt.Fprintln(os.Stderr, "shieldload: FAILED:\n  "+strings.Join(rep.Failures, "\n  "))
		os.Exit(1)
	}
}

type config struct {
	duration                           time.Duration
	times, replicas, shoppers, writers int
	ttl, stale                         time.Duration
}

// budget is the store's: the platform's documented limit, on in the sandbox and kept by the BFF.
var budget = sandbox.RateLimit{PerSecond: 10, PerMinute: 300, PerHour: 10000}

// report is what a run found.
type report struct {
	Views       map[string]int // how the views were answered
	ViewsAsked  int
	Upstream    int64         // calls that reached the sandbox
	Elapsed     time.Duration // from the first view to the last answer (the writers may finish after the views)
	Platform429 int64
	MaxAge      int // seconds, the oldest view answered
	Redeems     int // redeems that took effect (ledger)
	Reverses    int
	Failures    []string
}

func run(c config, out io.Writer) (*report, error) {
	quiet := slog.New(slog.DiscardHandler)
	// The replicas' warnings (Redis unreachable, the breaker) are part of the result; the
	// refusals the run counts are not repeated line by line.
	warnings := slog.New(notRequests{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		srv, err := redisserver.Start()
		if err != nil {
			return nil, fmt.Errorf("%w, and REDIS_URL is not set", err)
		}
		defer srv.Stop()
		redisURL = srv.URL()
	}

	// The sandbox, with the platform's rate limit on for the store, counting what reaches it.
	seed := sandbox.DefaultSeed()
	seed.Tenants[0].RateLimit = &budget
	for i := range c.shoppers {
		id := "s" + strconv.Itoa(i)
		seed.Tenants[0].Shoppers = append(seed.Tenants[0].Shoppers, sandbox.SeedShopper{SessionToken: id,
			UserID: id + "@load.test", Name: "Shopper " + id, Email: id + "@load.test", Points: 5000, Enrolled: true})
	}
	sb, err := sandbox.New(sandbox.Options{Seed: &seed, Logger: quiet})
	if err != nil {
		return nil, err
	}
	var upstream, limited atomic.Int64
	sandboxURL, closeSandbox, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/pub/") {
			upstream.Add(1)
		}
		rec := &statusRecorder{ResponseWriter: w}
		sb.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			limited.Add(1)
		}
	}))
	if err != nil {
		return nil, err
	}
	defer closeSandbox()

	// The replicas: one key, one Redis, the store's budget the platform's.
	secret := make([]byte, 32)
	_, _ = crand.Read(secret)
	var urls []string
	for range c.replicas {
		store := bff.DemoTenant(sandboxURL, nil)
		store.Budget = &bff.Budget{PerSecond: budget.PerSecond, PerMinute: budget.PerMinute, PerHour: budget.PerHour} // the platform's limit, as the sandbox keeps it
		s, err := bff.New(bff.Options{Tenants: []bff.TenantConfig{store}, Keys: []bff.Key{{ID: "k1", Secret: secret}},
			RedisURL: redisURL, Replicas: c.replicas, CacheTTL: c.ttl, CacheStale: c.stale, Logger: warnings,
			TrustedProxyHeader: "X-Forwarded-For", // each shopper at an address of their own, as a proxy in front would say
			RedisTimeout:       2 * time.Second})  // the load and the replicas share two cores: a slow answer is not an outage here
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		go func() { _ = s.Serve(ln) }()
		defer func() { _ = s.Shutdown(context.Background()) }()
		urls = append(urls, "http://"+ln.Addr().String())
	}
	time.Sleep(2500 * time.Millisecond) // the replicas' first heartbeats: they count each other

	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	tokens := make([]string, c.shoppers)
	for i := range tokens { // before the run: each login spends the store's budget too
		for tokens[i] == "" {
			r, err := doFrom(hc, urls[i%len(urls)], "POST", "/pub/widget/vendors/vtex/securelogin", "", fmt.Sprintf(`{"sessionToken":"s%d","segmentToken":"x"}`, i), addrOf(i))
			if err != nil {
				return nil, err
			}
			if r.status == http.StatusOK {
				tokens[i] = r.item["SecureToken"].(string)
			} else {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	upstream.Store(0)
	fmt.Fprintf(out, "%d shoppers signed in over %d replicas; %d views a second for %v (%d× the store's %d a second)\n",
		c.shoppers, c.replicas, c.times*budget.PerSecond, c.duration, c.times, budget.PerSecond)

	rep := &report{Views: map[string]int{}}
	began := time.Now()
	var mu sync.Mutex
	bound := int((c.ttl + c.stale).Seconds())
	var wg sync.WaitGroup
	stop := time.Now().Add(c.duration)
	every := time.Second / time.Duration(c.times*budget.PerSecond)
	sem := make(chan struct{}, 256)
	n := 0
	for next := time.Now(); next.Before(stop); next = next.Add(every) {
		time.Sleep(time.Until(next))
		// A shopper's cart keeps its value, but one view in twenty follows a change of it.
		i, replica, pv := rand.IntN(c.shoppers), urls[n%len(urls)], 100+10*(n%c.shoppers%7) //nolint:gosec // G404: a load pattern, not a secret
		if rand.IntN(20) == 0 {                                                             //nolint:gosec // G404: as above
			pv += 1 + rand.IntN(500) //nolint:gosec // G404: as above
		}
		n++
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := doFrom(hc, replica, "GET", fmt.Sprintf("/bff/v1/checkout?purchaseValue=%d&checkoutCode=cart-%d", pv, i), tokens[i], "", addrOf(i))
			key, age := "transport error", 0
			if err == nil {
				key = strconv.Itoa(r.status) + " " + r.code
				if r.status == http.StatusOK {
					age, _ = strconv.Atoi(r.header.Get("Age"))
					missing, _ := r.item["Missing"].([]any)
					switch {
					case len(missing) > 0:
						key = fmt.Sprintf("200 without %v", missing)
						if age > 0 {
							key += ", stale"
						}
					case age > 0:
						key = "200 stale"
					default:
						key = "200 fresh"
					}
				}
			}
			mu.Lock()
			rep.Views[key]++
			rep.MaxAge = max(rep.MaxAge, age)
			mu.Unlock()
		})
	}
	rep.ViewsAsked = n

	// Meanwhile, writers redeem, then reverse, each retrying with the same key until it is done.
	money := make(chan error, c.writers)
	for w := range min(c.writers, c.shoppers) {
		go func() {
			time.Sleep(time.Duration(w) * c.duration / time.Duration(2*max(1, c.writers)))
			money <- redeemThenReverse(hc, urls, tokens[w], w, stop.Add(30*time.Second))
		}()
	}
	for range min(c.writers, c.shoppers) {
		if err := <-money; err != nil {
			rep.Failures = append(rep.Failures, err.Error())
		}
	}
	wg.Wait()
	rep.Upstream, rep.Platform429, rep.Elapsed = upstream.Load(), limited.Load(), time.Since(began)

	// The sandbox's ledger: one debit and one credit per writer, no more.
	for w := range min(c.writers, c.shoppers) {
		debits, credits, err := ledger(hc, sandboxURL, fmt.Sprintf("s%d@load.test", w))
		if err != nil {
			return nil, err
		}
		rep.Redeems += debits
		rep.Reverses += credits
		if debits != 1 || credits != 1 {
			rep.Failures = append(rep.Failures, fmt.Sprintf("writer s%d: %d debits and %d credits in the ledger, want 1 and 1", w, debits, credits))
		}
	}
	if rep.Platform429 != 0 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("the platform answered 429 %d times", rep.Platform429))
	}
	if rep.MaxAge > bound {
		rep.Failures = append(rep.Failures, fmt.Sprintf("a view %d s old, over the bound of %d s", rep.MaxAge, bound))
	}
	print(out, c, rep, bound)
	return rep, nil
}

func print(out io.Writer, c config, rep *report, bound int) {
	fmt.Fprintf(out, "views asked: %d over %v\n", rep.ViewsAsked, c.duration)
	keys := make([]string, 0, len(rep.Views))
	for k := range rep.Views {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "  %-45s %6d  %5.1f%%\n", k, rep.Views[k], 100*float64(rep.Views[k])/float64(max(1, rep.ViewsAsked)))
	}
	fmt.Fprintf(out, "calls that reached the platform: %d in %.0f s (%.1f a second; budget 10 a second, 300 a minute)\n", rep.Upstream, rep.Elapsed.Seconds(), float64(rep.Upstream)/rep.Elapsed.Seconds())
	fmt.Fprintf(out, "429s the platform answered: %d\n", rep.Platform429)
	fmt.Fprintf(out, "oldest view: %d s (bound: CACHE_TTL + stale = %d s)\n", rep.MaxAge, bound)
	fmt.Fprintf(out, "redeems in the ledger: %d, reverses: %d (writers: %d)\n", rep.Redeems, rep.Reverses, min(c.writers, c.shoppers))
}

// redeemThenReverse redeems reward 302 for the writer's cart, then reverses it, through
// changing replicas, retrying each (with the same OriginalId: the same key redeems once)
// while the BFF says to wait.
func redeemThenReverse(hc *http.Client, urls []string, token string, w int, deadline time.Time) error {
	var redeemedID string
	for try := 0; ; try++ {
		if time.Now().After(deadline) {
			return fmt.Errorf("writer s%d: the redeem never went through", w)
		}
		r, err := do(hc, urls[try%len(urls)], "POST", "/pub/widget/rewards/redeem/302", token, fmt.Sprintf(`{"OriginalId":"cart-%d"}`, w))
		if err == nil && r.status == http.StatusOK {
			reward, _ := r.item["Reward"].(map[string]any)
			id, _ := reward["RedeemedId"].(json.Number)
			if redeemedID = id.String(); redeemedID == "" {
				return fmt.Errorf("writer s%d: a redeem without RedeemedId: %s", w, r.raw)
			}
			break
		}
		if err == nil && r.status < 429 {
			return fmt.Errorf("writer s%d: redeem refused: %d %s", w, r.status, r.raw)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for try := 0; ; try++ {
		if time.Now().After(deadline) {
			return fmt.Errorf("writer s%d: the reverse never went through", w)
		}
		r, err := do(hc, urls[(try+1)%len(urls)], "POST", "/pub/widget/rewards/checkout/"+redeemedID+"/reverse", token, "")
		if err == nil && r.status == http.StatusOK {
			return nil
		}
		if err == nil && r.status < 429 {
			return fmt.Errorf("writer s%d: reverse refused: %d %s", w, r.status, r.raw)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// ledger counts a shopper's debits and credits in the sandbox.
func ledger(hc *http.Client, sandboxURL, userID string) (debits, credits int, err error) {
	r, err := do(hc, sandboxURL, "GET", "/_sandbox/tenants/demo/shoppers/"+userID, "", "")
	if err != nil || r.status != http.StatusOK {
		return 0, 0, errors.Join(err, fmt.Errorf("ledger of %s: %d", userID, r.status))
	}
	entries, _ := r.item["Ledger"].([]any)
	for _, e := range entries {
		switch e.(map[string]any)["Kind"] {
		case "debit":
			debits++
		case "credit":
			credits++
		}
	}
	return debits, credits, nil
}

// addrOf is shopper i's address.
func addrOf(i int) string { return fmt.Sprintf("10.0.%d.%d", i/250, 1+i%250) }

type answer struct {
	status int
	header http.Header
	raw    []byte
	item   map[string]any
	code   string
}

func do(hc *http.Client, base, method, path, token, body string) (answer, error) {
	return doFrom(hc, base, method, path, token, body, "")
}

// doFrom is do from a client address (the proxy's X-Forwarded-For).
func doFrom(hc *http.Client, base, method, path, token, body, addr string) (answer, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("X-Bq-Tenant", "demo")
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	if token != "" {
		req.Header.Set("X-Bq-SecureToken", token)
	}
	res, err := hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode, header: res.Header}
	if a.raw, err = io.ReadAll(res.Body); err != nil {
		return a, err
	}
	var env struct {
		Item      json.RawMessage
		ErrorCode string
	}
	if json.Unmarshal(a.raw, &env) == nil {
		a.code = env.ErrorCode
		dec := json.NewDecoder(strings.NewReader(string(env.Item)))
		dec.UseNumber()
		_ = dec.Decode(&a.item)
	}
	return a, nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// notRequests drops the replicas' "request failed" lines (the run counts every answer).
type notRequests struct{ slog.Handler }

func (h notRequests) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request failed" {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}
