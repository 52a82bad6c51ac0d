package e2e

// Browser tests of VTEX as it really is (issue 10): the widget embedded the only way a VTEX
// checkout allows (checkout6-custom.js), following its mount point through the checkout's
// single-page steps, without an event loop; and the demo's vtex.js stand-in behaving as the
// real one.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// calls counts the page's requests whose URL contains part.
func (e *e2e) calls(part string) int {
	e.t.Helper()
	var n int
	e.js(fmt.Sprintf(`performance.getEntriesByType("resource").filter(r => r.name.includes(%q)).length`, part), &n)
	return n
}

func TestBrowserCheckout6CustomJS(t *testing.T) {
	for _, w := range widths {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			e := newE2E(t, "")
			e.viewport(w)
			e.openAt("/checkout/", "ana")
			e.waitRewards()
			var tags int
			e.js(`document.querySelectorAll("script[data-loyalty-widget][data-tenant=demo]").length`, &tags)
			if tags != 1 {
				t.Fatalf("%d widget tags: checkout6-custom.js adds one", tags)
			}
			// Each step renders the summary anew: the mount point checkout6-custom.js made is
			// gone, it makes another, and the widget moves there with its state.
			for _, step := range []string{"email", "payment", "cart", "payment"} {
				var ok bool
				e.js(`(() => { window.__before = document.querySelector("#loyalty-widget"); location.hash = "#/`+step+`"; return true })()`, &ok)
				e.waitJS(`document.querySelector("#step").dataset.step === "` + step + `"`)
				e.waitJS(`document.querySelector("#loyalty-widget") !== window.__before`)
				e.waitRewards()
				e.expand()
			}
			e.click("10%")
			e.waitTotal("89.82")
			e.waitJS(root + `.querySelector("[data-coupon]") !== null`)
			// Settled: the widget's own calls cause no further checkout events, and the
			// checkout's events cause no further calls.
			time.Sleep(800 * time.Millisecond)
			cart, view := e.calls("/api/checkout/pub/orderForm"), e.calls("/bff/v1/checkout")
			time.Sleep(1500 * time.Millisecond)
			if c, v := e.calls("/api/checkout/pub/orderForm"), e.calls("/bff/v1/checkout"); c != cart || v != view {
				t.Fatalf("calls go on with nothing happening: cart %d -> %d, BFF view %d -> %d", cart, c, view, v)
			}
		})
	}
}

// TestBrowserVtexNoEventLoop: a change of the cart through the store's own vtex.js is noticed
// once; the widget's reads do not broadcast, and its coupon call's event is its own.
func TestBrowserVtexNoEventLoop(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	var ok bool
	e.js(`(() => { window.__updated = 0; jQuery(window).on("orderFormUpdated.vtex", () => window.__updated++); return true })()`, &ok)
	views := e.calls("/bff/v1/checkout")
	e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Mais Meia Divertida"]`)))
	e.waitTotal("119.70")
	time.Sleep(1200 * time.Millisecond)
	var updated int
	e.js(`window.__updated`, &updated)
	if v := e.calls("/bff/v1/checkout"); updated != 1 || v != views+1 {
		t.Fatalf("one cart change: %d checkout events (want 1), %d view calls (want 1)", updated, v-views)
	}
	e.click("10%")
	e.waitTotal("107.73")
	time.Sleep(1200 * time.Millisecond)
	e.js(`window.__updated`, &updated)
	// The widget's vtex.js instance: its first getOrderForm, then the coupon: two events.
	if updated > 3 {
		t.Fatalf("%d checkout events after one coupon: a loop", updated)
	}
}

// TestBrowserVtexjsStandIn holds the demo's vtex.js to the real one's behaviour.
func TestBrowserVtexjsStandIn(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	var r struct {
		Cached, Fresh, Throws, Refused, DOMEvents int
		Order                                     []string
		Paths                                     []string
	}
	e.js(`(async () => {
		const c = vtexjs.checkout, r = {Order: [], DOMEvents: 0};
		window.addEventListener("orderFormUpdated.vtex", () => r.DOMEvents++);
		for (const ev of ["checkoutRequestBegin.vtex", "checkoutRequestEnd.vtex", "orderFormUpdated.vtex"])
			jQuery(window).on(ev, (e) => r.Order.push(e.type + "." + e.namespace));
		const count = () => performance.getEntriesByType("resource").filter(x => x.name.includes("/api/checkout/pub/orderForm")).length;
		let n = count();
		await c.getOrderForm(["items", "totalizers", "sellers"]); // all present: from the cache (marketingData is null without a coupon)
		r.Cached = count() - n;
		n = count();
		await c.getOrderForm();
		r.Fresh = count() - n;
		r.Order = [];
		await c.updateItems([{index: 2, quantity: 1}]);
		try { new vtexjs.Checkout().addDiscountCoupon("X"); r.Throws = 0 } catch (e) { r.Throws = /requires an OrderForm/.test(e.message) ? 1 : 0 }
		const refused = await c.addDiscountCoupon("NOPE");
		r.Refused = !refused.marketingData && refused.messages.length === 1 ? 1 : 0;
		r.Paths = performance.getEntriesByType("resource").map(x => new URL(x.name).pathname + new URL(x.name).search)
			.filter(p => p.includes("refreshOutdatedData") || p.includes("/items/"));
		return r })()`, &r)
	if r.Cached != 0 || r.Fresh != 1 {
		t.Errorf("getOrderForm: %d requests with every asked section cached (want 0), %d with all sections (want 1: some are null)", r.Cached, r.Fresh)
	}
	if fmt.Sprint(r.Order[:3]) != "[checkoutRequestBegin.vtex checkoutRequestEnd.vtex orderFormUpdated.vtex]" || r.DOMEvents != 0 {
		t.Errorf("events %v, DOM events %d: jQuery events on window only, begin, end, updated", r.Order, r.DOMEvents)
	}
	if r.Throws != 1 || r.Refused != 1 {
		t.Errorf("a new instance must getOrderForm first (%d); a refused coupon is 200 with messages[] (%d)", r.Throws, r.Refused)
	}
	var withID, update bool
	for _, p := range r.Paths {
		withID = withID || (strings.Contains(p, "/orderForm/") && strings.HasSuffix(p, "?refreshOutdatedData=true"))
		update = update || strings.HasSuffix(p, "/items/update/")
	}
	if !withID || !update {
		t.Errorf("vtex.js's URLs not seen: %v", r.Paths)
	}
}
