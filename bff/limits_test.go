package bff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// The attack: made-up anonymous logins from one client address, as fast as it can,
// against a store whose platform limits it (10 a second, 300 a minute). The client gets 401s,
// then 429 client_rate_limited from the BFF itself; the platform never limits the store, so a
// signed-in shopper at another address lists and redeems throughout.
func TestMadeUpLoginsDoNotLockTheStoreOut(t *testing.T) {
	up, logins, limited := limitedSandbox(t)
	b := startBFF(t, newClock(), up, func(o *Options) {
		o.Now = time.Now
		o.TrustedProxyHeader = "X-Forwarded-For"
		o.ClientLoginBurst, o.ClientRefusedBurst, o.ShopperBurst = 0, 0, 0 // the defaults
	})
	from := func(h hdr, addr string) hdr {
		out := hdr{"X-Forwarded-For": "203.0.113.9, " + addr} // the proxy appends what it saw
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	r := b.do("POST", "/pub/widget/vendors/vtex/securelogin", from(hdr{"X-Bq-Tenant": "demo"}, "198.51.100.7"), `{"sessionToken":"ana","segmentToken":"seg"}`)
	ana := from(auth("demo", mustOK(t, r).item()["SecureToken"].(string)), "198.51.100.7")

	var wg sync.WaitGroup
	done := make(chan struct{})
	attack := map[string]int{}
	var mu sync.Mutex
	wg.Go(func() {
		defer close(done)
		for i := range 80 {
			r, err := try(http.DefaultClient, b.url, "POST", "/pub/widget/vendors/vtex/securelogin",
				from(hdr{"X-Bq-Tenant": "demo"}, "192.0.2.66"), fmt.Sprintf(`{"sessionToken":"made-up-%d","segmentToken":"x"}`, i))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			attack[fmt.Sprint(r.Status, " ", r.code())]++
			mu.Unlock()
			if r.Status == 429 && (r.code() != CodeClientRateLimited || r.Header.Get("Retry-After") == "") {
				t.Errorf("attacker: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
			}
			time.Sleep(25 * time.Millisecond)
		}
	})
	served := 0
	for round := 0; ; round++ {
		select {
		case <-done:
		default:
			mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=100", ana, ""))
			mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/301?purchaseValue=100", ana, `{"OriginalId":"cart-shield"}`))
			served++
			// Two calls a round, at most two rounds a second: with its login and the three
			// made-up logins that reach the platform, at most 8 of the store's 10 a second.
			time.Sleep(500 * time.Millisecond)
			continue
		}
		break
	}
	wg.Wait()
	t.Logf("attacker's answers: %v; the shopper was served %d times; logins reaching the platform: %d", attack, served, logins.Load())
	if attack["429 "+CodeClientRateLimited] < 70 {
		t.Errorf("the BFF refused only %d of the attacker's logins itself", attack["429 "+CodeClientRateLimited])
	}
	if n := limited.Load(); n != 0 {
		t.Errorf("the platform answered 429 %d times", n)
	}
	if n := logins.Load(); n > 1+3 {
		t.Errorf("%d logins reached the platform: the shopper's and at most 3 made-up ones expected", n)
	}
	if served < 3 {
		t.Errorf("the shopper was served only %d rounds", served)
	}
	// Another client of the store still signs in.
	mustOK(t, b.do("POST", "/pub/widget/vendors/vtex/securelogin", from(hdr{"X-Bq-Tenant": "demo"}, "198.51.100.8"), `{"sessionToken":"bruno","segmentToken":"seg"}`))
}

// limitedSandbox is a real sandbox on the real clock (its windows must turn) whose store
// "demo" the platform's limits hold (10 a second, 300 a minute); it counts the logins that
// reach it and the 429s it answers.
func limitedSandbox(t *testing.T) (url string, logins, limited *atomic.Int64) {
	seed := twoTenantSeed()
	seed.Tenants[0].RateLimit = &sandbox.RateLimit{PerSecond: 10, PerMinute: 300}
	sb, err := sandbox.New(sandbox.Options{Seed: seed, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	logins, limited = &atomic.Int64{}, &atomic.Int64{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "securelogin") {
			logins.Add(1)
		}
		rec := &statusRecorder{ResponseWriter: w}
		sb.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			limited.Add(1)
		}
	}))
	t.Cleanup(up.Close)
	return up.URL, logins, limited
}

