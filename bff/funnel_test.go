package bff

import (
	"fmt"
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
