package bff

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/loyalty-checkout/bff-widget/bff/internal/redisserver"
	"github.com/loyalty-checkout/bff-widget/internal/testenv"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// redisServer is a real redis-server (Debian's package) the test started on a free port.
type redisServer struct {
	t testing.TB
	*redisserver.Server
}

// startRedis starts redis-server on a free port, without persistence; the test is skipped,
// saying why, only when redis-server is not installed (.ci/run installs it; with
// REQUIRE_ALL=1 it fails).
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	testenv.Need(t, testenv.RedisServer)
	srv, err := redisserver.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return &redisServer{t: t, Server: srv}
}

func (r *redisServer) url() string { return r.URL() }

// start starts the server again, empty, on its port.
func (r *redisServer) start() {
	r.t.Helper()
	if err := r.Restart(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *redisServer) stop() { r.Stop() }

// replicas starts n BFFs on one Redis, in front of one upstream, and waits until each shares.
func replicas(t *testing.T, n int, redis *redisServer, upstream string, mod func(*Options)) []*bffEnv {
	var bs []*bffEnv
	for range n {
		bs = append(bs, startBFF(t, newClock(), upstream, func(o *Options) {
			o.Now = time.Now
			o.RedisURL = redis.url()
			o.RedisTimeout = 2 * time.Second // a busy CI machine must not pass for a Redis outage
			if mod != nil {
				mod(o)
			}
		}))
	}
	for _, b := range bs {
		waitShared(t, b.srv, true)
	}
	for _, b := range bs { // and each has counted the others (a heartbeat every 2 s)
		for deadline := time.Now().Add(10 * time.Second); b.srv.redis.replicas() < n; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("a replica counts %d replicas, want %d", b.srv.redis.replicas(), n)
			}
		}
	}
	return bs
}

// waitShared waits until the server shares through Redis (up) or works alone (!up).
func waitShared(t *testing.T, s *Server, up bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s.redis.use() != nil == up {
			return
		}
	}
	t.Fatalf("the replica did not become shared=%v", up)
}

// Three replicas on one Redis: a part fetched by one is read by the others (no second
// platform call), a redeem on one is seen by a view on the others at once, and the 429 hold
// one of them got holds them all.
func TestReplicasShareThroughRedis(t *testing.T) {
	redis := startRedis(t)
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	bs := replicas(t, 3, redis, store.url, nil)
	a, b, c := bs[0], bs[1], bs[2]
	tok := a.login("demo", "ana") // the same key on every replica: its token works on each
	h := auth("demo", tok)
	const view = "/bff/v1/checkout?purchaseValue=100&checkoutCode=cart-r"
	v1 := mustOK(t, a.do("GET", view, h, ""))
	calls := store.calls.get("/pub/widget/rewards/checkout")
	for _, r := range []*bffEnv{b, c} {
		v := mustOK(t, r.do("GET", view, h, ""))
		if num(v.item()["PointsBalance"]) != num(v1.item()["PointsBalance"]) {
			t.Fatalf("replicas disagree: %s vs %s", v.Raw, v1.Raw)
		}
	}
	if got := store.calls.get("/pub/widget/rewards/checkout"); got != calls {
		t.Errorf("the other replicas asked the platform %d more times: the parts one fetched are not shared", got-calls)
	}
	// A redeem on A: B and C see it at once (no waiting out the TTL).
	mustOK(t, a.do("POST", "/pub/widget/rewards/redeem/302", h, `{"OriginalId":"cart-r"}`))
	for i, r := range []*bffEnv{b, c, a} {
		v := mustOK(t, r.do("GET", view, h, ""))
		if num(v.item()["PointsBalance"]) != num(v1.item()["PointsBalance"])-250 {
			t.Errorf("replica %d after the redeem on A: balance %v, want %v", i, v.item()["PointsBalance"], num(v1.item()["PointsBalance"])-250)
		}
		if v.item()["Applied"] == nil {
			t.Errorf("replica %d does not see the applied reward", i)
		}
	}
	// The platform's 429 hold, got by one replica, holds every replica.
	a.srv.redis.hold(context.Background(), "demo", 3*time.Second)
	if r := c.do("GET", "/pub/widget/rewards/checkout?purchaseValue=999", h, ""); r.Status != 429 {
		t.Errorf("replica C called the platform during a hold: %d %s", r.Status, r.Raw)
	}
}

