package bff

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

// The BFF's own paths and what New mounts: the session, compression, themes, the beacon and
// the widget's files.

const sessionBody = `{"platform":"vtex","sessionToken":"ana","segmentToken":"seg"}`

// TestSessionSignsInAndAnswersTheView: POST /bff/v1/session is the securelogin and the
// checkout view in one exchange; its token works for every other call; its view is the one
// GET /bff/v1/checkout answers.
func TestSessionSignsInAndAnswersTheView(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	const q = "?purchaseValue=60&checkoutCode=cart-7&lang=en"
	r := mustOK(t, b.do("POST", PathSession+q, hdr{"X-Bq-Tenant": "demo", "Origin": shopOrigin}, sessionBody))
	if r.Header.Get("Access-Control-Allow-Origin") != shopOrigin {
		t.Fatalf("ACAO %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
	item := r.item()
	sess, _ := item["Session"].(map[string]any)
	tok, _ := sess["SecureToken"].(string)
	if tok == "" || sess["UserId"] != "ana@example.com" || sess["ExpiresAt"] == nil || item["ViewError"] != nil {
		t.Fatalf("session %s", r.Raw)
	}
	if calls.get(loginPath) != 1 {
		t.Fatalf("%d logins", calls.get(loginPath))
	}
	again := mustOK(t, b.do("GET", PathCheckout+q, auth("demo", tok), ""))
	got, _ := json.Marshal(item["View"])
	want, _ := json.Marshal(again.item())
	if !bytes.Equal(got, want) {
		t.Fatalf("the session's view differs from GET %s:\n%s\n%s", PathCheckout, got, want)
	}
	if v := again.item(); v["ProgramName"] != "Clube Demo" || len(v["Rewards"].([]any)) != 6 {
		t.Fatalf("view %s", again.Raw)
	}

	t.Run("preflight cached as long as browsers allow", func(t *testing.T) {
		p := b.do("OPTIONS", PathSession+q, hdr{"Origin": shopOrigin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type,x-bq-tenant"}, "")
		if p.Status != 204 || p.Header.Get("Access-Control-Max-Age") != "86400" {
			t.Fatalf("%d Max-Age %q", p.Status, p.Header.Get("Access-Control-Max-Age"))
		}
	})
	tests := []struct {
		name, q, body string
		status        int
		code          string
		login         bool // reaches the platform's login
	}{
		{"no purchaseValue", "?checkoutCode=c", sessionBody, 400, CodeInvalidPurchase, false},
		{"bad cart", "?purchaseValue=1&checkoutCode=a%20b", sessionBody, 400, CodeBadRequest, false},
		{"no platform", q, `{"sessionToken":"ana","segmentToken":"s"}`, 400, CodeBadRequest, false},
		{"bad platform", q, `{"platform":"VTEX/..","sessionToken":"ana","segmentToken":"s"}`, 400, CodeBadRequest, false},
		{"ambiguous body", q, `{"platform":"vtex","sessionToken":"ana","SessionToken":"bruno","segmentToken":"s"}`, 400, CodeAmbiguousBody, false},
		{"no segmentToken", q, `{"platform":"vtex","sessionToken":"ana"}`, 400, CodeBadRequest, false},
		{"unknown session: the platform's refusal", q, `{"platform":"vtex","sessionToken":"nobody","segmentToken":"s"}`, 401, CodeUnauthorized, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.get(loginPath)
			r := b.do("POST", PathSession+tc.q, hdr{"X-Bq-Tenant": "demo"}, tc.body)
			if r.Status != tc.status || r.code() != tc.code || r.msg() == "" {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
			if reached := calls.get(loginPath) > before; reached != tc.login {
				t.Fatalf("reached the platform's login: %v", reached)
			}
		})
	}
	t.Run("a view the platform cannot give", func(t *testing.T) {
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/securelogin") {
				fmt.Fprint(w, `{"HasError":false,"Message":null,"Item":{"Email":"a@b","Name":"A","UserId":"a@b","SecureToken":"t"}}`)
				return
			}
			w.WriteHeader(503)
			fmt.Fprint(w, `{"HasError":true,"Message":"fora do ar","Item":null}`)
		}))
		defer down.Close()
		b2 := startBFF(t, c, down.URL, nil)
		r := mustOK(t, b2.do("POST", PathSession+q, hdr{"X-Bq-Tenant": "demo"}, sessionBody))
		problem, _ := r.item()["ViewError"].(map[string]any)
		if r.item()["View"] != nil || problem == nil || num(problem["Status"]) != 503 || problem["ErrorCode"] != CodeUpstreamError {
			t.Fatalf("%s", r.Raw)
		}
	})
}

