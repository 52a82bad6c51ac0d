package bff

// Over 400 lines: the contract's rules the BFF derives listings by are all here, each beside
// the case it refuses to derive; split, a rule and its exception would be apart.

// Listings the BFF derives instead of asking (issue 17: the platform's budget is the scarcest
// thing a store has). A shopper's listing (endpoint 2) and redeemed list (endpoint 3) depend
// on the cart's value and the shopper's points; the contract says how for the documented
// rules: a reward needs its Points from PointsBalance (unless NoPointCost), a purchase of at
// least MinValueToUse (RemainingToUse is what is missing), and a fixed discount (Type 1,
// Title "R$ 100,00") no bigger than the purchase. From an exact answer at one purchase value
// (the basis), the BFF derives the answer at another, and after a write of the shopper's it
// applies what the platform's own answer says changed (a redeem's debit and redemption, a
// reverse's PointsBalance), so the view after a cart change or a write needs no call.
//
// Only what the rules make exact is derived; everything else is asked:
//   - a reward whose observed UseReason is not one of those rules' (CanUse, NotEnoughPoints,
//     MinValueNotReached, ValueRewardBiggerThanPurchase, and CashbackNotAvailable, which the
//     purchase does not change), or whose fields do not agree with them (a RemainingToUse
//     that is not MinValueToUse less the purchase), or of a type the rules do not cover
//     (custom and product rewards, which depend on the cart's items);
//   - a reward for which two rules fail at the new value, unless the same ones failed in the
//     basis (the contract does not say which reason the platform then names: the basis does);
//   - a listing in which no reward was usable (nothing shows the shopper is enrolled and
//     identified, which every reason but those rules' would hide);
//   - after a write whose effect the answer does not say (a cashback redeem changes the
//     cashback balance), or when another write may have come between (the generation moved
//     by more than this write).
// A derived part is marked (the view's Derived) and lives as a fetched one does (CacheTTL):
// any write or order drops it with the rest.

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// basis is what derivations start from: the shopper's last exact listing and redeemed list,
// each with the purchase value it was asked at, as changed since by the shopper's writes.
// Immutable: a change makes a new one.
type basis struct {
	rgen     int64 // the shopper's generation it belongs to (-1: no Redis)
	listing  *listingBasis
	redeemed []redeemedBasis
	redCart  string // the cart the redeemed list was asked for
	hasRed   bool   // a redeemed list was observed
}

type listingBasis struct {
	cart     string // the cart it was asked for (the platform is told the cart on a listing)
	pv, bal0 int64  // the purchase value and the balance it was observed at
	balance  int64  // the balance now (a write's debit or credit applied)
	env      platform.Envelope[[]platform.Reward]
}

// redeemedBasis is one redeemed reward and the purchase value it was evaluated at.
type redeemedBasis struct {
	r  platform.RedeemedReward
	pv int64
}

const basisKey = "pB"

// basisOf is the shopper's basis in sh, or nil.
func (s *Server) basisOf(sh *shopperCache) *basis {
	if s.cache == nil || sh == nil {
		return nil
	}
	if v, _ := s.cache.get(sh, []byte(basisKey)); v != nil {
		return v.(*basis)
	}
	return nil
}

func (s *Server) keepBasis(sh *shopperCache, b *basis) {
	size := int64(512)
	if b.listing != nil {
		size += int64(len(b.listing.env.Item)) * 1024
	}
	size += int64(len(b.redeemed)) * 1024
	s.cache.put(sh, basisKey, b, size, false)
}

// observeListing makes an exact listing at pv the basis's listing.
func (s *Server) observeListing(sh *shopperCache, pv int64, cart string, r *platform.Reply[[]platform.Reward]) {
	if s.cache == nil || sh == nil || r == nil || r.Derived || r.Failed() {
		return
	}
	balance, ok := r.Env.PointsBalance.Int64()
	if !ok {
		return
	}
	old := s.basisOf(sh)
	nb := &basis{rgen: sh.rgen, listing: &listingBasis{cart: cart, pv: pv, bal0: balance, balance: balance, env: r.Env}}
	if old != nil {
		nb.redeemed, nb.redCart, nb.hasRed = old.redeemed, old.redCart, old.hasRed
	}
	s.keepBasis(sh, nb)
}

