package sandbox

// Over 400 lines: the platform's state for one store and every transition of it (sign-in,
// evaluate, redeem, use, restore, reverse, the ledger) under one lock, so each money rule
// reads beside the others it must agree with.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"net/http"
	"slices"
	"sync"
	"time"
)

// reasonText is the platform-style (Portuguese) sentence the sandbox puts in Message when a
// rule refuses a redemption.
var reasonText = map[platform.UseReason]string{
	platform.NotEnoughPoints:               "Você não tem pontos suficientes para esta recompensa.",
	platform.MinValueNotReached:            "O valor mínimo da compra para esta recompensa não foi atingido.",
	platform.CashbackNotAvailable:          "Você não tem cashback disponível.",
	platform.ValueRewardBiggerThanPurchase: "O valor da recompensa é maior que o valor da compra.",
	platform.CustomerNotEnrolled:           "Você ainda não participa do programa de fidelidade.",
}

// apiError is a refusal with the HTTP status it is answered with; Message goes to the client.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

func errorf(status int, format string, a ...any) *apiError {
	return &apiError{Status: status, Message: fmt.Sprintf(format, a...)}
}

type reward struct {
	SeedReward
	value, minValue int64 // cents (value of a percent reward: hundredths of a percent, unused)
}

type shopper struct {
	SeedShopper
	points   int64
	cashback int64 // cents
	ledger   []LedgerEntry
	redeemed []int64 // redemption ids, oldest first
}

type redemption struct {
	id       int64
	userID   string
	reward   *reward
	points   int64 // points debited
	value    int64 // cashback cents used (type 3), else 0
	coupon   string
	cart     string // cart it is applied to, "" when none
	reversed bool
	used     bool // consumed by a finished order
	at       time.Time
}

type session struct {
	userID  string
	expires time.Time
}

type idemKey struct {
	userID string
	reward int64
	cart   string
}

// tenant is one store's whole state. One mutex guards all of it: calls for one store are
// serialised, which makes idempotent and concurrent redemptions trivially correct, and stores
// never wait on each other.
type tenant struct {
	key         string
	programName string
	limiter     *limiter

	mu          sync.Mutex
	shoppers    map[string]*shopper // by userId
	bySession   map[string]*shopper // by sessionToken
	rewards     map[int64]*reward
	rewardOrder []int64
	sessions    map[string]session // SecureToken -> shopper
	lastSweep   time.Time
	redemptions map[int64]*redemption
	nextID      int64
	idem        map[idemKey]int64
	carts       map[string]int64 // cart id -> redemption applied to it
	coupons     map[string]int64 // coupon code -> redemption
}

func newTenant(st SeedTenant) *tenant {
	t := &tenant{
		key:         st.Key,
		programName: st.ProgramName,
		shoppers:    map[string]*shopper{},
		bySession:   map[string]*shopper{},
		rewards:     map[int64]*reward{},
		sessions:    map[string]session{},
		redemptions: map[int64]*redemption{},
		nextID:      1001,
		idem:        map[idemKey]int64{},
		carts:       map[string]int64{},
		coupons:     map[string]int64{},
	}
	if st.RateLimit != nil {
		t.limiter = newLimiter(*st.RateLimit)
	}
	for _, s := range st.Shoppers {
		sh := &shopper{SeedShopper: s, points: s.Points, cashback: cents(s.Cashback)}
		t.shoppers[s.UserID] = sh
		t.bySession[s.SessionToken] = sh
	}
	for _, r := range st.Rewards {
		t.rewards[r.ID] = &reward{SeedReward: r, value: cents(r.Value), minValue: cents(r.MinValueToUse)}
		t.rewardOrder = append(t.rewardOrder, r.ID)
	}
	return t
}

// evaluation is the outcome of the rules for one reward, shopper and cart value.
type evaluation struct {
	reason    platform.UseReason
	remaining int64 // cents missing to the minimum, with platform.MinValueNotReached
}

// evaluate applies the contract's rules in order; the first that fails decides. purchase < 0
// means "no cart value given": the rules about the cart are skipped. paid skips the rules a
// redeemed (already paid) reward no longer needs.
func evaluate(sh *shopper, r *reward, purchase int64, paid bool) evaluation {
	if !paid && !sh.Enrolled {
		return evaluation{reason: platform.CustomerNotEnrolled}
	}
	if !paid && sh.points < r.Points {
		return evaluation{reason: platform.NotEnoughPoints}
	}
	if purchase >= 0 && purchase < r.minValue {
		return evaluation{reason: platform.MinValueNotReached, remaining: r.minValue - purchase}
	}
	if purchase >= 0 && r.Type == TypeFixed && r.value > purchase {
		return evaluation{reason: platform.ValueRewardBiggerThanPurchase}
	}
	if !paid && r.Type == TypeCashback && sh.cashback <= 0 {
		return evaluation{reason: platform.CashbackNotAvailable}
	}
	return evaluation{reason: platform.CanUse}
}

