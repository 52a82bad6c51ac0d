package bff

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// The contract's seven paths, passed on to the tenant's platform: same methods, headers,
// bodies and envelope, with the BFF's token instead of the platform's, a localised message on
// every reward, and ErrorCode on every error.

var platformRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// signIn runs the platform's secure login for the credentials in a body and answers the
// platform's item with the BFF's token in SecureToken. A refusal comes back as an answer to
// pass on.
//
// The client's logins are limited per address (loginAllowed), and those the platform refuses
// are remembered, so a client spraying made-up sessions is answered locally.
func (s *Server) signIn(ctx context.Context, t *tenant, client, vendor string, body []byte) (*platform.LoginItem, session, *answer, *HTTPError) {
	if !platformRe.MatchString(vendor) {
		return nil, session{}, nil, badRequest(CodeBadRequest, "The platform must be a lowercase name such as vtex or magazord.")
	}
	fields, herr := jsonObject(body)
	if herr != nil {
		return nil, session{}, nil, herr
	}
	var creds platform.LoginRequest
	for _, f := range []struct {
		name string
		to   *string
	}{{"sessionToken", &creds.SessionToken}, {"segmentToken", &creds.SegmentToken}} {
		v, herr := stringField(fields, f.name, 4096)
		if herr != nil {
			return nil, session{}, nil, herr
		}
		if v == "" {
			return nil, session{}, nil, badRequest(CodeBadRequest, "%s is required (the storefront's session values).", f.name)
		}
		*f.to = v
	}
	if herr := s.loginAllowed(ctx, t, client); herr != nil {
		return nil, session{}, nil, herr
	}
	vendor = cloneString(vendor)
	r, herr := platformCall(s, ctx, t, callSpec{class: classLogin, client: t.cfg.Key + "\x00@" + client}, func(ctx context.Context, c *platform.Client, call platform.Call) (platform.Reply[platform.LoginItem], error) {
		return c.Login(ctx, call, vendor, creds)
	}, "")
	if herr != nil {
		return nil, session{}, nil, herr
	}
	if r.Failed() {
		if r.Status == http.StatusUnauthorized {
			s.loginRefused(ctx, t, client)
		}
		return nil, session{}, relayFailure(s, &r), nil
	}
	item := r.Env.Item
	if item.SecureToken == "" || item.UserID == "" {
		return nil, session{}, nil, badAnswer(errors.New("login answer without SecureToken or UserId"))
	}
	tok, exp, err := s.keys.issue(t.cfg.Key, item.UserID, item.SecureToken)
	if err != nil {
		return nil, session{}, nil, &HTTPError{Code: http.StatusInternalServerError, ErrorCode: CodeInternal, Msg: "Internal error.", Err: err}
	}
	sess := session{subject: item.UserID, upstreamToken: item.SecureToken, shopper: shopperKey(t.cfg.Key, item.UserID)}
	item.SecureToken = tok
	item.ExpiresAt = exp.UTC().Format(time.RFC3339)
	return &item, sess, nil, nil
}

// login is endpoint 1.
func (s *Server) login(x *exchange) error {
	item, _, refused, herr := s.signIn(x.ctx(), x.t, s.clientAddr(x), x.param("platform"), x.body())
	if herr != nil {
		return herr
	}
	if refused != nil {
		return x.send(refused.status, refused.body)
	}
	a, herr := s.encodeOK(platform.Envelope[*platform.LoginItem]{Item: item})
	if herr != nil {
		return herr
	}
	return x.send(a.status, a.body)
}

// listingInput reads what endpoints 2 and 3 take: a required purchaseValue and an optional
// order_form_id (valid during the request only).
func listingInput(x *exchange) (int64, string, *HTTPError) {
	pv, _, herr := purchaseParam(x.query("purchaseValue"), true)
	if herr != nil {
		return 0, "", herr
	}
	cart := x.query("order_form_id")
	if herr := cartParam("order_form_id", cart); herr != nil {
		return 0, "", herr
	}
	return pv, cart, nil
}

// listRewards is endpoint 2, from the cache when it can be.
func (s *Server) listRewards(x *exchange) error {
	return listing(s, x, 'L', rewardsPart, (*messages).rewards)
}

