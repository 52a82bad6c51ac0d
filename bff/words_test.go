package bff

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestWidgetWordsCatalog: every language has every one of the widget's sentences, trimmed,
// with the same placeholder as pt-BR's and at most one (the widget's fill() fills one), and no
// sentence's name is also a UseReason's (a tenant's override names one or the other).
func TestWidgetWordsCatalog(t *testing.T) {
	for _, k := range widgetWords {
		if slices.Contains(reasonNames, k) || k == msgUnknown || k == msgDisabled || k == msgMinNoInfo {
			t.Errorf("%s names a UseReason message too", k)
		}
		ph := placeholders.FindAllString(defaultMessages["pt-BR"][k], -1)
		if len(ph) > 1 {
			t.Errorf("%s: %d placeholders; the widget fills one", k, len(ph))
		}
		for _, loc := range locales {
			w := defaultMessages[loc][k]
			if w == "" || w != strings.TrimSpace(w) {
				t.Errorf("%s lacks %s, or it has spaces around it: %q", loc, k, w)
			}
			if got := placeholders.FindAllString(w, -1); !slices.Equal(got, ph) {
				t.Errorf("%s %s: placeholders %v, pt-BR's are %v", loc, k, got, ph)
			}
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(widgetWords)))) != len(widgetWords) {
		t.Error("a name appears twice in widgetWords")
	}
}

// TestWidgetWordsOrderIsTheWidgets: the widget reads Words by position (widget/src/i18n.ts,
// const enum W): its names, first letter up, are widgetWords in the same order.
func TestWidgetWordsOrderIsTheWidgets(t *testing.T) {
	src, err := os.ReadFile("../widget/src/i18n.ts")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)export const enum W \{(.*?)\}`).FindSubmatch(src)
	if body == nil {
		t.Fatal("no const enum W in widget/src/i18n.ts")
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s*(\w+),`).FindAllSubmatch(body[1], -1) {
		n := []rune(string(m[1]))
		n[0] = unicode.ToUpper(n[0])
		names = append(names, string(n))
	}
	want := append(slices.Clone(widgetWords), "Count") // W.count: how many
	if !slices.Equal(names, want) {
		t.Fatalf("the widget's W:\n%v\nthe BFF's widgetWords (and Count):\n%v", names, want)
	}
}

// TestSessionBringsTheWidgetsWords: the session answer carries the widget's sentences in the
// answer's language, with the tenant's overrides; the view answers do not.
func TestSessionBringsTheWidgetsWords(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, func(o *Options) {
		o.Tenants[0].Messages = map[string]map[string]string{"Title": {"en": "Club points"}, "Short": {"pt-BR": "Só faltam {n}!"}}
	})
	words := func(lang string) []string {
		t.Helper()
		r := mustOK(t, b.do("POST", PathSession+"?purchaseValue=60&lang="+lang, hdr{"X-Bq-Tenant": "demo", "Origin": shopOrigin}, sessionBody))
		var env struct {
			Item struct {
				Session struct{ SecureToken string }
				Words   []string
			}
		}
		if err := json.Unmarshal(r.Raw, &env); err != nil {
			t.Fatal(err)
		}
		if v := mustOK(t, b.do("GET", PathCheckout+"?purchaseValue=60&lang="+lang, auth("demo", env.Item.Session.SecureToken), "")); v.item()["Words"] != nil {
			t.Fatalf("a view answer carries the words: %s", v.Raw)
		}
		return env.Item.Words
	}
	for _, lang := range []string{"en", "pt-BR", "es"} {
		got, want := words(lang), DefaultWords(lang)
		switch lang {
		case "en":
			want[slices.Index(widgetWords, "Title")] = "Club points"
		case "pt-BR":
			want[slices.Index(widgetWords, "Short")] = "Só faltam {n}!"
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: Words %q, want %q", lang, got, want)
		}
	}
	if got := DefaultWords("en")[slices.Index(widgetWords, "Use")]; got != "Use" {
		t.Errorf("DefaultWords(en) Use: %q", got)
	}
}
