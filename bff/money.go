package bff

import (
	"regexp"
	"slices"
	"strings"

	"github.com/bojanz/currency"
)

// Money has one rule for every amount a shopper sees: CLDR, as browsers' Intl prints it.
// The widget formats its amounts with Intl.NumberFormat(lang, {style: "currency", currency})
// in the shopper's browser; the BFF writes amounts into sentences ("Faltam {remaining} em
// produtos…") and must print the same string, character for character (U+00A0 included),
// or one checkout shows "R$ 200,20" next to "R$ 25,00" written two ways.
//
// The formatting itself is github.com/bojanz/currency: CLDR 48 symbols, patterns and minimum
// grouping digits (es writes 1234,56 but 12.345,67), on exact decimals. Two of its choices
// differ from CLDR, and so from ICU (which Chromium's Intl uses), and its data is a little
// newer than Chromium's; the tables below put the browser's answer back. e2e_money_test.go
// compares the result with the browser for every currency the BFF accepts, so a table that
// goes stale fails there.

// isoCodeSymbols lists, per locale, the currencies whose CLDR symbol in that locale is the ISO
// code itself: Intl prints "10,10 BRL" in es. The library deliberately replaces such a symbol
// with the "en" one ("R$"), to keep its data small (see its gen.go, generateSymbols).
var isoCodeSymbols = map[string][]string{
	"pt-BR": {"PHP"},
	"es": {"AUD", "BRL", "CAD", "CNY", "GBP", "HKD", "ILS", "INR", "JPY", "KRW", "MXN", "NZD",
		"PHP", "TWD", "XAF", "XCD", "XOF"},
}

// symbolsNewerThanBrowsers are currencies whose library symbol Chromium's ICU data does not
// have yet: XCG, the Caribbean guilder of 2025, is "Cg." in the library's CLDR 48.1 but
// unknown to Chromium 156 (ICU 78 data, Intl.supportedValuesOf("currency") lacks it), so
// Intl prints the code, "XCG 0,50", in every locale.
var symbolsNewerThanBrowsers = []string{"XCG"}

// cldrDigits are the fraction digits of the currencies whose CLDR digits (what ICU, and so
// Intl, rounds to: "HUF 1.235") differ from ISO 4217's minor units, which the library uses
// ("HUF 1.234,56").
var cldrDigits = map[string]uint8{
	"AFN": 0, "ALL": 0, "COP": 0, "HUF": 0, "IDR": 0, "IQD": 0, "IRR": 0, "KPW": 0, "LAK": 0,
	"LBP": 0, "MGA": 0, "MMK": 0, "PKR": 0, "RSD": 0, "SOS": 0, "SYP": 0, "YER": 0,
}

// jsonNumber is the JSON number grammar, the only amount text accepted: the library's decimal
// parser also takes "NaN" and "Infinity", which are no amounts.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// maxAmountText bounds an amount's text, so a hostile "1e999999999" or a megabyte of digits
// costs nothing: every real amount is far shorter.
const maxAmountText = 40

// maxMoney bounds the amounts formatted: past 1e15 a browser's float64 no longer holds cents,
// so the widget and the BFF could not agree anyway.
const maxMoney = "1e15"

// validCurrency reports whether code is an ISO 4217 code FormatMoney can print, in any case
// (tenants files written "brl" were accepted before). Tenants are validated with it, so a
// configured currency always formats. Withdrawn codes (HRK, BGN, ANG…) are refused, and so is
// "", which the library calls valid.
func validCurrency(code string) bool { return code != "" && currency.IsValid(strings.ToUpper(code)) }

// digits is how many fraction digits Intl shows for a currency.
func digits(code string) uint8 {
	if d, ok := cldrDigits[code]; ok {
		return d
	}
	d, _ := currency.GetDigits(code)
	return d
}

// parseMoney reads an amount (a JSON number's text, kept exact: no float on the way) in code,
// rounded as it will be shown (half away from zero, like Intl). ok is false for text that is
// not a JSON number, an amount of 1e15 or more either way, or an unknown currency.
func parseMoney(amount, code string) (a currency.Amount, ok bool) {
	if len(amount) > maxAmountText || !jsonNumber.MatchString(amount) {
		return a, false
	}
	a, err := currency.NewAmount(amount, code)
	if err != nil {
		return a, false
	}
	abs := a
	if a.IsNegative() {
		abs, _ = a.Mul("-1")
	}
	limit, _ := currency.NewAmount(maxMoney, code)
	if c, _ := abs.Cmp(limit); c >= 0 {
		return a, false
	}
	return a.RoundTo(digits(code), currency.RoundHalfUp), true
}

// moneyFormatter prints amounts of one currency for one locale. It is built once per tenant
// and locale (newMessages) and is safe for concurrent use: Format only reads it.
type moneyFormatter struct{ f *currency.Formatter }

func newMoneyFormatter(code, locale string) *moneyFormatter {
	f := currency.NewFormatter(currency.NewLocale(locale))
	// The library's default keeps up to 6 digits ("10.125"); Intl shows exactly the
	// currency's digits, trailing zeros included ("R$ 10,10").
	f.MinDigits = digits(code)
	f.MaxDigits = f.MinDigits
	if slices.Contains(isoCodeSymbols[locale], code) || slices.Contains(symbolsNewerThanBrowsers, code) {
		f.CurrencyDisplay = currency.DisplayCode
	}
	return &moneyFormatter{f: f}
}

// format prints an amount from parseMoney, in the currency the formatter was built for.
func (m *moneyFormatter) format(a currency.Amount) string { return m.f.Format(a) }

// FormatMoney prints amount, a decimal as JSON writes it ("1234.56", exact: no float on the
// way), in the ISO 4217 currency for a locale, the way browsers' Intl.NumberFormat(locale,
// {style: "currency", currency}).format(amount) prints it: pt-BR "R$\u00a01.234,56", en
// "R$1,234.56", es "1234,56\u00a0BRL". The locale is one of the BFF's (pt-BR, en, es); others
// get the library's CLDR formatting without the corrections above. It returns "" for an
// amount that is not a JSON number below 1e15 or a currency validCurrency rejects.
//
// It builds a formatter per call; the BFF's own hot path (messages) keeps one per tenant
// currency and locale.
func FormatMoney(amount, currencyCode, locale string) string {
	currencyCode = strings.ToUpper(currencyCode) // as Intl takes it
	a, ok := parseMoney(amount, currencyCode)
	if !ok {
		return ""
	}
	return newMoneyFormatter(currencyCode, locale).format(a)
}
