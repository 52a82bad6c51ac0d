package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// recorder is the sandbox behind a handler that keeps the last body it answered.
type recorder struct {
	h    http.Handler
	last []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	r.last = rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(r.last)
}

func same(t *testing.T, sent []byte, decoded any) {
	t.Helper()
	again, err := platform.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(sent, &a); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(again, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("decoded and written again, the answer changed:\nsent  %s\nagain %s", sent, again)
	}
}

// TestClientAgainstTheSandbox: every endpoint through the client, against the sandbox that
// serves the same types: each answer decodes into its type and writes back as it came.
func TestClientAgainstTheSandbox(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: sb}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, err := platform.NewClient(srv.URL, platform.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	call := platform.Call{Tenant: "demo"}

	login, err := c.Login(ctx, call, "vtex", platform.LoginRequest{SessionToken: "ana", SegmentToken: "s"})
	if err != nil || login.Failed() || login.Env.Item.UserID != "ana@example.com" {
		t.Fatalf("%v %+v", err, login)
	}
	same(t, rec.last, login.Env)
	call.Token = login.Env.Item.SecureToken

	list, err := c.Rewards(ctx, call, "20.50", "cart-1")
	if err != nil || list.Failed() || len(list.Env.Item) != 6 || *list.Env.ProgramName != "Clube Demo" || list.Env.PointsBalance != "5000" {
		t.Fatalf("%v %+v", err, list.Env)
	}
	same(t, rec.last, list.Env)
	r301 := list.Env.Item[0]
	if reason, ok := r301.UseReason.Value(); !ok || reason != platform.MinValueNotReached || r301.RemainingToUse != "29.5" {
		t.Fatalf("301 at R$ 20,50: %+v", r301)
	}

	redeem, err := c.Redeem(ctx, call, "302", "", "cart-1")
	if err != nil || redeem.Failed() || !redeem.Env.Item.Success || redeem.Env.Item.Reward.RedeemedID != "1001" {
		t.Fatalf("%v %+v", err, redeem.Env)
	}
	same(t, rec.last, redeem.Env)
	refused, err := c.Redeem(ctx, call, "301", "20.50", "cart-2")
	if err != nil || !refused.Failed() || refused.Status != 422 || refused.Env.Message == nil || string(refused.FailedItem) != "null" {
		t.Fatalf("%v %+v", err, refused)
	}
	redeemed, err := c.Redeemed(ctx, call, "100", "")
	if err != nil || len(redeemed.Env.Item) != 1 {
		t.Fatalf("%v %+v", err, redeemed.Env)
	}
	same(t, rec.last, redeemed.Env)
	used, err := c.UseRedeemed(ctx, call, "1001", "", "cart-3")
	if err != nil || used.Failed() {
		t.Fatalf("%v %+v", err, used)
	}
	applied, err := c.Applied(ctx, call, "cart-3")
	if err != nil || !applied.Env.Item.Success || applied.Env.Item.Reward.ID != 302 {
		t.Fatalf("%v %+v", err, applied.Env)
	}
	same(t, rec.last, applied.Env)
	reversed, err := c.Reverse(ctx, call, "1001")
	if err != nil || reversed.Failed() || reversed.Env.PointsBalance != "5000" {
		t.Fatalf("%v %+v", err, reversed.Env)
	}
	same(t, rec.last, reversed.Env)
	none, err := c.Applied(ctx, call, "")
	if err != nil || none.Env.Item.Success || none.Env.Item.Reward != nil {
		t.Fatalf("%v %+v", err, none.Env)
	}
}

// TestUnknownFieldsAndExactNumbers: what the types do not know comes back where it was, and
// numbers as the platform wrote them.
func TestUnknownFieldsAndExactNumbers(t *testing.T) {
	sent := `{"ProgramName":"P","PointsBalance":1200.50,"HasError":false,"Message":null,"Item":[` +
		`{"Id":1,"Type":7,"Title":"x","Points":100.0,"Description":null,"Enabled":true,"DisabledReason":null,"PointBalance":null,` +
		`"NoPointCost":false,"CanUse":false,"UseReason":"odd","RemainingToUse":30.00,"MinValueToUse":1e2,"Badge":{"Color":"gold","Tiers":[1,2]},"Expires":"2027-01-01"}],` +
		`"TraceId":"abc"}`
	var env platform.Envelope[[]platform.Reward]
	if err := platform.Unmarshal([]byte(sent), &env); err != nil {
		t.Fatal(err)
	}
	r := env.Item[0]
	if r.RemainingToUse != "30.00" || r.MinValueToUse != "1e2" || r.Points != "100.0" || env.PointsBalance != "1200.50" {
		t.Fatalf("numbers %+v", r)
	}
	if _, ok := r.UseReason.Value(); ok {
		t.Fatal(`"odd" read as a reason`)
	}
	out, err := platform.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"RemainingToUse":30.00`, `"MinValueToUse":1e2`, `"PointsBalance":1200.50`, `"UseReason":"odd"`,
		`"Badge":{"Color":"gold","Tiers":[1,2]}`, `"Expires":"2027-01-01"`, `"TraceId":"abc"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("written again without %s: %s", want, out)
		}
	}
	if strings.Contains(string(out), "UseReasonName") || strings.Contains(string(out), "ErrorCode") {
		t.Errorf("fields the BFF adds, empty, are written: %s", out)
	}
	var twice platform.Envelope[[]platform.Reward]
	if err := platform.Unmarshal([]byte(`{"HasError":false,"Item":[{"Id":1,"Id":2}]}`), &twice); err == nil {
		t.Error("a member named twice was read")
	}
}

