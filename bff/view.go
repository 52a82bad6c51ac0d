package bff

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// CheckoutView is the Item of GET /bff/v1/checkout: everything the widget shows, in one round
// trip. A part the platform could not give is null, named in Missing, and explained in
// Problems; the parts that worked are still there.
type CheckoutView struct {
	ProgramName   *string                   `json:"ProgramName"`
	PointsBalance platform.Number           `json:"PointsBalance"`
	Rewards       []platform.Reward         `json:"Rewards"`  // endpoint 2's Item: every reward, annotated
	Redeemed      []platform.RedeemedReward `json:"Redeemed"` // endpoint 3's Item: redeemed, unused rewards
	Applied       *platform.AppliedState    `json:"Applied"`  // endpoint 6's Item for checkoutCode, or null
	Missing       []string                  `json:"Missing"`
	Problems      map[string]Problem        `json:"Problems"`
	// Currency is the tenant's ISO 4217 code: the widget prints its amounts in it, so they
	// agree with the amounts in the BFF's messages.
	Currency string `json:"Currency"`
	// Theme is the tenant's (colours, radius, font, join and terms links), or null.
	Theme *themeView `json:"Theme"`
	// Age is how old, in seconds, the oldest part of the view is: 0 when every part is
	// fresh; more when the store's budget was short or the platform failing and a stale copy
	// (at most CacheTTL + CacheStale old) answered instead. The answer's Age header says it too.
	Age int `json:"Age"`
	// Derived says a part was derived from the platform's earlier answers by the contract's
	// rules instead of asked (derive.go): exact by those rules.
	Derived bool `json:"Derived,omitzero"`
}

// themeView is a tenant's Theme as the view carries it (empty fields left out).
type themeView struct {
	Accent     string `json:"Accent,omitzero"`
	AccentText string `json:"AccentText,omitzero"`
	Radius     string `json:"Radius,omitzero"`
	Font       string `json:"Font,omitzero"`
	JoinURL    string `json:"JoinURL,omitzero"`
	TermsURL   string `json:"TermsURL,omitzero"`
}

func newThemeView(t *Theme) *themeView {
	if t == nil || *t == (Theme{}) {
		return nil
	}
	return &themeView{Accent: t.Accent, AccentText: t.AccentText, Radius: t.Radius, Font: t.Font, JoinURL: t.JoinURL, TermsURL: t.TermsURL}
}

