package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
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

func TestRedeem(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	r := e.redeem(tok, 301, "cart-1").ok(t)
	if !strings.HasPrefix(deref(r.Message), "Tudo Certo!") {
		t.Fatalf("message %q", deref(r.Message))
	}
	var res RedeemResult
	r.item(t, &res)
	if !res.Success || !res.HasCouponCode || len(res.CouponCode) != 32 || strings.Trim(res.CouponCode, "0123456789abcdef") != "" {
		t.Fatalf("result %+v", res)
	}
	if res.Reward.RedeemedID == 0 || res.Reward.RedeemedPoints != -100 || res.Reward.ID != 301 {
		t.Fatalf("reward %+v", res.Reward)
	}
	v := e.shopper("ana@example.com")
	if v.Points != 4900 || len(v.Ledger) != 1 || v.Ledger[0].Kind != "debit" || v.Ledger[0].Points != -100 || v.Ledger[0].RedeemedID != res.Reward.RedeemedID {
		t.Fatalf("after redeem: %+v", v)
	}

	t.Run("without a cart id every call is a new redemption", func(t *testing.T) {
		var a, b RedeemResult
		e.redeem(tok, 302, "").ok(t).item(t, &a)
		e.redeem(tok, 302, "").ok(t).item(t, &b)
		if a.CouponCode == b.CouponCode || a.Reward.RedeemedID == b.Reward.RedeemedID {
			t.Fatal("want two distinct redemptions")
		}
	})
	t.Run("refusals debit nothing", func(t *testing.T) {
		before := e.shopper("ana@example.com").Points
		bruno := e.login("bruno")
		tests := []struct {
			name, token, path string
			status            int
		}{
			{"cannot afford", bruno, "/pub/widget/rewards/redeem/302", 422},
			{"not enrolled", e.login("carla"), "/pub/widget/rewards/redeem/301", 422},
			{"disabled", tok, "/pub/widget/rewards/redeem/306", 422},
			{"unknown reward", tok, "/pub/widget/rewards/redeem/999", 404},
			{"below minimum with purchaseValue", tok, "/pub/widget/rewards/redeem/301?purchaseValue=10", 422},
			{"bigger than purchase", tok, "/pub/widget/rewards/redeem/303?purchaseValue=10", 422},
			{"no cashback", bruno, "/pub/widget/rewards/redeem/305", 422},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do("POST", tc.path, "demo", tc.token, "")
				if r.Status != tc.status || !r.HasError || deref(r.Message) == "" {
					t.Fatalf("got %d %v %q", r.Status, r.HasError, deref(r.Message))
				}
			})
		}
		if after := e.shopper("ana@example.com").Points; after != before {
			t.Fatalf("points %d -> %d", before, after)
		}
		if b := e.shopper("bruno@example.com"); b.Points != 120 || len(b.Ledger) != 0 {
			t.Fatalf("bruno %+v", b)
		}
	})
	t.Run("cashback debits the balance and the purchase caps it", func(t *testing.T) {
		var res RedeemResult
		e.redeem(tok, 305, "").ok(t).item(t, &res)
		if res.Reward.RedeemedValue != 25 {
			t.Fatalf("cashback used %v, want the whole 25", res.Reward.RedeemedValue)
		}
		if v := e.shopper("ana@example.com"); v.Cashback != 0 {
			t.Fatalf("cashback left %v", v.Cashback)
		}
		e.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%d/reverse", res.Reward.RedeemedID), "demo", tok, "").ok(t)
		e.do("POST", "/pub/widget/rewards/redeem/305?purchaseValue=7.5", "demo", tok, "").ok(t).item(t, &res)
		if res.Reward.RedeemedValue != 7.5 || e.shopper("ana@example.com").Cashback != 17.5 {
			t.Fatalf("cashback capped by purchase: %v", res.Reward.RedeemedValue)
		}
	})
}

