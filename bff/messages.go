package bff

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/bojanz/currency"
	"golang.org/x/text/language"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// reasonNames are the UseReason enum's names, by value (see platform.UseReason).
var reasonNames = func() []string {
	var out []string
	for _, r := range platform.UseReasons() {
		out = append(out, r.String())
	}
	return out
}()

// Message keys beyond the enum's names.
const (
	msgUnknown   = platform.UnknownReason // a UseReason value the enum does not have
	msgDisabled  = "Disabled"             // a reward the store disabled without saying why
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
	return k == msgUnknown || k == msgDisabled || k == msgMinNoInfo || slices.Contains(reasonNames, k) || slices.Contains(widgetWords, k)
}

// widgetWords name the widget's own sentences (its labels, and what it says after an action),
// in the order the widget reads them: the session answer's Words is this list in the shopper's
// language. The widget indexes it by position (widget/src/i18n.ts W, checked by a test), so
// the list is append-only: a bundle pinned by its hash keeps the order it was built with. A
// sentence has at most one placeholder, {n}, {code}, {text} or {msg}, that the widget fills.
var widgetWords = []string{
	"Title", "Points", "Point", "UsableCount", "NoneUsable", "Choose", "Discount", "Cashback", "NoPointCost",
	"AlreadyYours", "Use", "Short", "NotJoined", "Join", "Terms", "Applied", "Coupon", "Remove", "OnePerPurchase",
	"Removed", "Unavailable", "NoLongerFits", "CouponLeft", "ApplyAgain", "Wait", "Refused", "RefusedKept",
	"RemovedLater", "PointsBack", "OwnCoupon", "Outgrown", "MovedAway", "StoreNote",
}

// placeholders are the {name}s in a sentence.
var placeholders = regexp.MustCompile(`\{\w+\}`)

// overrideProblem says what is wrong with a tenant's text for a message key ("" when nothing):
// it may leave out a placeholder of the default sentence, but not bring one the BFF or the
// widget would not fill, nor repeat one (the widget fills a sentence's placeholder once).
func overrideProblem(key, text string) string {
	if strings.TrimSpace(text) == "" {
		return "is empty"
	}
	def := defaultMessages[locales[0]][key]
	for _, p := range placeholders.FindAllString(text, -1) {
		switch n := strings.Count(def, p); {
		case n == 0:
			return p + " is not filled in this sentence"
		case strings.Count(text, p) > n:
			return p + " is filled once only"
		}
	}
	return ""
}

// DefaultWords are the widget's sentences in a locale (pt-BR, en or es), without any tenant's
// overrides: what the session answer's Words holds for a store that sets none.
func DefaultWords(locale string) []string { return (&messages{}).wordList(locale) }

// wordList is the widget's sentences in a locale, with m's overrides.
func (m *messages) wordList(locale string) []string {
	out := make([]string, len(widgetWords))
	for i, k := range widgetWords {
		out[i] = m.text(k, locale)
	}
	return out
}

// messages turns UseReasons into sentences for one tenant.
type messages struct {
	currency     string                       // ISO 4217 code, upper case
	money        map[string]*moneyFormatter   // locale -> the tenant currency's formatter
	maxRemaining currency.Amount              // maxPurchase in that currency
	overrides    map[string]map[string]string // key -> locale -> text
	// words are the widget's sentences per locale, as the JSON array the session answer
	// carries (widgetWords, the tenant's overrides applied).
	words map[string][]byte
	// texts are the sentences annotate writes, worked out once per locale (text's answer
	// for every reason and key): a listing's rewards then cost one lookup for the locale.
	texts map[string]*reasonTexts
}

// reasonTexts are a locale's sentences: by UseReason value, and the keys beyond the enum.
type reasonTexts struct {
	reason                       []string
	unknown, disabled, minNoInfo string
}

// reasonText is the sentence for a reason of the enum or, with known false, for Unknown.
func (t *reasonTexts) reasonText(reason platform.UseReason, known bool) string {
	if !known {
		return t.unknown
	}
	return t.reason[reason]
}

func newMessages(t TenantConfig) *messages {
	code := strings.ToUpper(t.Currency) // validated at start, in any case
	m := &messages{currency: code, money: map[string]*moneyFormatter{}, overrides: t.Messages}
	m.maxRemaining, _ = currency.NewAmount(strconv.FormatFloat(maxPurchase, 'f', -1, 64), code)
	// Built once here, not per reward: annotating a listing is the hot path.
	m.texts = map[string]*reasonTexts{}
	m.words = map[string][]byte{}
	for _, loc := range locales {
		m.words[loc], _ = platform.Marshal(m.wordList(loc)) // strings: cannot fail
		m.money[loc] = newMoneyFormatter(code, loc)
		t := &reasonTexts{reason: make([]string, len(reasonNames)), unknown: m.text(msgUnknown, loc),
			disabled: m.text(msgDisabled, loc), minNoInfo: m.text(msgMinNoInfo, loc)}
		for i, name := range reasonNames {
			t.reason[i] = m.text(name, loc)
		}
		m.texts[loc] = t
	}
	return m
}

