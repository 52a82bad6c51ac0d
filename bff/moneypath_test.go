package bff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// The money path: everything between a shopper's click and a debit of their points. These
// tests go through the real BFF to the real sandbox and read the sandbox's ledger to see what
// was debited.

const (
	redeem301    = "/pub/widget/rewards/redeem/301"
	anaID        = "ana@example.com"
	loginPath    = "/pub/widget/vendors/vtex/securelogin"
	rewardsPath  = "/pub/widget/rewards/checkout"          // GET: the listing (endpoint 2)
	appliedPath  = rewardsPath                             // POST: the applied state (endpoint 6)
	redeemedPath = "/pub/widget/rewards/checkout/redeemed" // endpoint 3
)

// TestAmbiguousRedeemUnderLoad: a body naming OriginalId twice, in two casings, was read one
// way or the other depending on map order, so 1,000 concurrent copies redeemed under two keys:
// two coupons, two debits. Every copy must be refused before reaching the platform.
func TestAmbiguousRedeemUnderLoad(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	const total, workers = 1000, 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()

	jobs := make(chan int)
	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				r, err := try(client, b.url, "POST", redeem301, auth("demo", tok), `{"originalid":"dupC","OriginalId":"dupD"}`)
				key := fmt.Sprintf("%d %s", r.Status, r.code())
				if err != nil {
					key = err.Error()
				}
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
			}
		})
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	if want := fmt.Sprintf("400 %s", CodeAmbiguousBody); outcomes[want] != total {
		t.Fatalf("want %d × %q, got %v", total, want, outcomes)
	}
	if n := calls.get(redeem301); n != 0 {
		t.Fatalf("%d ambiguous redeems reached the platform", n)
	}
	if points, entries := ledger(t, up.URL, "demo", anaID); points != 5000 || len(entries) != 0 {
		t.Fatalf("points %v, ledger %v: an ambiguous body debited", points, entries)
	}
}

// TestAmbiguousBodies: every body the BFF reads (login, redeem, use-redeemed, applied) is
// refused when a top-level name repeats, exactly or without regard to case, or when something
// follows the object; names inside nested objects are not top-level names.
func TestAmbiguousBodies(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", a, `{"OriginalId":"cart-0"}`)) // RedeemedId 1001
	const useRedeemed = "/pub/widget/rewardredeemed/checkout/redeem/1001"
	login := hdr{"X-Bq-Tenant": "demo"}

	tests := []struct {
		name, path string
		h          hdr
		body       string
		status     int
		code       string
		names      []string // the names the message must quote
	}{
		{"login exact repeat", loginPath, login, `{"sessionToken":"ana","sessionToken":"bruno","segmentToken":"s"}`, 400, CodeAmbiguousBody, []string{`"sessionToken"`}},
		{"login case collision", loginPath, login, `{"sessionToken":"ana","SESSIONTOKEN":"bruno","segmentToken":"s"}`, 400, CodeAmbiguousBody, []string{`"sessionToken"`, `"SESSIONTOKEN"`}},
		{"login valid", loginPath, login, `{"sessionToken":"ana","segmentToken":"s"}`, 200, "", nil},
		{"redeem exact repeat, same value", redeem301, a, `{"OriginalId":"c1","OriginalId":"c1"}`, 400, CodeAmbiguousBody, []string{`"OriginalId"`}},
		{"redeem case collision", redeem301, a, `{"originalid":"dupC","OriginalId":"dupD"}`, 400, CodeAmbiguousBody, []string{`"originalid"`, `"OriginalId"`}},
		{"redeem collision of another name", redeem301, a, `{"OriginalId":"c1","note":1,"NOTE":2}`, 400, CodeAmbiguousBody, []string{`"note"`, `"NOTE"`}},
		{"redeem Unicode case folding", redeem301, a, `{"OriginalId":"c1","\u017figned":1,"Signed":2}`, 400, CodeAmbiguousBody, []string{`"Signed"`}},
		{"redeem object after the object", redeem301, a, `{"OriginalId":"c1"}{"OriginalId":"c2"}`, 400, CodeInvalidJSON, nil},
		{"redeem garbage after the object", redeem301, a, `{"OriginalId":"c1"} x`, 400, CodeInvalidJSON, nil},
		{"redeem truncated", redeem301, a, `{"OriginalId":"c1"`, 400, CodeInvalidJSON, nil},
		{"redeem null", redeem301, a, `null`, 400, CodeInvalidJSON, nil},
		{"redeem nested names are not top-level", redeem301, a, `{"OriginalId":"cart-n","meta":{"OriginalId":"x","originalid":"y"},"list":[{"a":1,"A":2}]}`, 200, "", nil},
		{"redeem valid, other casing", redeem301, a, ` {"originalID":"cart-v"} `, 200, "", nil},
		{"use-redeemed case collision", useRedeemed, a, `{"OriginalId":"c1","ORIGINALID":"c2"}`, 400, CodeAmbiguousBody, []string{`"ORIGINALID"`}},
		{"use-redeemed valid", useRedeemed, a, `{"OriginalId":"cart-0"}`, 200, "", nil},
		{"applied case collision", appliedPath, a, `{"CheckoutCode":"cart-0","checkoutcode":"cart-n"}`, 400, CodeAmbiguousBody, []string{`"checkoutcode"`}},
		{"applied valid", appliedPath, a, `{"CheckoutCode":"cart-0"}`, 200, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.get(tc.path)
			r := b.do("POST", tc.path, tc.h, tc.body)
			if tc.status == 200 {
				mustOK(t, r)
				if calls.get(tc.path) != before+1 {
					t.Fatal("a valid body did not reach the platform")
				}
				return
			}
			if r.Status != tc.status || r.code() != tc.code || r.Env["HasError"] != true || r.Env["Item"] != nil {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
			for _, n := range tc.names {
				if !strings.Contains(r.msg(), n) {
					t.Errorf("message %q does not name %s", r.msg(), n)
				}
			}
			if calls.get(tc.path) != before {
				t.Fatal("a refused body reached the platform")
			}
		})
	}
	// Debits: 302 once, then 301 for cart-n and cart-v; nothing for any refused body.
	if points, entries := ledger(t, up.URL, "demo", anaID); points != 5000-250-100-100 || len(entries) != 3 {
		t.Fatalf("points %v, ledger %v", points, entries)
	}
}