// TestAnswersCompressed: JSON answers from CompressMinBytes up go out brotli or gzip, as the
// client accepts, with Vary; smaller ones and clients that accept neither get the bytes as
// they are.
func TestAnswersCompressed(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	for _, min := range []int{0, -1} {
		b := startBFF(t, c, up.URL, func(o *Options) { o.CompressMinBytes = min })
		a := auth("demo", b.login("demo", "ana"))
		plain := mustOK(t, b.do("GET", PathCheckout+"?purchaseValue=60", a, "")).Raw
		for _, tc := range []struct{ accept, want string }{{"br", "br"}, {"gzip, deflate, br", "br"}, {"gzip", "gzip"}, {"identity", ""}, {"br;q=0", ""}} {
			t.Run(fmt.Sprintf("CompressMinBytes %d, Accept-Encoding %s", min, tc.accept), func(t *testing.T) {
				if min < 0 {
					tc.want = ""
				}
				req, _ := http.NewRequest("GET", b.url+PathCheckout+"?purchaseValue=60", nil)
				for k, v := range a {
					req.Header.Set(k, v)
				}
				req.Header.Set("Accept-Encoding", tc.accept)
				res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				if got := res.Header.Get("Content-Encoding"); got != tc.want {
					t.Fatalf("Content-Encoding %q, want %q", got, tc.want)
				}
				if min >= 0 && res.Header.Get("Vary") != "Accept-Encoding" {
					t.Fatalf("Vary %q", res.Header.Get("Vary"))
				}
				var r io.Reader = bytes.NewReader(body)
				switch tc.want {
				case "br":
					r = brotli.NewReader(r)
				case "gzip":
					if r, err = gzip.NewReader(r); err != nil {
						t.Fatal(err)
					}
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("decoded body differs: %v", err)
				}
				if tc.want != "" {
					t.Logf("%d bytes as %s for %d", len(body), tc.want, len(plain))
				}
			})
		}
	}
	t.Run("a small error is sent as it is", func(t *testing.T) {
		b := startBFF(t, c, up.URL, nil)
		r := b.do("GET", PathCheckout, hdr{"X-Bq-Tenant": "demo", "Accept-Encoding": "br"}, "")
		if r.Status != 401 || r.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%d %q", r.Status, r.Header.Get("Content-Encoding"))
		}
	})
}

