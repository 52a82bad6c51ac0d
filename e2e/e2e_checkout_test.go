package e2e

// The checkout's browser tests: redeem, use, restore, remove, the adapters, the listing as
// the cart changes.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserRedeemFixedAndPercent(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.watchEvents()
	if got := e.total(); got != "99.80" {
		t.Fatalf("start total %s", got)
	}
	e.click("R$ 10,00")
	e.waitTotal("89.80")
	e.waitJS(root + `.querySelector("[data-coupon]") !== null`)
	var shown string
	e.js(root+`.querySelector("[data-coupon]").textContent`, &shown)
	if c := e.cartCoupon(); c == "" || c != shown {
		t.Fatalf("coupon in cart %q, shown %q", c, shown)
	}
	if p, _ := e.shopper("ana@example.com"); p != 4900 {
		t.Fatalf("points %d after a 100-point reward", p)
	}
	e.waitJS(root + `.textContent.includes("4.900 pontos")`)

	e.click("Remover recompensa")
	e.waitTotal("99.80")
	e.waitRewards()
	e.click("10%")
	e.waitTotal("89.82") // 10% of 99.80 = 9.98
	if p, _ := e.shopper("ana@example.com"); p != 4750 {
		t.Fatalf("points %d after reversing 100 and redeeming 250", p)
	}
	ev := e.events()
	if len(ev) != 3 || !strings.HasPrefix(ev[0], "loyalty:applied:") || !strings.HasPrefix(ev[1], "loyalty:removed:") || !strings.HasPrefix(ev[2], "loyalty:applied:") {
		t.Fatalf("events %v", ev)
	}
}

func TestBrowserCashbackShowsItsAmount(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.click("Cashback")
	e.waitTotal("74.80") // R$ 25,00 of cashback
	e.waitJS(root + `.querySelector("strong") && ` + root + `.querySelector("strong").textContent === "R$\u00a025,00 de cashback"`)
}

// TestBrowserDomAdapter runs the widget on a theme without a cart API (Magazord's case): it
// reads the subtotal from the page and uses the page's coupon field and button.
func TestBrowserDomAdapter(t *testing.T) {
	e := newE2E(t, "")
	e.onNewDocument(signInSpy)
	e.openAt("/magazord", "ana")
	e.waitRewards()
	// Signed in the way the platform's magazord secure login expects: vendor "magazord" (the
	// BFF's session exchange forwards it to /pub/widget/vendors/magazord/securelogin), with the
	// session the page keeps.
	var signIns []map[string]any
	e.js(`window.__signIns`, &signIns)
	if len(signIns) != 1 || signIns[0]["platform"] != "magazord" || signIns[0]["sessionToken"] != "ana" {
		t.Fatalf("sign-ins %v", signIns)
	}
	e.click("R$ 10,00")
	e.waitTotal("89.80")
	e.waitJS(root + `.querySelector("[data-coupon]") !== null`)
	var shown string
	e.js(root+`.querySelector("[data-coupon]").textContent`, &shown)
	if c := e.cartCoupon(); c == "" || shown != c || strings.Contains(e.widgetText(), "saiu do carrinho") {
		t.Fatalf("cart coupon %q, shown %q, widget %q", c, shown, e.widgetText())
	}
	e.click("Remover recompensa")
	e.waitTotal("99.80")
	e.waitJS(root + `.querySelector("[role=status]").textContent.includes("Seus pontos voltaram")`)
	// A cart change is noticed through the page itself, though the theme renders its summary anew.
	e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Menos Camiseta Básica"]`)))
	e.waitJS(root + `.textContent.includes("Faltam R$\u00a010,10 em produtos")`)
	if p, ledger := e.shopper("ana@example.com"); p != 5000 || len(ledger) != 2 {
		t.Fatalf("points %d, %d ledger entries", p, len(ledger))
	}
}

// signInSpy records the bodies of the widget's sign-ins (the BFF's session exchange, or the
// contract's secure login), before any page script runs.
const signInSpy = `window.__signIns = []; (() => { const f = window.fetch;
	window.fetch = (url, init) => { if (/\/bff\/v1\/session|\/securelogin/.test(String(url)) && init && init.body) window.__signIns.push(JSON.parse(init.body)); return f(url, init) } })();`

