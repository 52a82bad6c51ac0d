package bff

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// The fast path's guarantees (issue #8): a cache that never shows an answer from before a
// write to a request that started after it, that shares every part of the view, stays within
// its bytes and frees what expires, and whose shared calls outlive a caller who leaves.

// gatedSandbox is a real sandbox behind a gate: the next call to a held path waits until the
// test releases it. Every call is counted by path (and method for the shared listing path).
type gatedSandbox struct {
	url   string
	mu    sync.Mutex
	holds map[string]*hold
	calls map[string]int
	delay time.Duration // every call waits this long (coalescing tests)
}

type hold struct {
	arrived, release chan struct{}
}

func startGatedSandbox(t testing.TB, c *clock) *gatedSandbox {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: twoTenantSeed(), Now: c.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedSandbox{holds: map[string]*hold{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		g.mu.Lock()
		g.calls[key]++
		h := g.holds[key]
		delete(g.holds, key)
		delay := g.delay
		g.mu.Unlock()
		time.Sleep(delay)
		if h == nil {
			sb.ServeHTTP(w, r)
			return
		}
		// Held: the sandbox answers now, and the answer is held on its way back.
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, r)
		close(h.arrived)
		<-h.release
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

// hold makes the next call to "METHOD path" wait: the sandbox answers it at once (arrived is
// closed then), and the answer goes back when release is closed.
func (g *gatedSandbox) hold(key string) *hold {
	h := &hold{arrived: make(chan struct{}), release: make(chan struct{})}
	g.mu.Lock()
	g.holds[key] = h
	g.mu.Unlock()
	return h
}

func (g *gatedSandbox) count(keys ...string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, k := range keys {
		n += g.calls[k]
	}
	return n
}

// The calls a checkout view is made of.
var viewCalls = []string{"GET " + rewardsPath, "GET " + redeemedPath, "POST " + appliedPath}

func balanceOf(t testing.TB, r resp) float64 {
	t.Helper()
	mustOK(t, r)
	if v := r.item(); v != nil && v["PointsBalance"] != nil { // the view
		return num(v["PointsBalance"])
	}
	return num(r.Env["PointsBalance"])
}

// TestWriteIsNotUndoneByAnEarlierFetch: a listing fetched before a redeem, stored after it,
// used to put the shopper's old cache item back (go-cache Replace), over the one fetched after
// the redeem: a later request saw the balance from before the redeem for a whole TTL.
func TestWriteIsNotUndoneByAnEarlierFetch(t *testing.T) {
	c := newClock()
	up := startGatedSandbox(t, c)
	b := startBFF(t, c, up.url, func(o *Options) { o.CacheTTL = time.Minute })
	a := auth("demo", b.login("demo", "ana"))
	const list = rewardsPath + "?purchaseValue=100"

	h := up.hold("GET " + rewardsPath)
	before := make(chan resp, 1)
	go func() { before <- b.do("GET", list, a, "") }() // starts before the redeem
	<-h.arrived
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", a, `{"OriginalId":"cart-w"}`))
	if got := balanceOf(t, b.do("GET", list, a, "")); got != 4750 {
		t.Fatalf("right after the redeem: balance %v, want 4750", got)
	}
	close(h.release)
	if got := balanceOf(t, <-before); got != 5000 {
		t.Fatalf("the request from before the redeem: %v", got)
	}
	for _, path := range []string{list, "/bff/v1/checkout?purchaseValue=100"} {
		if got := balanceOf(t, b.do("GET", path, a, "")); got != 4750 {
			t.Fatalf("%s after the early fetch ended: balance %v, an answer from before the redeem", path, got)
		}
	}
}

// TestFullCacheSharesNoCallAcrossAWrite: with the cache full, the shared in-flight call's key
// had no generation, so a request after a redeem joined a listing fetched before it and got
// the old balance. Now a full cache still stores new shoppers (least recently used out
// first), and a dropped shopper's calls are never joined.
func TestFullCacheSharesNoCallAcrossAWrite(t *testing.T) {
	for _, bound := range []int64{1, 4 << 10} { // nothing fits; one view fits
		t.Run(fmt.Sprint(bound, " bytes"), func(t *testing.T) {
			c := newClock()
			up := startGatedSandbox(t, c)
			b := startBFF(t, c, up.url, func(o *Options) { o.CacheTTL = time.Minute; o.CacheMaxBytes = bound })
			bruno := auth("demo", b.login("demo", "bruno"))
			mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=100&checkoutCode=b", bruno, "")) // fills it
			a := auth("demo", b.login("demo", "ana"))
			const list = rewardsPath + "?purchaseValue=100"

			h := up.hold("GET " + rewardsPath)
			before := make(chan resp, 1)
			go func() { before <- b.do("GET", list, a, "") }()
			<-h.arrived
			mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", a, `{"OriginalId":"cart-f"}`))
			after := make(chan resp, 1)
			go func() { after <- b.do("GET", list, a, "") }()
			select {
			case r := <-after:
				if got := balanceOf(t, r); got != 4750 {
					t.Fatalf("after the redeem: balance %v", got)
				}
			case <-time.After(5 * time.Second):
				close(h.release)
				t.Fatalf("the request after the redeem joined the call started before it (balance %v)", balanceOf(t, <-after))
			}
			close(h.release)
			<-before
		})
	}
}

// TestNoAnswerFromBeforeAWrite: readers of the listing and of the view run while a writer
// redeems and reverses again and again. Every answer must show the state after the writes
// that had been answered when the read started, or after a write under way during it: never
// one from before a write that was over when the read began.
func TestNoAnswerFromBeforeAWrite(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, func(o *Options) { o.CacheTTL = time.Hour })
	a := auth("demo", b.login("demo", "ana"))
	var started, done atomic.Int64 // writes sent, writes answered
	balanceAfter := func(writes int64) float64 {
		if writes%2 == 1 { // a redeem of 302 (250 points) is under way or kept
			return 4750
		}
		return 5000
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var violations []string
	reads := atomic.Int64{}
	for i := range 4 {
		wg.Go(func() {
			paths := []string{rewardsPath + "?purchaseValue=100", "/bff/v1/checkout?purchaseValue=100&checkoutCode=cart-r"}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				from := done.Load()
				r, err := try(http.DefaultClient, b.url, "GET", paths[(i+n)%2], a, "")
				to := started.Load()
				if err != nil || r.Status != 200 {
					mu.Lock()
					violations = append(violations, fmt.Sprintf("read failed: %v %d %s", err, r.Status, r.Raw))
					mu.Unlock()
					return
				}
				got := balanceOf(t, r)
				ok := false
				for w := from; w <= to; w++ {
					ok = ok || got == balanceAfter(w)
				}
				if !ok {
					mu.Lock()
					violations = append(violations, fmt.Sprintf("%s read %v after %d writes were answered (%d sent)", paths[(i+n)%2], got, from, to))
					mu.Unlock()
				}
				reads.Add(1)
			}
		})
	}
	redeemed := ""
	for w := range 40 {
		started.Add(1)
		if w%2 == 0 {
			r := mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", a, `{"OriginalId":"cart-r"}`))
			redeemed = fmt.Sprint(num(r.item()["Reward"].(map[string]any)["RedeemedId"]))
		} else {
			mustOK(t, b.do("POST", "/pub/widget/rewards/checkout/"+redeemed+"/reverse", a, ""))
		}
		done.Add(1)
		time.Sleep(2 * time.Millisecond) // let the readers fill the cache between writes
	}
	close(stop)
	wg.Wait()
	if len(violations) > 0 {
		t.Fatalf("%d of %d reads saw an answer from before a write:\n%s", len(violations), reads.Load(), strings.Join(violations[:min(len(violations), 10)], "\n"))
	}
	t.Logf("%d reads, 40 writes", reads.Load())
}

// TestViewIsShared: 100 identical concurrent views of a cold cache cost one call per part
// (listing, redeemed list, applied state); the same view again within the TTL costs none, and
// so does the drop-in listing of the same cart.
func TestViewIsShared(t *testing.T) {
	c := newClock()
	up := startGatedSandbox(t, c)
	up.delay = 100 * time.Millisecond // every part is under way while the others arrive
	b := startBFF(t, c, up.url, nil)
	a := auth("demo", b.login("demo", "ana"))
	const view = "/bff/v1/checkout?purchaseValue=120&checkoutCode=cart-1"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	bodies := make([]string, 100)
	for i := range 100 {
		wg.Go(func() {
			r, err := try(client, b.url, "GET", view, a, "")
			if err != nil || r.Status != 200 {
				t.Errorf("view %d: %v %d %s", i, err, r.Status, r.Raw)
				return
			}
			bodies[i] = string(r.Raw)
		})
	}
	wg.Wait()
	if n := up.count(viewCalls...); n > 3 {
		t.Fatalf("100 identical cold views cost %d platform calls, want at most 3", n)
	}
	for i := range bodies {
		if bodies[i] != bodies[0] {
			t.Fatalf("view %d differs", i)
		}
	}
	cold := up.count(viewCalls...)
	mustOK(t, b.do("GET", view, a, ""))
	mustOK(t, b.do("GET", view+"&lang=en", a, ""))                                       // another locale: a new answer, from the same parts
	mustOK(t, b.do("GET", rewardsPath+"?purchaseValue=120&order_form_id=cart-1", a, "")) // the drop-in listing of the same cart
	mustOK(t, b.do("POST", appliedPath, a, `{"CheckoutCode":"cart-1"}`))                 // and its applied state
	if n := up.count(viewCalls...) - cold; n != 0 {
		t.Fatalf("views within the TTL cost %d platform calls, want 0", n)
	}
}

// TestCacheBoundInBytes: the cache never holds more than its bound; the least recently used
// entries go first, a new shopper is always stored, and a value bigger than the whole bound is
// not kept.
func TestCacheBoundInBytes(t *testing.T) {
	const bound = 64 << 10
	c := newCache(time.Minute, 0, bound, time.Now)
	value := make([]byte, 1000)
	put := func(shopper string, key string) *entry {
		return c.put(c.shopper(shopper, -1), key, value, int64(len(value)), false)
	}
	for i := range 1000 {
		if put(fmt.Sprint("shopper-", i), "a") == nil {
			t.Fatalf("shopper %d not stored", i)
		}
		if used, _ := c.stats(); used > bound {
			t.Fatalf("after %d shoppers: %d bytes used, bound %d", i+1, used, bound)
		}
		// shopper-0 is used all along: the least recently used go first, never it.
		if v, _ := c.get(c.lookup("shopper-0"), []byte("a")); v == nil {
			t.Fatalf("shopper-0, used all along, evicted after %d others", i)
		}
	}
	if sh := c.lookup("shopper-999"); sh == nil {
		t.Fatal("the newest shopper is not kept")
	} else if v, _ := c.get(sh, []byte("a")); v == nil {
		t.Fatal("the newest shopper's entry is not kept")
	}
	if sh := c.lookup("shopper-1"); sh != nil {
		t.Fatal("an old, unused shopper outlived the bound")
	}

	if e := c.put(c.shopper("big", -1), "a", nil, bound, false); e != nil {
		t.Fatal("a value over the whole bound was kept")
	}
	used, entries := c.stats()
	t.Logf("%d entries, %d bytes for a bound of %d", entries, used, bound)
	if entries < 30 {
		t.Fatalf("only %d entries kept in %d bytes", entries, bound)
	}
}

// TestCacheFreesAtExpiry: entries are freed when their time comes, with no request and no
// janitor sweep: a timer on the earliest.
func TestCacheFreesAtExpiry(t *testing.T) {
	c := newCache(50*time.Millisecond, 0, 1<<20, time.Now)
	for i := range 100 {
		c.put(c.shopper(fmt.Sprint("s", i), -1), "a", nil, 100, false)
	}
	if _, n := c.stats(); n != 100 {
		t.Fatalf("%d entries", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		used, n := c.stats()
		if n == 0 && used == 0 && c.shoppers.ItemCount() == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the TTL: %d entries, %d bytes, %d shoppers still held", n, used, c.shoppers.ItemCount())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSharedCallOutlivesALeavingCaller: the caller who started a shared platform call leaves
// (its context ends); the call goes on, with a context of its own, and every caller who
// joined it gets its answer.
func TestSharedCallOutlivesALeavingCaller(t *testing.T) {
	c := newCache(time.Minute, 0, 1<<20, time.Now)
	sh := c.shopper("ana", -1)
	release := make(chan struct{})
	var fetchCtxErr atomic.Value
	fetches := atomic.Int64{}
	fetch := func(ctx context.Context) (any, error) {
		fetches.Add(1)
		<-release
		fetchCtxErr.Store(fmt.Sprint(ctx.Err()))
		return "the answer", nil
	}
	first, leave := context.WithCancel(context.Background())
	firstGot := make(chan any, 1)
	go func() { v, _, _ := c.shared(first, sh, "k", fetch); firstGot <- v }()
	for fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	joined := make(chan any, 5)
	for range 5 {
		go func() { v, _, _ := c.shared(context.Background(), sh, "k", fetch); joined <- v }()
	}
	time.Sleep(20 * time.Millisecond) // the others join the call under way
	leave()
	time.Sleep(10 * time.Millisecond)
	close(release)
	for range 5 {
		if v := <-joined; v != "the answer" {
			t.Fatalf("a caller who stayed got %v", v)
		}
	}
	<-firstGot
	if fetches.Load() != 1 || fetchCtxErr.Load() != "<nil>" {
		t.Fatalf("%d fetches; the shared call's context ended with its first caller's: %v", fetches.Load(), fetchCtxErr.Load())
	}
}

// TestCacheOff: CacheTTL negative keeps nothing and shares nothing: every request is a call.
func TestCacheOff(t *testing.T) {
	c := newClock()
	up := startGatedSandbox(t, c)
	b := startBFF(t, c, up.url, func(o *Options) { o.CacheTTL = -1 })
	a := auth("demo", b.login("demo", "ana"))
	for range 3 {
		mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=120&checkoutCode=x", a, ""))
	}
	if n := up.count(viewCalls...); n != 9 {
		t.Fatalf("%d platform calls for 3 views without a cache, want 9", n)
	}
}
