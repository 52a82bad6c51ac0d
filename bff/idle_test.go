package bff

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// startIdleSandbox is startSandbox behind an http.Server that closes a connection idle for
// idle, as a platform with an idle timeout shorter than the BFF's does. open says how many
// connections the sandbox holds now.
func startIdleSandbox(t *testing.T, c *clock, idle time.Duration) (srv *httptest.Server, calls *callCounter, open func() int64) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: twoTenantSeed(), Now: c.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	calls = &callCounter{}
	checked := specCheckedHandler(sb)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.add(r.URL.Path)
		checked.ServeHTTP(w, r)
	}))
	srv.Config.IdleTimeout = idle
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			conns.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	sandboxURLs.Store(srv.URL, true)
	t.Cleanup(func() { sandboxURLs.Delete(srv.URL) }) // its port may serve a fake next
	return srv, calls, conns.Load
}

// TestUpstreamClosesIdleConnections (issue 16): the platform closes idle connections after 1 s,
// the BFF keeps them 30 s, so after 2 s of quiet every connection in the BFF's pool is one the
// platform has closed. Sign-in, the listing, a redeem (with its OriginalId) and its reverse,
// each after such a quiet spell, all answer 200 (they answered 502, upstream_unreachable, but
// the listing), and the sandbox's books show one debit and one credit: the call lost with its
// connection was sent again without being done twice.
func TestUpstreamClosesIdleConnections(t *testing.T) {
	c := newClock()
	up, calls, open := startIdleSandbox(t, c, time.Second)
	b := startBFF(t, c, up.URL, func(o *Options) {
		o.UpstreamIdleTimeout = 30 * time.Second
		o.CacheTTL = -1 // every call below reaches the platform
	})
	quietSpell := func() {
		t.Helper()
		time.Sleep(2 * time.Second)
		if n := open(); n != 0 {
			t.Fatalf("the sandbox still holds %d connections after 2 s of quiet", n)
		}
	}
	const q = "?purchaseValue=120&checkoutCode=cart-idle"
	session := func(shopper string) string {
		t.Helper()
		r := mustOK(t, b.do("POST", PathSession+q, hdr{"X-Bq-Tenant": "demo", "Origin": shopOrigin},
			`{"platform":"vtex","sessionToken":"`+shopper+`","segmentToken":"seg"}`))
		if r.item()["ViewError"] != nil {
			t.Fatalf("the session's view failed: %s", r.Raw)
		}
		tok, _ := r.item()["Session"].(map[string]any)["SecureToken"].(string)
		return tok
	}
	session("bruno") // connections in the BFF's pool, for the quiet spell to leave dead

	quietSpell()
	tok := session("ana")

	quietSpell()
	view := mustOK(t, b.do("GET", PathCheckout+q, auth("demo", tok), ""))
	if rewards, _ := view.item()["Rewards"].([]any); len(rewards) == 0 {
		t.Fatalf("view %s", view.Raw)
	}

	quietSpell()
	redeemed := mustOK(t, b.do("POST", redeem301+"?purchaseValue=120", auth("demo", tok), `{"OriginalId":"cart-idle"}`))
	reward, _ := redeemed.item()["Reward"].(map[string]any)
	id := int64(num(reward["RedeemedId"]))
	if id == 0 {
		t.Fatalf("redeem %s", redeemed.Raw)
	}

	quietSpell()
	reversePath := "/pub/widget/rewards/checkout/" + strconv.FormatInt(id, 10) + "/reverse"
	mustOK(t, b.do("POST", reversePath, auth("demo", tok), ""))

	if n, m := calls.get(redeem301), calls.get(reversePath); n != 1 || m != 1 {
		t.Fatalf("the sandbox served %d redeems and %d reverses, want one each", n, m)
	}
	points, entries := ledger(t, up.URL, "demo", anaID)
	var debits, credits int
	for _, e := range entries {
		e, _ := e.(map[string]any)
		if int64(num(e["RedeemedId"])) != id {
			t.Fatalf("an entry for another redemption: %v", e)
		}
		switch e["Kind"] {
		case "debit":
			debits++
		case "credit":
			credits++
		}
	}
	if debits != 1 || credits != 1 || len(entries) != 2 || points != 5000 {
		t.Fatalf("points %v, ledger %v: want one debit and one credit", points, entries)
	}
}