// login starts a session for the shopper the storefront's session token names.
func (t *tenant) login(sessionToken, segmentToken string, now time.Time, ttl time.Duration) (*shopper, string, *apiError) {
	if sessionToken == "" || segmentToken == "" {
		return nil, "", errorf(http.StatusUnauthorized, "sessionToken e segmentToken são obrigatórios.")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.bySession[sessionToken]
	if sh == nil {
		return nil, "", errorf(http.StatusUnauthorized, "Sessão não encontrada: faça login na loja novamente.")
	}
	if now.Sub(t.lastSweep) > time.Minute {
		for tok, s := range t.sessions {
			if !now.Before(s.expires) {
				delete(t.sessions, tok)
			}
		}
		t.lastSweep = now
	}
	token := newToken()
	t.sessions[token] = session{userID: sh.UserID, expires: now.Add(ttl)}
	return sh, token, nil
}

// authenticate returns the userId a SecureToken belongs to.
func (t *tenant) authenticate(token string, now time.Time) (string, *apiError) {
	if token == "" {
		return "", errorf(http.StatusUnauthorized, "O cabeçalho X-Bq-SecureToken é obrigatório.")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sessions[token]
	if !ok {
		return "", errorf(http.StatusUnauthorized, "SecureToken inválido.")
	}
	if !now.Before(s.expires) {
		delete(t.sessions, token)
		return "", errorf(http.StatusUnauthorized, "SecureToken expirado: faça o login seguro novamente.")
	}
	return s.userID, nil
}

// rewardJSON renders a reward for a shopper and cart value.
func (t *tenant) rewardJSON(sh *shopper, r *reward, purchase int64, paid bool) platform.Reward {
	ev := evaluate(sh, r, purchase, paid)
	out := platform.Reward{
		ID: r.ID, Type: r.Type, Title: r.Title, Points: platform.Int(r.Points), Description: new(r.Description),
		Enabled: r.Enabled, PointBalance: "null", NoPointCost: r.Points == 0,
		CanUse: r.Enabled && ev.reason == platform.CanUse, UseReason: platform.ReasonOf(ev.reason),
		RemainingToUse: "null", MinValueToUse: platform.Cents(r.minValue),
	}
	if !r.Enabled {
		out.DisabledReason = new(r.DisabledReason)
	}
	if ev.reason == platform.MinValueNotReached {
		out.RemainingToUse = platform.Cents(ev.remaining)
	}
	return out
}

func (t *tenant) redeemedJSON(sh *shopper, rd *redemption, purchase int64) platform.RedeemedReward {
	return platform.RedeemedReward{
		RedeemedID: platform.Int(rd.id), RedeemedPoints: platform.Int(-rd.points), RedeemedValue: platform.Cents(rd.value),
		Reward: t.rewardJSON(sh, rd.reward, purchase, true),
	}
}

// available lists every reward for the shopper, usable or not.
func (t *tenant) available(userID string, purchase int64) (int64, []platform.Reward) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shoppers[userID]
	out := make([]platform.Reward, 0, len(t.rewardOrder))
	for _, id := range t.rewardOrder {
		out = append(out, t.rewardJSON(sh, t.rewards[id], purchase, false))
	}
	return sh.points, out
}

// redeemedList lists the shopper's redemptions that are neither reversed nor used.
func (t *tenant) redeemedList(userID string, purchase int64) []platform.RedeemedReward {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shoppers[userID]
	out := []platform.RedeemedReward{}
	for _, id := range sh.redeemed {
		if rd := t.redemptions[id]; !rd.reversed && !rd.used {
			out = append(out, t.redeemedJSON(sh, rd, purchase))
		}
	}
	return out
}

// redeem debits a reward and issues its coupon, idempotently per (shopper, reward, cart).
func (t *tenant) redeem(userID string, rewardID int64, cart string, purchase int64, now time.Time) (platform.RedeemResult, *apiError) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shoppers[userID]
	r := t.rewards[rewardID]
	if r == nil {
		return platform.RedeemResult{}, errorf(http.StatusNotFound, "Recompensa %d não encontrada.", rewardID)
	}
	key := idemKey{userID: userID, reward: rewardID, cart: cart}
	if cart != "" {
		if id, ok := t.idem[key]; ok && !t.redemptions[id].reversed {
			if t.redemptions[id].used {
				// The key's redemption went into a finished order: that cart is done, and a
				// replay must not hand out its coupon again as if it were new.
				return platform.RedeemResult{}, errorf(http.StatusConflict,
					"O pedido do carrinho %q já foi finalizado com esta recompensa: um carrinho novo faz um resgate novo.", cart)
			}
			return t.redeemResult(sh, t.redemptions[id], purchase), nil
		}
		if err := t.cartFree(cart, 0); err != nil {
			return platform.RedeemResult{}, err
		}
	}
	if !r.Enabled {
		msg := r.DisabledReason
		if msg == "" {
			msg = "Esta recompensa não está disponível."
		}
		return platform.RedeemResult{}, &apiError{Status: http.StatusUnprocessableEntity, Message: msg}
	}
	if ev := evaluate(sh, r, purchase, false); ev.reason != platform.CanUse {
		return platform.RedeemResult{}, &apiError{Status: http.StatusUnprocessableEntity, Message: reasonText[ev.reason]}
	}
	rd := &redemption{id: t.nextID, userID: userID, reward: r, points: r.Points, coupon: newCoupon(), cart: cart, at: now}
	t.nextID++
	if r.Type == TypeCashback {
		rd.value = sh.cashback
		if r.value > 0 && r.value < rd.value {
			rd.value = r.value
		}
		if purchase >= 0 && purchase < rd.value {
			rd.value = purchase
		}
	}
	sh.points -= rd.points
	sh.cashback -= rd.value
	sh.ledger = append(sh.ledger, LedgerEntry{
		At: now, Kind: "debit", Points: -rd.points, Cashback: -amount(rd.value),
		RedeemedID: rd.id, RewardID: r.ID, PointsAfter: sh.points, CashbackAfter: amount(sh.cashback),
	})
	sh.redeemed = append(sh.redeemed, rd.id)
	t.redemptions[rd.id] = rd
	t.coupons[rd.coupon] = rd.id
	if cart != "" {
		t.idem[key] = rd.id
		t.carts[cart] = rd.id
	}
	return t.redeemResult(sh, rd, purchase), nil
}