func (m *messages) text(key, locale string) string {
	if s, ok := m.overrides[key][locale]; ok {
		return s
	}
	return defaultMessages[locale][key]
}

// remaining prints a reward's RemainingToUse (kept exact, as the platform wrote it) in the
// tenant's currency for a locale, as the widget's Intl prints amounts: pt-BR "R$\u00a01.234,56"
// (see money.go). ok is false for an amount that would show as "R$ 0,00" or less, or as
// nonsense (a faulty upstream): missing, null, or maxPurchase and beyond.
func (m *messages) remaining(n platform.Number, locale string) (string, bool) {
	if n.Null() {
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

// annotate gives a reward UseReasonName and UseReasonMessage, in place: the enum's name
// (Unknown for values outside it) and a sentence for the shopper. A disabled reward's message
// is its DisabledReason when the store gave one.
func (m *messages) annotate(r *platform.Reward, locale string) {
	reason, known := r.UseReason.Value()
	name := msgUnknown
	if known {
		name = reason.String()
	}
	r.UseReasonName = name
	t := m.texts[locale]
	if t == nil { // not one of locales: never from pickLocale, but worked out all the same
		t = &reasonTexts{unknown: m.text(msgUnknown, locale), disabled: m.text(msgDisabled, locale), minNoInfo: m.text(msgMinNoInfo, locale)}
		if known {
			t.reason = make([]string, len(reasonNames))
			t.reason[reason] = m.text(name, locale)
		}
	}
	if !r.Enabled {
		// The store's reason, or the sentence for a disabled reward, whatever the UseReason.
		if r.DisabledReason != nil && strings.TrimSpace(*r.DisabledReason) != "" {
			r.UseReasonMessage = *r.DisabledReason
		} else {
			r.UseReasonMessage = t.disabled
		}
		return
	}
	msg := t.reasonText(reason, known)
	if known && reason == platform.MinValueNotReached {
		// An amount that would show as "R$ 0,00" or as nonsense (a faulty upstream) is left out.
		if remaining, ok := m.remaining(r.RemainingToUse, locale); ok {
			msg = strings.ReplaceAll(msg, "{remaining}", remaining)
		} else {
			msg = t.minNoInfo
		}
	}
	r.UseReasonMessage = msg
}

// The platform's answers are shared (cached, and handed to every concurrent caller): the
// functions below annotate copies, never the answers themselves. A copy shares the
// platform's unknown fields (read only) with the original.

// rewards is an annotated copy of a listing; nil stays nil (the platform's null).
func (m *messages) rewards(in []platform.Reward, locale string) []platform.Reward {
	if in == nil {
		return nil
	}
	out := make([]platform.Reward, len(in))
	copy(out, in)
	for i := range out {
		m.annotate(&out[i], locale)
	}
	return out
}

// redeemed is an annotated copy of a redeemed list.
func (m *messages) redeemed(in []platform.RedeemedReward, locale string) []platform.RedeemedReward {
	if in == nil {
		return nil
	}
	out := make([]platform.RedeemedReward, len(in))
	copy(out, in)
	for i := range out {
		m.annotate(&out[i].Reward, locale)
	}
	return out
}

// redeemedOne is an annotated copy of one redeemed reward (the applied state's, a redeem's).
func (m *messages) redeemedOne(in *platform.RedeemedReward, locale string) *platform.RedeemedReward {
	if in == nil {
		return nil
	}
	out := *in
	m.annotate(&out.Reward, locale)
	return &out
}

// applied is an annotated copy of an applied state.
func (m *messages) applied(in platform.AppliedState, locale string) platform.AppliedState {
	in.Reward = m.redeemedOne(in.Reward, locale)
	return in
}

// localeCache remembers pickLocale's answers: parsing Accept-Language is the costliest step
// of a cache hit otherwise. Few distinct headers reach a store; past maxLocaleCache, new
// ones are worked out every time.
type localeCache struct {
	mu sync.RWMutex
	m  map[string]string
}

const maxLocaleCache = 1024

func (lc *localeCache) pick(lang, acceptLanguage, tenantDefault string) string {
	if lang == "" && acceptLanguage == "" {
		return tenantDefault
	}
	var buf [256]byte
	key := append(append(append(append(buf[:0], lang...), 0), acceptLanguage...), 0)
	key = append(key, tenantDefault...)
	lc.mu.RLock()
	loc, ok := lc.m[string(key)]
	lc.mu.RUnlock()
	if ok {
		return loc
	}
	loc = pickLocale(lang, acceptLanguage, tenantDefault)
	lc.mu.Lock()
	if lc.m == nil {
		lc.m = map[string]string{}
	}
	if len(lc.m) < maxLocaleCache {
		lc.m[string(key)] = loc
	}
	lc.mu.Unlock()
	return loc
}
