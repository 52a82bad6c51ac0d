package bff

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

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

func TestParseKeys(t *testing.T) {
	keys, err := ParseKeys("new:" + base64.StdEncoding.EncodeToString(newKey.Secret) + "\n# retired soon\nold:" + base64.RawURLEncoding.EncodeToString(oldKey.Secret))
	if err != nil || len(keys) != 2 || keys[0].ID != "new" || !bytes.Equal(keys[0].Secret, newKey.Secret) || !bytes.Equal(keys[1].Secret, oldKey.Secret) {
		t.Fatalf("%v %v", keys, err)
	}
	if _, err := ParseKeys("nocolon,bad:!!!"); err == nil || !strings.Contains(err.Error(), "id:base64secret") || !strings.Contains(err.Error(), "not base64") {
		t.Fatalf("errors: %v", err)
	}
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