func TestReasonValue(t *testing.T) {
	for _, tc := range []struct {
		raw  platform.Reason
		want platform.UseReason
		ok   bool
	}{
		{"0", platform.CanUse, true}, {"2", platform.MinValueNotReached, true}, {"2.0", platform.MinValueNotReached, true},
		{"12", platform.ProductRewardInvalidConfiguration, true}, {"13", 0, false}, {"-1", 0, false}, {"2.5", 0, false},
		{`"2"`, 0, false}, {"null", 0, false}, {"", 0, false}, {"1e300", 0, false},
	} {
		got, ok := tc.raw.Value()
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%q: %v %v", tc.raw, got, ok)
		}
	}
	if platform.UseReason(7).String() != "CustomerNotEnrolled" || platform.UseReason(99).String() != platform.UnknownReason {
		t.Fatal("names")
	}
	if r, ok := platform.ReasonNamed("NotEnoughPoints"); !ok || r != platform.NotEnoughPoints {
		t.Fatal("ReasonNamed")
	}
}

// TestClientFailures: every way a call can fail without an answer in the envelope has its
// kind.
func TestClientFailures(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/pub/widget/rewards/checkout", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("purchaseValue") {
		case "slow":
			time.Sleep(300 * time.Millisecond)
		case "html":
			w.WriteHeader(500)
			fmt.Fprint(w, "<html>oops</html>")
			return
		case "limited":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			return
		case "redirect":
			http.Redirect(w, r, "https://elsewhere.test/", http.StatusFound)
			return
		case "big":
			fmt.Fprintf(w, `{"HasError":false,"Item":[],"Pad":"%s"}`, strings.Repeat("a", 2048))
			return
		case "shape":
			fmt.Fprint(w, `{"HasError":false,"Item":{"not":"a list"}}`)
			return
		case "error-in-200":
			fmt.Fprint(w, `{"HasError":true,"Message":"não","Item":{"not":"a list"}}`)
			return
		}
		fmt.Fprint(w, `{"HasError":false,"Message":null,"Item":[]}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, _ := platform.NewClient(srv.URL, platform.ClientOptions{Timeout: 100 * time.Millisecond, MaxBody: 1024})
	defer c.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	down, _ := platform.NewClient(closed, platform.ClientOptions{})

	for _, tc := range []struct {
		name string
		c    *platform.Client
		pv   string
		kind platform.ErrorKind
	}{
		{"timeout", c, "slow", platform.Timeout},
		{"not JSON", c, "html", platform.BadAnswer},
		{"rate limited", c, "limited", platform.RateLimited},
		{"redirect", c, "redirect", platform.BadAnswer},
		{"too big", c, "big", platform.BadAnswer},
		{"another shape", c, "shape", platform.BadAnswer},
		{"unreachable", down, "1", platform.Unreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Rewards(context.Background(), platform.Call{Tenant: "t", Token: "x"}, tc.pv, "")
			var pe *platform.Error
			if !errors.As(err, &pe) || pe.Kind != tc.kind {
				t.Fatalf("%v", err)
			}
			if tc.kind == platform.RateLimited && pe.RetryAfter != "7" {
				t.Fatalf("Retry-After %q", pe.RetryAfter)
			}
		})
	}
	t.Run("an error in a 200 whatever its Item", func(t *testing.T) {
		r, err := c.Rewards(context.Background(), platform.Call{Tenant: "t"}, "error-in-200", "")
		if err != nil || !r.Failed() || *r.Env.Message != "não" || string(r.FailedItem) != `{"not":"a list"}` {
			t.Fatalf("%v %+v", err, r)
		}
	})
	t.Run("a context's earlier deadline", func(t *testing.T) {
		slow, _ := platform.NewClient(srv.URL, platform.ClientOptions{Timeout: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := slow.Rewards(ctx, platform.Call{Tenant: "t"}, "slow", "")
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind != platform.Timeout {
			t.Fatalf("%v", err)
		}
	})
}

func TestPaths(t *testing.T) {
	if platform.Expand(platform.PathRedeem, "301") != "/pub/widget/rewards/redeem/301" ||
		platform.Expand(platform.PathLogin, "vtex") != "/pub/widget/vendors/vtex/securelogin" ||
		platform.Param(platform.PathReverse) != "id" || platform.Param(platform.PathRewards) != "" || len(platform.Endpoints) != 7 {
		t.Fatal("paths")
	}
}
