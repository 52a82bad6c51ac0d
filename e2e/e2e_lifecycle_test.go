package e2e

// A redemption's whole life, in a real browser on the demo store: after it is applied the cart
// changes, the shopper opens another browser, the order is placed. Each test ends with the
// books checked against what the store really discounted (books), besides checkMoney.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// order is a placed order as the demo store lists it (GET /_demo/orders).
type order struct {
	OrderID  string  `json:"orderId"`
	CartID   string  `json:"cartId"`
	Coupon   string  `json:"coupon"`
	Discount float64 `json:"discount"`
	Total    float64 `json:"total"`
	Dropped  string  `json:"dropped"`
}

func (e *e2e) orders() []order {
	e.t.Helper()
	res, err := http.Get(e.st.demoURL + "/_demo/orders")
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out []order
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// books checks the sandbox's ledger against the store's orders: no discount without a live
// redemption (every discounted order's coupon is a redemption the order used, each coupon in
// one order at most), no reversal of a used redemption, and every used redemption in an order.
func (e *e2e) books(users ...string) {
	e.t.Helper()
	byCoupon := map[string]order{}
	for _, o := range e.orders() {
		if o.Discount == 0 {
			continue
		}
		if _, twice := byCoupon[o.Coupon]; twice {
			e.t.Errorf("books: coupon %s gave a discount on two orders", o.Coupon)
		}
		byCoupon[o.Coupon] = o
	}
	redemptions := map[string]bool{}
	for _, u := range users {
		v, _ := e.inspect(u)
		used := map[float64]bool{}
		for _, r := range v.Redemptions {
			redemptions[r.CouponCode] = true
			_, ordered := byCoupon[r.CouponCode]
			switch {
			case r.State == "used" && !ordered:
				e.t.Errorf("books: %s's redemption %d is used but no order got its discount", u, r.RedeemedID)
			case r.State != "used" && ordered:
				e.t.Errorf("books: an order got the discount of %s's redemption %d, which is %s", u, r.RedeemedID, r.State)
			}
			if r.State == "used" {
				used[float64(r.RedeemedID)] = true
			}
		}
		for _, l := range v.Ledger {
			if l["Kind"] == "credit" && used[l["RedeemedId"].(float64)] {
				e.t.Errorf("books: %s got the points of redemption %v back after its order used it", u, l["RedeemedId"])
			}
		}
	}
	for code := range byCoupon {
		if !redemptions[code] {
			e.t.Errorf("books: an order got a discount from coupon %s, no redemption of these shoppers", code)
		}
	}
}

// setQty changes an item's quantity the way the checkout does (vtex.js, which tells the page
// and the widget), and waits for the store's total.
func (e *e2e) setQty(index, qty int, total string) {
	e.t.Helper()
	var ok bool
	e.js(fmt.Sprintf(`vtexjs.checkout.updateItems([{index: %d, quantity: %d}]).then(() => true)`, index, qty), &ok)
	e.waitTotal(total)
}

// enabled says whether the widget's "Usar" of a reward (by title) can be pressed.
func (e *e2e) enabled(title string) bool {
	var on bool
	e.js(fmt.Sprintf(`(() => { const b = %s(%q); return !!b && b.getAttribute("aria-disabled") !== "true" })()`, btn, title), &on)
	return on
}

// placeOrder presses the demo checkout's "Finalizar compra" and waits for the order.
func (e *e2e) placeOrder(button string) {
	e.t.Helper()
	var ok bool
	e.js(`(() => { document.querySelector(`+strconvQuote(button)+`).click(); return true })()`, &ok)
	e.waitJS(`document.querySelector("#order-status").dataset.orderPlaced !== undefined`)
}

// A reward that no longer fits the cart leaves it: its coupon out, the redemption reversed (no
// debit stays without its coupon in the cart), one sentence, and the reward offered again once
// the cart fits. The store, as a VTEX promotion with a minimum order value, gives nothing below
// the minimum either, so the order goes through at the full price.
func TestBrowserOutgrownRewardLeavesTheCart(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.setQty(0, 5, "339.40") // R$ 100,00 needs R$ 300,00 of products
	e.waitJS(fmt.Sprintf(`(b => !!b && b.getAttribute("aria-disabled") !== "true")(%s("R$ 100,00"))`, btn))
	e.click("R$ 100,00")
	e.waitTotal("239.40")
	if p, _ := e.shopper("ana@example.com"); p != 4000 {
		t.Fatalf("points %d after the redeem, want 4000", p)
	}
	e.setQty(0, 1, "99.80") // the store already gives no discount below the minimum
	e.waitJS(`document.querySelector("#coupon").dataset.cartCoupon === ""`)
	e.waitJS(root + `.textContent.includes("não vale mais para este carrinho") && ` + root + `.textContent.includes("devolvemos seus pontos")`)
	if p, ledger := e.shopper("ana@example.com"); p != 5000 || len(ledger) != 2 || ledger[1]["Kind"] != "credit" {
		t.Fatalf("points %d, ledger %v: the redemption that no longer fits was not reversed", p, ledger)
	}
	if e.enabled("R$ 100,00") {
		t.Fatal("the reward is offered on a cart it does not fit")
	}
	e.setQty(0, 5, "339.40")
	e.waitJS(fmt.Sprintf(`(b => !!b && b.getAttribute("aria-disabled") !== "true")(%s("R$ 100,00"))`, btn)) // offered back

	// Same with R$ 10,00 (from R$ 50,00) on a cart of R$ 39,90.
	e.setQty(0, 1, "99.80")
	e.click("R$ 10,00")
	e.waitTotal("89.80")
	e.setQty(0, 0, "39.90")
	e.waitJS(`document.querySelector("#coupon").dataset.cartCoupon === ""`)
	e.waitJS(root + `.textContent.includes("não vale mais para este carrinho")`)
	e.placeOrder("#place-order")
	if os := e.orders(); len(os) != 1 || os[0].Total != 39.90 || os[0].Discount != 0 {
		t.Fatalf("orders %+v: want one at R$ 39,90 without a discount", os)
	}
	if p, _ := e.shopper("ana@example.com"); p != 5000 {
		t.Fatalf("points %d, want 5000: every redemption reversed", p)
	}
	e.books("ana@example.com")
}

// One redemption lives in one cart: Bruno redeems R$ 10,00 in browser A; browser B offers it
// once, as his (not beside a paid copy); using it there moves it, and A's widget takes the
// coupon out at its next look. The order in B uses it; the store then refuses the coupon
// anywhere, and no widget offers it again.
func TestBrowserOneRedemptionOneCart(t *testing.T) {
	a := newE2E(t, "")
	a.open("bruno")
	a.waitRewards()
	a.click("R$ 10,00")
	a.waitTotal("89.80")
	code := a.cartCoupon()

	b := a.tab()
	b.open("bruno")
	b.waitJS(root + ` && ` + root + `.querySelector("button[data-k^=u]") !== null`)
	var paidCopy bool
	b.js(root+`.querySelector('button[data-k="a301"]') !== null`, &paidCopy)
	if paidCopy || strings.Count(b.widgetText(), "R$\u00a010,00 de desconto") != 1 {
		t.Fatalf("the reward is listed twice (a free copy and a paid one): %q", b.widgetText())
	}
	var ok bool
	b.js(root+`.querySelector("button[data-k^=u]").click() || true`, &ok)
	b.waitTotal("89.80")
	if got := b.cartCoupon(); got != code {
		t.Fatalf("cart B holds %q, want the redemption's %q", got, code)
	}

	// A's next look (the shopper comes back to it): the coupon left for cart B.
	a.js(`LoyaltyWidget.refresh().then(() => true)`, &ok)
	a.waitTotal("99.80")
	a.waitJS(`document.querySelector("#coupon").dataset.cartCoupon === ""`)
	a.waitJS(root + `.textContent.includes("usada em outro carrinho")`)

	b.placeOrder("#place-order")
	// The coupon cannot go back into A: the store refuses a single-use coupon an order used.
	a.js(`(() => { document.querySelector("#coupon-input").value = `+strconvQuote(code)+`; document.querySelector("#coupon-apply").click(); return true })()`, &ok)
	a.waitJS(`document.querySelector("#cart-message").textContent.includes("já foi usado")`)
	if a.total() != "99.80" {
		t.Fatalf("cart A total %s after the coupon was used by B's order", a.total())
	}
	a.js(`LoyaltyWidget.refresh().then(() => true)`, &ok)
	a.waitRewards()
	var offered bool
	a.js(root+`.querySelector("button[data-k^=u]") !== null`, &offered)
	if offered {
		t.Fatalf("a redemption its order used is offered again: %q", a.widgetText())
	}
	if p, ledger := a.shopper("bruno@example.com"); p != 20 || len(ledger) != 1 {
		t.Fatalf("points %d, ledger %v: want one debit, no credit", p, ledger)
	}
	if os := a.orders(); len(os) != 1 || os[0].Coupon != code || os[0].Discount != 10 {
		t.Fatalf("orders %+v", os)
	}
	a.books("bruno@example.com")
}

// With the Magazord tag (data-cart-id the store's), placing the order consumes the redemption:
// the store reports its coupon, the widget never uses that cart id again, the next cart does
// not get the coupon back, and reversing it is refused with a sentence the widget shows.
func TestBrowserMagazordOrderConsumesItsRedemption(t *testing.T) {
	e := newE2E(t, "")
	e.openAt("/magazord", "ana")
	e.waitRewards()
	e.click("R$ 10,00")
	e.waitTotal("89.80")
	// The shopper places the order once the widget shows the reward applied: the dom adapter
	// confirms the coupon by looking at the page every 100 ms, and an order placed before its
	// next look takes the coupon out of the page, so the widget never saw it in.
	e.waitJS(root + `.querySelector("[data-coupon]") !== null`)
	var firstCart string
	e.js(`document.querySelector("script[data-cart-id]").dataset.cartId`, &firstCart)
	e.placeOrder("#finalizar-compra")
	// The page now shows the next cart, but its tag still names the placed one: the widget
	// steps aside rather than redeem against a finished cart.
	e.waitJS(root + `.querySelector(".w").hidden`)

	e.openAt("/magazord", "ana") // the next visit: a new cart, a new data-cart-id
	e.waitRewards()
	var cartID string
	e.js(`document.querySelector("script[data-cart-id]").dataset.cartId`, &cartID)
	if cartID == firstCart {
		t.Fatal("the store gave the new cart the placed one's id")
	}
	if e.total() != "99.80" || e.cartCoupon() != "" {
		t.Fatalf("the used coupon came back into the new cart: total %s, coupon %q", e.total(), e.cartCoupon())
	}
	var offered bool
	e.js(root+`.querySelector("button[data-k^=u]") !== null`, &offered)
	if offered {
		t.Fatalf("the used redemption is offered again: %q", e.widgetText())
	}
	v, _ := e.inspect("ana@example.com")
	if len(v.Redemptions) != 1 || v.Redemptions[0].State != "used" {
		t.Fatalf("redemptions %+v: want one, used by the order", v.Redemptions)
	}
	// A client that still asks to reverse it (a stale page) is refused, in words.
	var res struct {
		Status  int
		Message string
	}
	e.js(fmt.Sprintf(`(async () => {
		const tok = JSON.parse(sessionStorage.getItem("loyalty-widget:demo")).t;
		const r = await fetch(%q + "/pub/widget/rewards/checkout/%d/reverse", {method: "POST", headers: {"X-Bq-Tenant": "demo", "X-Bq-SecureToken": tok, "Content-Type": "application/json"}, body: "{}"});
		return {Status: r.status, Message: (await r.json()).Message || ""};
	})()`, e.st.bffURL, v.Redemptions[0].RedeemedID), &res)
	if res.Status != 409 || !strings.Contains(res.Message, "pedido finalizado") {
		t.Fatalf("reversing a used redemption: %d %q", res.Status, res.Message)
	}
	if p, ledger := e.shopper("ana@example.com"); p != 4900 || len(ledger) != 1 {
		t.Fatalf("points %d, ledger %v: want one debit, no credit", p, ledger)
	}
	e.books("ana@example.com")
}

// A widget shown a cart whose order it was told of, or a tag without data-tenant, says so on
// the console and with a beacon, and does nothing else.
func TestBrowserMisconfiguredTagsSaySo(t *testing.T) {
	e := newE2E(t, "")
	// A page of the BFF's own origin, with a tag whose data-tenant is misspelled.
	e.run(chromedp.Navigate(e.st.bffURL + "/healthz"))
	var got struct {
		Warns   []string
		Beacons []string
	}
	e.js(`new Promise((resolve) => {
		const warns = [], beacons = [];
		console.warn = (...a) => warns.push(a.join(" "));
		navigator.sendBeacon = (url, body) => (beacons.push(body), true);
		const s = document.createElement("script");
		s.src = "/widget.js";
		s.dataset.tennant = "demo";
		s.onload = () => setTimeout(() => resolve({Warns: warns, Beacons: beacons}), 300);
		document.head.append(s);
	})`, &got)
	if len(got.Warns) != 1 || !strings.Contains(got.Warns[0], "tenant (data-tenant)") {
		t.Fatalf("console warnings %q: want one naming data-tenant", got.Warns)
	}
	if len(got.Beacons) != 1 || !strings.Contains(got.Beacons[0], `"kind":"opts"`) || !strings.Contains(got.Beacons[0], `"tenant":""`) {
		t.Fatalf("beacons %q: want one opts beacon", got.Beacons)
	}
}