// Problem says why a part is missing.
type Problem struct {
	Status    int    `json:"Status"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

const (
	partRewards  = "rewards"
	partRedeemed = "redeemed"
	partApplied  = "applied"
)

// viewInput reads what a view is asked for: purchaseValue (required), checkoutCode, and
// coupon, the coupon the cart holds as the widget read it (present and empty: none). Strings
// are valid during the request only.
func viewInput(x *exchange) (pv int64, cart, coupon string, hinted bool, herr *HTTPError) {
	pv, _, herr = purchaseParam(x.query("purchaseValue"), true)
	if herr != nil {
		return 0, "", "", false, herr
	}
	cart = x.query("checkoutCode")
	if herr := cartParam("checkoutCode", cart); herr != nil {
		return 0, "", "", false, herr
	}
	hinted = x.c.Request().URI().QueryArgs().Has("coupon")
	coupon = x.query("coupon")
	if len(coupon) > 128 {
		return 0, "", "", false, badRequest(CodeBadRequest, "coupon is longer than 128 characters: send the coupon code the cart holds, or coupon= when it holds none.")
	}
	return pv, cart, coupon, hinted, nil
}

// checkout answers GET /bff/v1/checkout: the listing, the redeemed rewards and the cart's
// applied reward, asked for at once (each shared with every concurrent caller and cached).
func (s *Server) checkout(x *exchange) error {
	pv, cart, coupon, hinted, herr := viewInput(x)
	if herr != nil {
		return herr
	}
	v := variant{route: 'V', cents: pv, cart: cart, locale: s.locale(x), coupon: coupon, hinted: hinted}
	if s.sendCached(x, v) {
		return nil
	}
	v.cart, v.coupon = cloneString(cart), cloneString(coupon)
	return s.respond(x, v, s.viewBuilder(x.t, x.sess, v))
}

// viewBuilder builds the view's answer for v. The applied state (the restore call) is asked
// only when the cart may hold a reward: not when the widget says the cart holds no coupon
// (nothing to restore: a redemption the cart lost is still in the redeemed list), nor when
// the cart holds the coupon of a redeem the BFF just saw (learntApplied). Without the hint
// (any other client) it is asked whenever there is a cart.
func (s *Server) viewBuilder(t *tenant, sess session, v variant) func(context.Context, *shopperCache) (*answer, *HTTPError) {
	pv, cart, locale := v.cents, v.cart, v.locale
	askApplied := cart != "" && (!v.hinted || v.coupon != "")
	return func(ctx context.Context, sh *shopperCache) (*answer, *HTTPError) {
		view := CheckoutView{Missing: []string{}, Problems: map[string]Problem{}, Currency: t.cfg.Currency, Theme: t.theme}
		var rewards *platform.Reply[[]platform.Reward]
		var redeemed *platform.Reply[[]platform.RedeemedReward]
		var applied *platform.Reply[platform.AppliedState]
		errs := map[string]*HTTPError{}
		var mu sync.Mutex
		fail := func(name string, herr *HTTPError) {
			mu.Lock()
			errs[name] = herr
			mu.Unlock()
		}
		var wg sync.WaitGroup
		var ages [2]time.Duration
		wg.Go(func() {
			r, age, herr := rewardsPart(s, ctx, t, sess, sh, pv, cart)
			ages[0] = age
			if herr == nil && r.Failed() {
				herr = failed(r.Status, r.Env.Message)
			}
			if herr != nil {
				fail(partRewards, herr)
				return
			}
			rewards = r
		})
		wg.Go(func() {
			r, age, herr := redeemedPart(s, ctx, t, sess, sh, pv, cart)
			ages[1] = age
			if herr == nil && r.Failed() {
				herr = failed(r.Status, r.Env.Message)
			}
			if herr != nil {
				fail(partRedeemed, herr)
				return
			}
			redeemed = r
		})
		ask := askApplied
		if ask && v.hinted {
			if learnt := s.learntApplied(ctx, sh, cart, v.coupon); learnt != nil {
				applied, ask = learnt, false
			}
		}
		if ask {
			wg.Go(func() {
				r, _, herr := appliedPart(s, ctx, t, sess, sh, cart)
				if herr == nil && r.Failed() {
					herr = failed(r.Status, r.Env.Message)
				}
				if herr != nil {
					fail(partApplied, herr)
					return
				}
				applied = r
			})
		}
		wg.Wait()

		parts := []string{partRewards, partRedeemed}
		if ask {
			parts = append(parts, partApplied)
		}
		var firstErr *HTTPError
		for _, p := range parts {
			herr := errs[p]
			if herr == nil {
				continue
			}
			if herr.Code == http.StatusUnauthorized {
				return nil, herr // the session is over: the widget must sign in again
			}
			if firstErr == nil {
				firstErr = herr
			}
			view.Missing = append(view.Missing, p)
			view.Problems[p] = Problem{Status: herr.Code, ErrorCode: herr.ErrorCode, Message: herr.Msg}
		}
		if len(view.Missing) == len(parts) {
			return nil, firstErr
		}
		programme := func(name *string, balance platform.Number) {
			if view.ProgramName == nil && name != nil {
				view.ProgramName = name
			}
			if view.PointsBalance.Null() && !balance.Null() {
				view.PointsBalance = balance
			}
		}
		m := t.msgs
		view.Derived = rewards != nil && rewards.Derived || redeemed != nil && redeemed.Derived
		if rewards != nil {
			view.Rewards = m.rewards(rewards.Env.Item, locale)
			programme(rewards.Env.ProgramName, rewards.Env.PointsBalance)
		}
		if redeemed != nil {
			view.Redeemed = m.redeemed(redeemed.Env.Item, locale)
		}
		if applied != nil {
			a := m.applied(applied.Env.Item, locale)
			view.Applied = &a
			programme(applied.Env.ProgramName, applied.Env.PointsBalance)
			fillRedeemedID(view.Applied, view.Redeemed)
		}
		age := max(ages[0], ages[1])
		view.Age = int(age.Round(time.Second) / time.Second)
		a, herr := s.encodeOK(platform.Envelope[*CheckoutView]{Item: &view})
		if herr != nil {
			return nil, herr
		}
		a.keep = len(view.Missing) == 0 && age == 0
		a.age = age
		for i := range view.Rewards {
			a.usable = a.usable || view.Rewards[i].CanUse
		}
		for i := range view.Redeemed {
			a.usable = a.usable || view.Redeemed[i].CanUse
		}
		return a, nil
	}
}

// fillRedeemedID gives the applied reward its RedeemedId (needed to remove it) from the
// redeemed list when the platform's applied state leaves it out, as its documentation shows.
// applied is the view's own copy.
func fillRedeemedID(applied *platform.AppliedState, redeemed []platform.RedeemedReward) {
	if applied == nil || applied.Reward == nil || !applied.Reward.RedeemedID.Null() {
		return
	}
	for _, r := range redeemed {
		if r.ID == applied.Reward.ID && !r.RedeemedID.Null() {
			applied.Reward.RedeemedID = r.RedeemedID
			return
		}
	}
}

// viewItem is the Item of a view answer's bytes (the envelope around it is the BFF's own,
// written by encodeOK).
func viewItem(raw []byte) ([]byte, bool) {
	const prefix = `{"HasError":false,"Message":null,"Item":`
	if !bytes.HasPrefix(raw, []byte(prefix)) || raw[len(raw)-1] != '}' {
		return nil, false
	}
	return raw[len(prefix) : len(raw)-1], true
}

// cloneString copies a string that comes from a request (Fiber reuses its buffers).
func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}
