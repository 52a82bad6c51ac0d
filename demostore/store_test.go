package demostore

// Over 400 lines: the orderForm's rules over real HTTP, one test per rule, sharing the store
// and sandbox started here.

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	t       *testing.T
	store   *httptest.Server
	sandbox *httptest.Server
	client  *http.Client
	token   string // ana's SecureToken at the sandbox
}

func newEnv(t *testing.T) *env {
	sb, err := sandbox.New(sandbox.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewServer(sb)
	t.Cleanup(sbSrv.Close)
	st := httptest.NewServer(New(Options{BFFURL: "http://bff.test:8080/", SandboxURL: sbSrv.URL, Logger: quiet}))
	t.Cleanup(st.Close)
	jar, _ := cookiejar.New(nil)
	e := &env{t: t, store: st, sandbox: sbSrv, client: &http.Client{Jar: jar}}
	var login struct{ Item struct{ SecureToken string } }
	e.sandboxCall("POST", "/pub/widget/vendors/vtex/securelogin", "", `{"sessionToken":"ana","segmentToken":"x"}`, &login)
	e.token = login.Item.SecureToken
	return e
}

func (e *env) sandboxCall(method, path, token, body string, out any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.sandbox.URL+path, strings.NewReader(body))
	req.Header.Set("X-Bq-Tenant", "demo")
	req.Header.Set("X-Bq-SecureToken", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		e.t.Fatal(err)
	}
}

// coupon redeems a reward at the sandbox and returns its coupon and redemption id.
func (e *env) coupon(rewardID string) (string, float64) {
	var r struct {
		Item struct {
			CouponCode string
			Reward     struct{ RedeemedId float64 }
		}
	}
	e.sandboxCall("POST", "/pub/widget/rewards/redeem/"+rewardID, e.token, "", &r)
	return r.Item.CouponCode, r.Item.Reward.RedeemedId
}

func (e *env) call(method, path, body string) (int, orderForm) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.store.URL+path, strings.NewReader(body))
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var of orderForm
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &of)
	return res.StatusCode, of
}

func total(of orderForm, id string) int64 {
	for _, t := range of.Totalizers {
		if t.ID == id {
			return t.Value
		}
	}
	return 0
}

