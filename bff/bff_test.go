package bff

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// normalize drops what the BFF changes on purpose (its token, the added fields) and the
// random coupon codes, so a BFF answer can be compared with the sandbox's own.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			switch k {
			case "UseReasonName", "UseReasonMessage", "ErrorCode", "ExpiresAt":
			case "SecureToken", "CouponCode":
				if e != nil {
					out[k] = "<random>"
				} else {
					out[k] = nil
				}
			default:
				out[k] = normalize(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// TestDropInPaths runs one session on two identical sandboxes, one directly and one through
// the BFF, and compares every answer. The tenant lets old clients redeem without OriginalId,
// so every path of the contract, keyless redeems included, passes through unchanged.
func TestDropInPaths(t *testing.T) {
	c := newClock()
	direct, _ := startSandbox(t, c)
	behind, _ := startSandbox(t, c)
	b := startBFF(t, c, behind.URL, func(o *Options) { o.Tenants[0].AllowRedeemWithoutOriginalId = true })

	login := `{"sessionToken":"ana","segmentToken":"seg"}`
	dl := call(t, direct.URL, "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, login)
	bl := b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, login)
	if !reflect.DeepEqual(normalize(dl.Env), normalize(bl.Env)) || dl.Status != bl.Status {
		t.Fatalf("login differs:\nsandbox %s\nbff     %s", dl.Raw, bl.Raw)
	}
	dTok := dl.item()["SecureToken"].(string)
	bTok := bl.item()["SecureToken"].(string)

	steps := []struct{ name, method, path, body string }{
		{"list rewards", "GET", "/pub/widget/rewards/checkout?purchaseValue=120", ""},
		{"list with cart", "GET", "/pub/widget/rewards/checkout?purchaseValue=20.5&order_form_id=abc123", ""},
		{"redeem", "POST", "/pub/widget/rewards/redeem/301", `{"OriginalId":"cart-1"}`},
		{"redeem replay", "POST", "/pub/widget/rewards/redeem/301", `{"OriginalId":"cart-1"}`},
		{"redeem refused", "POST", "/pub/widget/rewards/redeem/306", ``},
		{"second reward on cart", "POST", "/pub/widget/rewards/redeem/302", `{"OriginalId":"cart-1"}`},
		{"redeem without cart", "POST", "/pub/widget/rewards/redeem/302?purchaseValue=80", ``},
		{"list redeemed", "GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=120", ""},
		{"use redeemed", "POST", "/pub/widget/rewardredeemed/checkout/redeem/1002", `{"OriginalId":"cart-2"}`},
		{"applied", "POST", "/pub/widget/rewards/checkout", `{"CheckoutCode":"cart-2"}`},
		{"applied none", "POST", "/pub/widget/rewards/checkout", `{"CheckoutCode":"cart-none"}`},
		{"reverse", "POST", "/pub/widget/rewards/checkout/1001/reverse", ``},
		{"reverse again", "POST", "/pub/widget/rewards/checkout/1001/reverse", ``},
		{"list after reverse", "GET", "/pub/widget/rewards/checkout?purchaseValue=120", ""},
		{"unknown reward", "POST", "/pub/widget/rewards/redeem/999", ``},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			d := call(t, direct.URL, s.method, s.path, auth("demo", dTok), s.body)
			g := b.do(s.method, s.path, auth("demo", bTok), s.body)
			if d.Status != g.Status || !reflect.DeepEqual(normalize(d.Env), normalize(g.Env)) {
				t.Fatalf("differs:\nsandbox %d %s\nbff     %d %s", d.Status, d.Raw, g.Status, g.Raw)
			}
			if d.Env["HasError"] == true && g.code() == "" {
				t.Fatalf("upstream error without ErrorCode: %s", g.Raw)
			}
		})
	}
}