// listRedeemed is endpoint 3, from the cache when it can be.
func (s *Server) listRedeemed(x *exchange) error {
	return listing(s, x, 'R', redeemedPart, (*messages).redeemed)
}

// listing serves a listing (endpoint 2 or 3): the final answer from the cache when it is
// there (route names it), else the platform's list from part (shared and cached like the
// view's), each reward given its message by annotate, kept and sent.
func listing[T any](s *Server, x *exchange, route byte,
	part func(*Server, context.Context, *tenant, session, *shopperCache, int64, string) (*platform.Reply[T], time.Duration, *HTTPError),
	annotate func(*messages, T, string) T) error {
	pv, cart, herr := listingInput(x)
	if herr != nil {
		return herr
	}
	v := variant{route: route, cents: pv, cart: cart, locale: s.locale(x)}
	if s.sendCached(x, v) {
		return nil
	}
	v.cart = cloneString(cart)
	t, sess := x.t, x.sess
	return s.respond(x, v, func(ctx context.Context, sh *shopperCache) (*answer, *HTTPError) {
		r, age, herr := part(s, ctx, t, sess, sh, v.cents, v.cart)
		if herr != nil {
			return nil, herr
		}
		if r.Failed() {
			return relayFailure(s, r), nil
		}
		env := r.Env
		env.Item = annotate(t.msgs, env.Item, v.locale)
		a, herr := s.encodeOK(env)
		if herr == nil && age > 0 {
			a.keep, a.age = false, age
		}
		return a, herr
	})
}

// applied is endpoint 6 (a read: what is applied to a cart), from the cache when it can be.
func (s *Server) applied(x *exchange) error {
	cart, herr := cartBody(x.body(), "CheckoutCode")
	if herr != nil {
		return herr
	}
	v := variant{route: 'A', cart: cart, locale: s.locale(x)}
	if s.sendCached(x, v) {
		return nil
	}
	t, sess := x.t, x.sess
	return s.respond(x, v, func(ctx context.Context, sh *shopperCache) (*answer, *HTTPError) {
		r, _, herr := appliedPart(s, ctx, t, sess, sh, v.cart)
		if herr != nil {
			return nil, herr
		}
		if r.Failed() {
			return relayFailure(s, r), nil
		}
		env := r.Env
		env.Item = t.msgs.applied(env.Item, v.locale)
		return s.encodeOK(env)
	})
}

// redeemRoute is endpoint 4 or 5: how it is called, and where the platform lists the reward
// it names (to explain a refusal in the shopper's language).
type redeemRoute struct {
	do        func(c *platform.Client, ctx context.Context, call platform.Call, id, purchaseValue, cart string) (platform.Reply[platform.RedeemResult], error)
	byRedeem  bool // the path's id is a RedeemedId (endpoint 5), not a reward's Id
	listingOf func(s *Server, ctx context.Context, t *tenant, sess session, sh *shopperCache, pv int64, cart string) (listed, *HTTPError)
}

// listed finds a reward of a listing by the path's id.
type listed func(id string, byRedeem bool) *platform.Reward

var (
	redeemReward = redeemRoute{do: (*platform.Client).Redeem,
		listingOf: func(s *Server, ctx context.Context, t *tenant, sess session, sh *shopperCache, pv int64, cart string) (listed, *HTTPError) {
			r, _, herr := rewardsPart(s, ctx, t, sess, sh, pv, cart)
			if herr != nil || r.Failed() {
				return nil, herr
			}
			return func(id string, _ bool) *platform.Reward {
				for i := range r.Env.Item {
					if strconv.FormatInt(r.Env.Item[i].ID, 10) == id {
						return &r.Env.Item[i]
					}
				}
				return nil
			}, nil
		}}
	useRedeemedReward = redeemRoute{do: (*platform.Client).UseRedeemed, byRedeem: true,
		listingOf: func(s *Server, ctx context.Context, t *tenant, sess session, sh *shopperCache, pv int64, cart string) (listed, *HTTPError) {
			r, _, herr := redeemedPart(s, ctx, t, sess, sh, pv, cart)
			if herr != nil || r.Failed() {
				return nil, herr
			}
			return func(id string, _ bool) *platform.Reward {
				for i := range r.Env.Item {
					if n, ok := r.Env.Item[i].RedeemedID.Int64(); ok && strconv.FormatInt(n, 10) == id {
						return &r.Env.Item[i].Reward
					}
				}
				return nil
			}, nil
		}}
)

