package e2e

// Browser tests of the demo store's own pages (issue 19, part 6): at a phone's width and a
// desktop's, every page variant fits the viewport and nothing sticks out of its card (the
// coupon code included, whole), the discount line shows only a discount, and the widget's
// "Participar" leads to a page that exists and says how to join.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// demoPages are the demo store's checkout variants (the README's table).
var demoPages = []string{"/", "/checkout/", "/magazord", "/custom"}

// outside lists what makes the page wider than the viewport, and each element (the widget's
// shadow content too) that sticks out of its card: the page's section or aside, or the widget's
// box. Empty when everything fits.
func (e *e2e) outside() []string {
	e.t.Helper()
	var out []string
	e.js(`(() => {
		const out = [], vw = document.documentElement.clientWidth, sw = document.documentElement.scrollWidth;
		const name = x => x.tagName.toLowerCase() + (x.id ? "#" + x.id : "") + (typeof x.className === "string" && x.className ? "." + x.className.trim().split(/\s+/).join(".") : "");
		if (sw > vw) out.push("the document is " + sw + " px wide in a " + vw + " px viewport");
		const check = (card, all) => {
			const c = card.getBoundingClientRect();
			for (const x of all) {
				const r = x.getBoundingClientRect();
				if (r.width === 0 || r.height === 0) continue;
				if (r.right > c.right + 0.5 || r.left < c.left - 0.5)
					out.push(name(x) + " (" + Math.round(r.left) + "–" + Math.round(r.right) + ") sticks out of " + name(card) + " (" + Math.round(c.left) + "–" + Math.round(c.right) + ")");
			}
		};
		for (const card of document.querySelectorAll("main section, main aside")) check(card, card.querySelectorAll("*"));
		const w = document.querySelector("#loyalty-widget"), root = w && w.shadowRoot, box = root && root.querySelector(".w");
		if (box && !box.hidden) check(box, box.querySelectorAll("*"));
		return out.slice(0, 8);
	})()`, &out)
	return out
}

// discountLine is what the page's summary shows on its discount line ("Desconto" and its
// value), "" when no such line is visible.
func (e *e2e) discountLine() string {
	e.t.Helper()
	var s string
	e.js(`(() => {
		const label = [...document.querySelectorAll(".summary *")].find(x => x.children.length === 0 && x.textContent.trim() === "Desconto" && x.checkVisibility());
		if (!label) return "";
		const line = label.tagName === "DT" ? [label, label.nextElementSibling] : [label.parentElement];
		return line.filter(x => x && x.checkVisibility()).map(x => x.textContent.trim()).join(" ").replace(/\s+/g, " ");
	})()`, &s)
	return s
}

func TestBrowserDemoPageFits(t *testing.T) {
	for _, w := range widths {
		for _, path := range demoPages {
			t.Run(fmt.Sprintf("%d%s", w, path), func(t *testing.T) {
				e := newE2E(t, "")
				e.viewport(w)
				e.openAt(path, "ana")
				e.waitRewards()
				e.expand()
				if bad := e.outside(); len(bad) > 0 {
					t.Errorf("with the rewards listed: %s", strings.Join(bad, "; "))
				}
				if line := e.discountLine(); line != "" {
					t.Errorf("no discount yet, and the summary says %q", line)
				}

				e.click("10%")
				e.waitTotal("89.82")
				e.waitJS(root + `.querySelector("[data-coupon]") !== null`)
				code := e.cartCoupon()
				if bad := e.outside(); len(bad) > 0 {
					t.Errorf("with a reward applied: %s", strings.Join(bad, "; "))
				}
				// The code is whole on the page and in the widget, as text a shopper can select.
				var shown struct{ Page, Widget, Select string }
				e.js(`({Page: document.querySelector("#coupon").textContent, Widget: `+root+`.querySelector("[data-coupon]").textContent,
					Select: getComputedStyle(document.querySelector("#coupon")).userSelect})`, &shown)
				if len(code) != 32 || shown.Page != code || shown.Widget != code || shown.Select == "none" {
					t.Errorf("cart coupon %q, the page shows %q, the widget %q (user-select %s)", code, shown.Page, shown.Widget, shown.Select)
				}
				if line := e.discountLine(); !strings.Contains(line, "9,98") {
					t.Errorf("10%% of R$ 99,80 applied, and the discount line says %q", line)
				}

				e.click("Remover recompensa")
				e.waitTotal("99.80")
				e.waitRewards()
				if bad := e.outside(); len(bad) > 0 {
					t.Errorf("with the reward removed: %s", strings.Join(bad, "; "))
				}
				if line := e.discountLine(); line != "" {
					t.Errorf("the reward was removed, and the summary still says %q", line)
				}
			})
		}
	}
}

// TestBrowserJoinLinkLeadsSomewhere: a shopper not in the programme follows "Participar" and
// lands on a page of the store that exists and tells them how to join; at a phone's width it
// fits too.
func TestBrowserJoinLinkLeadsSomewhere(t *testing.T) {
	for _, w := range widths {
		for _, path := range []string{"/", "/magazord"} {
			t.Run(fmt.Sprintf("%d%s", w, path), func(t *testing.T) {
				e := newE2E(t, "")
				e.viewport(w)
				e.openAt(path, "carla")
				e.waitRewards()
				e.expand()
				var join string
				e.js(`(a => a ? a.href : "")(`+root+`.querySelector(".j a"))`, &join)
				u, err := url.Parse(join)
				if err != nil || !strings.HasPrefix(join, e.st.demoURL+"/") {
					t.Fatalf("join link %q, want a page of the demo store %s", join, e.st.demoURL)
				}
				res, err := http.Get(join)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("join link %s: %s %s", join, res.Status, body)
				}
				e.run(chromedp.Navigate(join))
				var page struct {
					Target  bool
					Heading string
					Text    string
				}
				e.js(`(() => { const id = decodeURIComponent(location.hash.slice(1)), t = id ? document.getElementById(id) : document.querySelector("main");
					return {Target: !!t && t.checkVisibility(), Heading: (t && t.querySelector("h1, h2") || {}).textContent || "", Text: t ? t.textContent : ""} })()`, &page)
				if !page.Target {
					t.Fatalf("join link %s: no visible element %q on the page", join, u.Fragment)
				}
				if !strings.Contains(strings.ToLower(page.Heading), "participar") || !strings.Contains(page.Text, "cadastr") {
					t.Errorf("join link %s: the page does not say how to join: heading %q, text %q", join, page.Heading, page.Text)
				}
				if bad := e.outside(); len(bad) > 0 {
					t.Errorf("the join page: %s", strings.Join(bad, "; "))
				}
			})
		}
	}
}
