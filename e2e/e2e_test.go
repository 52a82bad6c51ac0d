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