func TestIdempotentConcurrentRedeem(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	const n = 32
	results := make([]RedeemResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.redeem(tok, 304, "cart-same").ok(t).item(t, &results[i])
		}()
	}
	wg.Wait()
	for _, r := range results[1:] {
		if r.CouponCode != results[0].CouponCode || r.Reward.RedeemedID != results[0].Reward.RedeemedID {
			t.Fatalf("replays differ: %+v vs %+v", r, results[0])
		}
	}
	v := e.shopper("ana@example.com")
	if v.Points != 4000 || len(v.Ledger) != 1 || len(v.Redemptions) != 1 {
		t.Fatalf("want one debit of 1000, got points %d and %d ledger entries", v.Points, len(v.Ledger))
	}
}

func TestOneRewardPerCart(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	var first RedeemResult
	e.redeem(tok, 301, "cart-A").ok(t).item(t, &first)
	r := e.redeem(tok, 302, "cart-A")
	if r.Status != 409 || !strings.Contains(deref(r.Message), "R$ 10,00") {
		t.Fatalf("second reward on a cart: %d %q", r.Status, deref(r.Message))
	}
	if v := e.shopper("ana@example.com"); v.Points != 4900 {
		t.Fatalf("refused redemption debited: %d", v.Points)
	}
	e.redeem(tok, 302, "cart-B").ok(t)
	// Once reversed, the cart takes another reward, and the same key redeems anew.
	e.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%d/reverse", first.Reward.RedeemedID), "demo", tok, "").ok(t)
	e.redeem(tok, 302, "cart-A").ok(t)
	var again RedeemResult
	e.do("POST", "/pub/widget/rewards/checkout/"+fmt.Sprint(first.Reward.RedeemedID)+"/reverse", "demo", tok, "").ok(t)
	e.redeem(tok, 301, "cart-C").ok(t).item(t, &again)
	if again.Reward.RedeemedID == first.Reward.RedeemedID {
		t.Fatal("a reversed redemption was replayed")
	}
}

