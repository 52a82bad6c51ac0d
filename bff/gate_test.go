package bff

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// An upstream that never answers, under 300 concurrent calls: the store holds at most
// UpstreamConns connections to it; the calls past the queue are answered 503 upstream_busy
// at once, the queued ones within their deadline; another store's shoppers are served
// throughout.
func TestUpstreamConnectionsPerStoreAreCapped(t *testing.T) {
	release := make(chan struct{})
	var open, maxOpen, accepted atomic.Int64
	hang := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		readAll(r) // the body read, the server watches the connection: its context ends when the BFF closes it
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	hang.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			accepted.Add(1)
			n := open.Add(1)
			for m := maxOpen.Load(); n > m && !maxOpen.CompareAndSwap(m, n); m = maxOpen.Load() {
			}
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	hang.Start()
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	c := newClock()
	sb, _ := startSandbox(t, c)
	const conns, queue = 8, 32
	b := startBFF(t, c, hang.URL, func(o *Options) {
		o.Tenants[1].Upstream = sb.URL
		o.UpstreamConns, o.UpstreamQueue = conns, queue
		o.UpstreamTimeout = 3 * time.Second // longer than the 300 calls take to come in
		o.BreakerFailures = 1000            // the gate, not the breaker, is under test
	})
	other := auth("other", b.login("other", "ana"))

	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	var answered atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 300}}
	defer client.CloseIdleConnections()
	for i := range 300 {
		wg.Go(func() {
			r, err := try(client, b.url, "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"},
				fmt.Sprintf(`{"sessionToken":"s%d","segmentToken":"x"}`, i))
			if err != nil {
				t.Error(err)
				return
			}
			if r.Status == 503 && r.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After: %s", r.Raw)
			}
			mu.Lock()
			got[fmt.Sprint(r.Status, " ", r.code())]++
			mu.Unlock()
			answered.Add(1)
		})
	}
	// Meanwhile, the other store.
	for range 5 {
		mustOK(t, b.do("GET", PathCheckout+"?purchaseValue=100", other, ""))
		mustOK(t, b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "other"}, `{"sessionToken":"bruno","segmentToken":"x"}`))
		c.Advance(time.Minute) // past the cache: each view reaches the sandbox
	}
	// Every call is in: conns under way, queue waiting, the rest answered at once. The
	// platform holds the cap's connections, no more.
	gate := b.srv.tenant("demo").shield.gate
	for gate.in.Load() != conns+queue || answered.Load() != 300-conns-queue {
		if answered.Load() > 300-conns-queue {
			t.Fatalf("the calls timed out before they were all in (in %d, answered %d): the machine is too slow for this test", gate.in.Load(), answered.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := accepted.Load(); n > conns {
		t.Fatalf("the store's platform accepted %d connections, cap %d", n, conns)
	}
	mu.Lock()
	if n := got["503 "+CodeUpstreamBusy]; n != 300-conns-queue {
		t.Fatalf("%d calls refused 503 %s at once, want %d: %v", n, CodeUpstreamBusy, 300-conns-queue, got)
	}
	mu.Unlock()
	wg.Wait()
	t.Logf("answers: %v; connections accepted: %d, most open at once: %d", got, accepted.Load(), maxOpen.Load())
	for k, n := range got {
		if k != "503 "+CodeUpstreamBusy && k != "504 "+CodeUpstreamTimeout {
			t.Fatalf("%d answers %s: %v", n, k, got)
		}
	}
	if b.srv.tenant("demo").shield.gate.in.Load() != 0 {
		t.Fatal("calls still counted in the gate")
	}
}
