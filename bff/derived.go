package bff

// What the BFF knows without asking the platform, from the platform's own answers to the
// shopper's writes. A redeem (or a use of a redeemed reward) with the cart as its key says
// what is applied to that cart from then on: its coupon and its reward, exactly what the
// restore call (endpoint 6) would answer for it. The view of that cart, while it holds that
// coupon, is answered from it, and the platform is not asked again a moment after it spoke.
// A write of the shopper's (on any replica) or an order placed drops it, as it drops every
// other copy; it lives no longer than a part the platform gave (CacheTTL).

import (
	"context"
	"net/http"
	"strings"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// routeLearnt is the variant route of an applied state learnt from a redeem's answer (kept
// apart from the platform's restore answer, 'A', which the drop-in restore path relays).
const routeLearnt = 'a'

// learnApplied keeps, for the cart a redeem just went into, the applied state the platform's
// answer implies: Success, its coupon, its reward. Only a redeem that says the reward can be
// used (a fresh one at this cart's value; not a replay that the cart no longer fits) is
// learnt, under the shopper's generation after the write (gen, as dropShopper said), on this
// replica and in Redis.
func (s *Server) learnApplied(ctx context.Context, shopper string, gen int64, cart string, res *platform.RedeemResult) {
	if s.cache == nil || cart == "" || gen == -2 || res == nil || !res.Success || res.CouponCode == nil || *res.CouponCode == "" ||
		res.Reward == nil || !res.Reward.CanUse {
		return
	}
	reward := *res.Reward
	r := &platform.Reply[platform.AppliedState]{Status: http.StatusOK,
		Env: platform.Envelope[platform.AppliedState]{Item: platform.AppliedState{Success: true, CouponCode: res.CouponCode, Reward: &reward}}}
	b, err := platform.Marshal(r.Env)
	if err != nil {
		return
	}
	r.Bytes = len(b)
	sh := s.cache.shopper(shopper, gen)
	key := string(variant{route: routeLearnt, cart: cart}.key(nil, false))
	s.cache.put(sh, key, r, int64(2*r.Bytes+512), false)
	putSharedPart(s, ctx, sh, key, r)
}

// learntApplied is the applied state learnt for the cart, when the cart holds its coupon
// (the widget says which coupon the cart holds); nil otherwise.
func (s *Server) learntApplied(ctx context.Context, sh *shopperCache, cart, coupon string) *platform.Reply[platform.AppliedState] {
	if sh == nil || cart == "" || coupon == "" {
		return nil
	}
	key := variant{route: routeLearnt, cart: cart}.key(nil, false)
	var r *platform.Reply[platform.AppliedState]
	if v, _ := s.cache.get(sh, key); v != nil {
		r = v.(*platform.Reply[platform.AppliedState])
	} else if got, age, ok := sharedPart[platform.AppliedState](s, ctx, sh, string(key)); ok && age < s.cache.ttl {
		r = got
		s.cache.putAged(sh, string(key), r, int64(2*r.Bytes+512), false, age)
	}
	if r == nil || r.Env.Item.CouponCode == nil || !strings.EqualFold(strings.TrimSpace(*r.Env.Item.CouponCode), strings.TrimSpace(coupon)) {
		return nil
	}
	return r
}
