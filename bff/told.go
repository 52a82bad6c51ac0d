package bff

import "github.com/loyalty-checkout/bff-widget/bff/platform"

// What the widget tells the BFF of the page, the one place that sees the store's cart: an order
// placed, a coupon confirmed in the cart. No platform call is made for either.

// orderPlaced hears from the widget that the shopper's order was placed at the store (VTEX's
// orderPlaced step, or the integrator's LoyaltyWidget.orderPlaced): the store's order
// integration tells the platform, which no longer offers the redemption that order used, so
// what every replica kept for the shopper is dropped, and the shopper's other carts (another
// tab, another device) see the platform's word at their next look instead of a copy that still
// offers it. No platform call is made. Body: {"CheckoutCode": the cart's id} (required).
func (s *Server) orderPlaced(x *exchange) error {
	cart, herr := cartBody(x.body(), "CheckoutCode")
	if herr != nil {
		return herr
	}
	if cart == "" {
		return badRequest(CodeBadRequest, "CheckoutCode is required: the id of the cart whose order was placed.")
	}
	s.dropShopper(x.ctx(), x.sess.shopper)
	if s.metrics.once(x.t.cfg.Key, "o", platform.Number(cart)) {
		s.metrics.funnel(x.t.cfg.Key, stepOrder)
	}
	return x.noContent()
}

// couponApplied hears from the widget that the store's cart holds the coupon of the shopper's
// redemption: the coupon confirmed in the cart, a step of the funnel only the page sees. No
// platform call is made, nothing is dropped. Body: {"CheckoutCode": the cart's id, "CouponCode":
// the coupon} (both required); a cart and coupon are counted once.
func (s *Server) couponApplied(x *exchange) error {
	m, herr := jsonObject(x.body())
	if herr != nil {
		return herr
	}
	cart, herr := stringField(m, "CheckoutCode", 128)
	if herr == nil {
		herr = cartParam("CheckoutCode", cart)
	}
	if herr != nil {
		return herr
	}
	coupon, herr := stringField(m, "CouponCode", 128)
	if herr != nil {
		return herr
	}
	if cart == "" || coupon == "" {
		return badRequest(CodeBadRequest, "CheckoutCode and CouponCode are required: the id of the cart and the coupon it holds.")
	}
	if s.metrics.once(x.t.cfg.Key, "a", platform.Number(cart+"\x00"+coupon)) {
		s.metrics.funnel(x.t.cfg.Key, stepConfirmed)
	}
	return x.noContent()
}
