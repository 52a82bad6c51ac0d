package bff

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// randomProgramme is a store with random rewards (every documented type and rule: points,
// minimum purchase, fixed values above and below the purchases, disabled ones, cashback with
// and without a balance) and random shoppers (some with few points, some not enrolled).
func randomProgramme(rnd *rand.Rand, shoppers int) *sandbox.Seed {
	seed := sandbox.DefaultSeed()
	t := &seed.Tenants[0]
	t.Rewards = nil
	for i := range 12 {
		r := sandbox.SeedReward{ID: int64(900 + i), Points: int64(rnd.IntN(4) * 250), Enabled: rnd.IntN(8) != 0, Description: "random"}
		if rnd.IntN(2) == 0 {
			r.MinValueToUse = float64(rnd.IntN(40)) * 10
		}
		switch rnd.IntN(3) {
		case 0:
			r.Type, r.Value = 0, float64(5*(1+rnd.IntN(4)))
			r.Title = fmt.Sprintf("%d%%", int(r.Value))
		case 1:
			cents := int64(100 * (1 + rnd.IntN(300)))
			r.Type, r.Value = 1, float64(cents)/100
			r.Title = "R$ " + strconv.FormatInt(cents/100, 10) + ",00"
		default:
			r.Type, r.Title = 3, "Cashback"
		}
		if !r.Enabled {
			r.DisabledReason = "Pausada."
		}
		t.Rewards = append(t.Rewards, r)
	}
	t.Shoppers = nil
	for i := range shoppers {
		id := "r" + strconv.Itoa(i)
		t.Shoppers = append(t.Shoppers, sandbox.SeedShopper{SessionToken: id, UserID: id + "@example.com", Name: id, Email: id + "@example.com",
			Points: int64(rnd.IntN(12) * 100), Cashback: float64(rnd.IntN(3) * 15), Enrolled: rnd.IntN(10) != 0})
	}
	return &seed
}

// Derived listings agree with the platform's (the sandbox's) exact ones: over thousands of
// random carts, shoppers and writes, every listing and redeemed list the rules let the BFF
// derive (at a new purchase value, after a redeem, after a reverse) is the one the platform
// answers there, field for field. A derived answer that disagrees is a defect; the share of
// answers derived is reported.
func TestDerivedListingsAgreeWithExactOnes(t *testing.T) {
	for programme := range uint64(3) {
		t.Run(fmt.Sprint("programme ", programme), func(t *testing.T) { agreement(t, rand.New(rand.NewPCG(17, programme))) })
	}
}

