// Package demostore is a small VTEX-like store for trying the product and testing it in a real
// browser: a checkout page (items, subtotal, discount, total, a shopper switcher, quantity
// buttons and the widget's real script tag), an orderForm API shaped like VTEX's checkout API,
// and a vtexjs.checkout stand-in, so the widget's vtex adapter runs unchanged. Coupons are
// looked up in the loyalty sandbox, so a redeemed reward gives its real discount.
package demostore

// Over 400 lines: the store is one VTEX-like orderForm and the routes that change it (items,
// coupons and their refusals, orders, the pages); each route must keep the same orderForm
// rules, so they read together.

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
)

//go:embed static
var static embed.FS

// pages are the checkout pages (index.html: VTEX-like, also mounted by checkout6-custom.js and
// by the integrator's code; magazord.html: a Magazord theme's cart page) and the store's
// checkout6-custom.js, VTEX's one way into its checkout.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"json": func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
}).ParseFS(static, "static/*.html"))

var checkout6 = texttemplate.Must(texttemplate.ParseFS(static, "static/checkout6-custom.js"))

// Options configures the store.
type Options struct {
	// BFFURL is the BFF's public base URL: the widget's script tag and the CSP point at it.
	BFFURL string
	// SandboxURL is the loyalty sandbox, for the shopper list and coupon look-ups.
	SandboxURL string
	// Tenant is the store's key at the BFF and the sandbox. Default "demo".
	Tenant string
	// Client calls the sandbox. Default: a client with a 3-second timeout.
	Client *http.Client
	Logger *slog.Logger
}

// product is one line of the catalogue; prices are cents, as VTEX's.
type product struct {
	ID    string
	Name  string
	Price int64
}

var catalogue = []product{
	{"1", "Camiseta Básica", 5990},
	{"2", "Caneca Esmaltada", 3990},
	{"3", "Meia Divertida", 1990},
}

// initialQuantities: a new cart holds a T-shirt and a mug (R$ 99,80).
var initialQuantities = []int{1, 1, 0}

// storeCoupon is one of the store's own promotions, not the loyalty programme's: a shopper
// types it into the coupon field, and the widget must never take it out.
type storeCoupon struct {
	kind  int // as a reward's type: 0 percent, 1 fixed
	value float64
}

// StoreCoupons are the demo store's own coupon codes.
var StoreCoupons = map[string]storeCoupon{"BEMVINDO10": {kind: 0, value: 10}}

type cart struct {
	id       string
	qty      []int
	coupon   string
	kind     int     // the coupon's reward type: 0 percent, 1 fixed, 3 cashback
	value    float64 // percent, or amount in currency
	minimum  int64   // the coupon's promotion gives nothing below this items total (cents)
	loyalty  bool    // the coupon is the loyalty programme's (single use), not the store's own
	finished bool
}

// Order is a placed order, as GET /_demo/orders lists them (demo only: what the tests check
// the loyalty books against).
type Order struct {
	OrderID  string  `json:"orderId"`
	CartID   string  `json:"cartId"`
	Coupon   string  `json:"coupon"`   // the coupon that gave the discount, "" when none did
	Discount float64 `json:"discount"` // in currency units
	Total    float64 `json:"total"`
	// Dropped is a coupon the cart held that the store did not honour at the order (used by
	// another order, reversed meanwhile, or below its minimum), with why.
	Dropped string `json:"dropped,omitempty"`
}

// Store is the demo store; it is an http.Handler.
type Store struct {
	o      Options
	mux    *http.ServeMux
	mu     sync.Mutex
	carts  map[string]*cart
	seeded []seededShopper // the shopper switcher's list, once the sandbox gave it
	// programName is the loyalty programme's name, from the same answer of the sandbox.
	programName string
	// refusal, when set, is the message every loyalty coupon is refused with, as VTEX refuses a
	// coupon whose promotion is not active: 200, the coupon absent, the reason in messages[].
	refusal string
	// used are the loyalty coupons placed orders used, by coupon: each is single-use, as the
	// promotion the platform creates in the store for a redemption.
	used   map[string]string // coupon -> order id
	orders []Order
}

