// Package e2e is the product's browser and end-to-end tests, and nothing else: the whole
// product (the sandbox, the BFF with its widget, the demo store; app.NewLocal) on real HTTP
// servers on free ports of the loopback, driven by Debian's Chromium (chromedp: one shared
// browser, a new browser context per test), and the widget's unit tests in the same browser.
// `go test ./e2e` runs them alone. A machine without Chromium (or axe-core) skips them with
// one line saying what to install; REQUIRE_ALL=1 (.ci/run) makes a skip a failure.
package e2e