// TestRedeemWithoutOriginalId: a redeem without a key is not safe to retry (a retry could
// debit twice), so endpoints 4 and 5 refuse it unless the tenant allows old clients.
func TestRedeemWithoutOriginalId(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", a, `{"OriginalId":"cart-a"}`)) // RedeemedId 1001
	pointsBefore, ledgerBefore := ledger(t, up.URL, "demo", anaID)

	paths := []string{redeem301, "/pub/widget/rewards/redeem/302?purchaseValue=80", "/pub/widget/rewardredeemed/checkout/redeem/1001?purchaseValue=80"}
	bodies := map[string]string{"no body": ``, "blank": " \n", "empty object": `{}`, "null": `{"OriginalId":null}`, "empty": `{"OriginalId":""}`,
		"other field only": `{"CheckoutCode":"cart-a"}`}
	for _, path := range paths {
		for name, body := range bodies {
			t.Run(path+" "+name, func(t *testing.T) {
				upstreamPath, _, _ := strings.Cut(path, "?")
				before := calls.get(upstreamPath)
				r := b.do("POST", path, a, body)
				if r.Status != 400 || r.code() != CodeMissingOriginalID || r.Env["HasError"] != true {
					t.Fatalf("got %d %s", r.Status, r.Raw)
				}
				for _, why := range []string{"OriginalId", "retry", "twice", "cart id"} {
					if !strings.Contains(r.msg(), why) {
						t.Errorf("message %q does not say %q", r.msg(), why)
					}
				}
				if calls.get(upstreamPath) != before {
					t.Fatal("the keyless redeem reached the platform")
				}
			})
		}
	}
	if points, entries := ledger(t, up.URL, "demo", anaID); points != pointsBefore || len(entries) != len(ledgerBefore) {
		t.Fatalf("points %v -> %v, ledger %d -> %d entries", pointsBefore, points, len(ledgerBefore), len(entries))
	}

	t.Run("allowed for old clients by the tenant", func(t *testing.T) {
		old := startBFF(t, c, up.URL, func(o *Options) { o.Tenants[0].AllowRedeemWithoutOriginalId = true })
		otok := old.login("demo", "ana")
		r := mustOK(t, old.do("POST", "/pub/widget/rewards/redeem/302", auth("demo", otok), ``))
		if r.item()["Success"] != true {
			t.Fatalf("%s", r.Raw)
		}
		mustOK(t, old.do("POST", "/pub/widget/rewardredeemed/checkout/redeem/1001", auth("demo", otok), `{"OriginalId":null}`))
		if points, entries := ledger(t, up.URL, "demo", anaID); points != pointsBefore-250 || len(entries) != len(ledgerBefore)+1 {
			t.Fatalf("points %v, %d entries", points, len(entries))
		}
		// The setting is the tenant's: another tenant on the same BFF still refuses.
		if r := old.do("POST", "/pub/widget/rewards/redeem/302", auth("other", old.login("other", "ana")), ``); r.code() != CodeMissingOriginalID {
			t.Fatalf("other tenant: %d %s", r.Status, r.Raw)
		}
	})
}

