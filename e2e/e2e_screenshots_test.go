package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// updateScreenshots says whether the screenshot tests write their pictures into assets/:
// UPDATE_SCREENSHOTS=1 go test -count=1 -run Screenshot ./e2e
// (UPDATE_SCREENSHOT=1, the older name, still works.)
func updateScreenshots() bool {
	return os.Getenv("UPDATE_SCREENSHOTS") == "1" || os.Getenv("UPDATE_SCREENSHOT") == "1"
}

// TestBrowserScreenshots pictures the widget in every state the issue names, at a phone's
// width and a desktop's, in its place in the checkout's summary: assets/widget-<state>-<width>.png,
// plus assets/widget-collapsed-375.png (a phone's first sight). Written only with
// UPDATE_SCREENSHOTS=1; without it the pictures are still taken and checked.
func TestBrowserScreenshots(t *testing.T) {
	for _, w := range widths {
		for _, state := range []string{"rich", "poor", "notenrolled", "applied", "refused", "offline"} {
			t.Run(fmt.Sprintf("%s-%d", state, w), func(t *testing.T) {
				e := newE2E(t, "")
				e.state(state, w)
				e.screenshot(fmt.Sprintf("widget-%s-%d.png", state, w))
				if state == "rich" && w == 375 {
					var ok bool
					e.js(root+`.querySelector(".tg").click() || true`, &ok)
					e.waitJS(root + `.querySelector(".tg").getAttribute("aria-expanded") === "false"`)
					e.screenshot("widget-collapsed-375.png")
				}
				if state == "offline" {
					e.bffGate.set(false)
				}
			})
		}
	}
}

// screenshot takes the checkout's summary (the widget and the totals under it).
func (e *e2e) screenshot(name string) {
	e.t.Helper()
	var ok bool // no focus ring in the picture
	e.js(`(a => (a && a.blur(), true))(`+root+`.activeElement)`, &ok)
	png, err := chromedp.Run(e.ctx, chromedp.Screenshot(chromedp.CSS("aside.summary")))
	if err != nil {
		e.t.Fatal(err)
	}
	if len(png) < 5_000 {
		e.t.Fatalf("%s: a screenshot of %d bytes", name, len(png))
	}
	if updateScreenshots() {
		if err := os.WriteFile(filepath.Join("..", "assets", name), png, 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
}