// TestBrowserCustomAdapter runs the widget mounted by the integrator's own code with
// callbacks (demostore/static/custom.js), and checks its onApplied/onRemoved callbacks.
func TestBrowserCustomAdapter(t *testing.T) {
	e := newE2E(t, "")
	e.openAt("/custom", "ana")
	e.waitRewards()
	e.click("10%")
	e.waitTotal("89.82")
	e.waitJS(`document.querySelector("#integrator-log").textContent === "onApplied: 10%"`)
	e.click("Remover recompensa")
	e.waitTotal("99.80")
	e.waitJS(`document.querySelector("#integrator-log").textContent === "onRemoved: 10%"`)
}

func TestBrowserUsesAnAlreadyRedeemedReward(t *testing.T) {
	e := newE2E(t, "")
	// Ana redeemed 10% in an earlier visit, tied to no cart.
	lreq, _ := http.NewRequest("POST", e.st.sandboxURL+"/pub/widget/vendors/vtex/securelogin", strings.NewReader(`{"sessionToken":"ana","segmentToken":"x"}`))
	lreq.Header.Set("X-Bq-Tenant", "demo")
	login, err := http.DefaultClient.Do(lreq)
	if err != nil || login.StatusCode != 200 {
		t.Fatalf("login at the sandbox: %v %v", login, err)
	}
	var l struct{ Item struct{ SecureToken string } }
	_ = json.NewDecoder(login.Body).Decode(&l)
	login.Body.Close()
	req, _ := http.NewRequest("POST", e.st.sandboxURL+"/pub/widget/rewards/redeem/302", nil)
	req.Header.Set("X-Bq-Tenant", "demo")
	req.Header.Set("X-Bq-SecureToken", l.Item.SecureToken)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("redeem at the sandbox: %v %v", res, err)
	}

	e.open("ana")
	e.waitJS(root + ` && ` + root + `.querySelector("button[data-k^=u]") !== null`)
	var label string
	e.js(root+`.querySelector("button[data-k^=u]").getAttribute("aria-label")`, &label)
	if label != "Usar 10% de desconto" || !strings.Contains(e.widgetText(), "Já é sua: sem custo") {
		t.Fatalf("offered as %q: %q", label, e.widgetText())
	}
	var ok bool
	e.js(root+`.querySelector("button[data-k^=u]").click() || true`, &ok)
	e.waitTotal("89.82")
	if p, ledger := e.shopper("ana@example.com"); p != 4750 || len(ledger) != 1 {
		t.Fatalf("using a redeemed reward debited again: %d points, %d entries", p, len(ledger))
	}
	e.waitJS(root + `.querySelector("button[data-k^=u]") === null`) // applied now, not offered twice
}

func TestBrowserStaysQuietWithNobodyLoggedIn(t *testing.T) {
	e := newE2E(t, "")
	e.open("") // logs out: no vtex_session cookie
	e.waitJS(`window.LoyaltyWidget !== undefined && ` + root + ` !== null`)
	time.Sleep(500 * time.Millisecond)
	var hidden bool
	e.js(root+`.querySelector(".w").hidden && `+root+`.textContent === ""`, &hidden)
	if !hidden {
		t.Fatalf("the widget shows %q with nobody logged in", e.widgetText())
	}
	var rect struct{ Height float64 }
	e.js(`({Height: document.querySelector("#loyalty-widget").getBoundingClientRect().height})`, &rect)
	if rect.Height != 0 {
		t.Fatalf("the hidden widget takes %v px", rect.Height)
	}
	var calls []string
	e.js(`performance.getEntriesByType("resource").map(r => r.name).filter(n => n.includes("/pub/widget") || n.includes("/bff/v1"))`, &calls)
	if len(calls) != 0 {
		t.Fatalf("called the BFF with nobody logged in: %v", calls)
	}
}

func TestBrowserReloadRestoresAppliedReward(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.click("10%")
	e.waitTotal("89.82")
	coupon := e.cartCoupon()

	e.run(chromedp.Reload())
	e.waitJS(root + ` && ` + root + `.querySelector("[data-coupon]") !== null`)
	if !strings.Contains(e.widgetText(), coupon) || e.total() != "89.82" {
		t.Fatalf("after reload: %q total %s", e.widgetText(), e.total())
	}
	// The shopper left and the coupon fell out of the cart; coming back puts it in again.
	var ok bool
	e.js(`fetch("/api/checkout/pub/orderForm").then(r => r.json()).then(of =>
		fetch("/api/checkout/pub/orderForm/" + of.orderFormId + "/coupons", {method: "POST", body: JSON.stringify({text: ""})})).then(r => r.ok)`, &ok)
	e.run(chromedp.Reload())
	e.waitTotal("89.82")
	if got := e.cartCoupon(); got != coupon {
		t.Fatalf("coupon %q restored as %q", coupon, got)
	}
	if p, ledger := e.shopper("ana@example.com"); p != 4750 || len(ledger) != 1 {
		t.Fatalf("restoring debited again: %d points, %d entries", p, len(ledger))
	}
}