func TestParseCents(t *testing.T) {
	tests := []struct {
		raw   string
		cents int64
		ok    bool
	}{
		{"0", 0, true},
		{"0.00", 0, true},
		{"0.004999", 0, true},
		{"0.005", 1, true}, // half up
		{"149.9", 14990, true},
		{"149.90", 14990, true},
		{"149.904999", 14990, true},
		{"149.905", 14991, true},
		{"1.005", 101, true},   // a float made this 1.00
		{"10.075", 1008, true}, // and this 10.07
		{"0.285", 29, true},    // and this 0.28
		{"999999999.99", 99999999999, true},
		{"999999999.990000", 99999999999, true},
		{"999999999.991", 0, false},    // above the maximum, though it rounds to it
		{"999999999.994999", 0, false}, // idem
		{"999999999.999999", 0, false}, // rounded first, it was 1000000000.00
		{"1000000000", 0, false},
		{"000000000149.90", 14990, true}, // leading zeros: 15 digits
		{"000000000000000", 0, true},
		{"0000000000000149.90", 0, false}, // 16 digits
		{"1.0000001", 0, false},           // 7 decimals
		{"99999999999999999999", 0, false},
		{"", 0, false}, {".5", 0, false}, {"5.", 0, false}, {"1e3", 0, false}, {"-0", 0, false}, {"+1", 0, false},
		{" 1", 0, false}, {"1,5", 0, false}, {"NaN", 0, false}, {"Inf", 0, false}, {"0x10", 0, false}, {"١٢", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, herr := parseCents(tc.raw)
			if tc.ok != (herr == nil) || got != tc.cents {
				t.Fatalf("parseCents(%q) = %d, %v; want %d, ok %v", tc.raw, got, herr, tc.cents, tc.ok)
			}
			if herr != nil && (herr.Code != 400 || herr.ErrorCode != CodeInvalidPurchase || herr.Msg == "") {
				t.Fatalf("error %+v", herr)
			}
		})
	}
}

// TestPurchaseValueForwarded: what the platform receives is the exact value rounded half up
// to cents, and never more than the documented maximum.
func TestPurchaseValueForwarded(t *testing.T) {
	c := newClock()
	sb, _ := startSandbox(t, c)
	target, _ := url.Parse(sb.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var seen []string // purchaseValue of every listing the platform received
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" && r.URL.Path == rewardsPath {
			mu.Lock()
			seen = append(seen, r.URL.Query().Get("purchaseValue"))
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	for _, tc := range []struct{ sent, forwarded string }{
		{"149.905", "149.91"}, {"1.005", "1.01"}, {"10.075", "10.08"}, {"0.005", "0.01"}, {"0.004", "0.00"}, {"999999999.99", "999999999.99"}, {"0007.5", "7.50"},
		{"999999999.999999", ""}, {"999999999.991", ""},
	} {
		t.Run(tc.sent, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			r := b.do("GET", rewardsPath+"?purchaseValue="+tc.sent, auth("demo", tok), "")
			mu.Lock()
			defer mu.Unlock()
			if tc.forwarded == "" {
				if r.Status != 400 || r.code() != CodeInvalidPurchase || len(seen) != 0 {
					t.Fatalf("got %d %s; platform saw %v", r.Status, r.Raw, seen)
				}
				return
			}
			mustOK(t, r)
			if len(seen) != 1 || seen[0] != tc.forwarded {
				t.Fatalf("platform saw %v, want %s", seen, tc.forwarded)
			}
		})
	}
}

