package e2e

// Real-browser tests: Debian's Chromium driven by chromedp, one shared browser, a new
// browser context (own cookies) per test, against the whole stack (sandbox, BFF with the
// widget, demo store) started in-process on free ports. A test fails on any JavaScript
// exception, console.error, CSP violation or dialog.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/internal/app"
	"github.com/loyalty-checkout/bff-widget/internal/testenv"
)

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserErr    error
	browserCancel = func() {}
)

func TestMain(m *testing.M) {
	code := testenv.Run(m) // ends with a line of what was skipped, if anything
	browserCancel()
	os.Exit(code)
}

// browser starts the shared Chromium (Debian's, or $CHROMIUM) on first use, or skips the test
// when there is none (fails with REQUIRE_ALL=1).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := testenv.Need(t, testenv.Chromium)
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
			chromedp.WindowSize(1200, 900),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		browserErr = chromedp.Do(ctx)
		browserCtx = ctx
		browserCancel = func() { cancelCtx(); cancelAlloc() }
	})
	if browserErr != nil {
		t.Fatalf("starting Chromium: %v", browserErr)
	}
	return browserCtx
}

// stack is the whole product running for one test (app.NewLocal), as the tests read it.
type stack struct {
	sandboxURL, bffURL, demoURL string
	bff                         *bff.Server
}

// startStack runs the whole product on free ports until the test ends: the sandbox (with the
// seed file, "" for the built-in seed), the BFF with its widget and the demo store. wrap, when
// not nil, stands in the BFF's listener.
func startStack(t testing.TB, seedFile string, wrap func(net.Listener) net.Listener) *stack {
	t.Helper()
	st, err := app.NewLocal(seedFile, testKeys)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		st.WrapBFF(wrap)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = st.Serve(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	return &stack{sandboxURL: st.SandboxURL(), bffURL: st.BFFURL(), demoURL: st.DemoURL(), bff: st.BFF()}
}

// e2e is one test's stack and browser tab.
type e2e struct {
	t       *testing.T
	st      *stack
	ctx     context.Context
	bffGate *gate
}

// newE2E starts a fresh stack (optionally with a seed file) and opens a tab in a new
// browser context.
func newE2E(t *testing.T, seedJSON string) *e2e {
	bctx := browser(t)
	var seed string
	if seedJSON != "" {
		seed = filepath.Join(t.TempDir(), "seed.json")
		if err := os.WriteFile(seed, []byte(seedJSON), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var g *gate
	st := startStack(t, seed, func(ln net.Listener) net.Listener {
		g = &gate{Listener: ln, conns: map[net.Conn]bool{}}
		return g
	})
	e := openTab(t, bctx, st, g)
	t.Cleanup(e.checkMoney) // runs first (cleanups are last in, first out): the tab is still open
	return e
}

// tab opens another browser (a new browser context: its own cookies and storage) on the same
// stack: the same shopper in a second browser, with a cart of its own.
func (e *e2e) tab() *e2e { return openTab(e.t, browser(e.t), e.st, e.bffGate) }

// openTab opens a tab in a new browser context on a running stack; the test fails on any
// problem in its page.
func openTab(t *testing.T, bctx context.Context, st *stack, gate *gate) *e2e {
	tab, cancelTab := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(tab, 90*time.Second)
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			problems = append(problems, "exception: "+text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, "console."+string(ev.Type)+": "+argsText(ev.Args))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Source == cdplog.EntrySourceSecurity || ev.Entry.Source == cdplog.EntrySourceJavascript {
				problems = append(problems, string(ev.Entry.Source)+": "+ev.Entry.Text)
			}
		case *page.EventJavascriptDialogOpening:
			problems = append(problems, "dialog: "+ev.Message)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("in the page: %s", p)
		}
		cancelTimeout()
		cancelTab()
	})
	return &e2e{t: t, st: st, ctx: ctx, bffGate: gate}
}

