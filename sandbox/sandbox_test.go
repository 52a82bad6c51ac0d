package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// clock is a settable time source for the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t     *testing.T
	srv   *httptest.Server
	clock *clock
}

func newEnv(t *testing.T, seed *Seed) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	s, err := New(Options{Seed: seed, Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, clock: c}
}

// reply is a decoded answer: the status, the headers, and the envelope with Item kept raw.
type reply struct {
	Status        int
	Header        http.Header
	HasError      bool
	Message       *string
	ProgramName   *string
	PointsBalance *int64
	Item          json.RawMessage
}

func (e *env) do(method, path, tenant, token, body string) reply {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if tenant != "" {
		req.Header.Set("X-Bq-Tenant", tenant)
	}
	if token != "" {
		req.Header.Set("X-Bq-SecureToken", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{Status: res.StatusCode, Header: res.Header}
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("%s %s: not JSON (%v): %s", method, path, err, raw)
	}
	return r
}

func (r reply) item(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Item, v); err != nil {
		t.Fatalf("Item %s: %v", r.Item, err)
	}
}

func (r reply) ok(t *testing.T) reply {
	t.Helper()
	if r.Status != 200 || r.HasError {
		t.Fatalf("want 200 without error, got %d %v %s", r.Status, deref(r.Message), r.Item)
	}
	return r
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func (e *env) login(session string) string {
	e.t.Helper()
	r := e.do("POST", "/pub/widget/vendors/vtex/securelogin", "demo", "", fmt.Sprintf(`{"sessionToken":%q,"segmentToken":"seg"}`, session)).ok(e.t)
	var it LoginItem
	r.item(e.t, &it)
	return it.SecureToken
}

func (e *env) rewards(token, pv string) (reply, map[int64]RewardJSON) {
	e.t.Helper()
	r := e.do("GET", "/pub/widget/rewards/checkout?purchaseValue="+pv, "demo", token, "").ok(e.t)
	var list []RewardJSON
	r.item(e.t, &list)
	m := map[int64]RewardJSON{}
	for _, x := range list {
		m[x.ID] = x
	}
	return r, m
}

func (e *env) redeem(token string, id int64, cart string) reply {
	e.t.Helper()
	body := ""
	if cart != "" {
		body = fmt.Sprintf(`{"OriginalId":%q}`, cart)
	}
	return e.do("POST", fmt.Sprintf("/pub/widget/rewards/redeem/%d", id), "demo", token, body)
}

func (e *env) shopper(userID string) ShopperView {
	e.t.Helper()
	r := e.do("GET", "/_sandbox/tenants/demo/shoppers/"+userID, "", "", "").ok(e.t)
	var v ShopperView
	r.item(e.t, &v)
	return v
}

func TestLogin(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, tenant, body string
		status             int
	}{
		{"seeded shopper", "demo", `{"sessionToken":"ana","segmentToken":"x"}`, 200},
		{"unknown session", "demo", `{"sessionToken":"nobody","segmentToken":"x"}`, 401},
		{"missing session", "demo", `{"segmentToken":"x"}`, 401},
		{"missing segment", "demo", `{"sessionToken":"ana"}`, 401},
		{"unknown tenant", "nope", `{"sessionToken":"ana","segmentToken":"x"}`, 404},
		{"missing tenant", "", `{"sessionToken":"ana","segmentToken":"x"}`, 400},
		{"malformed JSON", "demo", `{"sessionToken":`, 400},
		{"oversized body", "demo", `{"sessionToken":"` + strings.Repeat("a", maxBody) + `"}`, 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/pub/widget/vendors/vtex/securelogin", tc.tenant, "", tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d (%s)", r.Status, tc.status, deref(r.Message))
			}
			if tc.status != 200 {
				if !r.HasError || r.Message == nil || *r.Message == "" || string(r.Item) != "null" {
					t.Fatalf("error envelope wrong: %+v", r)
				}
				return
			}
			var it LoginItem
			r.item(t, &it)
			if it.UserID != "ana@example.com" || it.Email != "ana@example.com" || it.Name != "Ana Souza" || len(it.SecureToken) != 36 {
				t.Fatalf("login item %+v", it)
			}
		})
	}
	if a, b := e.login("ana"), e.login("ana"); a == b {
		t.Fatal("two logins returned the same SecureToken; want a fresh random value each time")
	}
}