func TestBrowserRemoveBringsTotalAndPointsBack(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.click("R$ 50,00")
	e.waitTotal("49.80")
	if p, _ := e.shopper("ana@example.com"); p != 4500 {
		t.Fatalf("points %d", p)
	}
	e.click("Remover recompensa")
	e.waitTotal("99.80")
	e.waitJS(`document.querySelector("#coupon").dataset.cartCoupon === ""`)
	e.waitJS(root + `.querySelector("[role=status]").textContent.includes("Seus pontos voltaram")`)
	p, ledger := e.shopper("ana@example.com")
	if p != 5000 || len(ledger) != 2 || ledger[1]["Kind"] != "credit" || ledger[1]["Points"] != float64(500) {
		t.Fatalf("points %d, ledger %v", p, ledger)
	}
}

func TestBrowserDisabledRewardsShowTheirReasons(t *testing.T) {
	e := newE2E(t, "")
	e.open("bruno")
	e.waitRewards()
	type option struct {
		Disabled, Reason, Name string
	}
	read := func(title string) option {
		var o option
		e.js(fmt.Sprintf(`(() => { const b = %s(%q); const d = b.getAttribute("aria-describedby");
			return {Disabled: b.getAttribute("aria-disabled") || "", Name: b.getAttribute("aria-label") || b.textContent,
			        Reason: d ? %s.getElementById(d).textContent : ""} })()`, btn, title, root), &o)
		return o
	}
	// What is missing is quantified: Bruno has 120 points.
	for _, tc := range []struct{ title, reason, name string }{
		{"10%", "Faltam 130 pontos", "Usar 10% de desconto"},
		{"20%", "Aviso da loja: Recompensa pausada pela loja até o fim da campanha.", "Usar 20% de desconto"},
		{"Cashback", "Você não tem cashback disponível no momento.", "Usar Cashback"},
		{"R$ 100,00", "Faltam 880 pontos", "Usar R$\u00a0100,00 de desconto"},
	} {
		o := read(tc.title)
		if o.Disabled != "true" || o.Reason != tc.reason || o.Name != tc.name {
			t.Errorf("%s: %+v", tc.title, o)
		}
	}
	if o := read("R$ 10,00"); o.Disabled != "" {
		t.Errorf("bruno can afford R$ 10,00: %+v", o)
	}
	// Clicking a disabled reward does nothing.
	e.clickAny("10%")
	time.Sleep(300 * time.Millisecond)
	if p, ledger := e.shopper("bruno@example.com"); p != 120 || len(ledger) != 0 {
		t.Fatalf("a disabled reward was redeemed: %d", p)
	}
	var group string
	e.js(`(() => { const g = `+root+`.querySelector("[role=group]"); return `+root+`.getElementById(g.getAttribute("aria-labelledby")).textContent })()`, &group)
	if group != "Escolha uma recompensa para esta compra" {
		t.Fatalf("rewards group named %q", group)
	}
}

func TestBrowserCartChangeUpdatesTheList(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	disabled := func(title string) string {
		return fmt.Sprintf(`%s(%q).getAttribute("aria-disabled") === "true"`, btn, title)
	}
	e.waitJS("!(" + disabled("R$ 10,00") + ")")
	// Take the T-shirt out: R$ 39,90 is under the R$ 50,00 minimum.
	e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Menos Camiseta Básica"]`)))
	e.waitTotal("39.90")
	e.waitJS(disabled("R$ 10,00"))
	if !strings.Contains(e.widgetText(), "Faltam R$\u00a010,10 em produtos") {
		t.Fatalf("no missing amount: %q", e.widgetText())
	}
	// Back above the minimum, redeem, then drop below it again: the shopper is told.
	e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Mais Camiseta Básica"]`)))
	e.waitJS("!(" + disabled("R$ 10,00") + ")")
	e.click("R$ 10,00")
	e.waitTotal("89.80")
	e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Menos Camiseta Básica"]`)))
	// It no longer fits: the coupon leaves the cart and the points come back (issue 16).
	e.waitJS(root + `.textContent.includes("não vale mais para este carrinho")`)
	e.waitJS(`document.querySelector("#coupon").dataset.cartCoupon === ""`)
}