// cartFree refuses when the cart already holds an applied redemption other than except.
func (t *tenant) cartFree(cart string, except int64) *apiError {
	id, ok := t.carts[cart]
	if !ok || id == except {
		return nil
	}
	if rd := t.redemptions[id]; !rd.reversed && !rd.used {
		return errorf(http.StatusConflict,
			"Este carrinho já tem a recompensa %q aplicada: remova-a antes de usar outra (uma recompensa por compra).", rd.reward.Title)
	}
	return nil
}

// useRedeemed applies an already redeemed reward to a cart, with no new debit.
func (t *tenant) useRedeemed(userID string, redeemedID int64, cart string, purchase int64) (platform.RedeemResult, *apiError) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shoppers[userID]
	rd, err := t.ownActive(userID, redeemedID)
	if err != nil {
		return platform.RedeemResult{}, err
	}
	if purchase >= 0 {
		if ev := evaluate(sh, rd.reward, purchase, true); ev.reason != platform.CanUse {
			return platform.RedeemResult{}, &apiError{Status: http.StatusUnprocessableEntity, Message: reasonText[ev.reason]}
		}
	}
	if cart != "" && cart != rd.cart {
		if err := t.cartFree(cart, rd.id); err != nil {
			return platform.RedeemResult{}, err
		}
		if rd.cart != "" {
			delete(t.carts, rd.cart)
		}
		rd.cart = cart
		t.carts[cart] = rd.id
	}
	return t.redeemResult(sh, rd, purchase), nil
}

// ownActive finds the shopper's redemption that can still be used or reversed.
func (t *tenant) ownActive(userID string, id int64) (*redemption, *apiError) {
	rd := t.redemptions[id]
	switch {
	case rd == nil:
		return nil, errorf(http.StatusNotFound, "Recompensa resgatada %d não encontrada.", id)
	case rd.userID != userID:
		return nil, errorf(http.StatusForbidden, "A recompensa resgatada %d pertence a outro cliente.", id)
	case rd.used:
		return nil, errorf(http.StatusConflict, "Esta recompensa já foi usada em um pedido finalizado: ela não pode mais ser estornada nem usada de novo (resgate %d).", id)
	case rd.reversed:
		return nil, errorf(http.StatusConflict, "A recompensa resgatada %d foi estornada.", id)
	}
	return rd, nil
}

func (t *tenant) redeemResult(sh *shopper, rd *redemption, purchase int64) platform.RedeemResult {
	return platform.RedeemResult{
		Success: true, ResultMessage: new("Utilize seu cupom nesta compra:"), CouponCode: new(rd.coupon),
		HasCouponCode: true, AfterMessage: new("Você também receberá esse cupom por e-mail"),
		Reward: new(t.redeemedJSON(sh, rd, purchase)),
	}
}

