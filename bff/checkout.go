package bff

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// CheckoutView is the Item of GET /bff/v1/checkout: everything the widget shows, in one round
// trip. A part the platform could not give is null, named in Missing, and explained in
// Problems; the parts that worked are still there.
type CheckoutView struct {
	ProgramName   any            `json:"ProgramName"`
	PointsBalance any            `json:"PointsBalance"`
	Rewards       any            `json:"Rewards"`  // endpoint 2's Item: every reward, annotated
	Redeemed      any            `json:"Redeemed"` // endpoint 3's Item: redeemed, unused rewards
	Applied       any            `json:"Applied"`  // endpoint 6's Item for checkoutCode, or null
	Missing       []string       `json:"Missing"`
	Problems      map[string]any `json:"Problems"`
	// Currency is the tenant's ISO 4217 code: the widget prints its amounts in it, so they
	// agree with the amounts in the BFF's messages.
	Currency string `json:"Currency"`
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

// part is one of the answers the view is made of.
type part struct {
	name  string
	fetch func(context.Context) (upstreamReply, *HTTPError)
	env   map[string]any
	err   *HTTPError
}

// checkout asks the platform for the listing, the redeemed rewards and the cart's applied
// reward at once, and answers with what came back.
func (s *Server) checkout(c *fiber.Ctx) error {
	t, sess := callOf(c)
	pv, _, herr := purchaseParam(c, true)
	if herr != nil {
		return herr
	}
	cart := strings.Clone(c.Query("checkoutCode"))
	if herr := cartParam("checkoutCode", cart); herr != nil {
		return herr
	}
	parts := []*part{
		{name: partRewards, fetch: func(ctx context.Context) (upstreamReply, *HTTPError) { return s.available(ctx, t, sess, pv, cart) }},
		{name: partRedeemed, fetch: func(ctx context.Context) (upstreamReply, *HTTPError) { return s.redeemedList(ctx, t, sess, pv, cart) }},
	}
	if cart != "" {
		parts = append(parts, &part{name: partApplied, fetch: func(ctx context.Context) (upstreamReply, *HTTPError) {
			body, _ := json.Marshal(map[string]string{"CheckoutCode": cart})
			return s.call(ctx, t, upstreamCall{method: "POST", url: t.base + "/pub/widget/rewards/checkout", token: sess.upstreamToken, body: body})
		}})
	}
	ctx := c.UserContext()
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Go(func() { p.env, p.err = partResult(p.fetch(ctx)) })
	}
	wg.Wait()

	view := CheckoutView{Missing: []string{}, Problems: map[string]any{}, Currency: t.cfg.Currency}
	locale := s.locale(c, t)
	var firstErr *HTTPError
	for _, p := range parts {
		if p.err != nil {
			if p.err.Code == http.StatusUnauthorized {
				return p.err // the session is over: the widget must sign in again
			}
			if firstErr == nil {
				firstErr = p.err
			}
			view.Missing = append(view.Missing, p.name)
			view.Problems[p.name] = Problem{Status: p.err.Code, ErrorCode: p.err.ErrorCode, Message: p.err.Msg}
			continue
		}
		item := p.env["Item"]
		t.msgs.annotate(item, locale)
		switch p.name {
		case partRewards:
			view.Rewards = item
		case partRedeemed:
			view.Redeemed = item
		case partApplied:
			view.Applied = item
		}
		if view.ProgramName == nil && p.env["ProgramName"] != nil {
			view.ProgramName = p.env["ProgramName"]
		}
		if view.PointsBalance == nil && p.env["PointsBalance"] != nil {
			view.PointsBalance = p.env["PointsBalance"]
		}
	}
	if len(view.Missing) == len(parts) {
		return firstErr
	}
	fillRedeemedID(view.Applied, view.Redeemed)
	return c.JSON(fiber.Map{"HasError": false, "Message": nil, "Item": view})
}

// partResult turns an upstream answer into a decoded envelope, or into the error it carries.
func partResult(r upstreamReply, herr *HTTPError) (map[string]any, *HTTPError) {
	if herr != nil {
		return nil, herr
	}
	env, herr := decodeEnvelope(r)
	if herr != nil {
		return nil, herr
	}
	if r.status >= 400 || env["HasError"] == true {
		msg, _ := env["Message"].(string)
		status := r.status
		if status < 400 {
			status = http.StatusBadGateway
		}
		return nil, &HTTPError{Code: status, ErrorCode: upstreamErrorCode(r.status), Msg: msg}
	}
	return env, nil
}

// fillRedeemedID gives the applied reward its RedeemedId (needed to remove it) from the
// redeemed list when the platform's applied state leaves it out, as its documentation shows.
func fillRedeemedID(applied, redeemed any) {
	a, _ := applied.(map[string]any)
	reward, _ := a["Reward"].(map[string]any)
	if reward == nil || reward["RedeemedId"] != nil {
		return
	}
	list, _ := redeemed.([]any)
	for _, e := range list {
		if r, _ := e.(map[string]any); r != nil && r["Id"] == reward["Id"] && r["RedeemedId"] != nil {
			reward["RedeemedId"] = r["RedeemedId"]
			return
		}
	}
}