func TestBrowserStaleListIsCheckedByThePlatform(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	// The cart drops under R$ 50,00 behind the widget's back (no orderFormUpdated event).
	var ok bool
	e.js(`fetch("/api/checkout/pub/orderForm").then(r => r.json()).then(of =>
		fetch("/api/checkout/pub/orderForm/" + of.orderFormId + "/items/update",
		      {method: "POST", body: JSON.stringify({orderItems: [{index: 0, quantity: 0}]})})).then(r => r.ok)`, &ok)
	e.click("R$ 10,00") // still enabled in the stale list
	e.waitJS(root + `.querySelector("[data-note]") !== null`)
	// The platform's refusal (in Portuguese) comes back in the shopper's words for the reason.
	var refusal string
	e.js(root+`.querySelector("[data-note]").textContent`, &refusal)
	if refusal != "Faltam R$\u00a010,10 em produtos para usar esta recompensa." {
		t.Fatalf("refusal %q", refusal)
	}
	if p, ledger := e.shopper("ana@example.com"); p != 5000 || len(ledger) != 0 || e.cartCoupon() != "" {
		t.Fatalf("refused redemption left %d points, %d entries, coupon %q", p, len(ledger), e.cartCoupon())
	}
	// The refresh after the refusal shows the real state of the cart.
	e.waitJS(root + `.textContent.includes("Faltam R$\u00a010,10 em produtos")`)
}

func TestBrowserDoubleClickRedeemsOnce(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	// Make the cart big enough for it first (R$ 300,00 minimum): 5 T-shirts.
	for range 4 {
		e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Mais Camiseta Básica"]`)))
	}
	e.waitTotal("339.40")
	e.waitJS(fmt.Sprintf(`%s("R$ 100,00").getAttribute("aria-disabled") !== "true"`, btn))
	var box struct{ X, Y float64 }
	e.js(fmt.Sprintf(`(() => { const r = %s("R$ 100,00").getBoundingClientRect(); return {X: r.x + r.width/2, Y: r.y + r.height/2} })()`, btn), &box)
	e.run(chromedp.MouseClickXY(box.X, box.Y), chromedp.MouseClickXY(box.X, box.Y, chromedp.ClickCount(2)))
	e.waitTotal("239.40")
	time.Sleep(500 * time.Millisecond)
	if p, ledger := e.shopper("ana@example.com"); p != 4000 || len(ledger) != 1 {
		t.Fatalf("double click: %d points, %d ledger entries", p, len(ledger))
	}
}

func TestBrowserRewardTitleIsText(t *testing.T) {
	const evil = `<img src=x onerror=alert(1)>`
	seed := `{"tenants":[{"key":"demo","programName":"<b>Clube</b>","shoppers":[{"sessionToken":"ana","userId":"ana@example.com","name":"Ana","email":"ana@example.com","points":1000,"cashback":0,"enrolled":true}],
		"rewards":[{"id":1,"type":1,"title":"` + strings.ReplaceAll(evil, `"`, `\"`) + `","description":"<script>alert(2)</script>","points":10,"value":5,"minValueToUse":0,"enabled":true}]}]}`
	e := newE2E(t, seed)
	e.open("ana")
	e.waitRewards()
	var imgs, shownTitle, heading string
	e.js(root+`.querySelectorAll("img, script, .t *, h2 *").length.toString()`, &imgs)
	e.js(root+`.querySelector(".t").textContent`, &shownTitle)
	e.js(root+`.querySelector("h2").textContent`, &heading)
	if imgs != "0" || shownTitle != evil || heading != "<b>Clube</b>" {
		t.Fatalf("elements %s, title %q, heading %q", imgs, shownTitle, heading)
	}
	e.click(evil)
	e.waitTotal("94.80")
	e.waitJS(root + `.querySelector("strong") && ` + root + `.querySelector("strong").textContent === ` + fmt.Sprintf("%q", evil))
}