func TestTokenExpiresAfter60Minutes(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	e.clock.Advance(59*time.Minute + 59*time.Second)
	e.rewards(tok, "100")
	e.clock.Advance(time.Second)
	for _, path := range []string{"/pub/widget/rewards/checkout?purchaseValue=1", "/pub/widget/rewards/checkout/redeemed?purchaseValue=1"} {
		if r := e.do("GET", path, "demo", tok, ""); r.Status != 401 || !r.HasError {
			t.Fatalf("%s after 60 min: %d %v", path, r.Status, r.HasError)
		}
	}
	if r := e.redeem(tok, 301, "cart"); r.Status != 401 {
		t.Fatalf("redeem after 60 min: %d", r.Status)
	}
	for _, tok := range []string{"", "not-a-token"} {
		if r := e.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", "demo", tok, ""); r.Status != 401 || !r.HasError {
			t.Fatalf("token %q: %d", tok, r.Status)
		}
	}
}

func TestTokenIsBoundToItsTenant(t *testing.T) {
	seed := DefaultSeed()
	other := seed.Tenants[0]
	other.Key = "other"
	seed.Tenants = append(seed.Tenants, other)
	e := newEnv(t, &seed)
	tok := e.login("ana")
	if r := e.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", "other", tok, ""); r.Status != 401 {
		t.Fatalf("demo token used at other tenant: %d", r.Status)
	}
}