// The replicas share the store's budget: together they never spend more than it.
func TestReplicasShareTheBudget(t *testing.T) {
	redis := startRedis(t)
	store := startLimitedStore(t, sandbox.RateLimit{PerSecond: 10, PerMinute: 300}, 6)
	bs := replicas(t, 3, redis, store.url, func(o *Options) { o.Budget = Budget{}; o.CacheTTL = 200 * time.Millisecond })
	var toks []string
	for i := range 6 {
		toks = append(toks, bs[i%3].login("demo", fmt.Sprint("s", i)))
	}
	stop := time.Now().Add(2 * time.Second)
	done := make(chan int)
	for i := range 12 {
		go func() {
			n := 0
			for ; time.Now().Before(stop); n++ {
				b := bs[n%3]
				_, _ = try(http.DefaultClient, b.url, "GET", fmt.Sprintf("/bff/v1/checkout?purchaseValue=%d", 100+n%7), auth("demo", toks[i%6]), "")
			}
			done <- n
		}()
	}
	total := 0
	for range 12 {
		total += <-done
	}
	t.Logf("%d views over 3 replicas in 2 s; %d listings reached the platform", total, store.calls.get("/pub/widget/rewards/checkout"))
	if store.limited.Load() != 0 {
		t.Errorf("the platform answered 429 %d times: the replicas spent more than the budget together", store.limited.Load())
	}
}

// Redis stopped mid-run: every replica serves on, alone (no request fails because Redis
// did); Redis back: they share again, and a redeem on one is seen by the others at once.
func TestRedisOutage(t *testing.T) {
	redis := startRedis(t)
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	bs := replicas(t, 2, redis, store.url, nil)
	a, b := bs[0], bs[1]
	h := auth("demo", a.login("demo", "ana"))
	const view = "/bff/v1/checkout?purchaseValue=100&checkoutCode=cart-o"
	before := mustOK(t, b.do("GET", view, h, ""))

	redis.stop()
	for i := range 20 { // the first calls find out, within RedisTimeout; none fails
		r := bs[i%2]
		mustOK(t, r.do("GET", fmt.Sprintf("/bff/v1/checkout?purchaseValue=%d&checkoutCode=cart-o", 100+i), h, ""))
	}
	waitShared(t, a.srv, false)
	// Alone, a replica spends its share of the store's budget: half, with two replicas.
	if left := a.srv.budgetLeft(a.srv.tenant("demo")); len(left) != 1 || left[0].Limit != maxBudget/2 {
		t.Errorf("alone, the replica's budget is %+v, want half of the hour's %d", left, maxBudget)
	}
	mustOK(t, a.do("POST", "/pub/widget/rewards/redeem/302", h, `{"OriginalId":"cart-o"}`))
	mustOK(t, a.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"bruno","segmentToken":"seg"}`))

	redis.start()
	waitShared(t, a.srv, true)
	waitShared(t, b.srv, true)
	// B worked alone while A redeemed: back on Redis, it dropped what it kept alone.
	v := mustOK(t, b.do("GET", view, h, ""))
	if num(v.item()["PointsBalance"]) != num(before.item()["PointsBalance"])-250 {
		t.Errorf("B after the outage: balance %v, want %v", v.item()["PointsBalance"], num(before.item()["PointsBalance"])-250)
	}
	if v.item()["Applied"] == nil {
		t.Fatal("B after the outage does not see the reward applied on A")
	}
	// Sharing again: a reverse on A (the reward leaves the cart, and stays the shopper's) is
	// seen by B at once.
	mustOK(t, a.do("POST", "/pub/widget/rewards/checkout/1001/reverse", h, ""))
	v = mustOK(t, b.do("GET", view, h, ""))
	if applied, _ := v.item()["Applied"].(map[string]any); applied != nil && applied["Reward"] != nil {
		t.Errorf("B after a reverse on A, Redis back: still applied: %s", v.Raw)
	}
}

// A client's limits hold across the replicas: a shopper whose calls alternate between two
// replicas is refused after the limit's burst in all, not after twice it; and an address's
// logins likewise.
func TestReplicasShareTheClientLimits(t *testing.T) {
	redis := startRedis(t)
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	bs := replicas(t, 2, redis, store.url, func(o *Options) {
		o.ShopperBurst, o.ShopperEvery = 5, time.Minute
		o.ClientLoginBurst, o.ClientLoginEvery = 3, time.Minute
	})
	h := auth("demo", bs[0].login("demo", "ana")) // the address's first login of 3
	served := 0
	for i := range 10 {
		if r := bs[i%2].do("GET", "/bff/v1/checkout?purchaseValue=100", h, ""); r.Status == 200 {
			served++
		} else if r.Status != 429 || r.code() != CodeClientRateLimited {
			t.Fatalf("want 200 or 429 %s, got %d %s", CodeClientRateLimited, r.Status, r.Raw)
		}
	}
	if served != 5 {
		t.Errorf("the shopper was served %d calls over two replicas, want 5 (the burst, counted once)", served)
	}
	logins := 1
	for i := range 4 {
		r := bs[(i+1)%2].do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"bruno","segmentToken":"seg"}`)
		if r.Status == 200 {
			logins++
		}
	}
	if logins != 3 {
		t.Errorf("the address signed in %d times over two replicas, want 3", logins)
	}
}