// New builds the store.
func New(o Options) *Store {
	if o.Tenant == "" {
		o.Tenant = "demo"
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 3 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.BFFURL = strings.TrimRight(o.BFFURL, "/")
	s := &Store{o: o, carts: map[string]*cart{}, used: map[string]string{}}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.page("vtex"))
	m.HandleFunc("GET /checkout/{$}", s.page("checkout6"))
	m.HandleFunc("GET /magazord", s.page("dom"))
	m.HandleFunc("GET /custom", s.page("custom"))
	m.HandleFunc("GET /fidelidade", s.page("join")) // the demo tenant's JoinURL (bff.DemoTenant)
	m.HandleFunc("GET /files/checkout6-custom.js", s.checkout6)
	m.Handle("GET /static/", http.FileServerFS(static))
	// Every call vtex.js makes to change this demo's cart (vtex/vtex.js, src/checkout.coffee):
	// getOrderForm is a POST with ?refreshOutdatedData=true, to the bare path until it knows
	// the cart's id; items/update/ has a trailing slash; bodies carry expectedOrderFormSections
	// (accepted; every section is answered).
	const of = "/api/checkout/pub/orderForm"
	m.HandleFunc("GET "+of, s.getOrderForm)
	m.HandleFunc("POST "+of, s.getOrderForm)
	m.HandleFunc("GET "+of+"/{id}", s.orderFormByID)
	m.HandleFunc("POST "+of+"/{id}", s.orderFormByID)
	m.HandleFunc("POST "+of+"/{id}/items", s.addItems)
	m.HandleFunc("POST "+of+"/{id}/items/update", s.updateItems)
	m.HandleFunc("POST "+of+"/{id}/items/update/", s.updateItems)
	m.HandleFunc("POST "+of+"/{id}/coupons", s.setCoupon)
	m.HandleFunc("POST "+of+"/{id}/attachments/{name}", s.attachment)
	m.HandleFunc("POST "+of+"/{id}/messages/clear", s.orderFormByID)
	m.HandleFunc("POST "+of+"/{id}/finish", s.finish)
	m.HandleFunc("PUT /_demo/coupon-refusal", s.setRefusal)
	m.HandleFunc("DELETE /_demo/coupon-refusal", s.setRefusal)
	m.HandleFunc("GET /_demo/orders", s.listOrders)
	s.mux = m
	return s
}

func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

// CSP is the Content-Security-Policy the checkout page is served with: strict (no inline
// script or style, no eval, Trusted Types required), with the BFF allowed for the widget's
// script and its calls. It is the policy a store must allow for the widget.
func (s *Store) CSP() string {
	bff := s.o.BFFURL
	if u, err := url.Parse(bff); err == nil {
		bff = u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; script-src 'self' " + bff + "; connect-src 'self' " + bff +
		"; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'"
}

type shopperLink struct {
	SessionToken, Name string
	Current            bool
}

// page serves the checkout page with the widget embedded for a platform: "vtex" (the
// script tag alone), "dom" (a theme's selectors, as on Magazord) or "custom" (mounted by
// static/custom.js with callbacks); or, for "join", the store's page on how to join the
// loyalty programme, where the widget's "Participar" leads (the demo tenant's JoinURL).
func (s *Store) page(platform string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.render(w, r, platform) }
}

func (s *Store) render(w http.ResponseWriter, r *http.Request, platform string) {
	if q := r.URL.Query(); q.Has("shopper") {
		s.switchShopper(w, q.Get("shopper"))
		q.Del("shopper")
		// The same page, on this site: a path never starts with "//" here (another host).
		to := "/" + strings.TrimLeft(r.URL.Path, "/")
		if len(q) > 0 {
			to += "?" + q.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther) //nolint:gosec // G710: the path is made local above
		return
	}
	ct := s.cartFor(w, r)
	current := ""
	if c, err := r.Cookie("vtex_session"); err == nil {
		current = c.Value
	}
	var links []shopperLink
	currentName := ""
	for _, sh := range s.shoppers() {
		links = append(links, shopperLink{SessionToken: sh.SessionToken, Name: sh.Name, Current: sh.SessionToken == current})
		if sh.SessionToken == current {
			currentName = sh.Name
		}
	}
	w.Header().Set("Content-Security-Policy", s.CSP())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	name := "index.html"
	switch platform {
	case "dom":
		name = "magazord.html"
	case "join":
		name = "fidelidade.html"
	}
	q := r.URL.Query()
	err := pages.ExecuteTemplate(w, name, map[string]any{
		"WidgetSrc": s.o.BFFURL + "/widget.js", "Tenant": s.o.Tenant, "Platform": platform, "CartID": ct.id,
		"Shoppers": links, "CurrentName": currentName, "Path": r.URL.Path, "Program": s.program(),
		// The custom page's demo knobs, for trying (and testing) what a tenant's settings give
		// before the BFF sends them: ?theme=demo, ?beacon=off.
		"Theme": demoThemes[q.Get("theme")], "Beacon": q.Get("beacon"),
	})
	if err != nil {
		s.o.Logger.Warn("demo page", "err", err)
	}
}