func TestRedeemedAppliedAndReverse(t *testing.T) {
	e := newEnv(t, nil)
	tok, bruno := e.login("ana"), e.login("bruno")
	var res RedeemResult
	e.redeem(tok, 302, "").ok(t).item(t, &res)
	id := res.Reward.RedeemedID

	// Endpoint 3 lists it; endpoint 5 applies it to a cart without a new debit.
	var list []RedeemedRewardJSON
	e.do("GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=80", "demo", tok, "").ok(t).item(t, &list)
	if len(list) != 1 || list[0].RedeemedID != id || list[0].RedeemedPoints != -250 || !list[0].CanUse {
		t.Fatalf("redeemed list %+v", list)
	}
	var used RedeemResult
	e.do("POST", fmt.Sprintf("/pub/widget/rewardredeemed/checkout/redeem/%d", id), "demo", tok, `{"OriginalId":"cart-9"}`).ok(t).item(t, &used)
	if used.CouponCode != res.CouponCode || e.shopper("ana@example.com").Points != 4750 {
		t.Fatalf("apply redeemed: coupon %q vs %q", used.CouponCode, res.CouponCode)
	}
	if r := e.do("POST", fmt.Sprintf("/pub/widget/rewardredeemed/checkout/redeem/%d", id), "demo", bruno, `{"OriginalId":"cart-x"}`); r.Status != 403 {
		t.Fatalf("another shopper's redemption applied: %d", r.Status)
	}
	if r := e.do("POST", "/pub/widget/rewardredeemed/checkout/redeem/424242", "demo", tok, ""); r.Status != 404 {
		t.Fatalf("unknown redemption: %d", r.Status)
	}

	// Endpoint 6 restores it by cart id.
	r := e.do("POST", "/pub/widget/rewards/checkout", "demo", tok, `{"CheckoutCode":"cart-9"}`).ok(t)
	var st AppliedState
	r.item(t, &st)
	if !st.Success || deref(st.CouponCode) != res.CouponCode || st.Reward == nil || st.Reward.ID != 302 || st.Reward.RedeemedID != id {
		t.Fatalf("applied state %+v", st)
	}
	if deref(r.ProgramName) != "Clube Demo" || *r.PointsBalance != 4750 {
		t.Fatalf("applied envelope %v %v", deref(r.ProgramName), r.PointsBalance)
	}
	for _, body := range []string{`{"CheckoutCode":"other-cart"}`, ``} {
		var none AppliedState
		e.do("POST", "/pub/widget/rewards/checkout", "demo", tok, body).ok(t).item(t, &none)
		if none.Success || none.Reward != nil || none.CouponCode != nil {
			t.Fatalf("no reward on %q: %+v", body, none)
		}
	}
	var brunoView AppliedState
	e.do("POST", "/pub/widget/rewards/checkout", "demo", bruno, `{"CheckoutCode":"cart-9"}`).ok(t).item(t, &brunoView)
	if brunoView.Success {
		t.Fatal("another shopper sees ana's applied reward")
	}

	// Endpoint 7: refused for another shopper, credits once when done twice, frees the cart.
	if r := e.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%d/reverse", id), "demo", bruno, ""); r.Status != 403 || !r.HasError {
		t.Fatalf("bruno reversed ana's redemption: %d", r.Status)
	}
	for range 2 {
		e.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%d/reverse", id), "demo", tok, "").ok(t).item(t, &st)
		if !st.Success || deref(st.CouponCode) != res.CouponCode {
			t.Fatalf("reverse %+v", st)
		}
	}
	v := e.shopper("ana@example.com")
	if v.Points != 5000 || len(v.Ledger) != 2 || v.Ledger[1].Kind != "credit" || v.Ledger[1].Points != 250 || v.Redemptions[0].State != "reversed" {
		t.Fatalf("after reversing twice: %+v", v)
	}
	e.do("POST", "/pub/widget/rewards/checkout", "demo", tok, `{"CheckoutCode":"cart-9"}`).ok(t).item(t, &st)
	if st.Success {
		t.Fatal("cart still holds a reversed reward")
	}
	e.do("GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=80", "demo", tok, "").ok(t).item(t, &list)
	if len(list) != 0 {
		t.Fatalf("reversed redemption still listed: %+v", list)
	}
	if r := e.do("POST", fmt.Sprintf("/pub/widget/rewardredeemed/checkout/redeem/%d", id), "demo", tok, ""); r.Status != 409 {
		t.Fatalf("using a reversed redemption: %d", r.Status)
	}
}

func TestFinishedOrderConsumesRedemption(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	var res RedeemResult
	e.redeem(tok, 301, "cart-done").ok(t).item(t, &res)
	e.do("POST", "/_sandbox/tenants/demo/orders/cart-done/finish", "", "", "").ok(t)
	var list []RedeemedRewardJSON
	e.do("GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=80", "demo", tok, "").ok(t).item(t, &list)
	if len(list) != 0 {
		t.Fatalf("used redemption listed: %+v", list)
	}
	if r := e.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%d/reverse", res.Reward.RedeemedID), "demo", tok, ""); r.Status != 409 {
		t.Fatalf("reversing a used redemption: %d", r.Status)
	}
	if e.shopper("ana@example.com").Points != 4900 {
		t.Fatal("points came back after the order finished")
	}
}

