package e2e

// The widget's unit tests (widget/test/*.test.ts): bundled by esbuild's Go API, as the widget
// is, and run in the shared Chromium, where the widget runs. Chosen over Node's test runner
// because the view needs a real DOM (Node has none without jsdom), because the browser and
// esbuild are already what the product and its browser tests use, and because `go test` then
// needs nothing else installed. Each test is reported by its name as a subtest.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/evanw/esbuild/pkg/api"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/widget"
)

// bundleUnitTests bundles every widget/test/*.test.ts with the harness into one script that
// leaves the harness's run() as window.__unit.
func bundleUnitTests(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob("../widget/test/*.test.ts")
	if err != nil || len(files) == 0 {
		t.Fatalf("no widget unit tests in widget/test: %v", err)
	}
	sort.Strings(files)
	var entry strings.Builder
	entry.WriteString("import { run } from \"./t\";\n")
	for _, f := range files {
		entry.WriteString("import \"./" + filepath.Base(f) + "\";\n")
	}
	entry.WriteString("(window as unknown as { __unit: typeof run }).__unit = run;\n")
	res := api.Build(api.BuildOptions{
		Stdin:    &api.StdinOptions{Contents: entry.String(), ResolveDir: "../widget/test", Sourcefile: "unit-entry.ts", Loader: api.LoaderTS},
		Bundle:   true,
		Format:   api.FormatIIFE,
		Target:   api.ES2019,
		Platform: api.PlatformBrowser,
		Charset:  api.CharsetUTF8,
		Loader:   map[string]api.Loader{".css": api.LoaderText},
		Define:   map[string]string{"VERSION": strconv.Quote(widget.Version), "WORDS": bffWords(t)},
		LogLevel: api.LogLevelSilent,
		Write:    false,
	})
	var msgs []string
	for _, m := range api.FormatMessages(append(res.Errors, res.Warnings...), api.FormatMessagesOptions{Kind: api.ErrorMessage}) {
		msgs = append(msgs, strings.TrimSpace(m))
	}
	if len(msgs) > 0 || len(res.OutputFiles) != 1 {
		t.Fatalf("bundling the widget's unit tests:\n%s", strings.Join(msgs, "\n"))
	}
	return string(res.OutputFiles[0].Contents)
}

// bffWords is the BFF's words for the widget in each language, as a JavaScript object: the
// unit tests render with the sentences a session answer brings.
func bffWords(t *testing.T) string {
	w := map[string][]string{}
	for _, loc := range []string{"pt-BR", "en", "es"} {
		w[loc] = bff.DefaultWords(loc)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWidgetUnit(t *testing.T) {
	bundle := bundleUnitTests(t)
	bctx := browser(t)
	tab, cancelTab := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	// A page of its own origin (about:blank has none: no storage), empty.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>widget unit tests</title>"))
	}))
	defer page.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](bundle+";true")); err != nil {
		t.Fatalf("loading the unit tests: %v", err)
	}
	type result struct{ Name, Error string }
	results, err := chromedp.Run(ctx, chromedp.Evaluate[[]result](`window.__unit()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running the unit tests: %v", err)
	}
	if len(results) == 0 {
		t.Fatal("no unit test ran")
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			if r.Error != "" {
				t.Error(r.Error)
			}
		})
	}
}