// checkMoney holds every browser test to the money invariant at its end: no debit without the
// coupon in the cart. Every redemption of a seeded shopper that is still active (debited, not
// reversed, not used by a finished order) must have its coupon in the demo cart. The widget may
// still be finishing the test's last action, so the check waits a little before it fails.
func (e *e2e) checkMoney() {
	t := e.t
	var last string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		raw, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`fetch("/api/checkout/pub/orderForm").then(r => r.json()).then(of => (of.marketingData && of.marketingData.coupon) || "")`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Errorf("money check: cannot read the cart: %v", err)
			return
		}
		last = ""
		for _, user := range []string{"ana@example.com", "bruno@example.com", "carla@example.com"} {
			v, ok := e.inspect(user)
			if !ok {
				continue
			}
			for _, r := range v.Redemptions {
				if r.State == "active" && r.CouponCode != raw {
					last += fmt.Sprintf("\n%s: redemption %d (%s, %d points) is debited but its coupon %s is not in the cart (cart coupon %q)", user, r.RedeemedID, r.Title, r.Points, r.CouponCode, raw)
				}
			}
		}
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("money invariant broken at the end of the test:%s", last)
			return
		}
	}
}

// testKeys is the BFF's token key in the browser tests: a fixed random secret.
const testKeys = "k:rIp8lq9E7FY8+vFNwjziJijpUF6xze3rX7xD9ajol60="

// gate stands in the BFF's listener and takes the BFF away the way it really goes away: while
// it is down, open connections are cut and new ones are closed as soon as they arrive, so the
// browser's requests fail with a network error. No DevTools emulation is involved, so it works
// with whatever Chromium is installed.
type gate struct {
	net.Listener
	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		if g.down {
			g.mu.Unlock()
			c.Close()
			continue
		}
		g.conns[c] = true
		g.mu.Unlock()
		return &gatedConn{Conn: c, g: g}, nil
	}
}

// set takes the BFF away (down) or brings it back.
func (g *gate) set(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = down
	if down {
		for c := range g.conns {
			c.Close()
		}
	}
}

type gatedConn struct {
	net.Conn
	g *gate
}

func (c *gatedConn) Close() error {
	c.g.mu.Lock()
	delete(c.g.conns, c.Conn)
	c.g.mu.Unlock()
	return c.Conn.Close()
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if a.Value != nil {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

func (e *e2e) run(actions ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	if err := chromedp.Do(e.ctx, actions...); err != nil {
		e.t.Fatal(err)
	}
}

// open logs a seeded shopper in (the demo sets the VTEX cookies) and loads the checkout.
func (e *e2e) open(shopper string) { e.t.Helper(); e.openAt("/", shopper) }

// openAt does the same on another page of the demo store: "/magazord", "/custom".
func (e *e2e) openAt(path, shopper string) {
	e.t.Helper()
	e.run(chromedp.Navigate(e.st.demoURL + path + "?shopper=" + shopper))
	e.waitJS(`(t => !!t && t.dataset.cartTotal !== "")(document.querySelector("#total"))`)
}

// js evaluates an expression (awaiting promises) into out.
func (e *e2e) js(expr string, out any) {
	e.t.Helper()
	raw, err := chromedp.Run(e.ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("%s: %v", expr, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("%s: %s: %v", expr, raw, err)
	}
}

// waitJS polls until an expression is true.
func (e *e2e) waitJS(expr string) {
	e.t.Helper()
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		state, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](`(()=>{const r=document.querySelector("#loyalty-widget").shadowRoot;return "widget: "+(r?r.textContent:"<none>")+" | total: "+document.querySelector("#total").dataset.cartTotal})()`))
		e.t.Fatalf("waiting for %s: %v\n%s", expr, err, state)
	}
}

// waitTotal waits until the demo cart's total (data-cart-total) is want.
func (e *e2e) waitTotal(want string) {
	e.t.Helper()
	e.waitJS(`document.querySelector("#total").dataset.cartTotal === "` + want + `"`)
}

// In-page helpers: the widget lives in an open shadow root.
const (
	root = `document.querySelector("#loyalty-widget").shadowRoot`
	// btn finds a widget button: a reward's "Usar" by the reward's title (data-t), any other
	// by its visible text.
	btn = `((text) => [...` + root + `.querySelectorAll("button")].find(b => b.dataset.t === text || (!b.dataset.t && b.textContent === text)))`
	// note is the widget's notice next to what caused it.
	note = root + `.querySelector("[data-note]")`
)

func (e *e2e) waitRewards() {
	e.t.Helper()
	e.waitJS(root + ` && ` + root + `.querySelectorAll("button[data-k^=a]").length > 0`)
}

// click presses an enabled widget button (the widget disables them while it works).
func (e *e2e) click(text string) {
	e.t.Helper()
	e.waitJS(fmt.Sprintf(`(() => { const b = %s(%q); return !!b && b.getAttribute("aria-disabled") !== "true" })()`, btn, text))
	e.clickAny(text)
}