// A store reports the coupon its order used, whatever cart the widget redeemed it for (a theme
// with cart ids of its own): that redemption is used, no longer listed, applied, reversible,
// nor handed out again under its key.
func TestOrderReportedByItsCouponConsumesTheRedemption(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	var res RedeemResult
	e.redeem(tok, 301, "widget-cart").ok(t).item(t, &res)
	e.do("POST", "/_sandbox/tenants/demo/orders/store-cart/finish", "", "", `{"CouponCode":"`+res.CouponCode+`"}`).ok(t)
	var list []RedeemedRewardJSON
	e.do("GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=80", "demo", tok, "").ok(t).item(t, &list)
	if len(list) != 0 {
		t.Fatalf("a used redemption is still listed: %+v", list)
	}
	var applied AppliedState
	e.do("POST", "/pub/widget/rewards/checkout", "demo", tok, `{"CheckoutCode":"widget-cart"}`).ok(t).item(t, &applied)
	if applied.Success {
		t.Fatalf("a used redemption is still applied to its cart: %+v", applied)
	}
	r := e.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%d/reverse", res.Reward.RedeemedID), "demo", tok, "")
	if r.Status != 409 || r.Message == nil || !strings.Contains(*r.Message, "pedido finalizado") {
		t.Fatalf("reversing a used redemption: %d %v", r.Status, r.Message)
	}
	if r := e.redeem(tok, 301, "widget-cart"); r.Status != 409 {
		t.Fatalf("the key of a finished order's redemption redeemed again: %d", r.Status)
	}
	if p := e.shopper("ana@example.com").Points; p != 4900 {
		t.Fatalf("points %d after the order, want 4900 (one debit, no credit)", p)
	}
	// A reversed redemption's coupon did not go into the order; an unknown coupon is no order's.
	var res2 RedeemResult
	e.redeem(tok, 302, "c2").ok(t).item(t, &res2)
	e.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%d/reverse", res2.Reward.RedeemedID), "demo", tok, "").ok(t)
	if r := e.do("POST", "/_sandbox/tenants/demo/orders/c2/finish", "", "", `{"CouponCode":"`+res2.CouponCode+`"}`); r.Status != 409 {
		t.Fatalf("an order with a reversed coupon: %d", r.Status)
	}
	if r := e.do("POST", "/_sandbox/tenants/demo/orders/c3/finish", "", "", `{"CouponCode":"NOPE"}`); r.Status != 404 {
		t.Fatalf("an order with an unknown coupon: %d", r.Status)
	}
}

// Using a redeemed reward in another cart moves it there: the first cart no longer has it
// applied, and the second does; one redemption, one cart.
func TestUsingARedemptionInAnotherCartMovesIt(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("bruno")
	var res RedeemResult
	e.redeem(tok, 301, "cart-a").ok(t).item(t, &res)
	e.do("POST", fmt.Sprintf("/pub/widget/rewardredeemed/checkout/redeem/%d?purchaseValue=99.80", res.Reward.RedeemedID), "demo", tok, `{"OriginalId":"cart-b"}`).ok(t)
	for cart, want := range map[string]bool{"cart-a": false, "cart-b": true} {
		var applied AppliedState
		e.do("POST", "/pub/widget/rewards/checkout", "demo", tok, `{"CheckoutCode":"`+cart+`"}`).ok(t).item(t, &applied)
		if applied.Success != want {
			t.Fatalf("%s: applied %v, want %v", cart, applied.Success, want)
		}
	}
	var v RedemptionView
	e.do("GET", "/_sandbox/tenants/demo/coupons/"+res.CouponCode, "", "", "").ok(t).item(t, &v)
	if v.Cart != "cart-b" || v.MinValueToUse != 50 {
		t.Fatalf("coupon %+v: want cart-b and the reward's minimum 50", v)
	}
}

func TestCouponLookup(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login("ana")
	var res RedeemResult
	e.redeem(tok, 302, "c").ok(t).item(t, &res)
	var v RedemptionView
	e.do("GET", "/_sandbox/tenants/demo/coupons/"+res.CouponCode, "", "", "").ok(t).item(t, &v)
	if v.RewardType != TypePercent || v.Value != 10 || v.State != "active" || v.Cart != "c" {
		t.Fatalf("coupon %+v", v)
	}
	if r := e.do("GET", "/_sandbox/tenants/demo/coupons/nope", "", "", ""); r.Status != 404 {
		t.Fatalf("unknown coupon: %d", r.Status)
	}
	if r := e.do("GET", "/_sandbox/tenants/demo/shoppers/nobody", "", "", ""); r.Status != 404 {
		t.Fatalf("unknown shopper: %d", r.Status)
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