// Without the per-client limits, the same attack reaches the platform's limit (the issue's
// reproduction): the test above would see it.
func TestMadeUpLoginsWithoutLimitsReachThePlatformsLimit(t *testing.T) {
	up, _, limited := limitedSandbox(t)
	b := startBFF(t, newClock(), up, func(o *Options) { o.Now = time.Now }) // the harness: limits off
	for i := range 30 {
		b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, fmt.Sprintf(`{"sessionToken":"made-up-%d","segmentToken":"x"}`, i))
	}
	if limited.Load() == 0 {
		t.Fatal("30 made-up logins at once did not reach the platform's limit: the attack test proves nothing")
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// The per-client limits, one at a time: each refuses only the client that exceeds it, with
// Retry-After, and the refusals are counted per client address (behind the trusted proxy's
// header) and per shopper.
func TestClientLimits(t *testing.T) {
	c := newClock()
	sb, _ := startSandbox(t, c)
	b := startBFF(t, c, sb.URL, func(o *Options) {
		o.TrustedProxyHeader = "X-Real-IP"
		o.ClientLoginBurst, o.ClientLoginEvery = 2, 10*time.Second
		o.ClientRefusedBurst, o.ClientRefusedEvery = 2, 30*time.Second
		o.ShopperBurst, o.ShopperEvery = 3, time.Second
	})
	login := func(addr, session string) resp {
		return b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo", "X-Real-IP": addr}, `{"sessionToken":"`+session+`","segmentToken":"s"}`)
	}
	session := func(addr, session string) resp {
		return b.do("POST", PathSession+"?purchaseValue=100", hdr{"X-Bq-Tenant": "demo", "X-Real-IP": addr}, `{"platform":"vtex","sessionToken":"`+session+`","segmentToken":"s"}`)
	}
	limitedBy := func(t *testing.T, r resp, retryAfter string) {
		t.Helper()
		if r.Status != 429 || r.code() != CodeClientRateLimited || r.Header.Get("Retry-After") != retryAfter || r.msg() == "" {
			t.Fatalf("want 429 %s Retry-After %s, got %d %s (Retry-After %q)", CodeClientRateLimited, retryAfter, r.Status, r.Raw, r.Header.Get("Retry-After"))
		}
	}
	t.Run("logins per address, securelogin and session alike", func(t *testing.T) {
		mustOK(t, login("10.0.0.1", "ana"))
		mustOK(t, session("10.0.0.1", "ana"))
		limitedBy(t, login("10.0.0.1", "ana"), "10")
		limitedBy(t, session("10.0.0.1", "ana"), "10")
		mustOK(t, login("10.0.0.2", "ana")) // another address
		if r := b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "other", "X-Real-IP": "10.0.0.1"}, `{"sessionToken":"ana","segmentToken":"s"}`); r.Status != 200 {
			t.Fatalf("another store: %d %s", r.Status, r.Raw) // limits are per store
		}
		c.Advance(10 * time.Second)
		mustOK(t, login("10.0.0.1", "ana"))
	})
	t.Run("refused logins are remembered", func(t *testing.T) {
		for range 2 {
			if r := login("10.0.1.1", "made-up"); r.Status != 401 {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			c.Advance(10 * time.Second) // the login limit is not what stops it
		}
		limitedBy(t, login("10.0.1.1", "ana"), "10") // 20 s of the 30 have passed
		mustOK(t, login("10.0.1.2", "ana"))
		c.Advance(10 * time.Second)
		mustOK(t, login("10.0.1.1", "ana"))
	})
	t.Run("calls per shopper", func(t *testing.T) {
		tok := login("10.0.2.1", "bruno").item()["SecureToken"].(string)
		for range 3 {
			mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=100", auth("demo", tok), ""))
		}
		limitedBy(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=100", auth("demo", tok), ""), "1")
		other := login("10.0.2.2", "carla").item()["SecureToken"].(string)
		mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=100", auth("demo", other), ""))
	})
	t.Run("without the trusted header, the connection's address", func(t *testing.T) {
		for _, tc := range []struct{ header, conn, want string }{
			{"", "127.0.0.1", "127.0.0.1"},
			{"203.0.113.9, 198.51.100.7", "127.0.0.1", "198.51.100.7"},
			{"198.51.100.7:4312", "127.0.0.1", "198.51.100.7"},
			{"[2001:db8::1]:80", "127.0.0.1", "2001:db8::1"},
			{"not an address", "127.0.0.1", "127.0.0.1"},
		} {
			if got := realClientAddr(tc.header, tc.conn); got != tc.want {
				t.Errorf("realClientAddr(%q, %q) = %q, want %q", tc.header, tc.conn, got, tc.want)
			}
		}
	})
}
