package bff

// Over 400 lines: the drop-in contract's tests (the seven paths, CORS, faults, bad input, the
// envelope) share one fake upstream and one normalising comparison.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// normalize drops what the BFF changes on purpose (its token, the added fields) and the
// random coupon codes, so a BFF answer can be compared with the sandbox's own.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			switch k {
			case "UseReasonName", "UseReasonMessage", "ErrorCode", "ExpiresAt":
			case "SecureToken", "CouponCode":
				if e != nil {
					out[k] = "<random>"
				} else {
					out[k] = nil
				}
			default:
				out[k] = normalize(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// TestDropInPaths runs one session on two identical sandboxes, one directly and one through
// the BFF, and compares every answer. The tenant lets old clients redeem without OriginalId,
// so every path of the contract, keyless redeems included, passes through unchanged.
func TestDropInPaths(t *testing.T) {
	c := newClock()
	direct, _ := startSandbox(t, c)
	behind, _ := startSandbox(t, c)
	b := startBFF(t, c, behind.URL, func(o *Options) { o.Tenants[0].AllowRedeemWithoutOriginalId = true })

	login := `{"sessionToken":"ana","segmentToken":"seg"}`
	dl := call(t, direct.URL, "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, login)
	bl := b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, login)
	if !reflect.DeepEqual(normalize(dl.Env), normalize(bl.Env)) || dl.Status != bl.Status {
		t.Fatalf("login differs:\nsandbox %s\nbff     %s", dl.Raw, bl.Raw)
	}
	dTok := dl.item()["SecureToken"].(string)
	bTok := bl.item()["SecureToken"].(string)

	steps := []struct{ name, method, path, body string }{
		{"list rewards", "GET", "/pub/widget/rewards/checkout?purchaseValue=120", ""},
		{"list with cart", "GET", "/pub/widget/rewards/checkout?purchaseValue=20.5&order_form_id=abc123", ""},
		{"redeem", "POST", "/pub/widget/rewards/redeem/301", `{"OriginalId":"cart-1"}`},
		{"redeem replay", "POST", "/pub/widget/rewards/redeem/301", `{"OriginalId":"cart-1"}`},
		{"redeem refused", "POST", "/pub/widget/rewards/redeem/306", ``},
		{"second reward on cart", "POST", "/pub/widget/rewards/redeem/302", `{"OriginalId":"cart-1"}`},
		{"redeem without cart", "POST", "/pub/widget/rewards/redeem/302?purchaseValue=80", ``},
		{"list redeemed", "GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=120", ""},
		{"use redeemed", "POST", "/pub/widget/rewardredeemed/checkout/redeem/1002", `{"OriginalId":"cart-2"}`},
		{"applied", "POST", "/pub/widget/rewards/checkout", `{"CheckoutCode":"cart-2"}`},
		{"applied none", "POST", "/pub/widget/rewards/checkout", `{"CheckoutCode":"cart-none"}`},
		{"reverse", "POST", "/pub/widget/rewards/checkout/1001/reverse", ``},
		{"reverse again", "POST", "/pub/widget/rewards/checkout/1001/reverse", ``},
		{"list after reverse", "GET", "/pub/widget/rewards/checkout?purchaseValue=120", ""},
		{"unknown reward", "POST", "/pub/widget/rewards/redeem/999", ``},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			d := call(t, direct.URL, s.method, s.path, auth("demo", dTok), s.body)
			g := b.do(s.method, s.path, auth("demo", bTok), s.body)
			if d.Status != g.Status || !reflect.DeepEqual(normalize(d.Env), normalize(g.Env)) {
				t.Fatalf("differs:\nsandbox %d %s\nbff     %d %s", d.Status, d.Raw, g.Status, g.Raw)
			}
			if d.Env["HasError"] == true && g.code() == "" {
				t.Fatalf("upstream error without ErrorCode: %s", g.Raw)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	preflight := func(origin string) resp {
		return b.do("OPTIONS", "/pub/widget/rewards/checkout?purchaseValue=1", hdr{
			"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-bq-tenant,x-bq-securetoken",
		}, "")
	}
	t.Run("allowed origin preflight", func(t *testing.T) {
		r := preflight(shopOrigin)
		if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != shopOrigin ||
			!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "x-bq-securetoken") {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
		if r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatal("credentials allowed; the BFF uses a header token, not cookies")
		}
	})
	t.Run("unknown origin preflight", func(t *testing.T) {
		for _, o := range []string{"http://evil.test", "http://shop.test.evil.test", "https://shop.test", "null"} {
			if got := preflight(o).Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Fatalf("%s allowed: %q", o, got)
			}
		}
	})
	t.Run("allowed origin request", func(t *testing.T) {
		h := auth("demo", tok)
		h["Origin"] = shopOrigin
		r := mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", h, ""))
		if r.Header.Get("Access-Control-Allow-Origin") != shopOrigin || r.Header.Get("Access-Control-Allow-Origin") == "*" {
			t.Fatalf("ACAO %q", r.Header.Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("another tenant's origin is refused", func(t *testing.T) {
		h := auth("demo", tok)
		h["Origin"] = "http://other.test"
		if r := b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", h, ""); r.Status != 403 || r.code() != CodeOriginNotAllowed {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		h = hdr{"X-Bq-Tenant": "demo", "Origin": "http://evil.test"}
		if r := b.do("POST", "/pub/widget/vendors/vtex/securelogin", h, `{"sessionToken":"ana","segmentToken":"x"}`); r.Status != 403 {
			t.Fatalf("login from a foreign origin: %d", r.Status)
		}
	})
}

// fakeUpstream answers login and the listing with the rewards given, for message tests.
func fakeUpstream(t *testing.T, rewards string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/securelogin"):
			fmt.Fprint(w, `{"HasError":false,"Message":null,"Item":{"Email":"a@b","Name":"A","UserId":"a@b","SecureToken":"up-token"}}`)
		case r.URL.Path == "/pub/widget/rewards/checkout":
			fmt.Fprintf(w, `{"ProgramName":"P","PointsBalance":10,"HasError":false,"Message":null,"Item":%s}`, rewards)
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"HasError":true,"Message":"no","Item":null}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUpstreamFaults(t *testing.T) {
	c := newClock()
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	handler := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name, upstream string
		status         int
		code           string
		retryAfter     string
	}{
		{"dead address", deadURL, 502, CodeUpstreamUnreachable, ""},
		{"slow past the timeout", handler(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		}), 504, CodeUpstreamTimeout, ""},
		{"garbage", handler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>Bad Gateway</html>")
		}), 502, CodeUpstreamBadAnswer, ""},
		{"JSON but not the envelope", handler(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[1,2,3]`) }), 502, CodeUpstreamBadAnswer, ""},
		{"too large", handler(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"HasError":false,"Item":"%s"}`, strings.Repeat("x", 2<<10))
		}), 502, CodeAnswerTooLarge, ""},
		{"rate limited", handler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			fmt.Fprint(w, `{"HasError":true,"Message":"Too many","Item":null}`)
		}), 429, CodeRateLimited, "7"},
		{"rate limited without Retry-After", handler(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }), 429, CodeRateLimited, "1"},
		{"redirect is not followed", handler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/steal", http.StatusFound)
		}), 502, CodeUpstreamBadAnswer, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := startBFF(t, c, tc.upstream, func(o *Options) {
				o.UpstreamTimeout = 300 * time.Millisecond
				o.MaxUpstreamBody = 1 << 10
			})
			r := b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"ana","segmentToken":"x"}`)
			if r.Status != tc.status || r.code() != tc.code || r.Env["HasError"] != true || r.msg() == "" {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
			if r.Header.Get("Retry-After") != tc.retryAfter {
				t.Fatalf("Retry-After %q, want %q", r.Header.Get("Retry-After"), tc.retryAfter)
			}
			if strings.Contains(string(r.Raw), "127.0.0.1") || strings.Contains(string(r.Raw), "dial") {
				t.Fatalf("internal detail leaked: %s", r.Raw)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, func(o *Options) { o.BodyLimit = 4 << 10 })
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	tests := []struct {
		name, method, path string
		h                  hdr
		body               string
		status             int
		code               string
	}{
		{"missing tenant", "GET", "/pub/widget/rewards/checkout?purchaseValue=1", hdr{"X-Bq-SecureToken": tok}, "", 400, CodeMissingTenant},
		{"unknown tenant", "GET", "/pub/widget/rewards/checkout?purchaseValue=1", auth("nope", tok), "", 404, CodeUnknownTenant},
		{"purchaseValue missing", "GET", "/pub/widget/rewards/checkout", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue negative", "GET", "/pub/widget/rewards/checkout?purchaseValue=-5", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue NaN", "GET", "/pub/widget/rewards/checkout?purchaseValue=NaN", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue Inf", "GET", "/pub/widget/rewards/checkout?purchaseValue=Inf", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue huge", "GET", "/pub/widget/rewards/checkout?purchaseValue=1000000000", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue exponent", "GET", "/pub/widget/rewards/checkout?purchaseValue=1e400", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue comma", "GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=10,5", a, "", 400, CodeInvalidPurchase},
		{"bad order_form_id", "GET", "/pub/widget/rewards/checkout?purchaseValue=1&order_form_id=a/b", a, "", 400, CodeBadRequest},
		{"reward id zero", "POST", "/pub/widget/rewards/redeem/0", a, "", 400, CodeInvalidID},
		{"reward id negative", "POST", "/pub/widget/rewards/redeem/-1", a, "", 400, CodeInvalidID},
		{"reward id text", "POST", "/pub/widget/rewards/redeem/abc", a, "", 400, CodeInvalidID},
		{"reward id fraction", "POST", "/pub/widget/rewardredeemed/checkout/redeem/1.5", a, "", 400, CodeInvalidID},
		{"reverse id overflow", "POST", "/pub/widget/rewards/checkout/99999999999999999999/reverse", a, "", 400, CodeInvalidID},
		{"malformed JSON", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":`, 400, CodeInvalidJSON},
		{"JSON array", "POST", "/pub/widget/rewards/checkout", a, `["x"]`, 400, CodeInvalidJSON},
		{"OriginalId not a string", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":7}`, 400, CodeBadRequest},
		{"OriginalId too long", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":"` + strings.Repeat("a", 129) + `"}`, 400, CodeBadRequest},
		{"oversized body", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":"` + strings.Repeat("a", 8<<10) + `"}`, 413, CodeBodyTooLarge},
		{"login without sessionToken", "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"segmentToken":"x"}`, 400, CodeBadRequest},
		{"login with a number", "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":1,"segmentToken":"x"}`, 400, CodeBadRequest},
		{"login bad platform", "POST", "/pub/widget/vendors/VTEX%2F..%2Fx/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"ana","segmentToken":"x"}`, 400, CodeBadRequest},
		{"unknown path", "GET", "/pub/widget/nothing", a, "", 404, CodeNotFound},
	}
	before := calls.get("/pub/widget/rewards/redeem/301")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.do(tc.method, tc.path, tc.h, tc.body)
			if r.Status != tc.status || r.code() != tc.code || r.Env["HasError"] != true || r.msg() == "" || r.Env["Item"] != nil {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Fatal("no request id")
			}
		})
	}
	if calls.get("/pub/widget/rewards/redeem/301") != before {
		t.Fatal("bad input reached the upstream")
	}
	if r := call(t, up.URL, "GET", "/_sandbox/tenants/demo/shoppers/ana@example.com", nil, ""); num(r.item()["Points"]) != 5000 {
		t.Fatal("bad input changed the shopper's points")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	if r := b.do("GET", "/healthz", nil, ""); r.Status != 200 {
		t.Fatalf("healthz %d", r.Status)
	}
	r := b.do("GET", "/readyz", nil, "")
	if r.Status != 200 || num(r.Env["tenants"]) != 2 {
		t.Fatalf("readyz %d %s", r.Status, r.Raw)
	}
	if a, z := b.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id"), r.Header.Get("X-Request-Id"); a == "" || a == z {
		t.Fatalf("request ids %q %q", a, z)
	}
}

