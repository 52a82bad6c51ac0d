// Package sandbox is an in-memory implementation of the loyalty platform's checkout widget API
// (/pub/widget, see bff/platform/CONTRACT.md) with seeded stores, shoppers and rewards and
// the platform's rules, so that the BFF, the widget and a store's developers can run every
// checkout situation over real HTTP without an account anywhere. State lives in memory: a
// restart starts again from the seed.
package sandbox

import (
	"encoding/json"
	"errors"
	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Options configures a sandbox. The zero value of every field but Seed has a default.
type Options struct {
	// Seed is the starting state. Default: DefaultSeed().
	Seed *Seed
	// Now is the clock (tests inject their own). Default: time.Now.
	Now func() time.Time
	// TokenTTL is how long a SecureToken lives. Default: 60 minutes, as the platform.
	TokenTTL time.Duration
	// Logger receives one line per refused call. Default: slog.Default().
	Logger *slog.Logger
}

// Server is the sandbox; it is an http.Handler.
type Server struct {
	now     func() time.Time
	ttl     time.Duration
	log     *slog.Logger
	tenants map[string]*tenant
	seed    Seed
	mux     *http.ServeMux
}

// maxBody bounds request bodies: the contract's bodies are a few dozen bytes.
const maxBody = 64 << 10

// New builds a sandbox from its options; the seed must be valid.
func New(o Options) (*Server, error) {
	seed := DefaultSeed()
	if o.Seed != nil {
		if err := o.Seed.Validate(); err != nil {
			return nil, err
		}
		seed = *o.Seed
	}
	s := &Server{now: o.Now, ttl: o.TokenTTL, log: o.Logger, tenants: map[string]*tenant{}, seed: seed}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 60 * time.Minute
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, t := range seed.Tenants {
		s.tenants[t.Key] = newTenant(t)
	}
	m := http.NewServeMux()
	m.Handle("POST "+platform.PathLogin, s.widget(false, s.login))
	m.Handle("GET "+platform.PathRewards, s.widget(true, s.listAvailable))
	m.Handle("GET "+platform.PathRedeemed, s.widget(true, s.listRedeemed))
	m.Handle("POST "+platform.PathRedeem, s.widget(true, s.redeem))
	m.Handle("POST "+platform.PathUseRedeemed, s.widget(true, s.useRedeemed))
	m.Handle("POST "+platform.PathApplied, s.widget(true, s.applied))
	m.Handle("POST "+platform.PathReverse, s.widget(true, s.reverse))
	m.HandleFunc("GET /_sandbox/tenants", s.listTenants)
	m.HandleFunc("GET /_sandbox/tenants/{tenant}/shoppers/{userId}", s.inspection(inspectShopper))
	m.HandleFunc("GET /_sandbox/tenants/{tenant}/coupons/{code}", s.inspection(inspectCoupon))
	m.HandleFunc("POST /_sandbox/tenants/{tenant}/orders/{cart}/finish", s.inspection(finishOrder))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errorf(http.StatusNotFound, "Rota não encontrada: %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// call is what a widget handler gets: the store, and the shopper once authenticated.
type call struct {
	t      *tenant
	userID string
}

// widget wraps a contract handler: tenant header, rate limit, then (but for login) the
// SecureToken.
func (s *Server) widget(auth bool, h func(http.ResponseWriter, *http.Request, call) *apiError) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(platform.HeaderTenant)
		if key == "" {
			s.fail(w, r, errorf(http.StatusBadRequest, "O cabeçalho X-Bq-Tenant é obrigatório."))
			return
		}
		t := s.tenants[key]
		if t == nil {
			s.fail(w, r, errorf(http.StatusNotFound, "Loja %q não encontrada (X-Bq-Tenant).", key))
			return
		}
		if t.limiter != nil {
			if ok, wait := t.limiter.allow(s.now()); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				s.fail(w, r, errorf(http.StatusTooManyRequests, "Limite de requisições atingido; tente novamente em instantes."))
				return
			}
		}
		c := call{t: t}
		if auth {
			userID, err := t.authenticate(r.Header.Get(platform.HeaderToken), s.now())
			if err != nil {
				s.fail(w, r, err)
				return
			}
			c.userID = userID
		}
		if err := h(w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, c call) *apiError {
	var body platform.LoginRequest
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	sh, token, err := c.t.login(body.SessionToken, body.SegmentToken, s.now(), s.ttl)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, platform.Envelope[platform.LoginItem]{Item: platform.LoginItem{Email: sh.Email, Name: sh.Name, UserID: sh.UserID, SecureToken: token}})
	return nil
}

func (s *Server) listAvailable(w http.ResponseWriter, r *http.Request, c call) *apiError {
	pv, err := purchaseValue(r, true)
	if err != nil {
		return err
	}
	points, rewards := c.t.available(c.userID, pv)
	writeJSON(w, http.StatusOK, platform.Envelope[[]platform.Reward]{ProgramName: &c.t.programName, PointsBalance: platform.Int(points), Item: rewards})
	return nil
}

func (s *Server) listRedeemed(w http.ResponseWriter, r *http.Request, c call) *apiError {
	pv, err := purchaseValue(r, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, platform.Envelope[[]platform.RedeemedReward]{Item: c.t.redeemedList(c.userID, pv)})
	return nil
}

func (s *Server) redeem(w http.ResponseWriter, r *http.Request, c call) *apiError {
	id, pv, body, err := redeemInput(w, r)
	if err != nil {
		return err
	}
	res, err := c.t.redeem(c.userID, id, body.OriginalID, pv, s.now())
	if err != nil {
		return err
	}
	writeRedeemed(w, res)
	return nil
}

func (s *Server) useRedeemed(w http.ResponseWriter, r *http.Request, c call) *apiError {
	id, pv, body, err := redeemInput(w, r)
	if err != nil {
		return err
	}
	res, err := c.t.useRedeemed(c.userID, id, body.OriginalID, pv)
	if err != nil {
		return err
	}
	writeRedeemed(w, res)
	return nil
}

func writeRedeemed(w http.ResponseWriter, res platform.RedeemResult) {
	msg := "Tudo Certo! Em breve você irá receber um e-mail com mais instruções"
	writeJSON(w, http.StatusOK, platform.Envelope[platform.RedeemResult]{Message: &msg, Item: res})
}

// redeemInput reads what endpoints 4 and 5 take: the id in the path, an optional
// purchaseValue, an optional body with the cart id.
func redeemInput(w http.ResponseWriter, r *http.Request) (int64, int64, platform.RedeemRequest, *apiError) {
	var body platform.RedeemRequest
	id, err := pathID(r)
	if err != nil {
		return 0, 0, body, err
	}
	pv, err := purchaseValue(r, false)
	if err != nil {
		return 0, 0, body, err
	}
	if err := decodeBody(w, r, &body); err != nil {
		return 0, 0, body, err
	}
	if len(body.OriginalID) > 128 {
		return 0, 0, body, errorf(http.StatusBadRequest, "OriginalId tem mais de 128 caracteres.")
	}
	return id, pv, body, nil
}

func (s *Server) applied(w http.ResponseWriter, r *http.Request, c call) *apiError {
	var body platform.AppliedRequest
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	points, state := c.t.applied(c.userID, body.CheckoutCode)
	writeJSON(w, http.StatusOK, platform.Envelope[platform.AppliedState]{ProgramName: &c.t.programName, PointsBalance: platform.Int(points), Item: state})
	return nil
}

func (s *Server) reverse(w http.ResponseWriter, r *http.Request, c call) *apiError {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	points, state, err := c.t.reverse(c.userID, id, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, platform.Envelope[platform.AppliedState]{ProgramName: &c.t.programName, PointsBalance: platform.Int(points), Item: state})
	return nil
}

// TenantView is one store as GET /_sandbox/tenants lists it: enough for a demo storefront to
// offer its shoppers.
type TenantView struct {
	Key         string              `json:"Key"`
	ProgramName string              `json:"ProgramName"`
	Shoppers    []TenantShopperView `json:"Shoppers"`
}

// TenantShopperView names a seeded shopper and the session token that logs them in.
type TenantShopperView struct {
	SessionToken string `json:"SessionToken"`
	UserID       string `json:"UserId"`
	Name         string `json:"Name"`
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	out := []TenantView{}
	for _, t := range s.seed.Tenants {
		v := TenantView{Key: t.Key, ProgramName: t.ProgramName, Shoppers: []TenantShopperView{}}
		for _, sh := range t.Shoppers {
			v.Shoppers = append(v.Shoppers, TenantShopperView{SessionToken: sh.SessionToken, UserID: sh.UserID, Name: sh.Name})
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, platform.Envelope[[]TenantView]{Item: out})
}

// inspection wraps an /_sandbox/tenants/{tenant}/... handler: the tenant must exist.
func (s *Server) inspection(h func(r *http.Request, t *tenant) (any, *apiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := s.tenants[r.PathValue("tenant")]
		if t == nil {
			s.fail(w, r, errorf(http.StatusNotFound, "Loja %q não encontrada.", r.PathValue("tenant")))
			return
		}
		item, err := h(r, t)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, platform.Envelope[any]{Item: item})
	}
}

func inspectShopper(r *http.Request, t *tenant) (any, *apiError) {
	if v, ok := t.inspect(r.PathValue("userId")); ok {
		return v, nil
	}
	return nil, errorf(http.StatusNotFound, "Cliente %q não encontrado.", r.PathValue("userId"))
}

func inspectCoupon(r *http.Request, t *tenant) (any, *apiError) {
	if v, ok := t.coupon(r.PathValue("code")); ok {
		return v, nil
	}
	return nil, errorf(http.StatusNotFound, "Cupom %q não encontrado.", r.PathValue("code"))
}

// finishOrder is a placed order as a store reports it: optionally {"CouponCode": code}, the
// coupon the order used (a store's order integration reports the coupon; the cart it was
// redeemed for may be another, e.g. a theme that keeps its own cart ids).
func finishOrder(r *http.Request, t *tenant) (any, *apiError) {
	var body struct {
		CouponCode string `json:"CouponCode"`
	}
	if err := decodeBody(nil, r, &body); err != nil {
		return nil, err
	}
	id, err := t.finish(r.PathValue("cart"), strings.TrimSpace(body.CouponCode))
	if err != nil {
		return nil, err
	}
	return map[string]int64{"RedeemedId": id}, nil
}

// purchaseValue parses the purchaseValue query parameter into cents. When it is optional and
// absent, it returns -1.
func purchaseValue(r *http.Request, required bool) (int64, *apiError) {
	raw, present := r.URL.Query()["purchaseValue"]
	if !present {
		if required {
			return 0, errorf(http.StatusBadRequest, "O parâmetro purchaseValue é obrigatório (valor da compra, ex.: 149.90).")
		}
		return -1, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(raw[0]), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v >= 1e12 {
		return 0, errorf(http.StatusBadRequest, "O parâmetro purchaseValue deve ser um número decimal não negativo (ex.: 149.90), recebido %q.", raw[0])
	}
	return cents(v), nil
}

func pathID(r *http.Request) (int64, *apiError) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusBadRequest, "O id %q deve ser um inteiro positivo.", r.PathValue("id"))
	}
	return id, nil
}

// decodeBody reads an optional JSON body: empty is fine, anything else must be one object.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) *apiError {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "O corpo da requisição passa de %d bytes.", maxBody)
		}
		return errorf(http.StatusBadRequest, "Não foi possível ler o corpo da requisição.")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errorf(http.StatusBadRequest, "Corpo JSON inválido: %v", err)
	}
	return nil
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, e *apiError) {
	s.log.Info("sandbox refused a call", "method", r.Method, "path", r.URL.Path, "status", e.Status, "message", e.Message)
	msg := e.Message
	writeJSON(w, e.Status, platform.Envelope[any]{HasError: true, Message: &msg})
}

// writeJSON answers with v as the platform writes it (platform.Options: null lists are null).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := platform.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"HasError":true,"Message":"Erro interno.","Item":null}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