func TestOrderFormAndCoupons(t *testing.T) {
	e := newEnv(t)
	_, of := e.call("GET", "/api/checkout/pub/orderForm", "")
	if of.OrderFormID == "" || of.Value != 9980 || total(of, "Items") != 9980 || of.MarketingData != nil {
		t.Fatalf("new cart %+v", of)
	}
	_, again := e.call("GET", "/api/checkout/pub/orderForm", "")
	if again.OrderFormID != of.OrderFormID {
		t.Fatal("the cart cookie did not keep the cart")
	}
	coupons := "/api/checkout/pub/orderForm/" + of.OrderFormID + "/coupons"

	pct, _ := e.coupon("302") // 10%
	_, of = e.call("POST", coupons, `{"text":"`+pct+`"}`)
	if of.Value != 8982 || total(of, "Discounts") != -998 || of.MarketingData == nil || of.MarketingData.Coupon != pct {
		t.Fatalf("10%% coupon: %+v", of)
	}
	fixed, fixedID := e.coupon("303") // R$ 50,00
	_, of = e.call("POST", coupons, `{"text":"`+fixed+`"}`)
	if of.Value != 4980 {
		t.Fatalf("R$ 50 coupon: %d", of.Value)
	}
	// Take everything out but the socks: the fixed discount is capped at the items total.
	_, of = e.call("POST", "/api/checkout/pub/orderForm/"+of.OrderFormID+"/items/update", `{"orderItems":[{"index":0,"quantity":0},{"index":1,"quantity":0},{"index":2,"quantity":1}]}`)
	if total(of, "Items") != 1990 || of.Value != 0 {
		t.Fatalf("capped discount: %+v", of)
	}
	_, of = e.call("POST", coupons, `{"text":"not-a-coupon"}`)
	if of.MarketingData == nil || of.MarketingData.Coupon != fixed || len(of.Messages) != 1 || !strings.Contains(of.Messages[0].Text, "inválido") {
		t.Fatalf("unknown coupon: %+v", of)
	}
	// A reversed redemption's coupon is no longer accepted.
	var rev any
	e.sandboxCall("POST", "/pub/widget/rewards/checkout/"+jsonNum(fixedID)+"/reverse", e.token, "", &rev)
	_, of = e.call("POST", coupons, `{"text":"`+fixed+`"}`)
	if len(of.Messages) != 1 {
		t.Fatalf("reversed coupon accepted: %+v", of)
	}
	_, of = e.call("POST", coupons, `{"text":""}`)
	if of.MarketingData != nil || of.Value != 1990 {
		t.Fatalf("coupon removal: %+v", of)
	}
	for _, body := range []string{`{"orderItems":[{"index":9,"quantity":1}]}`, `{"orderItems":[{"index":0,"quantity":-1}]}`, `{`} {
		if status, _ := e.call("POST", "/api/checkout/pub/orderForm/"+of.OrderFormID+"/items/update", body); status != 400 {
			t.Fatalf("%s: %d", body, status)
		}
	}
	if status, _ := e.call("POST", "/api/checkout/pub/orderForm/nope/coupons", `{"text":""}`); status != 404 {
		t.Fatalf("unknown cart: %d", status)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestFinishTellsTheSandboxAndStartsANewCart(t *testing.T) {
	e := newEnv(t)
	_, of := e.call("GET", "/api/checkout/pub/orderForm", "")
	code, id := e.coupon("301")
	// Tie the redemption to this cart, as the widget does with OriginalId.
	var used any
	e.sandboxCall("POST", "/pub/widget/rewardredeemed/checkout/redeem/"+jsonNum(id), e.token, `{"OriginalId":"`+of.OrderFormID+`"}`, &used)
	e.call("POST", "/api/checkout/pub/orderForm/"+of.OrderFormID+"/coupons", `{"text":"`+code+`"}`)
	req, _ := http.NewRequest("POST", e.store.URL+"/api/checkout/pub/orderForm/"+of.OrderFormID+"/finish", nil)
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var done struct {
		Total     int64     `json:"total"`
		OrderForm orderForm `json:"orderForm"`
	}
	_ = json.NewDecoder(res.Body).Decode(&done)
	res.Body.Close()
	if done.Total != 8980 || done.OrderForm.OrderFormID == of.OrderFormID || done.OrderForm.MarketingData != nil {
		t.Fatalf("finish: %+v", done)
	}
	var v struct {
		Item struct{ Redemptions []struct{ State string } }
	}
	e.sandboxCall("GET", "/_sandbox/tenants/demo/shoppers/ana@example.com", "", "", &v)
	if len(v.Item.Redemptions) != 1 || v.Item.Redemptions[0].State != "used" {
		t.Fatalf("sandbox not told: %+v", v)
	}
	if _, next := e.call("GET", "/api/checkout/pub/orderForm", ""); next.OrderFormID != done.OrderForm.OrderFormID {
		t.Fatal("the browser did not get the new cart")
	}
}

func TestPageShopperCookiesAndCSP(t *testing.T) {
	e := newEnv(t)
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := e.client.Get(e.store.URL + "/?shopper=ana")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cookies := map[string]*http.Cookie{}
	for _, c := range res.Cookies() {
		cookies[c.Name] = c
	}
	if c := cookies["vtex_session"]; c == nil || c.Value != "ana" || c.HttpOnly {
		t.Fatalf("vtex_session %+v", c)
	}
	seg, _ := base64.StdEncoding.DecodeString(cookies["vtex_segment"].Value)
	if !strings.Contains(string(seg), `"cultureInfo":"pt-BR"`) || !strings.Contains(string(seg), `"currencyCode":"BRL"`) {
		t.Fatalf("vtex_segment %s", seg)
	}
	res, err = e.client.Get(e.store.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' http://bff.test:8080;") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	for _, want := range []string{`src="http://bff.test:8080/widget.js" data-tenant="demo" data-platform="vtex" async`, `data-cart-total`, `data-cart-coupon`, `Olá, Ana Souza`, `id="loyalty-widget"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestJoinPage: /fidelidade, where the demo tenant's "Participar" leads, is a page of the store
// that names the programme (from the sandbox's seed), says how to join, and carries no widget.
func TestJoinPage(t *testing.T) {
	e := newEnv(t)
	res, err := e.client.Get(e.store.URL + "/fidelidade?shopper=carla")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("%s, CSP %q", res.Status, res.Header.Get("Content-Security-Policy"))
	}
	for _, want := range []string{`<h1 id="join-title">Como participar do Clube Demo</h1>`, `Como se cadastrar`, `Olá, Carla Dias`, `href="/">Voltar ao carrinho`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("join page lacks %s", want)
		}
	}
	if strings.Contains(string(page), "widget.js") {
		t.Error("the join page loads the widget")
	}
}

func TestCartCookieIsHttpOnly(t *testing.T) {
	e := newEnv(t)
	res, err := http.Get(e.store.URL + "/api/checkout/pub/orderForm")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var found *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == cartCookie {
			found = c
		}
	}
	if found == nil || !found.HttpOnly || !strings.HasPrefix(found.Value, "__ofid=") {
		t.Fatalf("checkout cookie %+v: it must be HttpOnly, as VTEX's", found)
	}
}

// TestCouponRefusalAndStoreCoupons: the store refuses a loyalty coupon as VTEX does (200, the
// coupon absent from marketingData, the reason in messages[]) while the switch is on, and a
// shopper can type the store's own coupon.
func TestCouponRefusalAndStoreCoupons(t *testing.T) {
	e := newEnv(t)
	_, of := e.call("GET", "/api/checkout/pub/orderForm", "")
	coupons := "/api/checkout/pub/orderForm/" + of.OrderFormID + "/coupons"
	const why = "A promoção deste cupom ainda não começou."
	if status, _ := e.call("PUT", "/_demo/coupon-refusal", `{"message":""}`); status != 400 {
		t.Fatalf("empty refusal message: %d", status)
	}
	if status, _ := e.call("PUT", "/_demo/coupon-refusal", `{"message":"`+why+`"}`); status != 204 {
		t.Fatalf("refusal switch: %d", status)
	}
	code, _ := e.coupon("302")
	status, of := e.call("POST", coupons, `{"text":"`+code+`"}`)
	if status != 200 || of.MarketingData != nil || of.Value != 9980 || len(of.Messages) != 1 || of.Messages[0].Text != why || of.Messages[0].Status != "error" {
		t.Fatalf("refused coupon: %d %+v", status, of)
	}
	// The store's own coupon is not the loyalty programme's: the switch does not touch it.
	_, of = e.call("POST", coupons, `{"text":"bemvindo10"}`)
	if of.MarketingData == nil || of.MarketingData.Coupon != "BEMVINDO10" || of.Value != 8982 {
		t.Fatalf("store coupon: %+v", of)
	}
	if status, _ := e.call("DELETE", "/_demo/coupon-refusal", ""); status != 204 {
		t.Fatalf("refusal off: %d", status)
	}
	_, of = e.call("POST", coupons, `{"text":"`+code+`"}`)
	if of.MarketingData == nil || of.MarketingData.Coupon != code || len(of.Messages) != 0 {
		t.Fatalf("accepted again: %+v", of)
	}
}

// vtexjsSections is what vtex.js asks for by default (its _allOrderFormSections).
const vtexjsSections = `["items","totalizers","clientProfileData","shippingData","paymentData","sellers","messages","marketingData","clientPreferencesData","storePreferencesData","giftRegistryData","ratesAndBenefitsData","openTextField","commercialConditionData","customData"]`

// TestEveryCallOfTheRealVtexJS replays the requests the real vtex.js (vtex/vtex.js,
// src/checkout.coffee) makes, URLs and bodies as it builds them: the demo's cart must answer
// them all, so that the real library can drive it.
func TestEveryCallOfTheRealVtexJS(t *testing.T) {
	e := newEnv(t)
	withSections := func(body string) string {
		return strings.TrimSuffix(body, "}") + `,"expectedOrderFormSections":` + vtexjsSections + "}"
	}
	// getOrderForm before it knows the cart (the checkout cookie is HttpOnly): the bare path.
	status, of := e.call("POST", "/api/checkout/pub/orderForm?refreshOutdatedData=true", `{"expectedOrderFormSections":`+vtexjsSections+`}`)
	if status != 200 || of.OrderFormID == "" {
		t.Fatalf("getOrderForm: %d %+v", status, of)
	}
	id := of.OrderFormID
	base := "/api/checkout/pub/orderForm/" + id
	// Every section it asks for is in the answer (null when empty, as on VTEX).
	res, err := e.client.Post(e.store.URL+base+"?refreshOutdatedData=true", "application/json; charset=utf-8", strings.NewReader(`{"expectedOrderFormSections":`+vtexjsSections+`}`))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	_ = json.NewDecoder(res.Body).Decode(&raw)
	res.Body.Close()
	var sections []string
	_ = json.Unmarshal([]byte(vtexjsSections), &sections)
	for _, s := range sections {
		if _, ok := raw[s]; !ok {
			t.Errorf("the orderForm lacks the section %q", s)
		}
	}
	if string(raw["orderFormId"]) != `"`+id+`"` {
		t.Fatalf("getOrderForm with the id answered %s", raw["orderFormId"])
	}
	for _, c := range []struct {
		name, path, body string
		check            func(orderForm) bool
	}{
		{"updateItems", "/items/update/", withSections(`{"orderItems":[{"index":2,"quantity":2}],"noSplitItem":false}`),
			func(of orderForm) bool { return of.Items[2].Quantity == 2 }},
		{"addToCart", "/items", withSections(`{"orderItems":[{"id":"3","quantity":1,"seller":"1"}]}`),
			func(of orderForm) bool { return of.Items[2].Quantity == 3 }},
		{"addDiscountCoupon", "/coupons", withSections(`{"text":"BEMVINDO10"}`),
			func(of orderForm) bool {
				return of.MarketingData != nil && of.MarketingData.Coupon == "BEMVINDO10" && len(of.RatesAndBenefitsData.RateAndBenefitsIdentifiers) == 1
			}},
		{"sendAttachment", "/attachments/clientProfileData", withSections(`{"email":"ana@example.com"}`),
			func(of orderForm) bool { return of.OrderFormID == id }},
		{"removeDiscountCoupon", "/coupons", withSections(`{"text":""}`),
			func(of orderForm) bool {
				return of.MarketingData == nil && len(of.RatesAndBenefitsData.RateAndBenefitsIdentifiers) == 0
			}},
		{"clearMessages", "/messages/clear", `{"expectedOrderFormSections":` + vtexjsSections + `}`,
			func(of orderForm) bool { return of.OrderFormID == id }},
	} {
		status, of := e.call("POST", base+c.path, c.body)
		if status != 200 || !c.check(of) {
			t.Errorf("%s (POST %s): %d %+v", c.name, c.path, status, of)
		}
	}
	if status, _ := e.call("POST", "/api/checkout/pub/orderForm/nope/items/update/", `{"orderItems":[]}`); status != 404 {
		t.Fatalf("unknown cart: %d", status)
	}
	if status, of := e.call("POST", base+"/items", `{"orderItems":[{"id":"99","quantity":1}]}`); status != 200 || len(of.Messages) != 1 {
		t.Fatalf("unknown item: %d %+v", status, of.Messages)
	}
}

// TestCheckout6CustomJS: the store's checkout6-custom.js carries the widget's address and the
// tenant as JavaScript strings, and the /checkout/ page loads it and has no mount point of its
// own (the script makes it, as on VTEX).
func TestCheckout6CustomJS(t *testing.T) {
	e := newEnv(t)
	res, err := e.client.Get(e.store.URL + "/files/checkout6-custom.js")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(string(js), `var WIDGET = "http://bff.test:8080/widget.js";`) || !strings.Contains(string(js), `var TENANT = "demo";`) {
		t.Fatalf("checkout6-custom.js: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), js)
	}
	res, err = e.client.Get(e.store.URL + "/checkout/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`<script src="/files/checkout6-custom.js"></script>`, `summary-template-holder`, `data-spa`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("/checkout/ lacks %s", want)
		}
	}
	if strings.Contains(string(page), `id="loyalty-widget"`) || strings.Contains(string(page), "bff.test:8080/widget.js") {
		t.Error("/checkout/ has the widget's mount point or tag itself: checkout6-custom.js must make them")
	}
}

// finishCart places the order of the browser's cart and returns the store's answer.
func (e *env) finishCart(id string) (orderID string, total int64, dropped string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.store.URL+"/api/checkout/pub/orderForm/"+id+"/finish", nil)
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var done struct {
		OrderID string `json:"orderId"`
		Total   int64  `json:"total"`
		Dropped string `json:"dropped"`
	}
	if err := json.NewDecoder(res.Body).Decode(&done); err != nil {
		e.t.Fatal(err)
	}
	return done.OrderID, done.Total, done.Dropped
}

