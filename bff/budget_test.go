package bff

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// limitedStore is a real sandbox on the real clock whose store "demo" the platform limits
// with rl, with extra shoppers s0..s(n-1) (5,000 points each), counting the calls that reach
// it per path and the 429s it answers.
type limitedStore struct {
	url     string
	calls   *callCounter
	limited atomic.Int64
}

func startLimitedStore(t testing.TB, rl sandbox.RateLimit, shoppers int) *limitedStore {
	t.Helper()
	seed := twoTenantSeed()
	seed.Tenants[0].RateLimit = &rl
	for i := range shoppers {
		seed.Tenants[0].Shoppers = append(seed.Tenants[0].Shoppers, sandbox.SeedShopper{SessionToken: fmt.Sprint("s", i),
			UserID: fmt.Sprintf("s%d@example.com", i), Name: fmt.Sprint("Shopper ", i), Email: fmt.Sprintf("s%d@example.com", i), Points: 5000, Enrolled: true})
	}
	sb, err := sandbox.New(sandbox.Options{Seed: seed, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ls := &limitedStore{calls: &callCounter{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.calls.add(r.URL.Path)
		rec := &statusRecorder{ResponseWriter: w}
		sb.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			ls.limited.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	ls.url = srv.URL
	return ls
}

// With the platform's own budget, many shoppers asking for views at many times the budget
// never make the platform answer 429: the BFF answers stale copies or 429 budget_spent
// itself, and a redeem in the middle of it goes through (money before listings).
func TestBudgetKeepsThePlatformFromRefusing(t *testing.T) {
	store := startLimitedStore(t, sandbox.RateLimit{PerSecond: 10, PerMinute: 300}, 12)
	b := startBFF(t, newClock(), store.url, func(o *Options) {
		o.Now = time.Now
		o.Budget = Budget{} // the platform's
		o.CacheTTL = 500 * time.Millisecond
	})
	tokens := make([]string, 12)
	for i := range tokens {
		tokens[i] = b.login("demo", fmt.Sprint("s", i))
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	stop := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			for n := 0; time.Now().Before(stop); n++ {
				path := fmt.Sprintf("/bff/v1/checkout?purchaseValue=%d&checkoutCode=cart-%d", 100+n%5, i%12)
				r, err := try(http.DefaultClient, b.url, "GET", path, auth("demo", tokens[i%12]), "")
				key := "error"
				if err == nil {
					key = strconv.Itoa(r.Status) + " " + r.code()
					switch {
					case r.Status != 200:
					case len(r.item()["Missing"].([]any)) > 0:
						key = "200 partial"
					case r.Header.Get("Age") != "":
						key = "200 stale"
					}
				}
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
			}
		})
	}
	time.Sleep(time.Second)
	redeem := b.do("POST", "/pub/widget/rewards/redeem/301?purchaseValue=100", auth("demo", tokens[0]), `{"OriginalId":"cart-0"}`)
	wg.Wait()
	t.Logf("views: %v; upstream listings %d, 429s from the platform %d", outcomes, store.calls.get("/pub/widget/rewards/checkout"), store.limited.Load())
	if store.limited.Load() != 0 {
		t.Errorf("the platform answered 429 %d times", store.limited.Load())
	}
	mustOK(t, redeem)
	// Which views are fresh, stale or partial depends on the order the calls arrive in (the
	// applied states the views read come before their listings); that every one was
	// answered by the BFF, and none refused by the platform, does not.
	if outcomes["200 "]+outcomes["200 stale"]+outcomes["200 partial"] == 0 {
		t.Errorf("no view was answered: %v", outcomes)
	}
	for k := range outcomes {
		if k != "200 " && k != "200 stale" && k != "200 partial" && k != "429 "+CodeBudgetSpent {
			t.Errorf("unexpected outcome %q", k)
		}
	}
}

// When the budget has no call left, a listing that has a stale copy is answered from it at
// once, saying how old it is (Age header; the view's Age), and not kept as fresh; the
// applied state is never stale; money still goes out.
func TestStaleListingWhenTheBudgetIsShort(t *testing.T) {
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	b := startBFF(t, newClock(), store.url, func(o *Options) {
		o.Now = time.Now
		o.Budget = Budget{PerSecond: -1, PerMinute: 7, PerHour: -1} // listings: 4 of the minute; money: 7
		o.BudgetLoginShare, o.BudgetListingShare = 0.8, 0.6
		o.CacheTTL = 200 * time.Millisecond
		o.CacheStale = time.Minute
	})
	tok := b.login("demo", "ana") // 1 call (a login: 5 of 6)
	a := auth("demo", tok)
	view := func() resp { return b.do("GET", "/bff/v1/checkout?purchaseValue=100", a, "") }
	v := mustOK(t, view()) // 2 listing calls
	if v.Header.Get("Age") != "" || num(v.item()["Age"]) != 0 {
		t.Fatalf("a fresh view says it is stale: %s", v.Raw)
	}
	listings := store.calls.get("/pub/widget/rewards/checkout")
	mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=200", a, "")) // 1 more: 4 calls, all listings may take
	time.Sleep(1200 * time.Millisecond)                                             // expired, and Age rounds to at least 1
	stale := mustOK(t, view())
	if stale.Header.Get("Age") == "" || num(stale.item()["Age"]) < 1 {
		t.Fatalf("want a stale view with its age, got Age %q: %s", stale.Header.Get("Age"), stale.Raw)
	}
	if got := store.calls.get("/pub/widget/rewards/checkout"); got != listings+1 {
		t.Errorf("listings upstream: %d, want %d (the stale view asked for nothing)", got, listings+1)
	}
	if len(stale.item()["Rewards"].([]any)) == 0 {
		t.Error("the stale view has no rewards")
	}
	if r := b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=400", a, ""); r.Status != 429 || r.code() != CodeBudgetSpent || r.Header.Get("Retry-After") == "" {
		t.Errorf("a listing with no stale copy and no budget: want 429 %s with Retry-After, got %d %s", CodeBudgetSpent, r.Status, r.Raw)
	}
	// Money is still served: the window keeps its last calls for it.
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", a, `{"OriginalId":"cart-9"}`))
	// After the write, the stale copies are gone with the rest: nothing from before it.
	if r := view(); r.Status == 200 && r.Header.Get("Age") != "" {
		t.Errorf("a stale view from before the redeem after it: %s", r.Raw)
	}
}

// A client's share binds only while the store's budget is contended. On a store with room a
// shopper asking 40 listings in a moment is served (the platform would serve them); once the
// budget has refused listings, that shopper is refused past their share, alone: another
// shopper of the store is served.
func TestClientShareBindsOnlyUnderContention(t *testing.T) {
	store := startLimitedStore(t, sandbox.RateLimit{}, 0)
	b := startBFF(t, newClock(), store.url, func(o *Options) {
		o.Now = time.Now
		o.Budget = Budget{PerSecond: -1, PerMinute: 600, PerHour: -1} // a share of 10%: 60 a minute, bursts of 12
		o.ClientShare = 0
	})
	greedy := auth("demo", b.login("demo", "ana"))
	for n := range 20 { // 40 listing calls asked at once, on an idle store
		mustOK(t, b.do("GET", fmt.Sprintf("/bff/v1/checkout?purchaseValue=%d", 100+n), greedy, ""))
	}

	// The store's budget runs short: the second's window refuses listings (BudgetWait is
	// short here), and the shares bind for a minute.
	b2 := startBFF(t, newClock(), store.url, func(o *Options) {
		o.Now = time.Now
		o.Budget = Budget{PerSecond: 10, PerMinute: 600, PerHour: -1}
		o.BudgetWait = time.Millisecond
		o.ClientShare = 0
	})
	greedy, other := auth("demo", b2.login("demo", "ana")), auth("demo", b2.login("demo", "bruno"))
	var wg sync.WaitGroup
	var spent atomic.Int64
	for n := range 20 {
		wg.Go(func() {
			if r := b2.do("GET", fmt.Sprintf("/bff/v1/checkout?purchaseValue=%d", 200+n), greedy, ""); r.Status == 429 || len(r.item()["Missing"].([]any)) > 0 {
				spent.Add(1)
			}
		})
	}
	wg.Wait()
	if spent.Load() == 0 {
		t.Fatal("40 listings at once in a budget of 10 a second: none was refused")
	}
	time.Sleep(1600 * time.Millisecond) // the second's window (1.5 s) has room again
	// Refused past their share: the whole view (429), or its parts the share had no call for.
	r := b2.do("GET", "/bff/v1/checkout?purchaseValue=999", greedy, "")
	limited := r.Status == 429 && r.code() == CodeClientRateLimited && r.Header.Get("Retry-After") != ""
	if r.Status == 200 {
		for _, p := range r.item()["Problems"].(map[string]any) {
			limited = limited || p.(map[string]any)["ErrorCode"] == CodeClientRateLimited
		}
	}
	if !limited {
		t.Fatalf("the greedy shopper past their share on a contended store: want %s, got %d %s", CodeClientRateLimited, r.Status, r.Raw)
	}
	mustOK(t, b2.do("GET", "/bff/v1/checkout?purchaseValue=999", other, ""))
	if store.limited.Load() != 0 {
		t.Error("the platform refused")
	}
}

// A store's platform that stops answering, under 300 concurrent calls: a shopper of that
// store who has a view is still served it, stale, with its age (stale-if-error), at once,
// while the platform's connections are held by the others.
func TestStaleWhileTheStoresPlatformHangs(t *testing.T) {
	c := newClock()
	sb, _ := startSandbox(t, c)
	var hanging atomic.Bool
	release := make(chan struct{})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hanging.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, sb.URL+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	}))
	t.Cleanup(proxy.Close)
	t.Cleanup(func() { close(release) }) // first: the hung handlers end, then the server closes
	b := startBFF(t, c, proxy.URL, func(o *Options) {
		o.Now = time.Now
		o.UpstreamConns, o.UpstreamQueue = 8, 32
		o.UpstreamTimeout = 3 * time.Second
		o.BreakerFailures = 1000 // the platform's silence, not the breaker, is under test
		o.CacheTTL = 100 * time.Millisecond
	})
	a := auth("demo", b.login("demo", "ana"))
	view := PathCheckout + "?purchaseValue=100"
	fresh := mustOK(t, b.do("GET", view, a, ""))
	time.Sleep(1100 * time.Millisecond) // past the TTL: only a stale copy is left
	hanging.Store(true)
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 300}}
	defer client.CloseIdleConnections()
	for i := range 300 {
		wg.Go(func() {
			_, _ = try(client, b.url, "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"},
				fmt.Sprintf(`{"sessionToken":"s%d","segmentToken":"x"}`, i))
		})
	}
	gate := b.srv.tenant("demo").shield.gate
	for deadline := time.Now().Add(10 * time.Second); gate.in.Load() < 8 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	} // every connection to the platform is held by a hung call
	start := time.Now()
	r := mustOK(t, b.do("GET", view, a, ""))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the stale view took %v: it waited for the hung platform", took)
	}
	if r.Header.Get("Age") == "" || num(r.item()["Age"]) < 1 || len(r.item()["Missing"].([]any)) != 0 {
		t.Errorf("want the whole view, stale, with its age: Age %q, %s", r.Header.Get("Age"), r.Raw)
	}
	if num(r.item()["PointsBalance"]) != num(fresh.item()["PointsBalance"]) {
		t.Errorf("the stale view's balance %v, the fresh one's %v", r.item()["PointsBalance"], fresh.item()["PointsBalance"])
	}
	wg.Wait()
}