// observeRedeemed makes an exact redeemed list at pv the basis's.
func (s *Server) observeRedeemed(sh *shopperCache, pv int64, cart string, r *platform.Reply[[]platform.RedeemedReward]) {
	if s.cache == nil || sh == nil || r == nil || r.Derived || r.Failed() {
		return
	}
	rb := make([]redeemedBasis, len(r.Env.Item))
	for i := range r.Env.Item {
		rb[i] = redeemedBasis{r: r.Env.Item[i], pv: pv}
	}
	nb := &basis{rgen: sh.rgen, redeemed: rb, redCart: cart, hasRed: true}
	if old := s.basisOf(sh); old != nil {
		nb.listing = old.listing
	}
	s.keepBasis(sh, nb)
}

// deriveListing is the listing at pv for cart derived from the basis, or nil.
func deriveListing(b *basis, pv int64, cart string) *platform.Reply[[]platform.Reward] {
	if b == nil || b.listing == nil || b.listing.cart != cart {
		return nil
	}
	l := b.listing
	enrolled := false
	for i := range l.env.Item {
		enrolled = enrolled || l.env.Item[i].CanUse
	}
	if !enrolled {
		return nil // nothing shows the shopper enrolled and identified
	}
	out := make([]platform.Reward, len(l.env.Item))
	for i := range l.env.Item {
		r, ok := deriveReward(&l.env.Item[i], l.pv, l.bal0, false, pv, l.balance)
		if !ok {
			return nil
		}
		out[i] = r
	}
	env := l.env
	env.Item = out
	env.PointsBalance = platform.Int(l.balance)
	return &platform.Reply[[]platform.Reward]{Status: 200, Env: env, Bytes: 600 * len(out), Derived: true}
}

// deriveRedeemed is the redeemed list at pv for cart derived from the basis, or nil.
func deriveRedeemed(b *basis, pv int64, cart string) *platform.Reply[[]platform.RedeemedReward] {
	if b == nil || !b.hasRed || b.redCart != cart {
		return nil
	}
	out := make([]platform.RedeemedReward, len(b.redeemed))
	for i, e := range b.redeemed {
		r, ok := deriveReward(&e.r.Reward, e.pv, 0, true, pv, 0)
		if !ok {
			return nil
		}
		out[i] = e.r
		out[i].Reward = r
	}
	return &platform.Reply[[]platform.RedeemedReward]{Status: 200, Env: platform.Envelope[[]platform.RedeemedReward]{Item: out}, Bytes: 700 * len(out), Derived: true}
}

// rule is one of the contract's rules a reward may fail.
type rule uint8

const (
	rulePoints rule = 1 << iota // NotEnoughPoints
	ruleMin                     // MinValueNotReached
	ruleValue                   // ValueRewardBiggerThanPurchase
)

var ruleReason = map[rule]platform.UseReason{rulePoints: platform.NotEnoughPoints, ruleMin: platform.MinValueNotReached, ruleValue: platform.ValueRewardBiggerThanPurchase}

// failing is the set of rules r fails at purchase pv with balance points (paid: a redeemed
// reward, whose points are spent); ok false when a rule's input is not known.
func failing(r *platform.Reward, pv, balance int64, paid bool) (rule, bool) {
	var f rule
	if !paid && !r.NoPointCost {
		points, ok := r.Points.Int64()
		if !ok {
			return 0, false
		}
		if points > balance {
			f |= rulePoints
		}
	}
	if !r.MinValueToUse.Null() {
		min, ok := exactCents(r.MinValueToUse)
		if !ok {
			return 0, false
		}
		if pv < min {
			f |= ruleMin
		}
	}
	switch r.Type {
	case 0, 3: // a percentage, cashback: never worth more than the purchase by these rules
	case 1:
		v, ok := fixedValue(r.Title)
		if !ok {
			return 0, false
		}
		if v > pv {
			f |= ruleValue
		}
	default: // custom, product rewards: they depend on the cart's items
		return 0, false
	}
	return f, true
}