// redisReads counts the read events of a Redis server (INFO's total_reads_processed): a
// client's round trip is one read, however many commands it ran (a script's own calls count
// as commands, not reads).
func redisReads(t *testing.T, redis *redisServer) func() int64 {
	t.Helper()
	opt, err := rueidis.ParseURL(redis.url())
	if err != nil {
		t.Fatal(err)
	}
	opt.DisableCache = true
	c, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return func() int64 {
		info, err := c.Do(context.Background(), c.B().Info().Section("stats").Build()).ToString()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "total_reads_processed:"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatalf("no total_reads_processed in INFO stats:\n%s", info)
		return 0
	}
}

// TestACachedViewCostsOneRedisRoundTrip: with Redis, a request with a token spends its
// shopper's limit and reads the shopper's generation in one round trip, and a cached view
// needs nothing more. It took two before: the limit, then the generation.
func TestACachedViewCostsOneRedisRoundTrip(t *testing.T) {
	redis := startRedis(t)
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	b := replicas(t, 1, redis, store.url, func(o *Options) { o.ShopperBurst, o.ShopperEvery = 1000, time.Millisecond })[0]
	h := auth("demo", b.login("demo", "ana"))
	const view = "/bff/v1/checkout?purchaseValue=100&checkoutCode=cart-1"
	first := mustOK(t, b.do("GET", view, h, "")) // the miss, and the script loaded
	reads := redisReads(t, redis)
	const n = 40
	for attempt := 0; ; attempt++ { // a heartbeat (every 2 s) may fall in a run: then again
		before := reads()
		for range n {
			if r := mustOK(t, b.do("GET", view, h, "")); !bytes.Equal(r.Raw, first.Raw) {
				t.Fatalf("a cached view differs from the first:\n%s\n%s", r.Raw, first.Raw)
			}
		}
		got := reads() - before - 1 // not the INFO itself
		if got == n {
			break
		}
		if attempt == 2 {
			t.Fatalf("%d cached views cost Redis %d round trips, want %d (one each)", n, got, n)
		}
	}
	// The generation read with the limit is the one the cache goes by: a redeem is seen at once.
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", h, `{"OriginalId":"cart-1"}`))
	if v := mustOK(t, b.do("GET", view, h, "")); v.item()["Applied"] == nil || bytes.Equal(v.Raw, first.Raw) {
		t.Fatalf("the view after a redeem is the one before it: %s", v.Raw)
	}
}