func (s *Server) redeemer(route redeemRoute) func(*exchange) error {
	return func(x *exchange) error { return s.redeemAt(x, route) }
}

// redeemAt forwards endpoints 4 and 5: id, optional purchaseValue, and OriginalId, the key
// that makes a retry safe (required unless the tenant allows redeeming without one). Whatever
// the outcome, the shopper's cached view is dropped: their points or redemptions may have
// changed.
func (s *Server) redeemAt(x *exchange, route redeemRoute) error {
	t, sess := x.t, x.sess
	id, herr := idParam(x.param("id"))
	if herr != nil {
		return herr
	}
	pv, hasPV, herr := purchaseParam(x.query("purchaseValue"), false)
	if herr != nil {
		return herr
	}
	cart, herr := cartBody(x.body(), "OriginalId")
	if herr != nil {
		return herr
	}
	if cart == "" && !t.cfg.AllowRedeemWithoutOriginalId {
		return badRequest(CodeMissingOriginalID, "OriginalId is required: a redeem without a key is not safe to retry, "+
			"since a retry (a network retry, a second click) could debit the points twice. Send the cart id as OriginalId, "+
			"and the same one on every retry: the same key redeems once.")
	}
	purchase := ""
	if hasPV {
		purchase = centsString(pv)
	}
	snap := s.snapshotOf(sess.shopper)
	r, herr := platformCall(s, x.ctx(), t, callSpec{class: classMoney}, func(ctx context.Context, c *platform.Client, call platform.Call) (platform.Reply[platform.RedeemResult], error) {
		return route.do(c, ctx, call, id, purchase, cart)
	}, sess.upstreamToken)
	d := s.dropShopper(x.ctx(), sess.shopper)
	if herr != nil {
		return herr
	}
	if !r.Failed() {
		if rw := r.Env.Item.Reward; rw != nil && s.metrics.once(t.cfg.Key, "d", rw.RedeemedID) {
			s.metrics.funnel(t.cfg.Key, stepRedeem)
			if !route.byRedeem { // a use of a redeemed reward debits nothing new
				s.metrics.redeemed(t.cfg.Key, rw, false)
			}
		}
		// What the answer says changed is kept for the views after it (derive.go, derived.go).
		s.carryBasis(sess.shopper, snap, d, snap.b.afterRedeem(&r.Env.Item, pv, hasPV, route.byRedeem))
		s.learnApplied(x.ctx(), sess.shopper, d.gen, cart, &r.Env.Item)
	}
	locale := s.locale(x)
	if r.Failed() {
		env := failureEnvelope(&r)
		if hasPV && refusal(r.Status, r.Env.HasError) {
			s.explainRefusal(x.ctx(), t, sess, route, id, pv, cart, locale, &env.Message, &env.UseReasonName)
		}
		b, err := platform.Marshal(env)
		if err != nil {
			return badAnswer(err)
		}
		return x.send(r.Status, newPayload(b, s.o.CompressMinBytes))
	}
	r.Env.Item.Reward = t.msgs.redeemedOne(r.Env.Item.Reward, locale)
	a, herr := s.encodeOK(r.Env)
	if herr != nil {
		return herr
	}
	return x.send(r.Status, a.body)
}

// refusal tells whether the platform refused a redeem for a reason of its own: a 4xx other
// than an expired session or a rate limit, or an error in a 2xx envelope.
func refusal(status int, hasError bool) bool {
	if status >= 400 && status < 500 {
		return status != http.StatusUnauthorized && status != http.StatusTooManyRequests
	}
	return status < 400 && hasError
}