// applied returns what is applied to a cart for this shopper.
func (t *tenant) applied(userID, cart string) (int64, platform.AppliedState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shoppers[userID]
	if cart == "" {
		return sh.points, platform.AppliedState{}
	}
	id, ok := t.carts[cart]
	if !ok {
		return sh.points, platform.AppliedState{}
	}
	rd := t.redemptions[id]
	if rd.userID != userID || rd.reversed || rd.used {
		return sh.points, platform.AppliedState{}
	}
	return sh.points, t.appliedState(sh, rd)
}

func (t *tenant) appliedState(sh *shopper, rd *redemption) platform.AppliedState {
	return platform.AppliedState{Success: true, CouponCode: new(rd.coupon), Reward: new(t.redeemedJSON(sh, rd, -1))}
}

// reverse gives a redemption's points back and frees its cart; reversing twice credits once.
func (t *tenant) reverse(userID string, id int64, now time.Time) (int64, platform.AppliedState, *apiError) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shoppers[userID]
	rd := t.redemptions[id]
	if rd != nil && rd.userID == userID && rd.reversed {
		return sh.points, t.appliedState(sh, rd), nil
	}
	rd, err := t.ownActive(userID, id)
	if err != nil {
		return 0, platform.AppliedState{}, err
	}
	rd.reversed = true
	sh.points += rd.points
	sh.cashback += rd.value
	sh.ledger = append(sh.ledger, LedgerEntry{
		At: now, Kind: "credit", Points: rd.points, Cashback: amount(rd.value),
		RedeemedID: rd.id, RewardID: rd.reward.ID, PointsAfter: sh.points, CashbackAfter: amount(sh.cashback),
	})
	if rd.cart != "" && t.carts[rd.cart] == rd.id {
		delete(t.carts, rd.cart)
	}
	return sh.points, t.appliedState(sh, rd), nil
}

// finish records a placed order as a store's order integration reports it to the platform:
// the redemption whose coupon the order used (or, without a coupon, the one applied to the
// order's cart) is used from then on: no longer listed, applied or reversible. The platform's
// documents: a redemption can be cancelled only while its order is not finished. Reporting the
// same order again answers the same redemption.
func (t *tenant) finish(cart, coupon string) (int64, *apiError) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var rd *redemption
	if coupon != "" {
		id, ok := t.coupons[coupon]
		if !ok {
			return 0, errorf(http.StatusNotFound, "Cupom %q não encontrado.", coupon)
		}
		rd = t.redemptions[id]
	} else if id, ok := t.carts[cart]; ok {
		rd = t.redemptions[id]
	}
	switch {
	case rd == nil:
		return 0, errorf(http.StatusNotFound, "Nenhuma recompensa aplicada ao carrinho %q.", cart)
	case rd.reversed:
		return 0, errorf(http.StatusConflict, "A recompensa do cupom %s foi estornada antes do pedido: o pedido não a usou.", rd.coupon)
	}
	rd.used = true
	return rd.id, nil
}

// inspect returns a snapshot of a shopper for the inspection endpoint.
func (t *tenant) inspect(userID string) (ShopperView, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sh := t.shoppers[userID]
	if sh == nil {
		return ShopperView{}, false
	}
	v := ShopperView{
		UserID: sh.UserID, Name: sh.Name, Email: sh.Email, Enrolled: sh.Enrolled,
		Points: sh.points, Cashback: amount(sh.cashback),
		Ledger: slices.Clone(sh.ledger), Redemptions: []RedemptionView{},
	}
	if v.Ledger == nil {
		v.Ledger = []LedgerEntry{}
	}
	for _, id := range sh.redeemed {
		v.Redemptions = append(v.Redemptions, t.redemptions[id].view())
	}
	return v, true
}

func (rd *redemption) view() RedemptionView {
	state := "active"
	switch {
	case rd.reversed:
		state = "reversed"
	case rd.used:
		state = "used"
	}
	return RedemptionView{
		RedeemedID: rd.id, RewardID: rd.reward.ID, RewardType: rd.reward.Type, Title: rd.reward.Title,
		Points: rd.points, Value: rewardValue(rd), MinValueToUse: amount(rd.reward.minValue), CouponCode: rd.coupon, Cart: rd.cart, State: state,
		At: rd.at,
	}
}

// rewardValue is what the coupon is worth: the percentage (type 0), the amount (type 1), or the
// cashback used (type 3).
func rewardValue(rd *redemption) float64 {
	if rd.reward.Type == TypeCashback {
		return amount(rd.value)
	}
	return rd.reward.Value
}

// coupon looks a coupon up, for the demo store's cart.
func (t *tenant) coupon(code string) (RedemptionView, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.coupons[code]
	if !ok {
		return RedemptionView{}, false
	}
	return t.redemptions[id].view(), true
}

func newCoupon() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// newToken makes a SecureToken shaped like the platform's (a random UUID).
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
