package e2e

// The fast path seen from a browser (issue #8): the HTTP exchanges a shopper's first visit
// costs with the BFF, counted on the BFF's own listener (every request, preflights included)
// and by the page's Resource Timing; and the bytes of the widget on the wire.

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/chromedp"
	"github.com/loyalty-checkout/bff-widget/widget"
)

// requestCounter stands in the BFF's listener and writes down the request line of every HTTP
// request its connections carry (HTTP/1.1, bodies skipped by Content-Length).
type requestCounter struct {
	net.Listener
	mu       sync.Mutex
	requests []string // "METHOD /path", in arrival order
}

func (rc *requestCounter) Accept() (net.Conn, error) {
	c, err := rc.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, rc: rc}, nil
}

func (rc *requestCounter) seen() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.requests...)
}

type countedConn struct {
	net.Conn
	rc   *requestCounter
	buf  []byte // unparsed bytes of the current request's head
	skip int    // body bytes still to pass
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	data := p[:n]
	for len(data) > 0 {
		if c.skip > 0 {
			k := min(c.skip, len(data))
			c.skip -= k
			data = data[k:]
			continue
		}
		c.buf = append(c.buf, data...)
		data = nil
		end := bytes.Index(c.buf, []byte("\r\n\r\n"))
		if end < 0 {
			break
		}
		head, rest := string(c.buf[:end]), c.buf[end+4:]
		lines := strings.Split(head, "\r\n")
		method, target, _ := strings.Cut(lines[0], " ")
		target, _, _ = strings.Cut(target, " ")
		path, _, _ := strings.Cut(target, "?")
		c.rc.mu.Lock()
		c.rc.requests = append(c.rc.requests, method+" "+path)
		c.rc.mu.Unlock()
		for _, l := range lines[1:] {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
				c.skip, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		c.buf = nil
		data = rest
	}
	return n, err
}

// TestFastPathFirstVisitExchanges: a logged-in shopper's first visit to the checkout costs the
// BFF the script and one exchange (the sign-in and the view together), plus at most one CORS
// preflight. It was five before issue #8: the script, two preflights, the login, the view.
func TestFastPathFirstVisitExchanges(t *testing.T) {
	bctx := browser(t)
	var counter *requestCounter
	st := startStack(t, "", func(ln net.Listener) net.Listener { counter = &requestCounter{Listener: ln}; return counter })
	tab, cancelTab := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()

	// The widget has shown the shopper's rewards: its shadow root has buttons.
	shown := `(() => { const h = document.querySelector("#loyalty-widget"); const r = h && h.shadowRoot;
		return !!r && r.querySelectorAll("button").length > 0 && r.textContent.length > 0 })()`
	if err := chromedp.Do(ctx, chromedp.Navigate(st.demoURL+"/?shopper=ana")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](shown, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the widget did not show the rewards: %v (BFF saw %v)", err, counter.seen())
	}
	time.Sleep(300 * time.Millisecond) // anything the widget would still send
	reqs := counter.seen()
	var script, preflights, exchanges []string
	for _, r := range reqs {
		switch {
		case strings.HasPrefix(r, "GET /widget"):
			script = append(script, r)
		case strings.HasPrefix(r, "OPTIONS "):
			preflights = append(preflights, r)
		default:
			exchanges = append(exchanges, r)
		}
	}
	t.Logf("requests to the BFF on a first visit: %v", reqs)
	if len(script) != 1 || len(exchanges) != 1 || exchanges[0] != "POST /bff/v1/session" || len(preflights) > 1 {
		t.Fatalf("first visit: script %v, exchanges %v, preflights %v; want the script, POST /bff/v1/session, at most one preflight", script, exchanges, preflights)
	}

	// The page's own count (Resource Timing: preflights are not resources).
	bff := strings.TrimRight(st.bffURL, "/")
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(e => e.name).filter(n => n.startsWith(`+strconvQuote(bff)+`))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("resources fetched from the BFF: %v, want the script and the session", res)
	}

	// The next page of the same tab: the token and the words kept from the session, so the
	// view alone, and the widget speaks as before (its bundle has no words of its own).
	before := len(counter.seen())
	if err := chromedp.Do(ctx, chromedp.Navigate(st.demoURL+"/?shopper=ana")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](shown, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the widget did not show the rewards again: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	var again []string
	for _, r := range counter.seen()[before:] {
		if !strings.HasPrefix(r, "GET /widget") && !strings.HasPrefix(r, "OPTIONS ") {
			again = append(again, r)
		}
	}
	if len(again) != 1 || again[0] != "GET /bff/v1/checkout" {
		t.Fatalf("next page: exchanges %v, want GET /bff/v1/checkout alone", again)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#loyalty-widget").shadowRoot.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"5.000 pontos", "4 para usar agora", "Escolha uma recompensa para esta compra", "Usar"} {
		if !strings.Contains(text, w) {
			t.Errorf("next page: the widget lacks %q: %q", w, text)
		}
	}
}

// widgetWireBudget is the most /widget.js may weigh on the wire, brotli. Issue #8 asks for
// 7,500 bytes; the bundle grew past that with issue #10 (10,464 bytes), was made smaller again
// without dropping any of its behaviour (9,522 bytes), then lost its words to the BFF's
// catalog (8,704). A redemption's whole life (taking out a coupon that no longer fits or that
// moved to another cart, the cart ids of placed orders, one copy of a reward, amounts in titles
// by the one rule) costs about 670 bytes (measured: 9,376); telling the BFF of the order placed
// and sending the cart's coupon with the view (issue 17) 75 more (9,451); telling the BFF the
// funnel's steps only the page sees (a coupon confirmed in the cart, a reversal's why: issue
// 18) 53 more (9,504), the order's call now sharing the BFF client's one fetch; dropping a read
// that answers mid-action (issue 19) 10 more (9,514).
// docs/benchmarks.md ("What 7,500 bytes on the wire would take") measures what more would be
// needed: more than moving parts out.
const widgetWireBudget = 9_550

// TestFastPathWidgetBytesOnTheWire: /widget.js goes out brotli-compressed to a browser that
// accepts "gzip, br" (precompressed once at start, with Vary), and decompresses to the bundle,
// within widgetWireBudget. (A ratio of the bundle's size is no guard: a denser bundle
// compresses less, in proportion, and weighs less.)
func TestFastPathWidgetBytesOnTheWire(t *testing.T) {
	w, err := widget.Build()
	if err != nil {
		t.Fatal(err)
	}
	st := startStack(t, "", nil)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, tc := range []struct{ accept, encoding string }{
		{"gzip, br", "br"}, {"gzip, deflate, br, zstd", "br"}, {"gzip", "gzip"}, {"", ""}, {"br;q=0, gzip", "gzip"},
	} {
		t.Run("Accept-Encoding "+tc.accept, func(t *testing.T) {
			req, _ := http.NewRequest("GET", st.bffURL+"/widget.js", nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != tc.encoding || res.Header.Get("Vary") != "Accept-Encoding" {
				t.Fatalf("%d, Content-Encoding %q, Vary %q", res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
			}
			if tc.encoding == "br" {
				plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(body)))
				if err != nil || !bytes.Equal(plain, w.JS) {
					t.Fatalf("the brotli body is not the bundle: %v", err)
				}
				t.Logf("/widget.js: %d bytes on the wire (brotli) for a %d-byte bundle (%.1f%%)", len(body), len(w.JS), 100*float64(len(body))/float64(len(w.JS)))
				if len(body) > widgetWireBudget {
					t.Fatalf("%d bytes on the wire: over the %d-byte budget", len(body), widgetWireBudget)
				}
			}
		})
	}
}

// BenchmarkFastPathWidgetJS is GET /widget.js from a browser ("Accept-Encoding: gzip, br")
// over loopback: it reports the bytes on the wire and the bundle's.
func BenchmarkFastPathWidgetJS(b *testing.B) {
	w, err := widget.Build()
	if err != nil {
		b.Fatal(err)
	}
	st := startStack(b, "", nil)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	req, _ := http.NewRequest("GET", st.bffURL+"/widget.js", nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	var wire int
	b.ReportAllocs()
	for b.Loop() {
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		wire = len(body)
	}
	b.ReportMetric(float64(wire), "wire-bytes")
	b.ReportMetric(float64(len(w.JS)), "bundle-bytes")
}
