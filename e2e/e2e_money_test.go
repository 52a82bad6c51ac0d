package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// TestMoneyMatchesIntl proves the one money rule against the real browser: the widget prints
// amounts with Intl.NumberFormat in the shopper's browser, the BFF with bff.FormatMoney, and
// the two must be the same string, character for character (NO-BREAK SPACEs included). It
// compares live, not against a frozen table: the ICU data is whatever the installed Chromium
// carries, and this test is what says the BFF still agrees with it.
func TestMoneyMatchesIntl(t *testing.T) {
	bctx := browser(t)
	tab, cancelTab := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if ua, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`)); err == nil {
		t.Logf("browser: %s", ua)
	}

	locales := []string{"pt-BR", "en", "es"}
	// check formats every (locale, currency, amount) in one evaluation and compares each with
	// bff.FormatMoney. The amount reaches Intl as a JSON number, as the widget gets it.
	check := func(t *testing.T, currencies, amounts []string) {
		t.Helper()
		var samples [][3]any
		for _, loc := range locales {
			for _, c := range currencies {
				for _, a := range amounts {
					samples = append(samples, [3]any{loc, c, json.Number(a)})
				}
			}
		}
		js, err := json.Marshal(samples)
		if err != nil {
			t.Fatal(err)
		}
		intl, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`(`+string(js)+`).map(([l, c, a]) => new Intl.NumberFormat(l, {style: "currency", currency: c}).format(a))`))
		if err != nil {
			t.Fatalf("formatting in the browser: %v", err)
		}
		if len(intl) != len(samples) {
			t.Fatalf("browser gave %d strings for %d samples", len(intl), len(samples))
		}
		for i, s := range samples {
			loc, c, a := s[0].(string), s[1].(string), string(s[2].(json.Number))
			if got := bff.FormatMoney(a, c, loc); got != intl[i] {
				t.Errorf("%s %s %s: BFF %q, Intl %q", loc, c, a, got, intl[i])
			}
		}
	}

	t.Run("grid", func(t *testing.T) {
		check(t, []string{"BRL", "USD", "EUR"}, []string{"0.01", "0.5", "10.1", "1234.56", "12345.67", "1234567.89"})
	})
	// The currencies of the stores' markets (VTEX and Magazord sell across the Americas and
	// Europe), with Intl's rounding (half away from zero) and a negative amount. Not every
	// ISO code: ICU's data for rare currencies changes between Chromium releases (XCG, fraction
	// digits of a few), and the suite must pass with whatever Chromium Debian installs.
	t.Run("markets", func(t *testing.T) {
		check(t, marketCurrencies, []string{"0.5", "1234.56", "12345.675", "-1234.5"})
	})
}

// marketCurrencies are the currencies of the markets our stores sell in.
var marketCurrencies = []string{"BRL", "USD", "EUR", "ARS", "CLP", "COP", "MXN", "PEN", "UYU", "PYG", "BOB", "GBP", "CAD", "JPY"}