// clickAny presses a widget button whatever its state.
func (e *e2e) clickAny(text string) {
	e.t.Helper()
	var ok bool
	e.js(fmt.Sprintf(`(() => { const b = %s(%q); if (!b) return false; b.click(); return true })()`, btn, text), &ok)
	if !ok {
		e.t.Fatalf("no widget button %q", text)
	}
}

func (e *e2e) total() string {
	e.t.Helper()
	var s string
	e.js(`document.querySelector("#total").dataset.cartTotal`, &s)
	return s
}

func (e *e2e) cartCoupon() string {
	var s string
	e.js(`document.querySelector("#coupon").dataset.cartCoupon`, &s)
	return s
}

func (e *e2e) widgetText() string {
	var s string
	e.js(root+`.textContent`, &s)
	return s
}

// shopperView is the part of the sandbox's inspection answer the tests read.
type shopperView struct {
	Points      int64            `json:"Points"`
	Ledger      []map[string]any `json:"Ledger"`
	Redemptions []struct {
		RedeemedID int64  `json:"RedeemedId"`
		Title      string `json:"Title"`
		Points     int64  `json:"Points"`
		CouponCode string `json:"CouponCode"`
		State      string `json:"State"`
	} `json:"Redemptions"`
}

// inspect reads the sandbox's inspection endpoint; ok is false for an unknown shopper.
func (e *e2e) inspect(userID string) (shopperView, bool) {
	e.t.Helper()
	res, err := http.Get(e.st.sandboxURL + "/_sandbox/tenants/demo/shoppers/" + userID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return shopperView{}, false
	}
	var env struct{ Item shopperView }
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		e.t.Fatal(err)
	}
	return env.Item, true
}

// shopper reads a shopper's points and ledger at the sandbox.
func (e *e2e) shopper(userID string) (points int64, ledger []map[string]any) {
	e.t.Helper()
	v, _ := e.inspect(userID)
	return v.Points, v.Ledger
}

