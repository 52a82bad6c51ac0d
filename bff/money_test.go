package bff

import (
	"strings"
	"sync"
	"testing"

	"github.com/bojanz/currency"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// The expected strings below were copied from what Chromium 156's Intl.NumberFormat(locale,
// {style: "currency", currency}).format(amount) prints ("\u00a0" is its NO-BREAK SPACE). They
// pin the rule without a browser; TestMoneyMatchesIntl (e2e_money_test.go) compares live.

func TestFormatMoneyLikeIntl(t *testing.T) {
	cases := []struct{ locale, currency, amount, want string }{
		{"pt-BR", "BRL", "0.01", "R$\u00a00,01"},
		{"pt-BR", "BRL", "0.5", "R$\u00a00,50"},
		{"pt-BR", "BRL", "10.1", "R$\u00a010,10"},
		{"pt-BR", "BRL", "1234.56", "R$\u00a01.234,56"},
		{"pt-BR", "BRL", "12345.67", "R$\u00a012.345,67"},
		{"pt-BR", "BRL", "1234567.89", "R$\u00a01.234.567,89"},
		{"pt-BR", "USD", "0.01", "US$\u00a00,01"},
		{"pt-BR", "USD", "0.5", "US$\u00a00,50"},
		{"pt-BR", "USD", "10.1", "US$\u00a010,10"},
		{"pt-BR", "USD", "1234.56", "US$\u00a01.234,56"},
		{"pt-BR", "USD", "12345.67", "US$\u00a012.345,67"},
		{"pt-BR", "USD", "1234567.89", "US$\u00a01.234.567,89"},
		{"pt-BR", "EUR", "0.01", "€\u00a00,01"},
		{"pt-BR", "EUR", "0.5", "€\u00a00,50"},
		{"pt-BR", "EUR", "10.1", "€\u00a010,10"},
		{"pt-BR", "EUR", "1234.56", "€\u00a01.234,56"},
		{"pt-BR", "EUR", "12345.67", "€\u00a012.345,67"},
		{"pt-BR", "EUR", "1234567.89", "€\u00a01.234.567,89"},
		{"en", "BRL", "0.01", "R$0.01"},
		{"en", "BRL", "0.5", "R$0.50"},
		{"en", "BRL", "10.1", "R$10.10"},
		{"en", "BRL", "1234.56", "R$1,234.56"},
		{"en", "BRL", "12345.67", "R$12,345.67"},
		{"en", "BRL", "1234567.89", "R$1,234,567.89"},
		{"en", "USD", "0.01", "$0.01"},
		{"en", "USD", "0.5", "$0.50"},
		{"en", "USD", "10.1", "$10.10"},
		{"en", "USD", "1234.56", "$1,234.56"},
		{"en", "USD", "12345.67", "$12,345.67"},
		{"en", "USD", "1234567.89", "$1,234,567.89"},
		{"en", "EUR", "0.01", "€0.01"},
		{"en", "EUR", "0.5", "€0.50"},
		{"en", "EUR", "10.1", "€10.10"},
		{"en", "EUR", "1234.56", "€1,234.56"},
		{"en", "EUR", "12345.67", "€12,345.67"},
		{"en", "EUR", "1234567.89", "€1,234,567.89"},
		// es: the symbol after the number, and no grouping of 4-digit integers (CLDR's
		// minimum grouping digits is 2 there). BRL is written "BRL", not "R$".
		{"es", "BRL", "0.01", "0,01\u00a0BRL"},
		{"es", "BRL", "0.5", "0,50\u00a0BRL"},
		{"es", "BRL", "10.1", "10,10\u00a0BRL"},
		{"es", "BRL", "1234.56", "1234,56\u00a0BRL"},
		{"es", "BRL", "12345.67", "12.345,67\u00a0BRL"},
		{"es", "BRL", "1234567.89", "1.234.567,89\u00a0BRL"},
		{"es", "USD", "0.01", "0,01\u00a0US$"},
		{"es", "USD", "0.5", "0,50\u00a0US$"},
		{"es", "USD", "10.1", "10,10\u00a0US$"},
		{"es", "USD", "1234.56", "1234,56\u00a0US$"},
		{"es", "USD", "12345.67", "12.345,67\u00a0US$"},
		{"es", "USD", "1234567.89", "1.234.567,89\u00a0US$"},
		{"es", "EUR", "0.01", "0,01\u00a0€"},
		{"es", "EUR", "0.5", "0,50\u00a0€"},
		{"es", "EUR", "10.1", "10,10\u00a0€"},
		{"es", "EUR", "1234.56", "1234,56\u00a0€"},
		{"es", "EUR", "12345.67", "12.345,67\u00a0€"},
		{"es", "EUR", "1234567.89", "1.234.567,89\u00a0€"},
	}
	for _, tc := range cases {
		if got := FormatMoney(tc.amount, tc.currency, tc.locale); got != tc.want {
			t.Errorf("FormatMoney(%q, %q, %q) = %q, Intl prints %q", tc.amount, tc.currency, tc.locale, got, tc.want)
		}
	}
}

// TestFormatMoneyCorrections covers where the library alone differs from Intl (the code as
// symbol, CLDR's fraction digits) and Intl's rounding: half away from zero, on the decimal.
func TestFormatMoneyCorrections(t *testing.T) {
	cases := []struct{ locale, currency, amount, want string }{
		{"pt-BR", "BRL", "0.005", "R$\u00a00,01"},
		{"pt-BR", "BRL", "0.004", "R$\u00a00,00"},
		{"pt-BR", "BRL", "1e-7", "R$\u00a00,00"},
		{"pt-BR", "BRL", "2.675", "R$\u00a02,68"},
		{"pt-BR", "BRL", "1.005", "R$\u00a01,01"},
		{"pt-BR", "BRL", "-1234.56", "-R$\u00a01.234,56"},
		{"es", "BRL", "-1234.56", "-1234,56\u00a0BRL"},
		{"en", "USD", "-0.5", "-$0.50"},
		{"pt-BR", "brl", "10.1", "R$\u00a010,10"},
		{"en", "BRL", "999999999.99", "R$999,999,999.99"},
		{"es", "JPY", "1234.5", "1235\u00a0JPY"},
		{"pt-BR", "JPY", "1234.5", "JP¥\u00a01.235"},
		{"es", "GBP", "10.1", "10,10\u00a0GBP"},
		{"es", "MXN", "1234.56", "1234,56\u00a0MXN"},
		{"pt-BR", "PHP", "10.1", "PHP\u00a010,10"},
		{"en", "HUF", "1234.56", "HUF\u00a01,235"},
		{"en", "CLP", "1234.56", "CLP\u00a01,235"},
		{"es", "COP", "1234567.5", "1.234.568\u00a0COP"},
		{"en", "KWD", "1234.5678", "KWD\u00a01,234.568"},
		{"pt-BR", "ARS", "1234.56", "ARS\u00a01.234,56"},
		{"es", "ARS", "1234.56", "1234,56\u00a0ARS"},
		{"en", "XCG", "0.5", "XCG\u00a00.50"},
		{"es", "XCG", "0.5", "0,50\u00a0XCG"},
	}
	for _, tc := range cases {
		if got := FormatMoney(tc.amount, tc.currency, tc.locale); got != tc.want {
			t.Errorf("FormatMoney(%q, %q, %q) = %q, Intl prints %q", tc.amount, tc.currency, tc.locale, got, tc.want)
		}
	}
}

func TestFormatMoneyRefusesNonAmounts(t *testing.T) {
	for _, tc := range []struct{ amount, currency string }{
		{"", "BRL"}, {"abc", "BRL"}, {"NaN", "BRL"}, {"Infinity", "BRL"}, {"-Inf", "BRL"},
		{"0x10", "BRL"}, {"1,5", "BRL"}, {"01.5", "BRL"}, {".5", "BRL"}, {"5.", "BRL"}, {" 5", "BRL"},
		{"1e15", "BRL"}, {"-1e15", "BRL"}, {"1e999999999", "BRL"}, {"1000000000000000.5", "BRL"},
		{"1." + strings.Repeat("0", 64), "BRL"},
		{"10", ""}, {"10", "XYZ"}, {"10", "HRK"}, {"10", "R$"},
	} {
		if got := FormatMoney(tc.amount, tc.currency, "pt-BR"); got != "" {
			t.Errorf("FormatMoney(%q, %q) = %q, want \"\"", tc.amount, tc.currency, got)
		}
	}
}

func TestMoneyCurrencyValidation(t *testing.T) {
	for code, want := range map[string]bool{"BRL": true, "brl": true, "USD": true, "EUR": true, "VES": true,
		"": false, "XYZ": false, "HRK": false, "BRLX": false, "R$": false} {
		if validCurrency(code) != want {
			t.Errorf("validCurrency(%q) = %v", code, !want)
		}
	}
	// Every code a tenant may configure formats in every locale.
	for _, code := range currency.GetCurrencyCodes() {
		if !validCurrency(code) {
			t.Errorf("library code %s refused", code)
		}
		for _, loc := range locales {
			if FormatMoney("1234.5", code, loc) == "" {
				t.Errorf("%s in %s does not format", code, loc)
			}
		}
	}
}

// TestAnnotateMoney checks the one place the BFF writes an amount: MinValueNotReached's
// "{remaining}", which must read as the widget's own amounts do.
func TestAnnotateMoney(t *testing.T) {
	annotated := func(m *messages, remaining platform.Number, locale string) string {
		r := platform.Reward{ID: 1, Enabled: true, UseReason: "2", RemainingToUse: remaining}
		m.annotate(&r, locale)
		if r.UseReasonName != "MinValueNotReached" {
			t.Fatalf("name %v", r.UseReasonName)
		}
		return r.UseReasonMessage
	}
	brl := newMessages(TenantConfig{Currency: "BRL"})
	for locale, want := range map[string]string{
		"pt-BR": "Faltam R$\u00a010,10 em produtos para usar esta recompensa.",
		"en":    "Add R$10.10 more in products to use this reward.",
		"es":    "Faltan 10,10\u00a0BRL en productos para usar esta recompensa.",
	} {
		if got := annotated(brl, "10.1", locale); got != want {
			t.Errorf("%s: %q, want %q", locale, got, want)
		}
	}
	if got, want := annotated(newMessages(TenantConfig{Currency: "usd"}), "1234.56", "en"),
		"Add $1,234.56 more in products to use this reward."; got != want {
		t.Errorf("USD: %q, want %q", got, want)
	}
	if got, want := annotated(brl, "0.005", "pt-BR"),
		"Faltam R$\u00a00,01 em produtos para usar esta recompensa."; got != want {
		t.Errorf("half a cent: %q, want %q", got, want)
	}
	// Amounts that would read "R$ 0,00", negative, or nonsense give the sentence without one.
	// (A string is no number: the platform's answer does not decode, see FuzzAnnotate.)
	for _, remaining := range []platform.Number{"", "null", "0", "0.004", "-3", "1e9", "1.7e308", "1e999999999"} {
		for _, loc := range locales {
			if got := annotated(brl, remaining, loc); got != defaultMessages[loc][msgMinNoInfo] {
				t.Errorf("RemainingToUse %#v in %s: %q", remaining, loc, got)
			}
		}
	}
	if got, want := annotated(brl, "999999999.99", "pt-BR"),
		"Faltam R$\u00a0999.999.999,99 em produtos para usar esta recompensa."; got != want {
		t.Errorf("just under maxPurchase: %q, want %q", got, want)
	}
}

// TestMoneyFormattersConcurrent: one tenant's formatters serve every request at once (run
// with -race).
func TestMoneyFormattersConcurrent(t *testing.T) {
	m := newMessages(TenantConfig{Currency: "BRL"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			loc := locales[i%len(locales)]
			for range 200 {
				if s, ok := m.remaining("1234.56", loc); !ok || s != FormatMoney("1234.56", "BRL", loc) {
					t.Errorf("%s: %q %v", loc, s, ok)
					return
				}
			}
		})
	}
	wg.Wait()
}
