package sandbox

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

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