// TestThemes: a tenant's theme comes with the view (the fields given, in the view's casing);
// without one, Theme is null; every invalid value is reported at start.
func TestThemes(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, func(o *Options) {
		o.Tenants[0].Theme = &Theme{Accent: "#0f766e", Radius: "14px", Font: `"Inter", system-ui, sans-serif`, JoinURL: "https://shop.test/join"}
	})
	v := mustOK(t, b.do("GET", PathCheckout+"?purchaseValue=1", auth("demo", b.login("demo", "ana")), "")).item()
	theme, _ := json.Marshal(v["Theme"])
	if string(theme) != `{"Accent":"#0f766e","Font":"\"Inter\", system-ui, sans-serif","JoinURL":"https://shop.test/join","Radius":"14px"}` {
		t.Fatalf("theme %s", theme)
	}
	if v := mustOK(t, b.do("GET", PathCheckout+"?purchaseValue=1", auth("other", b.login("other", "ana")), "")).item(); v["Theme"] != nil {
		t.Fatalf("a tenant without a theme: %v", v["Theme"])
	}
	if d := DemoTenant("http://127.0.0.1:1", []string{"http://localhost:8082", "http://127.0.0.1:8082"}); d.Theme == nil ||
		d.Theme.JoinURL != "http://127.0.0.1:8082/fidelidade" || len(d.Theme.problems()) != 0 {
		t.Fatalf("demo theme %+v", d.Theme)
	}

	for _, tc := range []struct {
		name  string
		theme Theme
		bad   string // "" when valid
	}{
		{"every field", Theme{Accent: "#abc", AccentText: "#ffffffcc", Radius: "0.5rem", Font: "Georgia, serif", JoinURL: "https://a.test/x?y=1", TermsURL: "http://localhost:8082/terms"}, ""},
		{"zero radius", Theme{Radius: "0"}, ""},
		{"loopback http", Theme{JoinURL: "http://127.0.0.1:8082/"}, ""},
		{"colour name", Theme{Accent: "red"}, `accent "red"`},
		{"colour without #", Theme{AccentText: "fff"}, `accentText "fff"`},
		{"colour of 5 digits", Theme{Accent: "#12345"}, `accent "#12345"`},
		{"radius without unit", Theme{Radius: "8"}, `radius "8"`},
		{"radius with CSS", Theme{Radius: "8px;background:red"}, "radius"},
		{"font with a brace", Theme{Font: "x}body{display:none"}, "font"},
		{"plain http", Theme{JoinURL: "http://shop.test/join"}, "joinUrl"},
		{"relative", Theme{TermsURL: "/terms"}, "termsUrl"},
		{"javascript", Theme{JoinURL: "javascript:alert(1)"}, "joinUrl"},
		{"credentials", Theme{JoinURL: "https://u:p@shop.test/"}, "joinUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := tc.theme
			err := (&Options{Tenants: []TenantConfig{{Key: "a", Upstream: "http://up.test", Theme: &th}}, Keys: []Key{testKey}}).validated()
			switch {
			case tc.bad == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), "tenants[0] (a): theme."+tc.bad)):
				t.Fatalf("error %v, want theme.%s", err, tc.bad)
			}
		})
	}
	t.Run("tenants file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tenants.json")
		_ = os.WriteFile(path, []byte(`{"tenants": [{"key": "a", "upstream": "http://up.test",
			"theme": {"accent": "#5b21b6", "acent": "#000", "joinUrl": "https://a.test/j"}}]}`), 0o600)
		tenants, err := LoadTenants(path)
		if err == nil || !strings.Contains(err.Error(), "tenants[0].theme.acent: unknown field") {
			t.Fatalf("%v", err)
		}
		if len(tenants) != 1 || tenants[0].Theme == nil || tenants[0].Theme.JoinURL != "https://a.test/j" {
			t.Fatalf("%+v", tenants)
		}
	})
}

// validated runs the defaults and the checks, as New does.
func (o *Options) validated() error {
	o.setDefaults()
	return o.Validate()
}