// A loyalty coupon's promotion has the reward's minimum purchase, as a VTEX promotion with a
// minimum order value: refused below it, no discount once the cart falls below it (the coupon
// stays, with a message), the discount back when the cart reaches it again, and an order
// placed below it gets no discount and is not reported as using the redemption.
func TestLoyaltyCouponKeepsItsMinimumPurchase(t *testing.T) {
	e := newEnv(t)
	_, of := e.call("GET", "/api/checkout/pub/orderForm", "")
	items := "/api/checkout/pub/orderForm/" + of.OrderFormID + "/items/update"
	coupons := "/api/checkout/pub/orderForm/" + of.OrderFormID + "/coupons"
	code, _ := e.coupon("301")                                                 // R$ 10,00 from R$ 50,00
	_, of = e.call("POST", items, `{"orderItems":[{"index":0,"quantity":0}]}`) // the mug alone: R$ 39,90
	_, of = e.call("POST", coupons, `{"text":"`+code+`"}`)
	if of.MarketingData != nil || of.Value != 3990 || len(of.Messages) != 1 || !strings.Contains(of.Messages[0].Text, "R$ 50,00") {
		t.Fatalf("below the minimum the coupon got in: %+v", of)
	}
	_, of = e.call("POST", items, `{"orderItems":[{"index":0,"quantity":1}]}`) // R$ 99,80
	_, of = e.call("POST", coupons, `{"text":"`+code+`"}`)
	if of.Value != 8980 || len(of.RatesAndBenefitsData.RateAndBenefitsIdentifiers) != 1 {
		t.Fatalf("at R$ 99,80: %+v", of)
	}
	_, of = e.call("POST", items, `{"orderItems":[{"index":0,"quantity":0}]}`)
	if of.Value != 3990 || of.MarketingData == nil || of.MarketingData.Coupon != code ||
		len(of.RatesAndBenefitsData.RateAndBenefitsIdentifiers) != 0 || len(of.Messages) != 1 || of.Messages[0].Status != "warning" {
		t.Fatalf("fallen below the minimum the discount stayed: %+v", of)
	}
	_, of = e.call("POST", items, `{"orderItems":[{"index":0,"quantity":1}]}`)
	if of.Value != 8980 {
		t.Fatalf("back over the minimum: %d", of.Value)
	}
	_, of = e.call("POST", items, `{"orderItems":[{"index":0,"quantity":0}]}`)
	if _, total, dropped := e.finishCart(of.OrderFormID); total != 3990 || !strings.Contains(dropped, "R$ 50,00") {
		t.Fatalf("an order below the minimum: total %d, dropped %q", total, dropped)
	}
	var v struct {
		Item struct{ Redemptions []struct{ State string } }
	}
	e.sandboxCall("GET", "/_sandbox/tenants/demo/shoppers/ana@example.com", "", "", &v)
	if len(v.Item.Redemptions) != 1 || v.Item.Redemptions[0].State != "active" {
		t.Fatalf("an order that got no discount used the redemption: %+v", v)
	}
}

