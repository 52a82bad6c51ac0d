package deploy_test

import (
	"encoding/xml"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// funnelSteps are the funnel's steps as the dashboard's first panel shows them.
var funnelSteps = []struct{ step, label string }{
	{"view", "Checkout views"}, {"view_usable", "Views with a usable reward"}, {"redeem", "Redeems"},
	{"confirmed", "Coupons in the cart"}, {"refused", "Coupons the store refused"}, {"removed", "Rewards removed"},
	{"reverse", "Reversals"}, {"owed", "Reversals owed"}, {"settled", "Owed reversals made"}, {"order", "Orders with our coupon"},
}

// renderFunnel draws the store's funnel, as Prometheus answers it, as an SVG: what the
// dashboard's first panel shows (no Grafana runs here to take its picture). Written to
// assets/funnel.svg with UPDATE_SCREENSHOTS=1; always checked to be well-formed, with a bar for
// every step.
func renderFunnel(t *testing.T, prom, tenant string) {
	t.Helper()
	const rowH, labelW, barW = 30, 230, 420
	var rows strings.Builder
	top := 0.0
	values := make([]float64, len(funnelSteps))
	for i, s := range funnelSteps {
		raw := promQuery(t, prom, fmt.Sprintf(`sum(bff_funnel_total{tenant=%q,step=%q})`, tenant, s.step))
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			t.Fatalf("funnel step %s: Prometheus answered %q", s.step, raw)
		}
		values[i], top = v, max(top, v)
	}
	for i, s := range funnelSteps {
		w := 0.0
		if top > 0 {
			w = values[i] / top * barW
		}
		y := 50 + i*rowH
		fmt.Fprintf(&rows, `<text x="%d" y="%d" text-anchor="end">%s</text>`+
			`<rect data-step="%s" x="%d" y="%d" width="%.1f" height="%d" rx="3" fill="#5b21b6"/>`+
			`<text x="%.1f" y="%d">%s</text>`+"\n",
			labelW-10, y+15, html.EscapeString(s.label), s.step, labelW, y, w, rowH-10, float64(labelW)+w+8, y+15, strconv.FormatFloat(values[i], 'f', -1, 64))
	}
	height := 50 + len(funnelSteps)*rowH + 20
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, sans-serif" font-size="14" fill="#1f2933">
<rect width="100%%" height="100%%" fill="#fff"/>
<text x="20" y="28" font-size="16" font-weight="600">Loyalty funnel, store %s: Prometheus over two replicas</text>
%s</svg>
`, labelW+barW+80, height, labelW+barW+80, height, html.EscapeString(tenant), rows.String())
	var doc struct {
		Rects []struct {
			Step string `xml:"data-step,attr"`
		} `xml:"rect"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("the funnel's SVG is not well-formed: %v", err)
	}
	if bars := len(doc.Rects) - 1; bars != len(funnelSteps) {
		t.Fatalf("the funnel's SVG has %d bars, want %d", bars, len(funnelSteps))
	}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		if err := os.WriteFile(filepath.Join("..", "assets", "funnel.svg"), []byte(svg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