func TestUpstreamTokenNeverReachesTheBrowser(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	lr := b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"ana","segmentToken":"seg"}`)
	tok := lr.item()["SecureToken"].(string)
	sess, err := b.srv.keys.verify(tok, "demo")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(sess.sess.upstreamToken)
	if len(secret) != 36 {
		t.Fatalf("unsealed upstream token %q", secret)
	}
	bodies := [][]byte{lr.Raw}
	for _, s := range []struct{ method, path, body string }{
		{"GET", "/pub/widget/rewards/checkout?purchaseValue=100", ""},
		{"GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=100", ""},
		{"POST", "/pub/widget/rewards/redeem/302", `{"OriginalId":"c1"}`},
		{"POST", "/pub/widget/rewardredeemed/checkout/redeem/1001", `{"OriginalId":"c1"}`},
		{"POST", "/pub/widget/rewards/checkout", `{"CheckoutCode":"c1"}`},
		{"GET", "/bff/v1/checkout?purchaseValue=100&checkoutCode=c1", ""},
		{"POST", "/pub/widget/rewards/checkout/1001/reverse", ""},
	} {
		r := mustOK(t, b.do(s.method, s.path, auth("demo", tok), s.body))
		bodies = append(bodies, r.Raw)
	}
	// The JWT's payload is readable by anyone: the upstream token must not be in it either.
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	bodies = append(bodies, payload, []byte(tok))
	for i, body := range bodies {
		if bytes.Contains(body, secret) {
			t.Fatalf("body %d contains the upstream token: %s", i, body)
		}
	}
	if !bytes.Contains(payload, []byte(`"aud":["demo"]`)) || !bytes.Contains(payload, []byte(`"sub":"ana@example.com"`)) {
		t.Fatalf("claims %s", payload)
	}
}

func TestTokenRefusals(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	good := b.login("demo", "ana")
	parts := strings.Split(good, ".")

	// A token signed with another key but otherwise perfect.
	other, _ := newKeyring([]Key{strangeKey}, time.Hour, 0, c.Now)
	wrongKey, _, _ := other.issue("demo", "ana@example.com", "whatever")
	// alg none, with the real claims.
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": tokenIssuer, "aud": "demo", "sub": "ana@example.com", "exp": c.Now().Add(time.Hour).Unix()})
	none.Header["kid"] = "k1"
	algNone, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	// The payload changed (sub) under the old signature.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte("ana@"), []byte("bob@"), 1)) + "." + parts[2]
	// HS256 with the right key but an unknown kid.
	noKid := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": tokenIssuer, "aud": "demo", "sub": "ana@example.com", "exp": c.Now().Add(time.Hour).Unix()})
	noKid.Header["kid"] = "nope"
	unknownKid, _ := noKid.SignedString(b.srv.keys.signer.mac)

	tests := []struct{ name, tenant, token string }{
		{"missing", "demo", ""},
		{"malformed", "demo", "not.a.jwt"},
		{"tampered payload", "demo", forged},
		{"tampered signature", "demo", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))},
		{"alg none", "demo", algNone},
		{"wrong key", "demo", wrongKey},
		{"unknown kid", "demo", unknownKid},
		{"other tenant", "other", good},
		{"upstream token itself", "demo", "742b9b93-c1dc-4ec1-8f92-6b3a1838c613"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=10", auth(tc.tenant, tc.token), "")
			if r.Status != 401 || r.Env["HasError"] != true || r.code() != CodeUnauthorized || r.Env["Item"] != nil {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
		})
	}
	t.Run("good token works", func(t *testing.T) {
		mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=10", auth("demo", good), ""))
	})
	t.Run("expired", func(t *testing.T) {
		c.Advance(55*time.Minute + 30*time.Second + time.Second) // TTL, then the leeway

		r := b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=10", auth("demo", good), "")
		if r.Status != 401 || r.code() != CodeUnauthorized {
			t.Fatalf("expired token: %d %s", r.Status, r.Raw)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	before := startBFF(t, c, up.URL, func(o *Options) { o.Keys = []Key{oldKey} })
	tok := before.login("demo", "ana")
	// Another replica, after rotation: signs with the new key, still accepts the old one.
	after := startBFF(t, c, up.URL, func(o *Options) { o.Keys = []Key{newKey, oldKey} })
	mustOK(t, after.do("GET", "/pub/widget/rewards/checkout?purchaseValue=10", auth("demo", tok), ""))
	fresh := after.login("demo", "ana")
	if h, _ := base64.RawURLEncoding.DecodeString(strings.Split(fresh, ".")[0]); !bytes.Contains(h, []byte(`"kid":"new"`)) {
		t.Fatalf("new tokens not signed by the first key: %s", h)
	}
	// Once the old key is gone, its tokens are refused.
	retired := startBFF(t, c, up.URL, func(o *Options) { o.Keys = []Key{newKey} })
	if r := retired.do("GET", "/pub/widget/rewards/checkout?purchaseValue=10", auth("demo", tok), ""); r.Status != 401 {
		t.Fatalf("retired key accepted: %d", r.Status)
	}
}

func TestCORS(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	preflight := func(origin string) resp {
		return b.do("OPTIONS", "/pub/widget/rewards/checkout?purchaseValue=1", hdr{
			"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-bq-tenant,x-bq-securetoken",
		}, "")
	}
	t.Run("allowed origin preflight", func(t *testing.T) {
		r := preflight(shopOrigin)
		if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != shopOrigin ||
			!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "x-bq-securetoken") {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
		if r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatal("credentials allowed; the BFF uses a header token, not cookies")
		}
	})
	t.Run("unknown origin preflight", func(t *testing.T) {
		for _, o := range []string{"http://evil.test", "http://shop.test.evil.test", "https://shop.test", "null"} {
			if got := preflight(o).Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Fatalf("%s allowed: %q", o, got)
			}
		}
	})
	t.Run("allowed origin request", func(t *testing.T) {
		h := auth("demo", tok)
		h["Origin"] = shopOrigin
		r := mustOK(t, b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", h, ""))
		if r.Header.Get("Access-Control-Allow-Origin") != shopOrigin || r.Header.Get("Access-Control-Allow-Origin") == "*" {
			t.Fatalf("ACAO %q", r.Header.Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("another tenant's origin is refused", func(t *testing.T) {
		h := auth("demo", tok)
		h["Origin"] = "http://other.test"
		if r := b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=1", h, ""); r.Status != 403 || r.code() != CodeOriginNotAllowed {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		h = hdr{"X-Bq-Tenant": "demo", "Origin": "http://evil.test"}
		if r := b.do("POST", "/pub/widget/vendors/vtex/securelogin", h, `{"sessionToken":"ana","segmentToken":"x"}`); r.Status != 403 {
			t.Fatalf("login from a foreign origin: %d", r.Status)
		}
	})
}

// fakeUpstream answers login and the listing with the rewards given, for message tests.
func fakeUpstream(t *testing.T, rewards string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/securelogin"):
			fmt.Fprint(w, `{"HasError":false,"Message":null,"Item":{"Email":"a@b","Name":"A","UserId":"a@b","SecureToken":"up-token"}}`)
		case r.URL.Path == "/pub/widget/rewards/checkout":
			fmt.Fprintf(w, `{"ProgramName":"P","PointsBalance":10,"HasError":false,"Message":null,"Item":%s}`, rewards)
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"HasError":true,"Message":"no","Item":null}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

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

func TestCheckoutOneRoundTrip(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/301", auth("demo", tok), `{"OriginalId":"cart-7"}`))
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", auth("demo", tok), `{"OriginalId":"cart-8"}`))

	r := mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=cart-7&lang=en", auth("demo", tok), ""))
	v := r.item()
	if v["ProgramName"] != "Clube Demo" || num(v["PointsBalance"]) != 4650 || len(v["Missing"].([]any)) != 0 {
		t.Fatalf("view %s", r.Raw)
	}
	if n := len(v["Rewards"].([]any)); n != 6 {
		t.Fatalf("%d rewards", n)
	}
	if n := len(v["Redeemed"].([]any)); n != 2 {
		t.Fatalf("%d redeemed", n)
	}
	applied := v["Applied"].(map[string]any)
	reward := applied["Reward"].(map[string]any)
	if applied["Success"] != true || num(reward["Id"]) != 301 || num(reward["RedeemedId"]) != 1001 || reward["UseReasonMessage"] == nil {
		t.Fatalf("applied %v", applied)
	}
	if calls.get("/pub/widget/rewards/checkout/redeemed") != 1 {
		t.Fatalf("redeemed asked %d times", calls.get("/pub/widget/rewards/checkout/redeemed"))
	}

	t.Run("without a cart there is no applied part", func(t *testing.T) {
		v := mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60", auth("demo", tok), "")).item()
		if v["Applied"] != nil || len(v["Missing"].([]any)) != 0 {
			t.Fatalf("%v", v)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, q := range []string{"", "?purchaseValue=-1", "?purchaseValue=1&checkoutCode=a%20b"} {
			if r := b.do("GET", "/bff/v1/checkout"+q, auth("demo", tok), ""); r.Status != 400 || r.code() == "" {
				t.Fatalf("%q: %d %s", q, r.Status, r.Raw)
			}
		}
	})
}

// partlyBroken wraps a sandbox and breaks one path.
func partlyBroken(t *testing.T, c *clock, brokenPath string, broken http.HandlerFunc) string {
	up, _ := startSandbox(t, c)
	target := up.URL
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == brokenPath {
			broken(w, r)
			return
		}
		req, _ := http.NewRequest(r.Method, target+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			w.WriteHeader(502)
			return
		}
		defer res.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(res.StatusCode)
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		_, _ = w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckoutWithAFailedPart(t *testing.T) {
	c := newClock()
	up := partlyBroken(t, c, "/pub/widget/rewards/checkout/redeemed", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprint(w, "<html>Internal Server Error</html>")
	})
	b := startBFF(t, c, up, nil)
	tok := b.login("demo", "ana")
	r := mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=x", auth("demo", tok), ""))
	v := r.item()
	missing := v["Missing"].([]any)
	if len(missing) != 1 || missing[0] != "redeemed" || v["Redeemed"] != nil {
		t.Fatalf("missing %v", missing)
	}
	p := v["Problems"].(map[string]any)["redeemed"].(map[string]any)
	if num(p["Status"]) != 502 || p["ErrorCode"] != CodeUpstreamBadAnswer || p["Message"] == "" {
		t.Fatalf("problem %v", p)
	}
	if len(v["Rewards"].([]any)) != 6 || v["Applied"] == nil || num(v["PointsBalance"]) != 5000 {
		t.Fatalf("working parts missing: %s", r.Raw)
	}
}

func TestCachedListingDroppedAfterRedeem(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, func(o *Options) { o.CacheTTL = time.Minute })
	tok := b.login("demo", "ana")
	const path = "/pub/widget/rewards/checkout"
	list := func(q string) resp { return mustOK(t, b.do("GET", path+q, auth("demo", tok), "")) }
	first := list("?purchaseValue=100")
	list("?purchaseValue=100.00")
	list("?purchaseValue=100&lang=en")
	if n := calls.get(path); n != 1 {
		t.Fatalf("upstream asked %d times for one listing", n)
	}
	list("?purchaseValue=101")
	if n := calls.get(path); n != 2 {
		t.Fatalf("another purchase value must be another entry: %d", n)
	}
	// Another shopper never gets ana's answer.
	bruno := b.login("demo", "bruno")
	if r := mustOK(t, b.do("GET", path+"?purchaseValue=100", auth("demo", bruno), "")); num(r.Env["PointsBalance"]) != 120 {
		t.Fatalf("bruno sees %v", r.Env["PointsBalance"])
	}
	mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/302", auth("demo", tok), `{"OriginalId":"c"}`))
	after := list("?purchaseValue=100")
	if num(first.Env["PointsBalance"]) != 5000 || num(after.Env["PointsBalance"]) != 4750 {
		t.Fatalf("balance %v then %v: the cache was not dropped", first.Env["PointsBalance"], after.Env["PointsBalance"])
	}
	mustOK(t, b.do("POST", "/pub/widget/rewards/checkout/1001/reverse", auth("demo", tok), ""))
	if r := list("?purchaseValue=100"); num(r.Env["PointsBalance"]) != 5000 {
		t.Fatalf("after reverse %v", r.Env["PointsBalance"])
	}
	c.Advance(2 * time.Minute)
	before := calls.get(path)
	list("?purchaseValue=100")
	if calls.get(path) != before+1 {
		t.Fatal("an expired entry was served")
	}
}

func TestUpstreamFaults(t *testing.T) {
	c := newClock()
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	handler := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name, upstream string
		status         int
		code           string
		retryAfter     string
	}{
		{"dead address", deadURL, 502, CodeUpstreamUnreachable, ""},
		{"slow past the timeout", handler(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		}), 504, CodeUpstreamTimeout, ""},
		{"garbage", handler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>Bad Gateway</html>")
		}), 502, CodeUpstreamBadAnswer, ""},
		{"JSON but not the envelope", handler(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[1,2,3]`) }), 502, CodeUpstreamBadAnswer, ""},
		{"too large", handler(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"HasError":false,"Item":"%s"}`, strings.Repeat("x", 2<<10))
		}), 502, CodeAnswerTooLarge, ""},
		{"rate limited", handler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			fmt.Fprint(w, `{"HasError":true,"Message":"Too many","Item":null}`)
		}), 429, CodeRateLimited, "7"},
		{"rate limited without Retry-After", handler(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }), 429, CodeRateLimited, "1"},
		{"redirect is not followed", handler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/steal", http.StatusFound)
		}), 502, CodeUpstreamBadAnswer, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := startBFF(t, c, tc.upstream, func(o *Options) {
				o.UpstreamTimeout = 300 * time.Millisecond
				o.MaxUpstreamBody = 1 << 10
			})
			r := b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"ana","segmentToken":"x"}`)
			if r.Status != tc.status || r.code() != tc.code || r.Env["HasError"] != true || r.msg() == "" {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
			if r.Header.Get("Retry-After") != tc.retryAfter {
				t.Fatalf("Retry-After %q, want %q", r.Header.Get("Retry-After"), tc.retryAfter)
			}
			if strings.Contains(string(r.Raw), "127.0.0.1") || strings.Contains(string(r.Raw), "dial") {
				t.Fatalf("internal detail leaked: %s", r.Raw)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, func(o *Options) { o.BodyLimit = 4 << 10 })
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	tests := []struct {
		name, method, path string
		h                  hdr
		body               string
		status             int
		code               string
	}{
		{"missing tenant", "GET", "/pub/widget/rewards/checkout?purchaseValue=1", hdr{"X-Bq-SecureToken": tok}, "", 400, CodeMissingTenant},
		{"unknown tenant", "GET", "/pub/widget/rewards/checkout?purchaseValue=1", auth("nope", tok), "", 404, CodeUnknownTenant},
		{"purchaseValue missing", "GET", "/pub/widget/rewards/checkout", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue negative", "GET", "/pub/widget/rewards/checkout?purchaseValue=-5", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue NaN", "GET", "/pub/widget/rewards/checkout?purchaseValue=NaN", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue Inf", "GET", "/pub/widget/rewards/checkout?purchaseValue=Inf", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue huge", "GET", "/pub/widget/rewards/checkout?purchaseValue=1000000000", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue exponent", "GET", "/pub/widget/rewards/checkout?purchaseValue=1e400", a, "", 400, CodeInvalidPurchase},
		{"purchaseValue comma", "GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=10,5", a, "", 400, CodeInvalidPurchase},
		{"bad order_form_id", "GET", "/pub/widget/rewards/checkout?purchaseValue=1&order_form_id=a/b", a, "", 400, CodeBadRequest},
		{"reward id zero", "POST", "/pub/widget/rewards/redeem/0", a, "", 400, CodeInvalidID},
		{"reward id negative", "POST", "/pub/widget/rewards/redeem/-1", a, "", 400, CodeInvalidID},
		{"reward id text", "POST", "/pub/widget/rewards/redeem/abc", a, "", 400, CodeInvalidID},
		{"reward id fraction", "POST", "/pub/widget/rewardredeemed/checkout/redeem/1.5", a, "", 400, CodeInvalidID},
		{"reverse id overflow", "POST", "/pub/widget/rewards/checkout/99999999999999999999/reverse", a, "", 400, CodeInvalidID},
		{"malformed JSON", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":`, 400, CodeInvalidJSON},
		{"JSON array", "POST", "/pub/widget/rewards/checkout", a, `["x"]`, 400, CodeInvalidJSON},
		{"OriginalId not a string", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":7}`, 400, CodeBadRequest},
		{"OriginalId too long", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":"` + strings.Repeat("a", 129) + `"}`, 400, CodeBadRequest},
		{"oversized body", "POST", "/pub/widget/rewards/redeem/301", a, `{"OriginalId":"` + strings.Repeat("a", 8<<10) + `"}`, 413, CodeBodyTooLarge},
		{"login without sessionToken", "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"segmentToken":"x"}`, 400, CodeBadRequest},
		{"login with a number", "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":1,"segmentToken":"x"}`, 400, CodeBadRequest},
		{"login bad platform", "POST", "/pub/widget/vendors/VTEX%2F..%2Fx/securelogin", hdr{"X-Bq-Tenant": "demo"}, `{"sessionToken":"ana","segmentToken":"x"}`, 400, CodeBadRequest},
		{"unknown path", "GET", "/pub/widget/nothing", a, "", 404, CodeNotFound},
	}
	before := calls.get("/pub/widget/rewards/redeem/301")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.do(tc.method, tc.path, tc.h, tc.body)
			if r.Status != tc.status || r.code() != tc.code || r.Env["HasError"] != true || r.msg() == "" || r.Env["Item"] != nil {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Fatal("no request id")
			}
		})
	}
	if calls.get("/pub/widget/rewards/redeem/301") != before {
		t.Fatal("bad input reached the upstream")
	}
	if r := call(t, up.URL, "GET", "/_sandbox/tenants/demo/shoppers/ana@example.com", nil, ""); num(r.item()["Points"]) != 5000 {
		t.Fatal("bad input changed the shopper's points")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	if r := b.do("GET", "/healthz", nil, ""); r.Status != 200 {
		t.Fatalf("healthz %d", r.Status)
	}
	r := b.do("GET", "/readyz", nil, "")
	if r.Status != 200 || num(r.Env["tenants"]) != 2 {
		t.Fatalf("readyz %d %s", r.Status, r.Raw)
	}
	if a, z := b.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id"), r.Header.Get("X-Request-Id"); a == "" || a == z {
		t.Fatalf("request ids %q %q", a, z)
	}
}

func TestOptionsValidationReportsEveryProblem(t *testing.T) {
	o := Options{
		Tenants: []TenantConfig{
			{Key: "", Upstream: "ftp://x"},
			{Key: "a", Upstream: "http://up", AllowedOrigins: []string{"*", "http://shop.test/", "https://*.shop.test", "http://ok.test"}, Locale: "fr", Currency: "XXXX",
				Messages: map[string]map[string]string{"NotAReason": {"pt-BR": "x", "fr": "y"}, "CanUse": {"de": "x"}, "Short": {"en": "{remaining} short", "es": "{n} y {n}"}, "Title": {"es": " "}}},
			{Key: "a", Upstream: "http://up"},
		},
		Keys:               []Key{{ID: "short", Secret: []byte("123")}, {ID: "zeros", Secret: make([]byte, 32)}},
		TokenTTL:           2 * time.Hour,
		TokenLeeway:        -time.Second,
		MaxUpstreamBody:    2 << 20,
		MaxRedeemedBody:    1 << 20,
		UpstreamQueue:      -1,
		ClientLoginEvery:   -time.Second,
		TrustedProxyHeader: "X-Forwarded-For:",
	}
	_, err := New(o)
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"key is empty", `upstream "ftp://x"`, `allowed origin "*"`, `allowed origin "http://shop.test/"`, `"https://*.shop.test"`,
		`locale "fr"`, `currency "XXXX"`, `"NotAReason" is not a UseReason name nor one of the widget's sentences`, `locale "de"`, `messages.NotAReason: locale "fr"`,
		`messages.Short.en "{remaining} short": {remaining} is not filled in this sentence`, `messages.Title.es " ": is empty`, `messages.Short.es "{n} y {n}": {n} is filled once only`, "key appears twice", "needs at least 32", "TokenTTL",
		"keys[1] (zeros): secret has only 1 distinct", "TokenLeeway -1s", "MaxRedeemedBody 1048576: must not be below MaxUpstreamBody",
		"UpstreamQueue", "ClientLoginEvery -1s", `TrustedProxyHeader "X-Forwarded-For:"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "http://ok.test") {
		t.Errorf("a valid origin was reported: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	keys, err := ParseKeys("new:" + base64.StdEncoding.EncodeToString(newKey.Secret) + "\n# retired soon\nold:" + base64.RawURLEncoding.EncodeToString(oldKey.Secret))
	if err != nil || len(keys) != 2 || keys[0].ID != "new" || !bytes.Equal(keys[0].Secret, newKey.Secret) || !bytes.Equal(keys[1].Secret, oldKey.Secret) {
		t.Fatalf("%v %v", keys, err)
	}
	if _, err := ParseKeys("nocolon,bad:!!!"); err == nil || !strings.Contains(err.Error(), "id:base64secret") || !strings.Contains(err.Error(), "not base64") {
		t.Fatalf("errors: %v", err)
	}
}

func TestPanicIsAnsweredInTheEnvelope(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	var logs bytes.Buffer
	o := Options{
		Tenants: []TenantConfig{{Key: "demo", Upstream: up.URL}},
		Keys:    []Key{testKey},
		Now:     c.Now,
		Logger:  slog.New(slog.NewJSONHandler(&syncWriter{w: &logs}, nil)),
	}
	o.extraRoutes = []extraRoute{{method: "GET", path: "/boom", h: func(*exchange) error { panic("secret internal detail") }}}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := srv.front.app.Test(httptest.NewRequest("GET", "/boom", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 500 || !bytes.Contains(body, []byte(`"ErrorCode":"internal"`)) || bytes.Contains(body, []byte("secret")) {
		t.Fatalf("%d %s", r.StatusCode, body)
	}
	// The access log has its line for this request, as for any other.
	id := r.Header.Get("X-Request-Id")
	logged := false
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"request"`) && strings.Contains(line, `"request_id":"`+id+`"`) && strings.Contains(line, `"status":500`) {
			logged = true
		}
	}
	if id == "" || !logged {
		t.Fatalf("request %q has no access log line: %s", id, logs.String())
	}
}

// syncWriter lets the server's goroutines share a test buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestRequestIDs: the id in X-Request-ID and in the logs is always the BFF's own, so a client
// cannot make two requests share one or pass its request off as another's. A well-formed
// client id is logged beside it as client_request_id; a malformed one is dropped.
func TestRequestIDs(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	var logs bytes.Buffer
	lw := &syncWriter{w: &logs}
	b := startBFF(t, c, up.URL, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(lw, nil)) })
	earlier := b.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id")

	tests := []struct {
		name, client string
		kept         bool
	}{
		{"none", "", false},
		{"well formed", "shop-req_42.a:b", true},
		{"well formed, again", "shop-req_42.a:b", true},
		{"another request's id", earlier, true},
		{"spaces", "my request id", false},
		{"too long", strings.Repeat("a", 65), false},
		{"log injection", `x","request_id":"victim`, false},
		{"non-ASCII", "pedido-nº1", false},
	}
	seen := map[string]bool{earlier: true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := hdr{}
			if tc.client != "" {
				h["X-Request-ID"] = tc.client
			}
			r := b.do("GET", "/healthz", h, "")
			id := r.Header.Get("X-Request-Id")
			if id == "" || id == tc.client || seen[id] {
				t.Fatalf("answered id %q for client id %q (seen before: %v)", id, tc.client, seen[id])
			}
			seen[id] = true
			line := accessLogLine(t, lw, id)
			if line == nil {
				t.Fatalf("no access log line with request_id %q:\n%s", id, lw.String())
			}
			got, has := line["client_request_id"]
			if tc.kept != has || (tc.kept && got != tc.client) {
				t.Fatalf("client_request_id %v (present %v), want %q kept=%v", got, has, tc.client, tc.kept)
			}
			if !tc.kept && tc.client != "" && strings.Contains(lw.String(), tc.client) {
				t.Fatalf("a malformed client id reached the log:\n%s", lw.String())
			}
		})
	}
	t.Run("replicas draw different ids", func(t *testing.T) {
		// Two replicas started in the same millisecond with the same sequence must still
		// differ: each id carries random bits drawn at start.
		other := startBFF(t, c, up.URL, nil)
		a := b.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id")
		z := other.do("GET", "/healthz", nil, "").Header.Get("X-Request-Id")
		prefix := func(id string) string { return id[:strings.LastIndex(id, "-")+1] }
		if prefix(a) == "" || prefix(a) == prefix(z) {
			t.Fatalf("ids %q and %q share everything but the sequence", a, z)
		}
	})
}