// A loyalty coupon is single use: the second cart's order gets no discount from it, and no
// cart takes it once an order used it; the order is reported with its coupon.
func TestLoyaltyCouponIsSingleUse(t *testing.T) {
	a, b := newEnv(t), (*env)(nil)
	jar, _ := cookiejar.New(nil)
	b = &env{t: t, store: a.store, sandbox: a.sandbox, client: &http.Client{Jar: jar}, token: a.token}
	code, _ := a.coupon("302")
	_, ofA := a.call("GET", "/api/checkout/pub/orderForm", "")
	_, ofB := b.call("GET", "/api/checkout/pub/orderForm", "")
	a.call("POST", "/api/checkout/pub/orderForm/"+ofA.OrderFormID+"/coupons", `{"text":"`+code+`"}`)
	_, ofB = b.call("POST", "/api/checkout/pub/orderForm/"+ofB.OrderFormID+"/coupons", `{"text":"`+code+`"}`)
	if ofB.Value != 8982 {
		t.Fatalf("cart B: %+v", ofB)
	}
	orderA, totalA, _ := a.finishCart(ofA.OrderFormID)
	if totalA != 8982 {
		t.Fatalf("order A: %d", totalA)
	}
	if _, totalB, dropped := b.finishCart(ofB.OrderFormID); totalB != 9980 || !strings.Contains(dropped, orderA) {
		t.Fatalf("order B with a used coupon: total %d, dropped %q", totalB, dropped)
	}
	_, ofC := b.call("GET", "/api/checkout/pub/orderForm", "")
	_, ofC = b.call("POST", "/api/checkout/pub/orderForm/"+ofC.OrderFormID+"/coupons", `{"text":"`+code+`"}`)
	if ofC.MarketingData != nil || len(ofC.Messages) != 1 || !strings.Contains(ofC.Messages[0].Text, "já foi usado") {
		t.Fatalf("a used coupon got into a new cart: %+v", ofC)
	}
	res, err := http.Get(a.store.URL + "/_demo/orders")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var orders []Order
	_ = json.NewDecoder(res.Body).Decode(&orders)
	if len(orders) != 2 || orders[0].Coupon != code || orders[0].Discount != 9.98 || orders[1].Coupon != "" || orders[1].Discount != 0 {
		t.Fatalf("orders %+v", orders)
	}
	var v struct {
		Item struct{ Redemptions []struct{ State string } }
	}
	a.sandboxCall("GET", "/_sandbox/tenants/demo/shoppers/ana@example.com", "", "", &v)
	if len(v.Item.Redemptions) != 1 || v.Item.Redemptions[0].State != "used" {
		t.Fatalf("the order's coupon was not reported: %+v", v)
	}
}