// switchShopper logs a seeded shopper in the way VTEX would: the vtex_session and
// vtex_segment cookies. An empty token logs out.
func (s *Store) switchShopper(w http.ResponseWriter, token string) {
	if token == "" {
		for _, n := range []string{"vtex_session", "vtex_segment", magazordSession} {
			http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteLaxMode}) //nolint:gosec // G124: as the storefront's own
		}
		return
	}
	segment, _ := json.Marshal(map[string]any{"channel": "1", "priceTables": nil, "regionId": nil, "utm_campaign": nil,
		"currencyCode": "BRL", "currencySymbol": "R$", "countryCode": "BRA", "cultureInfo": "pt-BR"})
	// Readable by scripts and not Secure on purpose: the demo runs on http://localhost, and the
	// widget reads the session as it does on the storefronts these cookies stand in for.
	http.SetCookie(w, &http.Cookie{Name: "vtex_session", Value: url.QueryEscape(token), Path: "/", SameSite: http.SameSiteLaxMode})                     //nolint:gosec // G124: see above
	http.SetCookie(w, &http.Cookie{Name: "vtex_segment", Value: base64.StdEncoding.EncodeToString(segment), Path: "/", SameSite: http.SameSiteLaxMode}) //nolint:gosec // G124: see above
	http.SetCookie(w, &http.Cookie{Name: magazordSession, Value: url.QueryEscape(token), Path: "/", SameSite: http.SameSiteLaxMode})                    //nolint:gosec // G124: see above
}

// magazordSession is where the Magazord page keeps the value the platform's magazord secure
// login takes. ASSUMED: Magazord documents no storefront session for third parties; the demo
// supposes the store exposes it in a cookie its scripts can read (see the README).
const magazordSession = "mgz_session"

// demoThemes are tenant themes for the demo's ?theme= knob, as the BFF will send them in the
// checkout view ("Theme"); the widget takes the same object as its theme option.
var demoThemes = map[string]map[string]string{
	"demo": {"Accent": "#0f766e", "AccentText": "#ffffff", "Radius": "14px", "Font": "Georgia, serif",
		"JoinURL": "https://loja.example/fidelidade/cadastro", "TermsURL": "https://loja.example/fidelidade/regulamento"},
}

// checkout6 serves the store's checkout6-custom.js, as VTEX serves the file a store writes in
// Admin > Checkout > Code: the script that creates the widget's mount point and tag.
func (s *Store) checkout6(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	js := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	if err := checkout6.Execute(w, map[string]string{"WidgetSrc": js(s.o.BFFURL + "/widget.js"), "Tenant": js(s.o.Tenant)}); err != nil {
		s.o.Logger.Warn("checkout6-custom.js", "err", err)
	}
}

type seededShopper struct {
	SessionToken string `json:"SessionToken"`
	Name         string `json:"Name"`
}

// shoppers is the tenant's seeded shoppers, asked of the sandbox until it answers once (its
// seed does not change while it runs); none while it cannot answer.
func (s *Store) shoppers() []seededShopper {
	s.mu.Lock()
	known := s.seeded
	s.mu.Unlock()
	if known != nil {
		return known
	}
	list, program := s.fetchShoppers()
	if list != nil {
		s.mu.Lock()
		s.seeded, s.programName = list, program
		s.mu.Unlock()
	}
	return list
}

// program is the loyalty programme's name as the sandbox's seed gives it ("" until the sandbox
// answered once).
func (s *Store) program() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.programName
}

