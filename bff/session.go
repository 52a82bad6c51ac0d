package bff

import (
	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// newSession answers POST /bff/v1/session: the secure login and the checkout view in one
// exchange, so a shopper's first visit costs the widget one call (and one preflight, cached by
// the browser for as long as it allows).
//
//	POST /bff/v1/session?purchaseValue=X&checkoutCode=Y[&lang=]
//	X-Bq-Tenant: KEY
//	{"platform": "vtex", "sessionToken": "...", "segmentToken": "..."}
//
// answers
//
//	{"HasError": false, "Message": null, "Item": {
//	  "Session": <the login's Item, the BFF's token in SecureToken, with ExpiresAt>,
//	  "View": <the Item of GET /bff/v1/checkout for the same query>, or null,
//	  "ViewError": null, or {"Status", "ErrorCode", "Message"} when the view could not be had,
//	  "Words": the widget's sentences in the answer's language (widgetWords), which the widget
//	  keeps with the token for this tab: its bundle carries no words but one}}
//
// The view goes through the cache like any other: the session itself is never cached. A
// refused login is passed on as the platform's securelogin refuses it.
func (s *Server) newSession(x *exchange) error {
	pv, cart, coupon, hinted, herr := viewInput(x) // checked before anything reaches the platform
	if herr != nil {
		return herr
	}
	fields, herr := jsonObject(x.body())
	if herr != nil {
		return herr
	}
	vendor, herr := stringField(fields, "platform", 32)
	if herr != nil {
		return herr
	}
	if vendor == "" {
		return badRequest(CodeBadRequest, "platform is required: the storefront platform's name for the secure login, such as vtex or magazord.")
	}
	item, sess, refused, herr := s.signIn(x.ctx(), x.t, s.clientAddr(x), vendor, x.body())
	if herr != nil {
		return herr
	}
	if refused != nil {
		return x.send(refused.status, refused.body)
	}
	loginJSON, err := platform.Marshal(item)
	if err != nil {
		return badAnswer(err)
	}
	locale := s.locale(x)
	v := variant{route: 'V', cents: pv, cart: cloneString(cart), locale: locale, coupon: cloneString(coupon), hinted: hinted}
	view, herr := s.answerFor(x.ctx(), sess.shopper, s.generation(x.ctx(), sess.shopper), v, s.viewBuilder(x.t, sess, v))
	if herr == nil {
		s.countView(x.t.cfg.Key, view)
	}
	words := x.t.msgs.words[locale] // locale is one of locales: the tenant's is validated
	b := make([]byte, 0, len(loginJSON)+len(words)+4096)
	b = append(b, `{"HasError":false,"Message":null,"Item":{"Session":`...)
	b = append(b, loginJSON...)
	b = append(b, `,"View":`...)
	var problem *Problem
	switch item, ok := []byte(nil), false; {
	case herr != nil:
		problem = &Problem{Status: herr.Code, ErrorCode: herr.ErrorCode, Message: herr.Msg}
	default:
		if item, ok = viewItem(view.body.raw); !ok {
			problem = &Problem{Status: 500, ErrorCode: CodeInternal, Message: "Internal error."}
		} else {
			b = append(b, item...)
		}
	}
	if problem != nil {
		p, _ := platform.Marshal(problem)
		b = append(b, `null,"ViewError":`...)
		b = append(b, p...)
	} else {
		b = append(b, `,"ViewError":null`...)
	}
	b = append(b, `,"Words":`...)
	b = append(b, words...)
	b = append(b, "}}"...)
	return x.send(200, newPayload(b, s.o.CompressMinBytes))
}