// TestRefusalInShoppersLanguage: the platform refuses a redeem in Portuguese; when the BFF
// knows the reward's reason it answers in the shopper's language instead, with the platform's
// status and ErrorCode.
func TestRefusalInShoppersLanguage(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	// The sentence the listing gives reward 301 (minimum R$ 50) for a cart of R$ 20.
	listed := func(path, idField string, id int, lang string) string {
		for _, e := range mustOK(t, b.do("GET", path+"?purchaseValue=20&lang="+lang, a, "")).list() {
			if r := e.(map[string]any); int(num(r[idField])) == id {
				return r["UseReasonMessage"].(string)
			}
		}
		t.Fatalf("%s %d not listed", idField, id)
		return ""
	}
	refused := func(t *testing.T, r resp, want string) {
		t.Helper()
		if r.Status != 422 || r.code() != CodeUpstreamError || r.Env["HasError"] != true || r.Env["Item"] != nil {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
		if r.msg() != want || r.Env["UseReasonName"] != "MinValueNotReached" {
			t.Fatalf("message %q (%v), want %q", r.msg(), r.Env["UseReasonName"], want)
		}
	}
	english := listed(rewardsPath, "Id", 301, "en")
	if !strings.HasPrefix(english, "Add ") || !strings.Contains(english, "30") {
		t.Fatalf("listing's English sentence: %q", english)
	}
	for _, lang := range []string{"en", "es", "pt-BR"} {
		t.Run("redeem "+lang, func(t *testing.T) {
			r := b.do("POST", redeem301+"?purchaseValue=20&lang="+lang, a, `{"OriginalId":"cart-r"}`)
			refused(t, r, listed(rewardsPath, "Id", 301, lang))
		})
	}
	t.Run("use-redeemed", func(t *testing.T) {
		mustOK(t, b.do("POST", redeem301+"?purchaseValue=60", a, `{"OriginalId":"cart-u"}`)) // RedeemedId 1001
		r := b.do("POST", "/pub/widget/rewardredeemed/checkout/redeem/1001?purchaseValue=20&lang=es", a, `{"OriginalId":"cart-u"}`)
		refused(t, r, listed(redeemedPath, "RedeemedId", 1001, "es"))
		if !strings.HasPrefix(r.msg(), "Faltan ") {
			t.Fatalf("not Spanish: %q", r.msg())
		}
	})
	if _, entries := ledger(t, up.URL, "demo", anaID); len(entries) != 1 {
		t.Fatalf("ledger %v: only the R$ 60 redeem debits", entries)
	}

	passThrough := func(t *testing.T, r resp, status int, platformMsg string) {
		t.Helper()
		if r.Status != status || r.msg() != platformMsg || r.Env["UseReasonName"] != nil || r.code() != CodeUpstreamError {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
	}
	t.Run("a reason the listing does not have passes through", func(t *testing.T) {
		// 306 is disabled by the store: its UseReason is CanUse, so the store's text stays.
		r := b.do("POST", "/pub/widget/rewards/redeem/306?purchaseValue=500&lang=en", a, `{"OriginalId":"cart-d"}`)
		passThrough(t, r, 422, "Recompensa pausada pela loja até o fim da campanha.")
		r = b.do("POST", "/pub/widget/rewards/redeem/999?purchaseValue=500&lang=en", a, `{"OriginalId":"cart-d"}`)
		passThrough(t, r, 404, "Recompensa 999 não encontrada.")
	})
	t.Run("without purchaseValue there is nothing to look up", func(t *testing.T) {
		r := b.do("POST", "/pub/widget/rewards/redeem/303?lang=en", auth("demo", b.login("demo", "bruno")), `{"OriginalId":"cart-b"}`)
		passThrough(t, r, 422, "Você não tem pontos suficientes para esta recompensa.")
	})
	t.Run("a failed lookup passes the refusal through", func(t *testing.T) {
		broken := partlyBroken(t, c, rewardsPath, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
			fmt.Fprint(w, `{"HasError":true,"Message":"fora do ar","Item":null}`)
		})
		b2 := startBFF(t, c, broken, nil)
		r := b2.do("POST", redeem301+"?purchaseValue=20&lang=en", auth("demo", b2.login("demo", "ana")), `{"OriginalId":"cart-f"}`)
		passThrough(t, r, 422, "O valor mínimo da compra para esta recompensa não foi atingido.")
	})
}
