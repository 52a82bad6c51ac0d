package bff

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/bojanz/currency"
	"golang.org/x/text/language"
)

// reasonNames are the UseReason enum's NAMES, by value. 0-7 come from the widget document,
// 8-12 from the same platform's point-of-sale enum. The comments beside the enum in the
// widget document are shifted by one line: they are not used.
var reasonNames = []string{
	"CanUse",
	"NotEnoughPoints",
	"MinValueNotReached",
	"CashbackNotAvailable",
	"NoCustomer",
	"ValueRewardBiggerThanPurchase",
	"MinimumPercentPurchaseNotReached",
	"CustomerNotEnrolled",
	"CannotUseCumulativeDiscount",
	"ProductRewardNoApplicableProduct",
	"ProductRewardUsageLimitReached",
	"ProductRewardRequiresCheckout",
	"ProductRewardInvalidConfiguration",
}

// Message keys beyond the enum's names.
const (
	msgUnknown   = "Unknown"  // a UseReason value the enum does not have
	msgDisabled  = "Disabled" // a reward the store disabled without saying why
	msgMinNoInfo = "MinValueNotReachedNoAmount"
)

// locales are the languages shoppers are answered in; the first is the fallback.
var locales = []string{"pt-BR", "en", "es"}

var (
	localeTags    = []language.Tag{language.BrazilianPortuguese, language.English, language.Spanish}
	localeMatcher = language.NewMatcher(localeTags)
)

func supportedLocale(s string) bool { return slices.Contains(locales, s) }

func knownMessageKey(k string) bool {
	return k == msgUnknown || k == msgDisabled || k == msgMinNoInfo || slices.Contains(reasonNames, k)
}

// defaultMessages: locale -> key -> sentence for the shopper. "{remaining}" is the amount
// missing to a reward's minimum, in the tenant's currency.
var defaultMessages = map[string]map[string]string{
	"pt-BR": {
		"CanUse":                            "Disponível para usar nesta compra.",
		"NotEnoughPoints":                   "Você ainda não tem pontos suficientes para esta recompensa.",
		"MinValueNotReached":                "Faltam {remaining} em produtos para usar esta recompensa.",
		msgMinNoInfo:                        "O valor da compra ainda não atingiu o mínimo desta recompensa.",
		"CashbackNotAvailable":              "Você não tem cashback disponível no momento.",
		"NoCustomer":                        "Entre na sua conta para usar suas recompensas.",
		"ValueRewardBiggerThanPurchase":     "O valor desta recompensa é maior que o valor da compra.",
		"MinimumPercentPurchaseNotReached":  "A compra ainda não atingiu o valor mínimo proporcional para esta recompensa.",
		"CustomerNotEnrolled":               "Você ainda não participa do programa de fidelidade.",
		"CannotUseCumulativeDiscount":       "Esta recompensa não pode ser combinada com o desconto que já está no carrinho.",
		"ProductRewardNoApplicableProduct":  "O carrinho não tem nenhum produto válido para esta recompensa.",
		"ProductRewardUsageLimitReached":    "O limite de uso desta recompensa foi atingido.",
		"ProductRewardRequiresCheckout":     "Esta recompensa só pode ser usada no checkout da loja online.",
		"ProductRewardInvalidConfiguration": "Esta recompensa está indisponível no momento. A loja já foi avisada.",
		msgUnknown:                          "Esta recompensa não está disponível agora.",
		msgDisabled:                         "Esta recompensa não está disponível agora.",
	},
	"en": {
		"CanUse":                            "Available for this purchase.",
		"NotEnoughPoints":                   "You don't have enough points for this reward yet.",
		"MinValueNotReached":                "Add {remaining} more in products to use this reward.",
		msgMinNoInfo:                        "Your purchase hasn't reached this reward's minimum value yet.",
		"CashbackNotAvailable":              "You have no cashback available right now.",
		"NoCustomer":                        "Sign in to use your rewards.",
		"ValueRewardBiggerThanPurchase":     "This reward is worth more than your purchase.",
		"MinimumPercentPurchaseNotReached":  "Your purchase hasn't reached the minimum share required for this reward.",
		"CustomerNotEnrolled":               "You're not a member of the loyalty programme yet.",
		"CannotUseCumulativeDiscount":       "This reward can't be combined with the discount already in your cart.",
		"ProductRewardNoApplicableProduct":  "Your cart has no product this reward applies to.",
		"ProductRewardUsageLimitReached":    "This reward's usage limit has been reached.",
		"ProductRewardRequiresCheckout":     "This reward can only be used at the online checkout.",
		"ProductRewardInvalidConfiguration": "This reward is unavailable right now. The store has been notified.",
		msgUnknown:                          "This reward isn't available right now.",
		msgDisabled:                         "This reward isn't available right now.",
	},
	"es": {
		"CanUse":                            "Disponible para esta compra.",
		"NotEnoughPoints":                   "Todavía no tienes puntos suficientes para esta recompensa.",
		"MinValueNotReached":                "Faltan {remaining} en productos para usar esta recompensa.",
		msgMinNoInfo:                        "El valor de la compra aún no alcanza el mínimo de esta recompensa.",
		"CashbackNotAvailable":              "No tienes cashback disponible en este momento.",
		"NoCustomer":                        "Inicia sesión para usar tus recompensas.",
		"ValueRewardBiggerThanPurchase":     "El valor de esta recompensa es mayor que el de la compra.",
		"MinimumPercentPurchaseNotReached":  "La compra aún no alcanza el porcentaje mínimo para esta recompensa.",
		"CustomerNotEnrolled":               "Todavía no participas en el programa de fidelidad.",
		"CannotUseCumulativeDiscount":       "Esta recompensa no se puede combinar con el descuento que ya tiene el carrito.",
		"ProductRewardNoApplicableProduct":  "El carrito no tiene ningún producto válido para esta recompensa.",
		"ProductRewardUsageLimitReached":    "Se alcanzó el límite de uso de esta recompensa.",
		"ProductRewardRequiresCheckout":     "Esta recompensa solo se puede usar en el checkout de la tienda online.",
		"ProductRewardInvalidConfiguration": "Esta recompensa no está disponible por ahora. La tienda ya fue avisada.",
		msgUnknown:                          "Esta recompensa no está disponible ahora.",
		msgDisabled:                         "Esta recompensa no está disponible ahora.",
	},
}

