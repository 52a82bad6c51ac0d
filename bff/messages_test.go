package bff

import (
	"fmt"
	"strings"
	"testing"
)

func TestMessagesForEveryReasonInThreeLocales(t *testing.T) {
	var rewards []string
	for reason := 0; reason <= 13; reason++ {
		rem := "null"
		if reason == 2 {
			rem = "1234.56"
		}
		rewards = append(rewards, fmt.Sprintf(`{"Id":%d,"Enabled":true,"CanUse":%v,"UseReason":%d,"RemainingToUse":%s}`, 100+reason, reason == 0, reason, rem))
	}
	rewards = append(rewards,
		`{"Id":200,"Enabled":true,"UseReason":2,"RemainingToUse":null}`,
		`{"Id":200,"Enabled":true,"UseReason":2,"RemainingToUse":0.001}`,
		`{"Id":200,"Enabled":true,"UseReason":2,"RemainingToUse":1.7e308}`,
		`{"Id":201,"Enabled":false,"DisabledReason":"Pausada","UseReason":0}`,
		`{"Id":202,"Enabled":false,"DisabledReason":null,"UseReason":0}`,
		`{"Id":203,"Enabled":true,"UseReason":"odd"}`)
	up := fakeUpstream(t, "["+strings.Join(rewards, ",")+"]")
	c := newClock()
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")

	wantMin := map[string]string{"pt-BR": "R$\u00a01.234,56", "en": "R$1,234.56", "es": "1234,56"}
	for _, loc := range locales {
		t.Run(loc, func(t *testing.T) {
			r := mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1&lang="+loc, auth("demo", tok), ""))
			seen := map[string]bool{}
			for _, e := range r.list() {
				rw := e.(map[string]any)
				id := int(num(rw["Id"]))
				name, msg := rw["UseReasonName"].(string), rw["UseReasonMessage"].(string)
				if msg == "" || strings.Contains(msg, "{") {
					t.Fatalf("reward %d: message %q", id, msg)
				}
				switch {
				case id >= 100 && id <= 112:
					if name != reasonNames[id-100] || msg != strings.ReplaceAll(defaultMessages[loc][name], "{remaining}", wantMinFull(loc)) {
						t.Fatalf("reason %d: %s %q", id-100, name, msg)
					}
					if seen[msg] {
						t.Fatalf("reason %d repeats another reason's message %q", id-100, msg)
					}
					seen[msg] = true
				case id == 113 || id == 203:
					if name != msgUnknown || msg != defaultMessages[loc][msgUnknown] {
						t.Fatalf("unknown reason: %s %q", name, msg)
					}
				case id == 200:
					if msg != defaultMessages[loc][msgMinNoInfo] {
						t.Fatalf("min value without amount: %q", msg)
					}
				case id == 201:
					if msg != "Pausada" {
						t.Fatalf("disabled reason not used: %q", msg)
					}
				case id == 202:
					if msg != defaultMessages[loc][msgDisabled] {
						t.Fatalf("disabled without reason: %q", msg)
					}
				}
				if id == 102 && !strings.Contains(msg, wantMin[loc]) {
					t.Fatalf("MinValueNotReached in %s: %q lacks %q", loc, msg, wantMin[loc])
				}
			}
		})
	}
	t.Run("locale precedence and overrides", func(t *testing.T) {
		msgOf := func(r resp, id int) string {
			for _, e := range r.list() {
				if rw := e.(map[string]any); int(num(rw["Id"])) == id {
					return rw["UseReasonMessage"].(string)
				}
			}
			return ""
		}
		get := func(tenant, tok, q, accept string) string {
			h := auth(tenant, tok)
			if accept != "" {
				h["Accept-Language"] = accept
			}
			return msgOf(mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1"+q, h, "")), 101)
		}
		pt, en, es := defaultMessages["pt-BR"]["NotEnoughPoints"], defaultMessages["en"]["NotEnoughPoints"], defaultMessages["es"]["NotEnoughPoints"]
		cases := []struct{ name, q, accept, want string }{
			{"tenant default", "", "", pt},
			{"Accept-Language", "", "es-MX,es;q=0.9,en;q=0.5", es},
			{"lang wins", "&lang=en", "es", en},
			{"unsupported lang falls through", "&lang=fr", "es", es},
			{"garbage lang falls through", "&lang=%%%", "", pt},
			{"unsupported everything", "&lang=de", "ja", pt},
			{"pt-PT maps to pt-BR", "", "pt-PT", pt},
		}
		for _, tc := range cases {
			if got := get("demo", tok, tc.q, tc.accept); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
		otherTok := b.login("other", "ana")
		if got := get("other", otherTok, "", ""); got != en {
			t.Errorf("tenant default en: %q", got)
		}
	})
	t.Run("tenant override and currency", func(t *testing.T) {
		b2 := startBFF(t, c, up.URL, func(o *Options) {
			o.Tenants[0].Messages = map[string]map[string]string{"MinValueNotReached": {"pt-BR": "Só mais {remaining}!"}}
			o.Tenants[1].Currency = "USD"
		})
		tok := b2.login("demo", "ana")
		r := mustOK(t, b2.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", auth("demo", tok), ""))
		if got := r.list()[2].(map[string]any)["UseReasonMessage"]; got != "Só mais R$\u00a01.234,56!" {
			t.Fatalf("override: %q", got)
		}
		tok = b2.login("other", "ana")
		r = mustOK(t, b2.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", auth("other", tok), ""))
		if got := r.list()[2].(map[string]any)["UseReasonMessage"].(string); !strings.Contains(got, "$1,234.56") {
			t.Fatalf("USD in en: %q", got)
		}
		if got := r.list()[2].(map[string]any)["UseReasonMessage"].(string); strings.Contains(got, "Só") {
			t.Fatalf("override leaked to another tenant: %q", got)
		}
	})
}

// wantMinFull is 1234.56 BRL as browsers' Intl prints it in each locale, as the BFF must
// (see money.go): es writes the ISO code after the amount, and groups only from 5 digits.
func wantMinFull(loc string) string {
	return map[string]string{"pt-BR": "R$\u00a01.234,56", "en": "R$1,234.56", "es": "1234,56\u00a0BRL"}[loc]
}
