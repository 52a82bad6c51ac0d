package bff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

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

// The funnel's steps only the page sees, as the widget tells them: a coupon confirmed in the
// cart (once per cart and coupon), a reversal's why (the shopper removed it, the store refused
// it, the cart outgrew it), a reversal that failed for now (owed) and made later (settled). A
// why the BFF does not know is refused before anything is reversed.
func TestFunnelStepsThePageTells(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	var down atomic.Bool // the platform's reversals fail while set
	target, _ := url.Parse(up.URL)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && strings.HasSuffix(r.URL.Path, "/reverse") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	b := startBFF(t, c, front.URL, nil)
	scrape := scrapeMetrics(t, b.srv)
	a := auth("demo", b.login("demo", "ana"))
	redeem := func(reward int, cart string) float64 {
		t.Helper()
		it := mustOK(t, b.do("POST", fmt.Sprintf("/pub/widget/rewards/redeem/%d?purchaseValue=99.80", reward), a, `{"OriginalId":"`+cart+`"}`)).item()
		if r := b.do("POST", PathApplied, a, `{"CheckoutCode":"`+cart+`","CouponCode":"`+it["CouponCode"].(string)+`"}`); r.Status != 204 {
			t.Fatalf("applied: %d %s", r.Status, r.Raw)
		}
		return num(it["Reward"].(map[string]any)["RedeemedId"])
	}
	reverse := func(id float64, why string) resp {
		return b.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%v/reverse?why=%s", id, why), a, "")
	}

	removed := redeem(301, "cart-1")
	for _, body := range []string{`{"CheckoutCode":"cart-1"}`, `{"CouponCode":"X"}`, `{"CheckoutCode":"cart 1","CouponCode":"X"}`, `[]`} {
		if r := b.do("POST", PathApplied, a, body); r.Status != 400 {
			t.Errorf("applied %s: %d %s, want 400", body, r.Status, r.Raw)
		}
	}
	for range 2 { // the same cart and coupon, told twice: once
		if r := b.do("POST", PathApplied, a, `{"CheckoutCode":"cart-9","CouponCode":"FID-X"}`); r.Status != 204 {
			t.Fatalf("applied: %d %s", r.Status, r.Raw)
		}
	}
	before, _ := ledger(t, up.URL, "demo", "ana@example.com")
	if r := reverse(removed, "because"); r.Status != 400 || !strings.Contains(r.msg(), `why "because"`) {
		t.Fatalf("an unknown why: %d %s, want 400 naming it", r.Status, r.Raw)
	}
	if after, _ := ledger(t, up.URL, "demo", "ana@example.com"); after != before {
		t.Fatalf("a refused reversal moved points: %v, then %v", before, after)
	}
	for range 2 { // a replay: one removal
		mustOK(t, reverse(removed, "removed"))
	}
	mustOK(t, reverse(redeem(302, "cart-2"), "refused"))
	owed := redeem(305, "cart-3")
	down.Store(true)
	for range 2 { // failed twice: owed once
		if r := reverse(owed, "outgrown"); r.Status < 500 {
			t.Fatalf("a reversal the platform failed: %d %s", r.Status, r.Raw)
		}
	}
	down.Store(false)
	mustOK(t, reverse(owed, "owed"))

	m := scrape()
	for step, want := range map[string]float64{"redeem": 3, "confirmed": 4, "removed": 1, "refused": 1, "outgrown": 0,
		"reverse": 3, "owed": 1, "settled": 1} {
		m.want("bff_funnel_total", want, "tenant", "demo", "step", step)
	}
}