// messages turns UseReasons into sentences for one tenant.
type messages struct {
	currency     string                       // ISO 4217 code, upper case
	money        map[string]*moneyFormatter   // locale -> the tenant currency's formatter
	maxRemaining currency.Amount              // maxPurchase in that currency
	overrides    map[string]map[string]string // key -> locale -> text
}

func newMessages(t TenantConfig) *messages {
	code := strings.ToUpper(t.Currency) // validated at start, in any case
	m := &messages{currency: code, money: map[string]*moneyFormatter{}, overrides: t.Messages}
	m.maxRemaining, _ = currency.NewAmount(strconv.FormatFloat(maxPurchase, 'f', -1, 64), code)
	// Built once here, not per reward: annotating a listing is the hot path.
	for _, loc := range locales {
		m.money[loc] = newMoneyFormatter(code, loc)
	}
	return m
}

func (m *messages) text(key, locale string) string {
	if s, ok := m.overrides[key][locale]; ok {
		return s
	}
	return defaultMessages[locale][key]
}

// remaining prints a reward's RemainingToUse (a json.Number, kept exact) in the tenant's
// currency for a locale, as the widget's Intl prints amounts: pt-BR "R$\u00a01.234,56" (see
// money.go). ok is false for an amount that would show as "R$ 0,00" or less, or as nonsense
// (a faulty upstream): missing, not a number, or maxPurchase and beyond.
func (m *messages) remaining(v any, locale string) (string, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return "", false
	}
	a, ok := parseMoney(string(n), m.currency)
	if !ok || !a.IsPositive() {
		return "", false
	}
	if c, err := a.Cmp(m.maxRemaining); err != nil || c >= 0 {
		return "", false
	}
	f := m.money[locale]
	if f == nil { // not one of locales: never from pickLocale, but no panic either
		f = newMoneyFormatter(m.currency, locale)
	}
	return f.format(a), true
}

// pickLocale chooses the answer's language: the lang query parameter, then Accept-Language,
// then the tenant's default. Unsupported values fall through to the next source.
func pickLocale(lang, acceptLanguage, tenantDefault string) string {
	if lang != "" {
		if tag, err := language.Parse(lang); err == nil {
			if _, i, conf := localeMatcher.Match(tag); conf != language.No {
				return locales[i]
			}
		}
	}
	if acceptLanguage != "" {
		if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
			if _, i, conf := localeMatcher.Match(tags...); conf != language.No {
				return locales[i]
			}
		}
	}
	return tenantDefault
}

// annotate walks a decoded upstream answer and gives every reward object (any object with a
// UseReason) UseReasonName and UseReasonMessage. A disabled reward's message is its
// DisabledReason when the store gave one.
func (m *messages) annotate(v any, locale string) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			m.annotate(e, locale)
		}
	case map[string]any:
		if raw, ok := x["UseReason"]; ok {
			m.annotateReward(x, raw, locale)
		}
		for k, e := range x {
			if k != "UseReason" {
				m.annotate(e, locale)
			}
		}
	}
}

func (m *messages) annotateReward(r map[string]any, raw any, locale string) {
	reason, known := reasonValue(raw)
	name := msgUnknown
	if known && reason >= 0 && reason < len(reasonNames) {
		name = reasonNames[reason]
	}
	r["UseReasonName"] = name
	msg := m.text(name, locale)
	if name == "MinValueNotReached" {
		// An amount that would show as "R$ 0,00" or as nonsense (a faulty upstream) is left out.
		if remaining, ok := m.remaining(r["RemainingToUse"], locale); ok {
			msg = strings.ReplaceAll(msg, "{remaining}", remaining)
		} else {
			msg = m.text(msgMinNoInfo, locale)
		}
	}
	if enabled, ok := r["Enabled"].(bool); ok && !enabled {
		if why, _ := r["DisabledReason"].(string); strings.TrimSpace(why) != "" {
			msg = why
		} else {
			msg = m.text(msgDisabled, locale)
		}
	}
	r["UseReasonMessage"] = msg
}

func reasonValue(v any) (int, bool) {
	f, ok := number(v)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// number reads a JSON number decoded with UseNumber.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil
}
