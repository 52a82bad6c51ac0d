package e2e

// The widget in its page: the checkout goes on with the BFF down, the keyboard alone, a strict
// CSP, the demo's picture.

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

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
