package bff

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCheckoutOneRoundTrip(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/301", auth("demo", tok), `{"OriginalId":"cart-7"}`))
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", auth("demo", tok), `{"OriginalId":"cart-8"}`))

	r := mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=cart-7&lang=en", auth("demo", tok), ""))
	v := r.item()
	if v["ProgramName"] != "Clube Demo" || num(v["PointsBalance"]) != 4650 || len(v["Missing"].([]any)) != 0 {
		t.Fatalf("view %s", r.Raw)
	}
	if n := len(v["Rewards"].([]any)); n != 6 {
		t.Fatalf("%d rewards", n)
	}
	if n := len(v["Redeemed"].([]any)); n != 2 {
		t.Fatalf("%d redeemed", n)
	}
	applied := v["Applied"].(map[string]any)
	reward := applied["Reward"].(map[string]any)
	if applied["Success"] != true || num(reward["Id"]) != 301 || num(reward["RedeemedId"]) != 1001 || reward["UseReasonMessage"] == nil {
		t.Fatalf("applied %v", applied)
	}
	if calls.get("/pub/widget/rewards/checkout/redeemed") != 1 {
		t.Fatalf("redeemed asked %d times", calls.get("/pub/widget/rewards/checkout/redeemed"))
	}

	t.Run("without a cart there is no applied part", func(t *testing.T) {
		v := mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60", auth("demo", tok), "")).item()
		if v["Applied"] != nil || len(v["Missing"].([]any)) != 0 {
			t.Fatalf("%v", v)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, q := range []string{"", "?purchaseValue=-1", "?purchaseValue=1&checkoutCode=a%20b"} {
			if r := b.do("GET", "/bff/v1/checkout"+q, auth("demo", tok), ""); r.Status != 400 || r.code() == "" {
				t.Fatalf("%q: %d %s", q, r.Status, r.Raw)
			}
		}
	})
}

// partlyBroken wraps a sandbox and breaks one path.
func partlyBroken(t *testing.T, c *clock, brokenPath string, broken http.HandlerFunc) string {
	up, _ := startSandbox(t, c)
	target := up.URL
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == brokenPath {
			broken(w, r)
			return
		}
		req, _ := http.NewRequest(r.Method, target+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			w.WriteHeader(502)
			return
		}
		defer res.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(res.StatusCode)
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		_, _ = w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckoutWithAFailedPart(t *testing.T) {
	c := newClock()
	up := partlyBroken(t, c, "/pub/widget/rewards/checkout/redeemed", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprint(w, "<html>Internal Server Error</html>")
	})
	b := startBFF(t, c, up, nil)
	tok := b.login("demo", "ana")
	r := mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=x", auth("demo", tok), ""))
	v := r.item()
	missing := v["Missing"].([]any)
	if len(missing) != 1 || missing[0] != "redeemed" || v["Redeemed"] != nil {
		t.Fatalf("missing %v", missing)
	}
	p := v["Problems"].(map[string]any)["redeemed"].(map[string]any)
	if num(p["Status"]) != 502 || p["ErrorCode"] != CodeUpstreamBadAnswer || p["Message"] == "" {
		t.Fatalf("problem %v", p)
	}
	if len(v["Rewards"].([]any)) != 6 || v["Applied"] == nil || num(v["PointsBalance"]) != 5000 {
		t.Fatalf("working parts missing: %s", r.Raw)
	}
}

func TestCachedListingDroppedAfterRedeem(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, func(o *Options) { o.CacheTTL = time.Minute })
	tok := b.login("demo", "ana")
	const path = "/pub/widget/rewards/checkout"
	list := func(q string) resp { return mustOK(t, b.do("GET", path+q, auth("demo", tok), "")) }
	first := list("?purchaseValue=100")
	list("?purchaseValue=100.00")
	list("?purchaseValue=100&lang=en")
	if n := calls.get(path); n != 1 {
		t.Fatalf("upstream asked %d times for one listing", n)
	}
	list("?purchaseValue=101")
	if n := calls.get(path); n != 2 {
		t.Fatalf("another purchase value must be another entry: %d", n)
	}
	// Another shopper never gets ana's answer.
	bruno := b.login("demo", "bruno")
	if r := mustOK(t, b.do("GET", path+"?purchaseValue=100", auth("demo", bruno), "")); num(r.Env["PointsBalance"]) != 120 {
		t.Fatalf("bruno sees %v", r.Env["PointsBalance"])
	}
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", auth("demo", tok), `{"OriginalId":"c"}`))
	after := list("?purchaseValue=100")
	if num(first.Env["PointsBalance"]) != 5000 || num(after.Env["PointsBalance"]) != 4750 {
		t.Fatalf("balance %v then %v: the cache was not dropped", first.Env["PointsBalance"], after.Env["PointsBalance"])
	}
	mustOK(t, b.do("POST", "/pub/widget/rewards/checkout/1001/reverse", auth("demo", tok), ""))
	if r := list("?purchaseValue=100"); num(r.Env["PointsBalance"]) != 5000 {
		t.Fatalf("after reverse %v", r.Env["PointsBalance"])
	}
	c.Advance(2 * time.Minute)
	before := calls.get(path)
	list("?purchaseValue=100")
	if calls.get(path) != before+1 {
		t.Fatal("an expired entry was served")
	}
}