// refuseCoupons makes the demo store refuse every loyalty coupon with msg, as VTEX refuses a
// coupon whose promotion is not active (200, no coupon, messages[]); "" accepts them again.
func (e *e2e) refuseCoupons(msg string) {
	e.t.Helper()
	method, body := "PUT", `{"message":`+strconvQuote(msg)+`}`
	if msg == "" {
		method, body = "DELETE", ""
	}
	req, _ := http.NewRequest(method, e.st.demoURL+"/_demo/coupon-refusal", strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusNoContent {
		e.t.Fatalf("coupon refusal switch: %v %v", res, err)
	}
	res.Body.Close()
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// cartAPI runs a call of the demo store's orderForm API from the page, behind the widget's
// back (no vtex.js event): path after /orderForm/{id}, and its JSON body.
func (e *e2e) cartAPI(path, body string) {
	e.t.Helper()
	var ok bool
	e.js(`fetch("/api/checkout/pub/orderForm").then(r => r.json()).then(of =>
		fetch("/api/checkout/pub/orderForm/" + of.orderFormId + `+strconvQuote(path)+`, {method: "POST", body: `+strconvQuote(body)+`})).then(r => r.ok)`, &ok)
	if !ok {
		e.t.Fatalf("cart call %s failed", path)
	}
}

// watchEvents records the widget's CustomEvents on the mount point.
func (e *e2e) watchEvents() {
	var ok bool
	e.js(`(() => { window.__lw = []; const m = document.querySelector("#loyalty-widget");
		for (const k of ["loyalty:applied", "loyalty:removed"]) m.addEventListener(k, ev => window.__lw.push(k + ":" + ev.detail.couponCode)); return true })()`, &ok)
}

func (e *e2e) events() []string {
	var out []string
	e.js(`window.__lw`, &out)
	return out
}

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

func TestBrowserCheckoutCompletesWithTheBFFDown(t *testing.T) {
	t.Run("down before the page loads", func(t *testing.T) {
		e := newE2E(t, "")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.st.bff.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		e.open("ana")
		e.run(chromedp.Click(chromedp.CSS("#place-order")))
		e.waitJS(`document.querySelector("#order-status").dataset.orderPlaced !== undefined`)
		var text string
		e.js(`document.querySelector("#order-status").textContent`, &text)
		if !strings.Contains(text, "99,80") {
			t.Fatalf("order: %q", text)
		}
	})
	t.Run("down after the widget loaded", func(t *testing.T) {
		e := newE2E(t, "")
		e.open("ana")
		e.waitRewards()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.st.bff.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		e.click("R$ 10,00")
		e.waitJS(root + `.querySelector("[data-note]") !== null`)
		if !strings.Contains(e.widgetText(), "Você pode finalizar a compra normalmente") || e.total() != "99.80" {
			t.Fatalf("widget %q total %s", e.widgetText(), e.total())
		}
		// A cart change with the BFF gone: still at most one notice, and the store works.
		e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Mais Meia Divertida"]`)))
		e.waitTotal("119.70")
		time.Sleep(600 * time.Millisecond)
		var notices int
		e.js(root+`.querySelectorAll("[data-note]").length`, &notices)
		if notices != 1 {
			t.Fatalf("%d notices", notices)
		}
		e.run(chromedp.Click(chromedp.CSS("#place-order")))
		e.waitJS(`document.querySelector("#order-status").dataset.orderPlaced !== undefined`)
	})
}

func TestBrowserNoticeGoesWhenTheBFFIsBack(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.bffGate.set(true)
	e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Mais Meia Divertida"]`)))
	e.waitTotal("119.70") // the store works
	e.waitJS(root + `.querySelector("[data-note]") !== null`)
	e.bffGate.set(false)
	e.run(chromedp.Click(chromedp.CSS(`button[aria-label="Menos Meia Divertida"]`)))
	e.waitTotal("99.80")
	e.waitJS(root + `.querySelector("[data-note]") === null`)
	e.click("10%") // and the widget works again
	e.waitTotal("89.82")
}

func TestBrowserKeyboardOnly(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	// Tab from the top of the page until the focus is on the reward, then Enter.
	focusOn := func(text string) {
		t.Helper()
		for range 40 {
			var at string
			e.js(`(a => a ? a.dataset.t || a.textContent : "")(document.activeElement && document.activeElement.shadowRoot && document.activeElement.shadowRoot.activeElement)`, &at)
			if at == text {
				return
			}
			e.run(chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reached %q", text)
	}
	focusOn("10%")
	e.run(chromedp.KeyEvent(kb.Enter))
	e.waitTotal("89.82")
	e.waitJS(root + `.querySelector("[role=status]").textContent === "Recompensa aplicada: 10% de desconto"`)
	focusOn("Remover recompensa")
	e.run(chromedp.KeyEvent(" "))
	e.waitTotal("99.80")
	e.waitJS(root + `.querySelector("[role=status]").textContent === "Recompensa removida. Seus pontos voltaram."`)
}

func TestBrowserStrictCSP(t *testing.T) {
	e := newE2E(t, "")
	res, err := http.Get(e.st.demoURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self' " + e.st.bffURL + ";", "style-src 'self';", "require-trusted-types-for 'script'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP is not strict: %q", csp)
	}
	e.open("ana")
	e.waitRewards()
	// The widget's styles applied without 'unsafe-inline' (a constructed stylesheet), and they
	// stay inside the shadow root.
	var radius, pageButton string
	e.js(`getComputedStyle(`+btn+`("10%")).borderTopLeftRadius`, &radius)
	e.js(`getComputedStyle(document.querySelector("#place-order")).borderTopLeftRadius`, &pageButton)
	if radius != "8px" || pageButton != "4px" {
		t.Fatalf("widget button radius %q, page button %q", radius, pageButton)
	}
	e.click("10%")
	e.waitTotal("89.82")
	// (Any CSP violation would have been reported by the page and failed the test.)
}

// TestBrowserScreenshot keeps assets/demo-applied.png for the README: the demo checkout with
// a reward applied. It writes the file only with UPDATE_SCREENSHOTS=1 (see
// TestBrowserScreenshots).
func TestBrowserScreenshot(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.click("R$ 10,00")
	e.waitTotal("89.80")
	e.waitJS(root + `.querySelector("[data-coupon]") !== null`)
	var ok bool // no focus ring in the picture
	e.js(`(a => (a && a.blur(), true))(`+root+`.activeElement)`, &ok)
	png, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 10_000 {
		t.Fatalf("screenshot of %d bytes", len(png))
	}
	if updateScreenshots() {
		if err := os.WriteFile("../assets/demo-applied.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