// One shopper on an idle store, with the store's budget the platform's (defaults otherwise),
// sending each call as soon as the previous one answered: listing, view, redeem, listing,
// view, restore, reverse, listing. The platform itself would answer every one, so the BFF
// must too: the client's share binds only when the store's budget is contended, and a
// listing waits for the second's window rather than being refused while the minute has room.
func TestOneShopperOnAnIdleStoreIsNeverRefused(t *testing.T) {
	store := startLimitedStore(t, sandbox.RateLimit{PerSecond: 10, PerMinute: 300, PerHour: 10000}, 0)
	b := startBFF(t, newClock(), store.url, func(o *Options) {
		*o = Options{Tenants: o.Tenants, Keys: o.Keys, Logger: quiet} // the defaults: per-client limits and shares on
	})
	for round := range 3 {
		tok := b.login("demo", "ana")
		a := auth("demo", tok)
		cart := fmt.Sprint("cart-idle-", round)
		steps := []struct{ name, method, path, body string }{
			{"listing", "GET", "/pub/widget/rewards/checkout?purchaseValue=120", ""},
			{"view", "GET", "/bff/v1/checkout?purchaseValue=120&checkoutCode=" + cart, ""},
			{"redeem", "POST", "/pub/widget/rewards/redeem/302?purchaseValue=120", `{"OriginalId":"` + cart + `"}`},
			{"listing", "GET", "/pub/widget/rewards/checkout?purchaseValue=120", ""},
			{"view", "GET", "/bff/v1/checkout?purchaseValue=120&checkoutCode=" + cart, ""},
			{"restore", "POST", "/pub/widget/rewards/checkout", `{"CheckoutCode":"` + cart + `"}`},
			{"reverse", "POST", "/pub/widget/rewards/checkout/{id}/reverse", ""},
			{"listing", "GET", "/pub/widget/rewards/checkout?purchaseValue=120", ""},
		}
		redeemed := ""
		for i, st := range steps {
			path := strings.Replace(st.path, "{id}", redeemed, 1)
			r := b.do(st.method, path, a, st.body)
			if r.Status != 200 {
				t.Fatalf("round %d, step %d (%s): %d %s", round, i+1, st.name, r.Status, r.Raw)
			}
			if st.name == "redeem" {
				redeemed = fmt.Sprint(num(r.item()["Reward"].(map[string]any)["RedeemedId"]))
			}
		}
	}
	if store.limited.Load() != 0 {
		t.Errorf("the platform answered 429 %d times", store.limited.Load())
	}
}