// accessLogLine finds the JSON access log line of a request id.
func accessLogLine(t *testing.T, w *syncWriter, id string) map[string]any {
	t.Helper()
	for _, raw := range strings.Split(w.String(), "\n") {
		var line map[string]any
		if json.Unmarshal([]byte(raw), &line) == nil && line["msg"] == "request" && line["request_id"] == id {
			return line
		}
	}
	return nil
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*bytes.Buffer).String()
}

// TestTokenLeeway: replicas' clocks differ a little. A token issued by a replica a second
// ahead (its iat and nbf in the verifier's future) is accepted, and one a little past its
// expiry too; past the leeway both are refused.
func TestTokenLeeway(t *testing.T) {
	c := newClock()
	up, _ := startSandbox(t, c)
	skewed := func(d time.Duration) *bffEnv {
		ahead := &clock{t: c.Now().Add(d)}
		return startBFF(t, ahead, up.URL, nil)
	}
	verifier := startBFF(t, c, up.URL, nil)
	list := func(b *bffEnv, tok string) resp {
		return b.do("GET", "/pub/widget/rewards/checkout?purchaseValue=10", auth("demo", tok), "")
	}
	aheadTok := skewed(time.Second).login("demo", "ana")
	mustOK(t, list(verifier, aheadTok))
	if r := list(verifier, skewed(31*time.Second).login("demo", "ana")); r.Status != 401 || r.code() != CodeUnauthorized {
		t.Fatalf("a token from 31 s in the future: %d %s", r.Status, r.Raw)
	}
	strict := startBFF(t, c, up.URL, func(o *Options) { o.TokenLeeway = 500 * time.Millisecond })
	if r := list(strict, aheadTok); r.Status != 401 {
		t.Fatalf("TokenLeeway 500ms accepted a token from 1 s ahead: %d", r.Status)
	}

	c.Advance(55*time.Minute + 29*time.Second) // 28 s past the token's expiry
	mustOK(t, list(verifier, aheadTok))
	c.Advance(3 * time.Second) // 31 s past
	if r := list(verifier, aheadTok); r.Status != 401 || r.code() != CodeUnauthorized {
		t.Fatalf("a token expired past the leeway: %d %s", r.Status, r.Raw)
	}

	// The leeway extends a token's life: with it, never past the upstream token's 60 minutes.
	_, err := New(Options{Tenants: []TenantConfig{{Key: "demo", Upstream: up.URL}}, Keys: []Key{testKey}, TokenTTL: 60 * time.Minute, Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "plus TokenLeeway") {
		t.Fatalf("TokenTTL 60m with the default leeway: %v", err)
	}
}

// TestLoadTenants: every unknown field of a tenants file is reported with its JSON path, and
// the tenants are still returned so that their values can be validated in the same pass.
func TestLoadTenants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"tenants": [
	  {"key": "a", "upstream": "http://up.test", "allowRedeemWithoutOriginalId": true,
	   "messages": {"CanUse": {"en": "Go!"}, "Nope": {"xx": "y"}}},
	  {"key": "b", "upstream": "http://up.test", "alowedOrigins": [], "Locale": "en", "extra": {"deep": 1}}
	], "version": 2}`)
	tenants, err := LoadTenants(path)
	if len(tenants) != 2 || !tenants[0].AllowRedeemWithoutOriginalId || tenants[1].AllowRedeemWithoutOriginalId {
		t.Fatalf("tenants %+v", tenants)
	}
	want := "tenants file " + path + ":\n" +
		"tenants[1].Locale: unknown field (did you mean \"locale\"?)\n" +
		"tenants[1].alowedOrigins: unknown field\n" +
		"tenants[1].extra: unknown field\n" +
		"version: unknown field"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	write(`{"tenants": [{"key": "a", "upstream": "http://up.test"}]}`)
	if tenants, err := LoadTenants(path); err != nil || len(tenants) != 1 {
		t.Fatalf("%v %v", tenants, err)
	}
	for _, bad := range []string{`{"tenants": [`, `{"tenants": []} {}`, `[]`} {
		write(bad)
		if _, err := LoadTenants(path); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}

// TestKeysAreRequiredAndRandom: a BFF never makes up a key (replicas would refuse each
// other's tokens), and a long but guessable secret is refused with a way to make a good one.
func TestKeysAreRequiredAndRandom(t *testing.T) {
	random := testKey.Secret
	pattern := append(append([]byte{}, random[:16]...), random[:16]...)
	tests := []struct {
		name string
		keys []Key
		want string
	}{
		{"no keys", nil, "no keys"},
		{"32 zero bytes", []Key{{ID: "z", Secret: make([]byte, 32)}}, "only 1 distinct byte value "},
		{"ABC repeated", []Key{{ID: "k", Secret: []byte(strings.Repeat("ABC", 11))}}, "only 3 distinct byte values"},
		{"a random half, twice", []Key{{ID: "p", Secret: pattern}}, "repeats a 16-byte pattern"},
		{"short", []Key{{ID: "s", Secret: random[:31]}}, "needs at least 32"},
		{"a good key after a weak one", []Key{testKey, {ID: "w", Secret: []byte(strings.Repeat("passw0rd", 4))}}, "keys[1] (w)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Tenants: []TenantConfig{{Key: "demo", Upstream: "http://up.test"}}, Keys: tc.keys, Logger: quiet})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "openssl rand -base64 32") {
				t.Fatalf("error %v, want %q and how to make a key", err, tc.want)
			}
		})
	}
	for _, k := range []Key{testKey, strangeKey, oldKey, newKey, RandomKey()} {
		if why := weakSecret(k.Secret); why != "" {
			t.Errorf("random key %s refused: %s", k.ID, why)
		}
	}
}

// The view asks the platform what is applied to the cart only when the cart may hold a
// reward: not when the widget says it holds no coupon, nor when it holds the coupon of a
// redeem the BFF just saw (the redeem's answer says what is applied, as the restore call
// would); and it asks again after any other write, or for a coupon it cannot attribute.
func TestViewAsksTheAppliedStateOnlyWhenItMustKnow(t *testing.T) {
	c := newClock()
	up, calls := startSandbox(t, c)
	b := startBFF(t, c, up.URL, nil)
	tok := b.login("demo", "ana")
	a := auth("demo", tok)
	restores := func() int { return calls.get("POST /pub/widget/rewards/checkout") }
	view := func(pv, coupon string) map[string]any {
		return mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue="+pv+"&checkoutCode=cart-h&coupon="+url.QueryEscape(coupon), a, "")).item()
	}

	if v := view("60", ""); v["Applied"] != nil || len(v["Missing"].([]any)) != 0 || restores() != 0 {
		t.Fatalf("a cart without a coupon: applied %v, %d restore calls", v["Applied"], restores())
	}
	// Without the hint (a client that does not say), the applied state is asked.
	mustOK(t, b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=cart-h", a, ""))
	if restores() != 1 {
		t.Fatalf("without the coupon hint: %d restore calls, want 1", restores())
	}

	red := mustOK(t, b.do("POST", "/pub/widget/rewards/redeem/301?purchaseValue=60", a, `{"OriginalId":"cart-h"}`)).item()
	code := red["CouponCode"].(string)
	learnt := view("60", strings.ToLower(code)) // the storefront may write the code in its own case
	if restores() != 1 {
		t.Fatalf("the cart holds the coupon just redeemed for it: %d restore calls, want still 1", restores())
	}
	// A coupon the BFF cannot attribute (the shopper's own, say) is asked about.
	view("60", "BEMVINDO10")
	if restores() != 2 {
		t.Fatalf("an unknown coupon: %d restore calls, want 2", restores())
	}
	exact := mustOK(t, b.do("POST", "/pub/widget/rewards/checkout", a, `{"CheckoutCode":"cart-h"}`)).item() // the platform's word (kept a moment ago)
	got := learnt["Applied"].(map[string]any)
	gotReward, exactReward := got["Reward"].(map[string]any), exact["Reward"].(map[string]any)
	for _, k := range []string{"RedeemedId", "Id", "Title", "CanUse", "UseReason", "RedeemedPoints", "RedeemedValue", "MinValueToUse", "UseReasonMessage"} {
		if fmt.Sprint(gotReward[k]) != fmt.Sprint(exactReward[k]) {
			t.Errorf("learnt applied reward's %s: %v, the platform's %v", k, gotReward[k], exactReward[k])
		}
	}
	if got["Success"] != exact["Success"] || got["CouponCode"] != exact["CouponCode"] {
		t.Errorf("learnt applied %v, the platform's %v", got, exact)
	}

	// After the reverse the learnt state is gone with the rest: the platform is asked.
	mustOK(t, b.do("POST", fmt.Sprintf("/pub/widget/rewards/checkout/%v/reverse", num(red["Reward"].(map[string]any)["RedeemedId"])), a, ""))
	if v := view("60", code); v["Applied"].(map[string]any)["Success"] != false || restores() != 3 {
		t.Fatalf("after the reverse: applied %v, %d restore calls, want 3", v["Applied"], restores())
	}
	if r := b.do("GET", "/bff/v1/checkout?purchaseValue=60&checkoutCode=cart-h&coupon="+strings.Repeat("X", 129), a, ""); r.Status != 400 || !strings.Contains(r.msg(), "coupon is longer") {
		t.Fatalf("a 129-character coupon: %d %s", r.Status, r.Raw)
	}
}