// explainRefusal replaces a refused redeem's Message (the platform's, in Portuguese) with the
// shopper's sentence for the reward's UseReason, in the answer's language, and adds
// UseReasonName; the status and ErrorCode stay the platform's. The reason is the one the
// platform lists for that reward at this purchase value (the listing is asked for after the
// shopper's cache was dropped, so it is the platform's word now); when it cannot be had, or
// says the reward can be used, the refusal passes through unchanged.
func (s *Server) explainRefusal(ctx context.Context, t *tenant, sess session, route redeemRoute, id string, pv int64, cart, locale string, msg **string, name *string) {
	var sh *shopperCache
	if s.cache != nil {
		sh = s.cache.shopper(sess.shopper, s.generation(ctx, sess.shopper))
	}
	find, herr := route.listingOf(s, ctx, t, sess, sh, pv, cart)
	if herr != nil || find == nil {
		return
	}
	found := find(id, route.byRedeem)
	if found == nil {
		return
	}
	if reason, known := found.UseReason.Value(); !known || reason == platform.CanUse {
		return
	}
	r := *found // the listing is shared: annotate a copy
	t.msgs.annotate(&r, locale)
	if r.UseReasonMessage != "" {
		*msg = &r.UseReasonMessage
		*name = r.UseReasonName
	}
}

// reverse is endpoint 7; the shopper's cached view is dropped whatever the outcome.
func (s *Server) reverse(x *exchange) error {
	t, sess := x.t, x.sess
	id, herr := idParam(x.param("id"))
	if herr != nil {
		return herr
	}
	why, herr := reverseWhy(x.query("why"))
	if herr != nil {
		return herr
	}
	snap := s.snapshotOf(sess.shopper)
	r, herr := platformCall(s, x.ctx(), t, callSpec{class: classMoney}, func(ctx context.Context, c *platform.Client, call platform.Call) (platform.Reply[platform.AppliedState], error) {
		return c.Reverse(ctx, call, id)
	}, sess.upstreamToken)
	d := s.dropShopper(x.ctx(), sess.shopper)
	n, numeric := strconv.ParseInt(id, 10, 64)
	if herr != nil || r.Failed() {
		status := r.Status
		if herr != nil {
			status = herr.Code
		}
		// The widget keeps a reversal that failed for now and makes it later (why=owed).
		if owedLater(status) && numeric == nil && s.metrics.once(t.cfg.Key, "w", platform.Int(n)) {
			s.metrics.funnel(t.cfg.Key, stepOwed)
		}
		if herr != nil {
			return herr
		}
		a := relayFailure(s, &r)
		return x.send(a.status, a.body)
	}
	if numeric == nil {
		s.carryBasis(sess.shopper, snap, d, snap.b.afterReverse(n, &r.Env))
		if s.metrics.once(t.cfg.Key, "c", platform.Int(n)) { // a replay finds it reversed: counted once
			s.metrics.funnel(t.cfg.Key, stepReverse)
			if why != stepReverse {
				s.metrics.funnel(t.cfg.Key, why)
			}
			s.metrics.redeemed(t.cfg.Key, r.Env.Item.Reward, true)
		}
	}
	r.Env.Item = t.msgs.applied(r.Env.Item, s.locale(x))
	a, herr := s.encodeOK(r.Env)
	if herr != nil {
		return herr
	}
	return x.send(r.Status, a.body)
}

// reverseWhy reads a reversal's why (the widget's: the shopper removed the reward, the store
// refused its coupon, the cart outgrew it, or a reversal owed is made now), for the funnel.
// None is a reversal whose why is not told (a drop-in client's): counted as a reversal only.
func reverseWhy(why string) (funnelStep, *HTTPError) {
	switch why {
	case "":
		return stepReverse, nil
	case "removed":
		return stepRemoved, nil
	case "refused":
		return stepRefused, nil
	case "outgrown":
		return stepOutgrown, nil
	case "owed":
		return stepSettled, nil
	}
	return 0, badRequest(CodeBadRequest, "why %q is not one of removed, refused, outgrown, owed (or none): nothing was reversed.", why)
}

// owedLater says whether a reversal answered status is one the widget keeps and makes later:
// no answer, the platform or the BFF away or busy (the widget's retryable, but a 401, which
// it retries at once after signing in again).
func owedLater(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// locale is the answer's language: ?lang=, then Accept-Language, then the tenant's.
func (s *Server) locale(x *exchange) string {
	return s.locales.pick(x.query("lang"), x.header("Accept-Language"), x.t.cfg.Locale)
}