func (s *Store) fetchShoppers() ([]seededShopper, string) {
	var env struct {
		Item []struct {
			Key         string          `json:"Key"`
			ProgramName string          `json:"ProgramName"`
			Shoppers    []seededShopper `json:"Shoppers"`
		} `json:"Item"`
	}
	if err := s.sandboxJSON("GET", "/_sandbox/tenants", nil, &env); err != nil {
		s.o.Logger.Warn("demo store: no shopper list", "err", err)
		return nil, ""
	}
	for _, t := range env.Item {
		if t.Key == s.o.Tenant && t.Shoppers != nil {
			return t.Shoppers, t.ProgramName
		}
	}
	return nil, ""
}

func (s *Store) sandboxJSON(method, path string, body []byte, v any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimRight(s.o.SandboxURL, "/")+path, rd)
	if err != nil {
		return err
	}
	res, err := s.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, res.Body)
		return fmt.Errorf("sandbox %s %s: %s", method, path, res.Status)
	}
	return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v)
}

const cartCookie = "checkout.vtex.com"

// cartFor returns the browser's cart, making one (and its HttpOnly cookie, as VTEX's) when
// there is none or it is finished.
func (s *Store) cartFor(w http.ResponseWriter, r *http.Request) *cart {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, err := r.Cookie(cartCookie); err == nil {
		if ct := s.carts[strings.TrimPrefix(c.Value, "__ofid=")]; ct != nil && !ct.finished {
			return ct
		}
	}
	return s.newCartLocked(w)
}

func (s *Store) newCartLocked(w http.ResponseWriter) *cart {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	ct := &cart{id: hex.EncodeToString(b), qty: append([]int(nil), initialQuantities...)}
	s.carts[ct.id] = ct
	http.SetCookie(w, &http.Cookie{Name: cartCookie, Value: "__ofid=" + ct.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}) //nolint:gosec // G124: not Secure: the demo runs on http://localhost
	return ct
}

// orderForm is the part of VTEX's orderForm the widget and the page read.
//
// It has every section vtex.js asks for, filled or null as a VTEX cart without a shopper's
// address or payment would have them (so getOrderForm() with all sections asks the server each
// time, as it does on VTEX, and getOrderForm(["items"]) answers from vtex.js's cache).
type orderForm struct {
	OrderFormID             string               `json:"orderFormId"`
	Value                   int64                `json:"value"`
	Items                   []item               `json:"items"`
	Totalizers              []totalizer          `json:"totalizers"`
	MarketingData           *marketingData       `json:"marketingData"`
	Messages                []message            `json:"messages"`
	ClientProfileData       any                  `json:"clientProfileData"`
	ShippingData            any                  `json:"shippingData"`
	PaymentData             map[string]any       `json:"paymentData"`
	Sellers                 []map[string]string  `json:"sellers"`
	ClientPreferencesData   map[string]any       `json:"clientPreferencesData"`
	StorePreferencesData    map[string]any       `json:"storePreferencesData"`
	GiftRegistryData        any                  `json:"giftRegistryData"`
	RatesAndBenefitsData    ratesAndBenefitsData `json:"ratesAndBenefitsData"`
	OpenTextField           any                  `json:"openTextField"`
	CommercialConditionData any                  `json:"commercialConditionData"`
	CustomData              any                  `json:"customData"`
}

// ratesAndBenefitsData says which promotions really apply: on VTEX a coupon shows here only
// when its promotion took effect.
type ratesAndBenefitsData struct {
	RateAndBenefitsIdentifiers []map[string]string `json:"rateAndBenefitsIdentifiers"`
	Teaser                     []any               `json:"teaser"`
}

type item struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Price     int64  `json:"price"`
	ListPrice int64  `json:"listPrice"`
	Quantity  int    `json:"quantity"`
}

type totalizer struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

type marketingData struct {
	Coupon string `json:"coupon"`
}

type message struct {
	Code   string `json:"code"`
	Text   string `json:"text"`
	Status string `json:"status"`
}