// deriveReward is reward r (observed at purchase pv0 and balance bal0) at purchase pv and
// balance bal, or false when the rules do not make it exact.
func deriveReward(r *platform.Reward, pv0, bal0 int64, paid bool, pv, bal int64) (platform.Reward, bool) {
	if pv == pv0 && (paid || bal == bal0) {
		return *r, true
	}
	observed, known := r.UseReason.Value()
	if !known {
		return platform.Reward{}, false
	}
	f0, ok := failing(r, pv0, bal0, paid)
	if !ok {
		return platform.Reward{}, false
	}
	// The observation must agree with the rules, or the rules do not describe this reward.
	cashbackOut := false
	switch observed {
	case platform.CanUse:
		if f0 != 0 || r.CanUse != r.Enabled {
			return platform.Reward{}, false
		}
	case platform.CashbackNotAvailable: // the purchase does not change it; it hides nothing the rules say
		if r.Type != 3 || paid || f0 != 0 || r.CanUse {
			return platform.Reward{}, false
		}
		cashbackOut = true
	case platform.NotEnoughPoints, platform.MinValueNotReached, platform.ValueRewardBiggerThanPurchase:
		if f0&reasonRule(observed) == 0 || r.CanUse {
			return platform.Reward{}, false
		}
		if r.Type == 3 && !paid {
			return platform.Reward{}, false // whether its cashback is there is hidden behind this reason
		}
	default:
		return platform.Reward{}, false
	}
	if observed == platform.MinValueNotReached {
		min, _ := exactCents(r.MinValueToUse)
		rem, ok := exactCents(r.RemainingToUse)
		if !ok || rem != min-pv0 {
			return platform.Reward{}, false
		}
	} else if !r.RemainingToUse.Null() {
		return platform.Reward{}, false
	}
	if !r.PointBalance.Null() && bal != bal0 {
		return platform.Reward{}, false
	}
	f, _ := failing(r, pv, bal, paid)
	reason := platform.CanUse
	switch {
	case cashbackOut && f == 0:
		reason = platform.CashbackNotAvailable
	case cashbackOut: // the cashback is out and a rule fails too: which one the platform names is not said
		return platform.Reward{}, false
	case f == f0 && f != 0:
		reason = observed // the same rules fail: the platform names the same one
	case f == 0:
	case f&(f-1) == 0: // one rule fails
		reason = ruleReason[f]
	default:
		return platform.Reward{}, false
	}
	out := *r
	out.UseReason = platform.ReasonOf(reason)
	out.CanUse = r.Enabled && reason == platform.CanUse
	out.RemainingToUse = "null"
	if reason == platform.MinValueNotReached {
		min, _ := exactCents(r.MinValueToUse)
		out.RemainingToUse = platform.Cents(min - pv)
	}
	out.UseReasonName, out.UseReasonMessage = "", ""
	return out, true
}

func reasonRule(u platform.UseReason) rule {
	for k, v := range ruleReason {
		if v == u {
			return k
		}
	}
	return 0
}