// TestBeacon: the widget's error beacon is answered 204 with no token, counted per tenant and
// kind, and logged once per beacon but at most once per BeaconLogEvery per client address,
// with nothing personal in the line.
func TestBeacon(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	var logs bytes.Buffer
	lw := &syncWriter{w: &logs}
	b := startBFF(t, c, up.URL, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(lw, nil))
		o.BeaconLogEvery = 300 * time.Millisecond
	})
	const beacon = `{"v":"1.2.0","tenant":"demo","platform":"vtex","kind":"network","at":"view"}`
	send := func(body string, h hdr) resp {
		if h == nil {
			h = hdr{}
		}
		h["Content-Type"] = "text/plain;charset=UTF-8" // navigator.sendBeacon: no preflight
		return b.do("POST", PathBeacon, h, body)
	}
	beaconLines := func() []map[string]any {
		var out []map[string]any
		for _, raw := range strings.Split(lw.String(), "\n") {
			var line map[string]any
			if json.Unmarshal([]byte(raw), &line) == nil && line["msg"] == "widget beacon" {
				out = append(out, line)
			}
		}
		return out
	}
	for range 3 {
		if r := send(beacon, hdr{"Origin": shopOrigin}); r.Status != 204 || len(r.Raw) != 0 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
	}
	lines := beaconLines()
	if len(lines) != 1 || lines[0]["tenant"] != "demo" || lines[0]["kind"] != "network" || lines[0]["at"] != "view" || lines[0]["count"] != "1" {
		t.Fatalf("one client, three beacons at once: lines %v", lines)
	}
	time.Sleep(350 * time.Millisecond)
	send(beacon, nil)
	if lines := beaconLines(); len(lines) != 2 || lines[1]["count"] != "4" {
		t.Fatalf("after BeaconLogEvery: %v", lines)
	}
	// A tag without data-tenant names no store: its beacon is counted under none, with the page.
	time.Sleep(350 * time.Millisecond)
	if r := send(`{"v":"1.2.0","tenant":"","platform":"vtex","kind":"opts","at":"mount"}`, hdr{"Origin": "http://shop.example"}); r.Status != 204 {
		t.Fatalf("a tag without data-tenant: %d %s", r.Status, r.Raw)
	}
	if lines := beaconLines(); len(lines) != 3 || lines[2]["kind"] != "opts" || lines[2]["origin"] != "http://shop.example" || lines[2]["tenant"] != nil {
		t.Fatalf("a tag without data-tenant: %v", lines)
	}
	if strings.Contains(lw.String(), "127.0.0.1") || strings.Contains(lw.String(), `"msg":"request","request_id":"`) && strings.Contains(lw.String(), PathBeacon) {
		t.Fatalf("a beacon logged an address or an access line:\n%s", lw.String())
	}
	for _, tc := range []struct {
		name, body string
		h          hdr
		status     int
		code       string
	}{
		{"unknown tenant", strings.Replace(beacon, `"demo"`, `"nope"`, 1), nil, 404, CodeUnknownTenant},
		{"another store's page", beacon, hdr{"Origin": "http://evil.test"}, 403, CodeOriginNotAllowed},
		{"no kind", `{"tenant":"demo"}`, nil, 400, CodeBadRequest},
		{"no tenant, not a tag's options", `{"kind":"network","at":"view"}`, nil, 400, CodeBadRequest},
		{"free text", strings.Replace(beacon, `"network"`, `"ana@example.com said hi"`, 1), nil, 400, CodeBadRequest},
		{"not JSON", "network", nil, 400, CodeInvalidJSON},
		{"too big", `{"tenant":"demo","kind":"x","pad":"` + strings.Repeat("a", 2000) + `"}`, nil, 413, CodeBodyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := send(tc.body, tc.h); r.Status != tc.status || r.code() != tc.code {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
}

// TestNewMountsEverything: New mounts every route, the widget's files included, and the
// enveloped 404 last; there is nothing left to call, in any order, that could hide a route.
func TestNewMountsEverything(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	w := &WidgetAssets{JS: []byte(strings.Repeat("console.log('loyalty');\n", 200) + "//# sourceMappingURL=widget.abc.js.map\n"),
		SourceMap: []byte(`{"version":3}`), Types: []byte("declare const LoyaltyWidget: unknown;\n"),
		Name: "widget.abc.js", Integrity: "sha384-x", Version: "9.9.9"}
	b := startBFF(t, c, up.URL, func(o *Options) { o.Widget = w })
	get := func(path string, h hdr) resp { return b.do("GET", path, h, "") }
	for _, tc := range []struct{ path, cache, contentType string }{
		{"/widget.js", "public, max-age=300", "text/javascript; charset=utf-8"},
		{"/widget.abc.js", "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
		{"/widget.abc.js.map", "public, max-age=31536000, immutable", "application/json"},
		{"/loyalty-widget.d.ts", "public, max-age=300", "application/typescript; charset=utf-8"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := get(tc.path, nil)
			if r.Status != 200 || r.Header.Get("Cache-Control") != tc.cache || r.Header.Get("Content-Type") != tc.contentType ||
				r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Vary") != "Accept-Encoding" || r.Header.Get("ETag") == "" {
				t.Fatalf("%d %v", r.Status, r.Header)
			}
			if again := get(tc.path, hdr{"If-None-Match": r.Header.Get("ETag")}); again.Status != 304 || len(again.Raw) != 0 {
				t.Fatalf("If-None-Match: %d", again.Status)
			}
		})
	}
	if r := get("/widget.json", nil); r.Status != 200 || r.Env["url"] != "/widget.abc.js" || num(r.Env["bytes"]) != float64(len(w.JS)) {
		t.Fatalf("manifest %d %s", r.Status, r.Raw)
	}
	if r := get("/nothing", nil); r.Status != 404 || r.code() != CodeNotFound {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	plain := startBFF(t, c, up.URL, nil)
	if r := plain.do("GET", "/widget.js", nil, ""); r.Status != 404 || r.code() != CodeNotFound {
		t.Fatalf("without a widget: %d %s", r.Status, r.Raw)
	}
}

// An order placed at the store drops what the BFF kept for its shopper: the redemption the
// order used is no longer offered from a copy, though the store, not the widget, told the
// platform.
func TestOrderPlacedDropsTheShoppersCopy(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "bruno")
	red := mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/301", auth("demo", tok), `{"OriginalId":"cart-a"}`)).item()
	coupon, _ := red["CouponCode"].(string)
	view := func() map[string]any {
		return mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=99.80&checkoutCode=cart-b", auth("demo", tok), "")).item()
	}
	if n := len(view()["Redeemed"].([]any)); n != 1 {
		t.Fatalf("%d redeemed before the order, want 1", n)
	}
	// The store reports the order to the platform; the BFF's copy still offers the coupon.
	finish := call(t, up.URL, "POST", "/_sandbox/tenants/demo/orders/cart-a/finish", nil, `{"CouponCode":"`+coupon+`"}`)
	if finish.Status != 200 {
		t.Fatalf("finish: %d %s", finish.Status, finish.Raw)
	}
	asked := calls.get("/pub/widget/rewards/checkout/redeemed")
	if n := len(view()["Redeemed"].([]any)); n != 1 || calls.get("/pub/widget/rewards/checkout/redeemed") != asked {
		t.Fatalf("the copy was not used: %d redeemed, %d calls", n, calls.get("/pub/widget/rewards/checkout/redeemed")-asked)
	}

	for _, bad := range []struct{ body, want string }{
		{``, "CheckoutCode is required"},
		{`[1]`, "JSON object"},
		{`{}`, "CheckoutCode is required"},
		{`{"CheckoutCode":"a b"}`, "CheckoutCode must be"},
		{`{"CheckoutCode":7}`, "must be a string"},
	} {
		if r := b.do("POST", PathOrder, auth("demo", tok), bad.body); r.Status != 400 || !strings.Contains(r.msg(), bad.want) {
			t.Errorf("%q: %d %s", bad.body, r.Status, r.Raw)
		}
	}
	if r := b.do("POST", PathOrder, hdr{"X-Bq-Tenant": "demo"}, `{"CheckoutCode":"cart-a"}`); r.Status != 401 {
		t.Fatalf("without a token: %d %s", r.Status, r.Raw)
	}
	if r := b.do("POST", PathOrder, auth("demo", tok), `{"CheckoutCode":"cart-a"}`); r.Status != 204 {
		t.Fatalf("order placed: %d %s", r.Status, r.Raw)
	}
	if v := view(); len(v["Redeemed"].([]any)) != 0 {
		t.Fatalf("after the order the used redemption is still offered: %v", v["Redeemed"])
	}
}