// view renders a cart as an orderForm; the caller holds s.mu.
func (ct *cart) view(msgs ...message) orderForm {
	of := orderForm{OrderFormID: ct.id, Items: []item{}, Messages: append([]message{}, msgs...)}
	subtotal := ct.subtotal()
	for i, p := range catalogue {
		of.Items = append(of.Items, item{ID: p.ID, Name: p.Name, Price: p.Price, ListPrice: p.Price, Quantity: ct.qty[i]})
	}
	discount := ct.discount(subtotal)
	if ct.coupon != "" && subtotal < ct.minimum {
		// As VTEX: the coupon stays in the cart, its promotion no longer applies.
		of.Messages = append(of.Messages, message{Code: "couponNotApplicable", Status: "warning", Text: belowMinimum(ct.coupon, ct.minimum)})
	}
	of.Totalizers = []totalizer{{ID: "Items", Name: "Total dos Itens", Value: subtotal}}
	if discount > 0 {
		of.Totalizers = append(of.Totalizers, totalizer{ID: "Discounts", Name: "Total dos Descontos", Value: -discount})
	}
	of.Value = subtotal - discount
	of.RatesAndBenefitsData = ratesAndBenefitsData{RateAndBenefitsIdentifiers: []map[string]string{}, Teaser: []any{}}
	if ct.coupon != "" {
		of.MarketingData = &marketingData{Coupon: ct.coupon}
	}
	if ct.coupon != "" && discount > 0 {
		of.RatesAndBenefitsData.RateAndBenefitsIdentifiers = append(of.RatesAndBenefitsData.RateAndBenefitsIdentifiers,
			map[string]string{"id": "coupon-" + strings.ToLower(ct.coupon), "name": "Cupom " + ct.coupon})
	}
	of.PaymentData = map[string]any{"paymentSystems": []any{}, "payments": []any{}}
	of.Sellers = []map[string]string{{"id": "1", "name": "Loja Demo"}}
	of.ClientPreferencesData = map[string]any{"locale": "pt-BR", "optinNewsLetter": nil}
	of.StorePreferencesData = map[string]any{"countryCode": "BRA", "currencyCode": "BRL", "currencySymbol": "R$", "timeZone": "E. South America Standard Time"}
	return of
}

// subtotal is the items total, in cents.
func (ct *cart) subtotal() int64 {
	var sum int64
	for i, p := range catalogue {
		sum += p.Price * int64(ct.qty[i])
	}
	return sum
}

// belowMinimum is the store's message for a coupon whose promotion needs a larger purchase.
func belowMinimum(coupon string, minimum int64) string {
	return fmt.Sprintf("O cupom %s vale para compras a partir de R$ %d,%02d em produtos.", coupon, minimum/100, minimum%100)
}

// discount is what the coupon takes off the items total, in cents: nothing below its
// promotion's minimum purchase, as a VTEX promotion with a minimum order value.
func (ct *cart) discount(subtotal int64) int64 {
	if ct.coupon == "" || subtotal < ct.minimum {
		return 0
	}
	var d int64
	switch ct.kind {
	case 0:
		d = int64(math.Round(float64(subtotal) * ct.value / 100))
	case 1, 3:
		d = int64(math.Round(ct.value * 100))
	}
	return min(d, subtotal)
}

func (s *Store) getOrderForm(w http.ResponseWriter, r *http.Request) {
	ct := s.cartFor(w, r)
	s.mu.Lock()
	of := ct.view()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, of)
}

// orderFormByID answers vtex.js's getOrderForm once it knows the cart (POST
// /orderForm/{id}?refreshOutdatedData=true) and its clearMessages: the cart as it is.
func (s *Store) orderFormByID(w http.ResponseWriter, r *http.Request) {
	ct := s.cartByPath(w, r)
	if ct == nil {
		return
	}
	var ignored map[string]any // {"expectedOrderFormSections": [...]}: every section is answered
	if r.Method == http.MethodPost && r.ContentLength != 0 && !decodeBody(w, r, &ignored) {
		return
	}
	s.mu.Lock()
	of := ct.view()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, of)
}