// exactCents reads a platform amount that is a whole number of cents.
func exactCents(n platform.Number) (int64, bool) {
	s := string(n)
	if n.Null() || strings.HasPrefix(s, "-") || strings.ContainsAny(s, "eE") {
		return 0, false
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(strings.TrimRight(s[i+1:], "0")) > 2 {
		return 0, false
	}
	c, herr := parseCents(s)
	return c, herr == nil
}

// fixedTitleRe is a fixed discount's Title as the documents write it: "R$ 100,00", "R$ 1.000,00".
var fixedTitleRe = regexp.MustCompile(`^R\$\s?([0-9]{1,3}(?:\.[0-9]{3})*|[0-9]+),([0-9]{2})$`)

// fixedValue is a fixed discount's value in cents, from its Title.
func fixedValue(title string) (int64, bool) {
	m := fixedTitleRe.FindStringSubmatch(strings.TrimSpace(strings.ReplaceAll(title, "\u00a0", " ")))
	if m == nil {
		return 0, false
	}
	whole, err := strconv.ParseInt(strings.ReplaceAll(m[1], ".", ""), 10, 64)
	if err != nil || whole > 1e9 {
		return 0, false
	}
	cents, _ := strconv.ParseInt(m[2], 10, 64)
	return whole*100 + cents, true
}

// ---- writes ---------------------------------------------------------------------------------

// afterRedeem is the basis after a redeem whose answer is res, made at purchase pv (hasPV):
// the balance less the redemption's points, the redemption in the redeemed list. nil when the
// answer does not say it all.
func (b *basis) afterRedeem(res *platform.RedeemResult, pv int64, hasPV, useRedeemed bool) *basis {
	if b == nil || res == nil || !res.Success || res.Reward == nil {
		return nil
	}
	if useRedeemed { // a redemption moved to this cart: points and lists unchanged
		return b
	}
	if res.Reward.Type == 3 || !hasPV {
		return nil // a cashback redeem changes the cashback balance; without a purchase the reward was not evaluated at one
	}
	debit, ok := res.Reward.RedeemedPoints.Int64()
	id, ok2 := res.Reward.RedeemedID.Int64()
	if !ok || !ok2 || debit > 0 {
		return nil
	}
	nb := &basis{rgen: b.rgen, hasRed: b.hasRed, redCart: b.redCart}
	if b.listing != nil {
		l := *b.listing
		l.balance += debit
		nb.listing = &l
	}
	if b.hasRed {
		for _, e := range b.redeemed {
			if n, _ := e.r.RedeemedID.Int64(); n == id {
				return nil // a replay of a redeem already listed: nothing new to add
			}
		}
		nb.redeemed = append(append([]redeemedBasis(nil), b.redeemed...), redeemedBasis{r: *res.Reward, pv: pv})
	}
	return nb
}

// afterReverse is the basis after a reverse of redeemedID whose answer says the balance is
// now balance: the redemption out of the redeemed list.
func (b *basis) afterReverse(redeemedID int64, env *platform.Envelope[platform.AppliedState]) *basis {
	if b == nil || env == nil {
		return nil
	}
	balance, ok := env.PointsBalance.Int64()
	if !ok {
		return nil
	}
	nb := &basis{rgen: b.rgen, hasRed: b.hasRed, redCart: b.redCart}
	if b.listing != nil {
		l := *b.listing
		l.balance = balance
		nb.listing = &l
	}
	found := false
	for _, e := range b.redeemed {
		if n, _ := e.r.RedeemedID.Int64(); n == redeemedID {
			found = true
			if e.r.Type == 3 {
				return nil // the cashback comes back: its balance is not said
			}
			continue
		}
		nb.redeemed = append(nb.redeemed, e)
	}
	if b.hasRed && !found {
		return nil // not in the list the BFF holds: what changed is not known
	}
	return nb
}

// snapshot is the basis a write starts from: the shopper's cache on this replica (its gen)
// and its basis, taken before the write is sent (a listing that lands after it may already
// show the write's effect).
type snapshot struct {
	local uint64
	b     *basis
}

func (s *Server) snapshotOf(shopper string) snapshot {
	if s.cache == nil {
		return snapshot{}
	}
	sh := s.cache.lookup(shopper)
	if sh == nil {
		return snapshot{}
	}
	return snapshot{local: sh.gen, b: s.basisOf(sh)}
}

// carryBasis keeps next (the snapshot's basis with the write's effect) as the basis of the
// shopper's new generation, when nothing else came between: the cache the write dropped is
// the one the snapshot was taken from (no other write of this replica's, nor a view's new
// cache, replaced it), and in Redis the write's bump came right after the snapshot's
// generation (no write on another replica).
func (s *Server) carryBasis(shopper string, snap snapshot, d dropped, next *basis) {
	if s.cache == nil || next == nil || snap.local == 0 || d.local != snap.local || d.gen == -2 {
		return
	}
	if d.gen >= 0 && next.rgen != d.gen-1 {
		return
	}
	sh := s.cache.shopper(shopper, d.gen)
	nb := *next
	nb.rgen = sh.rgen
	s.keepBasis(sh, &nb)
}