func TestUseReasons(t *testing.T) {
	e := newEnv(t, nil)
	ana, bruno, carla := e.login("ana"), e.login("bruno"), e.login("carla")
	tests := []struct {
		name      string
		token, pv string
		id        int64
		reason    int
		canUse    bool
		remaining *float64
	}{
		{"can use", ana, "100", 301, ReasonCanUse, true, nil},
		{"not enrolled comes first", carla, "1000", 301, ReasonCustomerNotEnrolled, false, nil},
		{"not enough points", bruno, "1000", 302, ReasonNotEnoughPoints, false, nil},
		{"min value not reached", ana, "20.5", 301, ReasonMinValueNotReached, false, ptr(29.5)},
		{"min value rounds to cents", ana, "299.994", 304, ReasonMinValueNotReached, false, ptr(0.01)},
		{"cents round up to the minimum", ana, "299.996", 304, ReasonCanUse, true, nil},
		{"min value exactly reached", ana, "50", 301, ReasonCanUse, true, nil},
		{"fixed reward bigger than purchase", ana, "49.99", 303, ReasonValueRewardBiggerThanPurchase, false, nil},
		{"percent never bigger than purchase", ana, "1", 302, ReasonCanUse, true, nil},
		{"cashback not available", bruno, "100", 305, ReasonCashbackNotAvailable, false, nil},
		{"cashback available", ana, "100", 305, ReasonCanUse, true, nil},
		{"points before minimum", bruno, "10", 304, ReasonNotEnoughPoints, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, m := e.rewards(tc.token, tc.pv)
			r := m[tc.id]
			if r.UseReason != tc.reason || r.CanUse != tc.canUse {
				t.Fatalf("reward %d: UseReason %d CanUse %v, want %d %v", tc.id, r.UseReason, r.CanUse, tc.reason, tc.canUse)
			}
			switch {
			case tc.remaining == nil && r.RemainingToUse != nil:
				t.Fatalf("RemainingToUse %v, want null", *r.RemainingToUse)
			case tc.remaining != nil && (r.RemainingToUse == nil || *r.RemainingToUse != *tc.remaining):
				t.Fatalf("RemainingToUse %v, want %v", r.RemainingToUse, *tc.remaining)
			}
		})
	}
	t.Run("disabled reward is listed disabled with its reason", func(t *testing.T) {
		_, m := e.rewards(ana, "1000")
		r := m[306]
		if r.Enabled || r.CanUse || r.DisabledReason == nil || *r.DisabledReason == "" {
			t.Fatalf("disabled reward: %+v", r)
		}
		if m[301].DisabledReason != nil || m[305].NoPointCost != true || m[301].MinValueToUse != 50 {
			t.Fatalf("enabled reward fields: %+v %+v", m[301], m[305])
		}
	})
	t.Run("listing carries programme and balance", func(t *testing.T) {
		r, m := e.rewards(ana, "10")
		if deref(r.ProgramName) != "Clube Demo" || r.PointsBalance == nil || *r.PointsBalance != 5000 || len(m) != 6 {
			t.Fatalf("envelope %v %v, %d rewards", deref(r.ProgramName), r.PointsBalance, len(m))
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestPurchaseValueValidation(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	for _, path := range []string{"/pub/widget/rewards/checkout", "/pub/widget/rewards/checkout/redeemed"} {
		for _, q := range []string{"", "?purchaseValue=", "?purchaseValue=abc", "?purchaseValue=-1", "?purchaseValue=NaN", "?purchaseValue=Inf", "?purchaseValue=1e13", "?purchaseValue=10,50"} {
			t.Run(path+q, func(t *testing.T) {
				r := e.do("GET", path+q, "demo", tok, "")
				if r.Status != 400 || !r.HasError || !strings.Contains(deref(r.Message), "purchaseValue") {
					t.Fatalf("got %d %q", r.Status, deref(r.Message))
				}
			})
		}
	}
	if r := e.do("POST", "/pub/widget/rewards/redeem/301?purchaseValue=x", "demo", tok, ""); r.Status != 400 {
		t.Fatalf("redeem with bad purchaseValue: %d", r.Status)
	}
	for _, id := range []string{"0", "-3", "abc", "1.5", "99999999999999999999"} {
		if r := e.do("POST", "/pub/widget/rewards/redeem/"+id, "demo", tok, ""); r.Status != 400 || !strings.Contains(deref(r.Message), id) {
			t.Fatalf("reward id %q: %d %q", id, r.Status, deref(r.Message))
		}
	}
	if r := e.do("POST", "/pub/widget/rewards/redeem/301", "demo", tok, `{"OriginalId": 12}`); r.Status != 400 {
		t.Fatalf("numeric OriginalId: %d", r.Status)
	}
	if v := e.shopper("ana@example.com"); v.Points != 5000 || len(v.Ledger) != 0 {
		t.Fatalf("bad input changed state: %+v", v)
	}
}

func TestRateLimit(t *testing.T) {
	seed := DefaultSeed()
	seed.Tenants[0].RateLimit = &RateLimit{PerSecond: 3, PerMinute: 5}
	e := newEnv(t, &seed)
	e.clock.t = e.clock.t.Add(200 * time.Millisecond)
	tok := e.login("ana")
	get := func() reply { return e.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", "demo", tok, "") }
	get().ok(t)
	get().ok(t)
	r := get()
	if r.Status != 429 || !r.HasError || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("4th call in a second: %d Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	e.clock.Advance(time.Second)
	get().ok(t)
	get().ok(t)
	r = get()
	if r.Status != 429 || r.Header.Get("Retry-After") != "59" {
		t.Fatalf("6th call in a minute: %d Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	e.clock.Advance(time.Minute)
	get().ok(t)

	unlimited := newEnv(t, nil)
	tok = unlimited.login("ana")
	for range 50 {
		unlimited.rewards(tok, "1")
	}
}

func TestSeedValidationReportsEveryProblem(t *testing.T) {
	_, err := ParseSeed([]byte(`{"tenants":[{"key":"","shoppers":[{"sessionToken":"a","userId":""},{"sessionToken":"a","userId":"u","points":-1}],
		"rewards":[{"id":0,"title":"x"},{"id":2,"type":0,"title":"","value":150}]}]}`))
	if err == nil {
		t.Fatal("invalid seed accepted")
	}
	for _, want := range []string{"key is empty", "userId is empty", `sessionToken "a" appears twice`, "points must not be negative", "id must be a positive integer", "title is empty", "at most 100"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := ParseSeed([]byte(`{"tenants":[{"key":"a","surprise":1}]}`)); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Fatalf("unknown field: %v", err)
	}
	if _, err := New(Options{Seed: &Seed{}}); err == nil {
		t.Fatal("empty seed accepted by New")
	}
}

func TestUnknownRouteIsEnveloped(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/pub/widget/nothing", "demo", "", "")
	if r.Status != 404 || !r.HasError {
		t.Fatalf("%d %v", r.Status, r.HasError)
	}
	raw, _ := platform.Marshal(platform.Envelope[any]{})
	if !bytes.Equal(raw, []byte(`{"HasError":false,"Message":null,"Item":null}`)) {
		t.Fatalf("envelope shape %s", raw)
	}
}
