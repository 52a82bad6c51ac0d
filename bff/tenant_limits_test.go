package bff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTenantLimitsOverrideTheOptions: a store's own limits (the tenants file's "limits") hold
// for that store only; a store without them keeps the options'.
func TestTenantLimitsOverrideTheOptions(t *testing.T) {
	c := newClock()
	sb, _ := startSandbox(t, c)
	b := startBFF(t, c, sb.URL, func(o *Options) {
		o.ClientLoginBurst, o.ClientLoginEvery = 3, 2*time.Second
		o.ShopperBurst, o.ShopperEvery = 5, time.Second
		o.ClientShare = 0.1
		o.Budget = Budget{} // the platform's: 300 a minute
		o.Tenants[1].Limits = &TenantLimits{ClientLoginBurst: 1, ClientLoginEvery: "1m", ShopperBurst: 2, ShopperEvery: "10s", ClientShare: 0.5}
	})
	login := func(tenant string) resp {
		return b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": tenant}, `{"sessionToken":"ana","segmentToken":"s"}`)
	}
	// Logins from one address: the options' 3 for demo, the store's 1 for other, with its own period.
	for range 3 {
		mustOK(t, login("demo"))
	}
	if r := login("demo"); r.Status != 429 || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("demo, 4th login: want 429 Retry-After 2 (the options'), got %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	mustOK(t, login("other"))
	if r := login("other"); r.Status != 429 || r.code() != CodeClientRateLimited || r.Header.Get("Retry-After") != "60" {
		t.Fatalf("other, 2nd login: want 429 Retry-After 60 (the store's), got %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}

	// Calls per shopper: the store's 2 in a burst, then one each 10 s.
	c.Advance(time.Hour)
	tok := login("other").item()["SecureToken"].(string)
	for range 2 {
		mustOK(t, b.do("GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=100", auth("other", tok), ""))
	}
	if r := b.do("GET", "/pub/widget/rewards/checkout/redeemed?purchaseValue=100", auth("other", tok), ""); r.Status != 429 || r.Header.Get("Retry-After") != "10" {
		t.Fatalf("other, 3rd call: want 429 Retry-After 10 (the store's shopper limit), got %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}

	// Each client's share of the store's budget: the store's 0.5 lets a client five times the
	// calls a minute of the options' 0.1 (both stores have the platform's budget).
	demo, other := b.srv.tenant("demo").share, b.srv.tenant("other").share
	if demo == nil || other == nil {
		t.Fatal("no client share")
	}
	if ratio := float64(demo.every) / float64(other.every); ratio < 4.99 || ratio > 5.01 {
		t.Fatalf("client share: other's client may call %.2f times as often as demo's, want 5 (0.5 / 0.1)", ratio)
	}
}

// TestTenantLimitsAreValidatedWithTheRest: a store's limits are read from the tenants file
// (their names checked like every field's) and every bad value is reported with the file's
// other problems, each naming its store and field.
func TestTenantLimitsAreValidatedWithTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.json")
	file := `{"tenants": [
	  {"key": "a", "upstream": "https://a.example", "locale": "fr",
	   "limits": {"clientShare": 1.5, "shopperEvery": "soon", "clientLoginEvery": "-2s", "clientRefusedBurst": -1}},
	  {"key": "b", "upstream": "https://b.example", "limits": {"shoperBurst": 5, "ShopperBurst": 5}}
	]}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	tenants, loadErr := LoadTenants(path)
	if loadErr == nil {
		t.Fatal("misspelt limits were taken")
	}
	o := Options{Tenants: tenants, Keys: []Key{testKey}}
	o.setDefaults()
	err := o.Validate()
	if err == nil {
		t.Fatal("bad limits were taken")
	}
	all := loadErr.Error() + "\n" + err.Error()
	for _, want := range []string{
		`tenants[1].limits.shoperBurst: unknown field`,
		`tenants[1].limits.ShopperBurst: unknown field (did you mean "shopperBurst"?)`,
		`tenants[0] (a): locale "fr"`,
		`tenants[0] (a): limits.clientShare 1.5: must be above 0 and at most 1`,
		`tenants[0] (a): limits.shopperEvery "soon": want a positive duration`,
		`tenants[0] (a): limits.clientLoginEvery "-2s": want a positive duration`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the problems do not say %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "clientRefusedBurst") {
		t.Errorf("a negative burst (the limit off) was refused:\n%s", all)
	}

	// Valid limits load and validate.
	good := []TenantConfig{{Key: "a", Upstream: "https://a.example", Limits: &TenantLimits{ClientShare: 0.25, ShopperBurst: -1,
		ShopperEvery: "500ms", ClientLoginBurst: 10, ClientLoginEvery: "1s", ClientRefusedBurst: 5, ClientRefusedEvery: "1m"}}}
	o = Options{Tenants: good, Keys: []Key{testKey}}
	o.setDefaults()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	to, problems := o.forTenant(o.Tenants[0])
	if len(problems) > 0 || to.ClientShare != 0.25 || to.ShopperBurst != -1 || to.ShopperEvery != 500*time.Millisecond ||
		to.ClientLoginBurst != 10 || to.ClientLoginEvery != time.Second || to.ClientRefusedBurst != 5 || to.ClientRefusedEvery != time.Minute {
		t.Fatalf("the store's limits: %+v %v", to, problems)
	}
}