func agreement(t *testing.T, rnd *rand.Rand) {
	const shoppers = 60
	seed := randomProgramme(rnd, shoppers)
	sb, err := sandbox.New(sandbox.Options{Seed: seed, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c, err := platform.NewClient(srv.URL, platform.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tokens := make([]string, shoppers)
	for i := range tokens {
		r, err := c.Login(ctx, platform.Call{Tenant: "demo"}, "vtex", platform.LoginRequest{SessionToken: "r" + strconv.Itoa(i), SegmentToken: "x"})
		if err != nil || r.Failed() {
			t.Fatalf("login r%d: %v %d", i, err, r.Status)
		}
		tokens[i] = r.Env.Item.SecureToken
	}
	call := func(i int) platform.Call { return platform.Call{Tenant: "demo", Token: tokens[i]} }
	listing := func(i int, pv int64, cart string) *platform.Reply[[]platform.Reward] {
		r, err := c.Rewards(ctx, call(i), centsString(pv), cart)
		if err != nil || r.Failed() {
			t.Fatalf("listing: %v %d", err, r.Status)
		}
		return &r
	}
	redeemed := func(i int, pv int64, cart string) *platform.Reply[[]platform.RedeemedReward] {
		r, err := c.Redeemed(ctx, call(i), centsString(pv), cart)
		if err != nil || r.Failed() {
			t.Fatalf("redeemed: %v %d", err, r.Status)
		}
		return &r
	}
	observe := func(i int, pv int64, cart string) *basis {
		l := listing(i, pv, cart)
		bal, _ := l.Env.PointsBalance.Int64()
		b := &basis{listing: &listingBasis{cart: cart, pv: pv, bal0: bal, balance: bal, env: l.Env}, hasRed: true, redCart: cart}
		for _, e := range redeemed(i, pv, cart).Env.Item {
			b.redeemed = append(b.redeemed, redeemedBasis{r: e, pv: pv})
		}
		return b
	}
	var asked, derived, disagree int
	compare := func(what string, b *basis, i int, pv int64, cart string) {
		asked += 2
		if d := deriveListing(b, pv, cart); d != nil {
			derived++
			exact := listing(i, pv, cart)
			if got, want := mustMarshal(t, d.Env), mustMarshal(t, exact.Env); got != want {
				if disagree++; disagree <= 3 {
					t.Errorf("%s: shopper r%d at %s: derived listing\n%s\nthe platform's\n%s", what, i, centsString(pv), got, want)
				}
			}
		}
		if d := deriveRedeemed(b, pv, cart); d != nil {
			derived++
			exact := redeemed(i, pv, cart)
			if got, want := mustMarshal(t, d.Env.Item), mustMarshal(t, exact.Env.Item); got != want {
				if disagree++; disagree <= 3 {
					t.Errorf("%s: shopper r%d at %s: derived redeemed list\n%s\nthe platform's\n%s", what, i, centsString(pv), got, want)
				}
			}
		}
	}
	pv := func() int64 { return int64(rnd.IntN(60000)) } // R$ 0,00 to R$ 600,00, any cents
	for trial := range 1500 {
		i := rnd.IntN(shoppers)
		cart := fmt.Sprintf("cart-%d", trial)
		pv0 := pv()
		b := observe(i, pv0, cart)
		compare("a new purchase value", b, i, pv(), cart)
		if trial%3 != 0 {
			continue
		}
		// A write: a redeem of a random reward at pv0 (refusals are not writes), then a reverse.
		reward := seed.Tenants[0].Rewards[rnd.IntN(len(seed.Tenants[0].Rewards))]
		res, err := c.Redeem(ctx, call(i), strconv.FormatInt(reward.ID, 10), centsString(pv0), cart)
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() {
			continue
		}
		after := b.afterRedeem(&res.Env.Item, pv0, true, false)
		if after != nil {
			compare("after a redeem, the same value", after, i, pv0, cart)
			compare("after a redeem, a new value", after, i, pv(), cart)
		}
		id, _ := res.Env.Item.Reward.RedeemedID.Int64()
		rev, err := c.Reverse(ctx, call(i), strconv.FormatInt(id, 10))
		if err != nil || rev.Failed() {
			t.Fatalf("reverse: %v %d", err, rev.Status)
		}
		if after != nil {
			if back := after.afterReverse(id, &rev.Env); back != nil {
				compare("after the reverse", back, i, pv(), cart)
			}
		}
	}
	t.Logf("%d answers could have been derived; %d were (%.0f%%), %d disagreed with the platform's", asked, derived, 100*float64(derived)/float64(asked), disagree)
	if disagree > 0 {
		t.Errorf("%d derived answers disagreed with the platform's", disagree)
	}
	if derived < asked/3 {
		t.Errorf("only %d of %d answers derived: the rules cover less than they should", derived, asked)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := platform.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The rules' edges, one by one: what is derived, and what is left to the platform.
func TestDeriveRewardRules(t *testing.T) {
	fixed := platform.Reward{ID: 1, Type: 1, Title: "R$ 100,00", Points: "1000", Enabled: true, MinValueToUse: "300", RemainingToUse: "null", PointBalance: "null"}
	at := func(r platform.Reward, reason platform.UseReason, remaining string) *platform.Reward {
		r.UseReason, r.CanUse, r.RemainingToUse = platform.ReasonOf(reason), r.Enabled && reason == platform.CanUse, platform.Number(remaining)
		return &r
	}
	for _, tc := range []struct {
		name      string
		r         *platform.Reward
		pv0, bal0 int64
		pv, bal   int64
		ok        bool
		reason    platform.UseReason
		remaining string
	}{
		{"usable stays usable above", at(fixed, platform.CanUse, "null"), 40000, 5000, 50000, 5000, true, platform.CanUse, "null"},
		{"usable falls below the minimum", at(fixed, platform.CanUse, "null"), 40000, 5000, 25000, 5000, true, platform.MinValueNotReached, "50"},
		{"below the minimum, and worth more than the purchase: two rules", at(fixed, platform.CanUse, "null"), 40000, 5000, 9000, 5000, false, 0, ""},
		{"the same two rules as observed: the observed reason", at(fixed, platform.ValueRewardBiggerThanPurchase, "null"), 8000, 5000, 9000, 5000, true, platform.ValueRewardBiggerThanPurchase, "null"},
		{"points short after a debit", at(fixed, platform.CanUse, "null"), 40000, 1200, 40000, 900, true, platform.NotEnoughPoints, "null"},
		{"a RemainingToUse that is not the minimum less the purchase", at(fixed, platform.MinValueNotReached, "10"), 25000, 5000, 35000, 5000, false, 0, ""},
		{"a reason the rules do not cover", at(fixed, platform.MinimumPercentPurchaseNotReached, "null"), 40000, 5000, 50000, 5000, false, 0, ""},
		{"the same purchase and balance: as observed", at(fixed, platform.MinimumPercentPurchaseNotReached, "null"), 40000, 5000, 40000, 5000, true, platform.MinimumPercentPurchaseNotReached, "null"},
	} {
		got, ok := deriveReward(tc.r, tc.pv0, tc.bal0, false, tc.pv, tc.bal)
		if ok != tc.ok {
			t.Errorf("%s: derived %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if reason, _ := got.UseReason.Value(); reason != tc.reason || string(got.RemainingToUse) != tc.remaining || got.CanUse != (reason == platform.CanUse) {
			t.Errorf("%s: %v CanUse %v RemainingToUse %s, want %v %s", tc.name, reason, got.CanUse, got.RemainingToUse, tc.reason, tc.remaining)
		}
	}
	custom := platform.Reward{ID: 2, Type: 4, Title: "Brinde", Points: "10", Enabled: true, CanUse: true, UseReason: "0", MinValueToUse: "0", RemainingToUse: "null", PointBalance: "null"}
	if _, ok := deriveReward(&custom, 1000, 100, false, 2000, 100); ok {
		t.Error("a custom reward (it depends on the cart's items) was derived at another purchase value")
	}
	for title, want := range map[string]int64{"R$ 100,00": 10000, "R$ 1.000,50": 100050, "R$\u00a010,00": 1000, "US$ 10.00": -1, "10%": -1} {
		got, ok := fixedValue(title)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("fixedValue(%q) = %d, want %d", title, got, want)
		}
	}
}