// The view asks the platform what is applied to the cart only when the cart may hold a
// reward: not when the widget says it holds no coupon, nor when it holds the coupon of a
// redeem the BFF just saw (the redeem's answer says what is applied, as the restore call
// would); and it asks again after any other write, or for a coupon it cannot attribute.
func TestViewAsksTheAppliedStateOnlyWhenItMustKnow(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	restores := func() int { return calls.get("POST /pub/widget/rewards/checkout") }
	view := func(pv, coupon string) map[string]any {
		return mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue="+pv+"&checkoutCode=cart-h&coupon="+url.QueryEscape(coupon), a, "")).item()
	}

	if v := view("60", ""); v["Applied"] != nil || len(v["Missing"].([]any)) != 0 || restores() != 0 {
		t.Fatalf("a cart without a coupon: applied %v, %d restore calls", v["Applied"], restores())
	}
	// Without the hint (a client that does not say), the applied state is asked.
	mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=cart-h", a, ""))
	if restores() != 1 {
		t.Fatalf("without the coupon hint: %d restore calls, want 1", restores())
	}

	red := mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/301?purchaseValue=60", a, `{"OriginalId":"cart-h"}`)).item()
	code := red["CouponCode"].(string)
	learnt := view("60", strings.ToLower(code)) // the storefront may write the code in its own case
	if restores() != 1 {
		t.Fatalf("the cart holds the coupon just redeemed for it: %d restore calls, want still 1", restores())
	}
	// A coupon the BFF cannot attribute (the shopper's own, say) is asked about.
	view("60", "BEMVINDO10")
	if restores() != 2 {
		t.Fatalf("an unknown coupon: %d restore calls, want 2", restores())
	}
	exact := mustOK(t, b.do("POST", "/pub/widget/rewards/checkout", a, `{"CheckoutCode":"cart-h"}`)).item() // the platform's word (kept a moment ago)
	got := learnt["Applied"].(map[string]any)
	gotReward, exactReward := got["Reward"].(map[string]any), exact["Reward"].(map[string]any)
	for _, k := range []string{"RedeemedId", "Id", "Title", "CanUse", "UseReason", "RedeemedPoints", "RedeemedValue", "MinValueToUse", "UseReasonMessage"} {
		if fmt.Sprint(gotReward[k]) != fmt.Sprint(exactReward[k]) {
			t.Errorf("learnt applied reward's %s: %v, the platform's %v", k, gotReward[k], exactReward[k])
		}
	}
	if got["Success"] != exact["Success"] || got["CouponCode"] != exact["CouponCode"] {
		t.Errorf("learnt applied %v, the platform's %v", got, exact)
	}

	// After the reverse the learnt state is gone with the rest: the platform is asked.
	mustOK(t, b.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%v/reverse", num(red["Reward"].(map[string]any)["RedeemedId"])), a, ""))
	if v := view("60", code); v["Applied"].(map[string]any)["Success"] != false || restores() != 3 {
		t.Fatalf("after the reverse: applied %v, %d restore calls, want 3", v["Applied"], restores())
	}
	if r := b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=cart-h&coupon="+strings.Repeat("X", 129), a, ""); r.Status != 400 || !strings.Contains(r.msg(), "coupon is longer") {
		t.Fatalf("a 129-character coupon: %d %s", r.Status, r.Raw)
	}
}
