package e2e

import (
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestBrowserFunnelStepsReachTheBFF: the funnel's steps only the page sees, told by the real
// widget in Chromium: a coupon confirmed in the cart, a coupon the store refused, a reward the
// shopper removed; the BFF's bff_funnel_total counts each once.
func TestBrowserFunnelStepsReachTheBFF(t *testing.T) {
	e := newE2E(t, "")
	e.open("ana")
	e.waitRewards()
	e.click("R$ 10,00")
	e.waitTotal("89.80")
	e.waitFunnel("confirmed", 1)
	e.click("Remover recompensa")
	e.waitTotal("99.80")
	e.waitFunnel("removed", 1)

	e.refuseCoupons("A promoção deste cupom ainda não começou.")
	e.click("10%")
	e.waitJS(alert + ` !== null && ` + alert + `.textContent.includes("seus pontos foram devolvidos")`)
	e.waitFunnel("refused", 1)
	e.refuseCoupons("")

	for step, want := range map[string]float64{"redeem": 2, "confirmed": 1, "removed": 1, "refused": 1, "reverse": 2, "owed": 0, "settled": 0} {
		if got := e.funnel(step); got != want {
			t.Errorf("bff_funnel_total{step=%q} = %v, want %v", step, got, want)
		}
	}
}

// funnel is the BFF's bff_funnel_total for the demo store's step.
func (e *e2e) funnel(step string) float64 {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.st.bff.Metrics().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := regexp.MustCompile(`(?m)^bff_funnel_total\{step="` + regexp.QuoteMeta(step) + `",tenant="demo"\} (\S+)$`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// waitFunnel waits for the widget's word to reach the BFF (it is sent without waiting).
func (e *e2e) waitFunnel(step string, want float64) {
	e.t.Helper()
	var got float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = e.funnel(step); got == want {
			return
		}
	}
	e.t.Fatalf("bff_funnel_total{step=%q} = %v, want %v", step, got, want)
}