// addItems is vtex.js's addToCart: {"orderItems": [{"id": sku, "quantity": n, "seller": "1"}]}.
func (s *Store) addItems(w http.ResponseWriter, r *http.Request) {
	ct := s.cartByPath(w, r)
	if ct == nil {
		return
	}
	var body struct {
		OrderItems []struct {
			ID       string `json:"id"`
			Quantity int    `json:"quantity"`
		} `json:"orderItems"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var msgs []message
	for _, it := range body.OrderItems {
		i := slices.IndexFunc(catalogue, func(p product) bool { return p.ID == it.ID })
		if i < 0 || it.Quantity < 1 || ct.qty[i]+it.Quantity > 99 {
			msgs = append(msgs, message{Code: "ORD027", Text: "Item " + it.ID + " não encontrado ou quantidade inválida.", Status: "error"})
			continue
		}
		ct.qty[i] += it.Quantity
	}
	writeJSON(w, http.StatusOK, ct.view(msgs...))
}

// attachment is vtex.js's sendAttachment (clientProfileData, shippingData, ...): accepted,
// and the cart answered; the demo keeps no profile or address.
func (s *Store) attachment(w http.ResponseWriter, r *http.Request) {
	s.orderFormByID(w, r)
}

// cartByPath finds the cart of a /orderForm/{id}/... call.
func (s *Store) cartByPath(w http.ResponseWriter, r *http.Request) *cart {
	s.mu.Lock()
	ct := s.carts[r.PathValue("id")]
	s.mu.Unlock()
	if ct == nil || ct.finished {
		writeError(w, http.StatusNotFound, "ORD002", "orderForm not found")
		return nil
	}
	return ct
}

func (s *Store) updateItems(w http.ResponseWriter, r *http.Request) {
	ct := s.cartByPath(w, r)
	if ct == nil {
		return
	}
	var body struct {
		OrderItems []struct {
			Index    int `json:"index"`
			Quantity int `json:"quantity"`
		} `json:"orderItems"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range body.OrderItems {
		if it.Index < 0 || it.Index >= len(catalogue) || it.Quantity < 0 || it.Quantity > 99 {
			writeError(w, http.StatusBadRequest, "", "index or quantity out of range")
			return
		}
	}
	for _, it := range body.OrderItems {
		ct.qty[it.Index] = it.Quantity
	}
	writeJSON(w, http.StatusOK, ct.view())
}

// setCoupon applies {"text": code}, or removes the coupon when text is empty, as VTEX's
// coupons endpoint. A code the sandbox does not know (or no longer active) is refused with a
// message and leaves the cart as it was.
func (s *Store) setCoupon(w http.ResponseWriter, r *http.Request) {
	ct := s.cartByPath(w, r)
	if ct == nil {
		return
	}
	var body struct {
		Text string `json:"text"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	code := strings.TrimSpace(body.Text)
	if own, ok := StoreCoupons[strings.ToUpper(code)]; ok {
		s.mu.Lock()
		ct.coupon, ct.kind, ct.value, ct.minimum, ct.loyalty = strings.ToUpper(code), own.kind, own.value, 0, false
		of := ct.view()
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, of)
		return
	}
	if code == "" {
		s.mu.Lock()
		ct.coupon, ct.kind, ct.value, ct.minimum, ct.loyalty = "", 0, 0, 0, false
		of := ct.view()
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, of)
		return
	}
	item, err := s.loyaltyCoupon(code)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || item.State != "active" || (item.RewardType != 0 && item.RewardType != 1 && item.RewardType != 3) {
		msg := "O cupom " + code + " é inválido."
		if order := s.used[code]; order != "" {
			msg = "O cupom " + code + " já foi usado no pedido " + order + "."
		}
		writeJSON(w, http.StatusOK, ct.view(message{Code: "couponNotFound", Text: msg, Status: "error"}))
		return
	}
	if order := s.used[code]; order != "" {
		writeJSON(w, http.StatusOK, ct.view(message{Code: "couponUsed", Text: "O cupom " + code + " já foi usado no pedido " + order + ".", Status: "error"}))
		return
	}
	if s.refusal != "" {
		writeJSON(w, http.StatusOK, ct.view(message{Code: "couponNotApplicable", Text: s.refusal, Status: "error"}))
		return
	}
	minimum := int64(math.Round(item.MinValueToUse * 100))
	if ct.subtotal() < minimum {
		// Refused while the cart is below the promotion's minimum: the coupon stays out.
		writeJSON(w, http.StatusOK, ct.view(message{Code: "couponNotApplicable", Text: belowMinimum(code, minimum), Status: "error"}))
		return
	}
	ct.coupon, ct.kind, ct.value, ct.minimum, ct.loyalty = code, item.RewardType, item.Value, minimum, true
	writeJSON(w, http.StatusOK, ct.view())
}

// loyaltyItem is what the store knows of a loyalty coupon: the promotion the platform created
// for a redemption (seed 003: the coupon is generated in the store's own platform).
type loyaltyItem struct {
	RewardType    int     `json:"RewardType"`
	Value         float64 `json:"Value"`
	MinValueToUse float64 `json:"MinValueToUse"`
	State         string  `json:"State"`
}

// loyaltyCoupon looks a coupon up in the sandbox, as a store's promotion engine knows the
// promotions the platform made in it.
func (s *Store) loyaltyCoupon(code string) (loyaltyItem, error) {
	var env struct {
		Item loyaltyItem `json:"Item"`
	}
	err := s.sandboxJSON("GET", "/_sandbox/tenants/"+url.PathEscape(s.o.Tenant)+"/coupons/"+url.PathEscape(code), nil, &env)
	return env.Item, err
}

// finish places the order (a demo-only call). The store checks the cart's loyalty coupon as
// its promotion engine would at the order: single use (another order may have used it since),
// still live (a reversed redemption's promotion is gone), and its minimum purchase (then it
// gives nothing). A coupon that gives a discount is reported to the loyalty platform with the
// order, as a store's order integration does, and the platform then counts its redemption as
// used. The browser gets a new cart. The order goes through even when the loyalty side is down.
func (s *Store) finish(w http.ResponseWriter, r *http.Request) {
	ct := s.cartByPath(w, r)
	if ct == nil {
		return
	}
	s.mu.Lock()
	ct.finished = true
	coupon, loyalty := ct.coupon, ct.loyalty
	s.mu.Unlock()
	dropped := ""
	if loyalty {
		if item, err := s.loyaltyCoupon(coupon); err == nil && item.State != "active" {
			dropped = "O cupom " + coupon + " não está mais ativo."
		}
	}
	s.mu.Lock()
	orderID := ct.id[:8]
	if order := s.used[coupon]; loyalty && order != "" {
		dropped = "O cupom " + coupon + " já foi usado no pedido " + order + "."
	}
	if dropped != "" {
		ct.coupon, ct.kind, ct.value, ct.minimum, ct.loyalty = "", 0, 0, 0, false
	}
	of := ct.view()
	discount := ct.discount(ct.subtotal())
	if dropped == "" && ct.coupon != "" && discount == 0 {
		dropped = belowMinimum(ct.coupon, ct.minimum)
	}
	report := loyalty && dropped == "" && discount > 0
	order := Order{OrderID: orderID, CartID: ct.id, Discount: float64(discount) / 100, Total: float64(of.Value) / 100, Dropped: dropped}
	if discount > 0 {
		order.Coupon = ct.coupon
	}
	if report {
		s.used[coupon] = orderID
	}
	s.orders = append(s.orders, order)
	s.mu.Unlock()
	if report {
		body, _ := json.Marshal(map[string]string{"CouponCode": coupon})
		var ignored any
		if err := s.sandboxJSON("POST", "/_sandbox/tenants/"+url.PathEscape(s.o.Tenant)+"/orders/"+url.PathEscape(ct.id)+"/finish", body, &ignored); err != nil {
			s.o.Logger.Warn("demo store: order placed, loyalty not told", "err", err)
		}
	}
	s.mu.Lock()
	next := s.newCartLocked(w)
	nextOF := next.view()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"orderId": orderID, "total": of.Value, "discount": discount, "dropped": dropped, "orderForm": nextOF})
}

// listOrders (demo only) lists the placed orders, oldest first.
func (s *Store) listOrders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := append([]Order{}, s.orders...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// setRefusal (demo only) makes the store refuse every loyalty coupon from now on, with the
// message given (PUT {"message": "..."}), or accept them again (DELETE).
func (s *Store) setRefusal(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Message string `json:"message"`
	}
	if r.Method == http.MethodPut {
		if !decodeBody(w, r, &body) {
			return
		}
		if strings.TrimSpace(body.Message) == "" {
			writeError(w, http.StatusBadRequest, "", "message is required: the text the store refuses coupons with")
			return
		}
	}
	s.mu.Lock()
	s.refusal = strings.TrimSpace(body.Message)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// decodeBody reads a JSON request body (at most 64 KiB), answering 400 when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "", "invalid JSON: "+err.Error())
		return false
	}
	return true
}

// writeError answers in the shape of VTEX's checkout errors.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