func TestPanicIsAnsweredInTheEnvelope(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	var logs bytes.Buffer
	o := Options{
		Tenants: []TenantConfig{{Key: "demo", Upstream: up.URL}},
		Keys:    []Key{testKey},
		Now:     c.Now,
		Logger:  slog.New(slog.NewJSONHandler(&syncWriter{w: &logs}, nil)),
	}
	o.extraRoutes = []extraRoute{{method: "GET", path: "/boom", h: func(*exchange) error { panic("secret internal detail") }}}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := srv.front.app.Test(httptest.NewRequest("GET", "/boom", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 500 || !bytes.Contains(body, []byte(`"ErrorCode":"internal"`)) || bytes.Contains(body, []byte("secret")) {
		t.Fatalf("%d %s", r.StatusCode, body)
	}
	// The access log has its line for this request, as for any other.
	id := r.Header.Get("X-Request-Id")
	logged := false
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"request"`) && strings.Contains(line, `"request_id":"`+id+`"`) && strings.Contains(line, `"status":500`) {
			logged = true
		}
	}
	if id == "" || !logged {
		t.Fatalf("request %q has no access log line: %s", id, logs.String())
	}
}

// syncWriter lets the server's goroutines share a test buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestRequestIDs: the id in X-Request-ID and in the logs is always the BFF's own, so a client
// cannot make two requests share one or pass its request off as another's. A well-formed
// client id is logged beside it as client_request_id; a malformed one is dropped.
func TestRequestIDs(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	var logs bytes.Buffer
	lw := &syncWriter{w: &logs}
	b := startBFF(t, c, up.URL, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(lw, nil)) })
	earlier := b.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id")

	tests := []struct {
		name, client string
		kept         bool
	}{
		{"none", "", false},
		{"well formed", "shop-req_42.a:b", true},
		{"well formed, again", "shop-req_42.a:b", true},
		{"another request's id", earlier, true},
		{"spaces", "my request id", false},
		{"too long", strings.Repeat("a", 65), false},
		{"log injection", `x","request_id":"victim`, false},
		{"non-ASCII", "pedido-nº1", false},
	}
	seen := map[string]bool{earlier: true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := hdr{}
			if tc.client != "" {
				h["X-Request-ID"] = tc.client
			}
			r := b.do("GET", "/healthz", h, "")
			id := r.Header.Get("X-Request-Id")
			if id == "" || id == tc.client || seen[id] {
				t.Fatalf("answered id %q for client id %q (seen before: %v)", id, tc.client, seen[id])
			}
			seen[id] = true
			line := accessLogLine(t, lw, id)
			if line == nil {
				t.Fatalf("no access log line with request_id %q:\n%s", id, lw.String())
			}
			got, has := line["client_request_id"]
			if tc.kept != has || (tc.kept && got != tc.client) {
				t.Fatalf("client_request_id %v (present %v), want %q kept=%v", got, has, tc.client, tc.kept)
			}
			if !tc.kept && tc.client != "" && strings.Contains(lw.String(), tc.client) {
				t.Fatalf("a malformed client id reached the log:\n%s", lw.String())
			}
		})
	}
	t.Run("replicas draw different ids", func(t *testing.T) {
		// Two replicas started in the same millisecond with the same sequence must still
		// differ: each id carries random bits drawn at start.
		other := startBFF(t, c, up.URL, nil)
		a := b.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id")
		z := other.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id")
		prefix := func(id string) string { return id[:strings.LastIndex(id, "-")+1] }
		if prefix(a) == "" || prefix(a) == prefix(z) {
			t.Fatalf("ids %q and %q share everything but the sequence", a, z)
		}
	})
}

// accessLogLine finds the JSON access log line of a request id.
func accessLogLine(t *testing.T, w *syncWriter, id string) map[string]any {
	t.Helper()
	for _, raw := range strings.Split(w.String(), "\n") {
		var line map[string]any
		if json.Unmarshal([]byte(raw), &line) == nil && line["msg"] == "request" && line["request_id"] == id {
			return line
		}
	}
	return nil
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*bytes.Buffer).String()
}