// TestFallbackKnowsTheCallsMadeThroughRedis: a replica that loses Redis goes on with its
// share of the store's budget, counting the calls it made through Redis in the same windows:
// falling back does not start its share afresh (before, the store could spend up to twice
// its budget in the first window after Redis went).
func TestFallbackKnowsTheCallsMadeThroughRedis(t *testing.T) {
	redis := startRedis(t)
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	b := replicas(t, 1, redis, store.url, func(o *Options) {
		o.Tenants[0].Budget = &Budget{PerSecond: -1, PerMinute: 10, PerHour: -1}
	})[0]
	s, ten := b.srv, b.srv.tenant("demo")
	ctx := context.Background()
	for i := range 10 {
		if _, ok := s.takeBudget(ctx, ten, classMoney); !ok {
			t.Fatalf("call %d of 10 refused by the shared budget", i+1)
		}
	}
	if _, ok := s.takeBudget(ctx, ten, classMoney); ok {
		t.Fatal("an 11th call in the minute was allowed through Redis")
	}
	redis.stop()
	wait, ok := s.takeBudget(ctx, ten, classMoney) // finds Redis gone, falls back
	if ok {
		t.Fatal("alone, the replica spent an 11th call in the minute: its share started afresh")
	}
	if wait <= 0 || wait > 2*time.Minute {
		t.Fatalf("wait %v, want until the minute (and its margin) has passed", wait)
	}
	if s.redis.use() != nil {
		t.Fatal("the replica still counts on Redis")
	}
}

// With derived listings on, a write on one replica is still seen by a view on every other at
// once: the writer carries its basis into the new generation (its next view is derived, no
// call), the others find their copies older than the generation and ask.
func TestReplicasSeeAWriteAtOnceWithDerivedListings(t *testing.T) {
	redis := startRedis(t)
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	bs := replicas(t, 3, redis, store.url, func(o *Options) { o.NoDerive = false })
	a, b, c := bs[0], bs[1], bs[2]
	h := auth("demo", a.login("demo", "ana"))
	view := func(r *bffEnv) map[string]any {
		return mustOK(t, r.do("GET", "/bff/v1/checkout?purchaseValue=100&checkoutCode=cart-d&coupon=", h, "")).item()
	}
	balance := num(view(a)["PointsBalance"])
	listings := store.calls.get("/pub/widget/rewards/checkout")
	red := mustOK(t, a.do("POST", "/pub/widget/rewards/redeem/302?purchaseValue=100", h, `{"OriginalId":"cart-d"}`)).item()
	id := num(red["Reward"].(map[string]any)["RedeemedId"])
	v := view(a)
	if v["Derived"] != true || store.calls.get("/pub/widget/rewards/checkout") != listings {
		t.Errorf("the writer's view after its redeem: derived %v, %d listing calls", v["Derived"], store.calls.get("/pub/widget/rewards/checkout")-listings)
	}
	for i, r := range []*bffEnv{a, b, c} {
		v := view(r)
		if num(v["PointsBalance"]) != balance-250 || len(v["Redeemed"].([]any)) != 1 {
			t.Errorf("replica %d after the redeem on A: balance %v, %d redeemed", i, v["PointsBalance"], len(v["Redeemed"].([]any)))
		}
	}
	mustOK(t, b.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%v/reverse", id), h, ""))
	for i, r := range []*bffEnv{a, c, b} {
		v := view(r)
		if num(v["PointsBalance"]) != balance || len(v["Redeemed"].([]any)) != 0 {
			t.Errorf("replica %d after the reverse on B: balance %v, %d redeemed", i, v["PointsBalance"], len(v["Redeemed"].([]any)))
		}
	}
}
