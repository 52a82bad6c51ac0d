package bff

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

// flakyUpstream answers logins: with garbage (500, HTML) while broken, in the envelope
// otherwise. It counts the calls that reach it.
func flakyUpstream(t *testing.T, broken *atomic.Bool, calls *atomic.Int64) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if broken.Load() {
			w.WriteHeader(500)
			fmt.Fprint(w, "<html>oops</html>")
			return
		}
		if strings.Contains(r.URL.Path, "securelogin") && strings.Contains(readAll(r), `"nobody"`) {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"HasError":true,"Message":"Sessão não encontrada","Item":null}`)
			return
		}
		fmt.Fprint(w, `{"HasError":false,"Message":null,"Item":{"Email":"a@b","Name":"A","UserId":"a@b","SecureToken":"t"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

func TestCircuitBreaker(t *testing.T) {
	var broken atomic.Bool
	var calls atomic.Int64
	broken.Store(true)
	c := newClock()
	b := startBFF(t, c, flakyUpstream(t, &broken, &calls), func(o *Options) {
		o.BreakerFailures = 3
		o.BreakerCooldown = 300 * time.Millisecond
	})
	login := func(tenant, session string) resp {
		return b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": tenant}, `{"sessionToken":"`+session+`","segmentToken":"x"}`)
	}
	for i := range 3 {
		if r := login("demo", "ana"); r.Status != 502 {
			t.Fatalf("fault %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := login("demo", "ana")
	if r.Status != 503 || r.code() != CodeUpstreamUnavailable || r.Header.Get("Retry-After") != "1" || r.msg() == "" {
		t.Fatalf("open breaker: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("the open breaker let %d calls through, want 3", n)
	}
	// Another tenant on the same platform has its own breaker.
	if r := login("other", "ana"); r.Status != 502 || calls.Load() != 4 {
		t.Fatalf("other tenant: %d, calls %d", r.Status, calls.Load())
	}
	// The platform recovers; after the cool-down one probe goes through and closes it.
	broken.Store(false)
	time.Sleep(400 * time.Millisecond)
	mustOK(t, login("demo", "ana"))
	mustOK(t, login("demo", "ana"))

	t.Run("refusals are not faults", func(t *testing.T) {
		for range 6 {
			if r := login("demo", "nobody"); r.Status != 401 {
				t.Fatalf("unknown session: %d %s", r.Status, r.Raw)
			}
		}
		mustOK(t, login("demo", "ana"))
	})
}

func TestRateLimitIsHonouredLocally(t *testing.T) {
	var calls atomic.Int64
	limited := atomic.Bool{}
	limited.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if limited.Load() {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			return
		}
		fmt.Fprint(w, `{"HasError":false,"Message":null,"Item":{"Email":"a@b","Name":"A","UserId":"a@b","SecureToken":"t"}}`)
	}))
	t.Cleanup(srv.Close)
	c := newClock()
	b := startBFF(t, c, srv.URL, nil)
	login := func() resp {
		return b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"ana","segmentToken":"x"}`)
	}
	if r := login(); r.Status != 429 || r.Header.Get("Retry-After") != "7" {
		t.Fatalf("first: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	c.Advance(2 * time.Second)
	limited.Store(false)
	if r := login(); r.Status != 429 || r.Header.Get("Retry-After") != "5" || r.code() != CodeRateLimited {
		t.Fatalf("within Retry-After: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls reached the limited platform, want 1", n)
	}
	c.Advance(5 * time.Second)
	mustOK(t, login())
	// A 429 is the platform's limit, not a fault: it never opens the breaker.
	limited.Store(true)
	for range 8 {
		c.Advance(8 * time.Second)
		if r := login(); r.Status != 429 {
			t.Fatalf("%d", r.Status)
		}
	}
}

// bigListUpstream is a platform whose redeemed list has size bytes of padding for each
// shopper in sizes (the shopper's session token is their user id and SecureToken), and is
// short for everyone else.
func bigListUpstream(t *testing.T, sizes map[string]int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "securelogin"):
			body := readAll(r)
			_, rest, _ := strings.Cut(body, `"sessionToken":"`)
			who, _, _ := strings.Cut(rest, `"`)
			fmt.Fprintf(w, `{"HasError":false,"Message":null,"Item":{"Email":"%[1]s","Name":"%[1]s","UserId":"%[1]s","SecureToken":"%[1]s"}}`, who)
		case strings.HasSuffix(r.URL.Path, "/redeemed") && r.Header.Get("X-Bq-SecureToken") == "garbled":
			fmt.Fprint(w, "<html>one shopper's record is broken</html>") // a 200, unreadable
		case strings.HasSuffix(r.URL.Path, "/redeemed"):
			pad := strings.Repeat("a", sizes[r.Header.Get("X-Bq-SecureToken")])
			fmt.Fprintf(w, `{"HasError":false,"Message":null,"Item":[{"Id":301,"Title":"R$ 10,00","Enabled":true,"UseReason":0,"RedeemedId":9,"Pad":"%s"}]}`, pad)
		default:
			fmt.Fprint(w, `{"HasError":false,"Message":null,"ProgramName":"P","PointsBalance":10,"Item":[]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// One shopper's redeemed list over every bound is that shopper's error (answer_too_large),
// however often they ask: it never opens the store's breaker, and another shopper of the
// store is served throughout. So is a 200 that cannot be read for one shopper. A list over
// the normal bound but within MaxRedeemedBody is served whole.
func TestOversizedAnswerIsTheShoppersOwn(t *testing.T) {
	up := bigListUpstream(t, map[string]int{"huge": 16 << 10, "long": 3 << 10})
	b := startBFF(t, newClock(), up, func(o *Options) {
		o.MaxUpstreamBody = 1 << 10
		o.MaxRedeemedBody = 8 << 10
		o.BreakerFailures = 2
		o.CacheTTL = -1 // every call reaches the platform
	})
	huge, long, ana := auth("demo", b.login("demo", "huge")), auth("demo", b.login("demo", "long")), auth("demo", b.login("demo", "ana"))
	garbled := auth("demo", b.login("demo", "garbled"))
	const redeemed = "/pub/widget/rewards/checkout/redeemed?purchaseValue=100"
	for i := range 10 {
		for _, tc := range []struct {
			name   string
			h      hdr
			path   string
			status int
			code   string
		}{
			{"huge list", huge, redeemed, 502, CodeAnswerTooLarge},
			{"huge list in the view", huge, PathCheckout + "?purchaseValue=100", 200, ""},
			{"unreadable list", garbled, redeemed, 502, CodeUpstreamBadAnswer},
			{"long list, within MaxRedeemedBody", long, redeemed, 200, ""},
			{"another shopper", ana, redeemed, 200, ""},
			{"another shopper's view", ana, PathCheckout + "?purchaseValue=100", 200, ""},
		} {
			r := b.do("GET", tc.path, tc.h, "")
			if r.Status != tc.status || r.code() != tc.code {
				t.Fatalf("round %d, %s: %d %.300s", i, tc.name, r.Status, r.Raw)
			}
			if tc.code != "" && r.msg() == "" {
				t.Fatalf("%s: no message for the shopper", tc.name)
			}
			if tc.name == "huge list in the view" {
				p, _ := r.item()["Problems"].(map[string]any)["redeemed"].(map[string]any)
				if p["ErrorCode"] != CodeAnswerTooLarge || p["Message"] == "" || r.item()["Rewards"] == nil {
					t.Fatalf("the view should hold the rewards and say why the redeemed list is missing: %.300s", r.Raw)
				}
			}
			if tc.name == "long list, within MaxRedeemedBody" && len(r.Raw) < 3<<10 {
				t.Fatalf("the long list was cut: %d bytes", len(r.Raw))
			}
		}
	}
	if st := b.srv.tenant("demo").shield.breaker.State(); st != gobreaker.StateClosed {
		t.Fatalf("breaker %v after one shopper's oversized answers", st)
	}
}
