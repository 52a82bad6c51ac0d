package bff

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReloadTenants: a new tenants list is validated whole and swapped in atomically; an
// invalid one changes nothing and names every problem; a removed store's cache goes with it;
// a request under way finishes on the configuration it started with; origins follow.
func TestReloadTenants(t *testing.T) {
	c := newClock()
	sb, _ := startSandbox(t, c)
	// "slow" is a store whose platform answers when the test says so.
	release := make(chan struct{})
	var arrived sync.Once
	started := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Do(func() { close(started) })
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"HasError":false,"Message":null,"Item":{"Email":"s@x","Name":"S","UserId":"s@x","SecureToken":"tok"}}`))
	}))
	t.Cleanup(slow.Close)
	b := startBFF(t, c, sb.URL, func(o *Options) {
		o.Tenants = append(o.Tenants, TenantConfig{Key: "slow", Upstream: slow.URL})
	})
	demo, other := b.login("demo", "ana"), b.login("other", "ana")
	view := "/bff/v1/checkout?purchaseValue=100.00"
	mustOK(t, b.do("GET", view, auth("other", other), ""))
	if b.srv.cache.lookup(shopperKey("other", "ana@example.com")) == nil {
		t.Fatal("the view of other was not cached: the test would prove nothing")
	}

	// A login for "slow" is under way when "slow" and "other" are removed.
	done := make(chan resp, 1)
	go func() {
		r, _ := try(http.DefaultClient, b.url, "POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": "slow"}, `{"sessionToken":"s","segmentToken":"g"}`)
		done <- r
	}()
	<-started

	keep := []TenantConfig{
		{Key: "demo", Upstream: sb.URL, AllowedOrigins: []string{shopOrigin, "http://new.test"}},
	}
	// Invalid: nothing changes, and every problem is named.
	bad := append(keep, TenantConfig{Key: "x", Upstream: "ftp://nope", Locale: "fr"})
	err := b.srv.ReloadTenants(bad)
	if err == nil || !strings.Contains(err.Error(), `upstream "ftp://nope"`) || !strings.Contains(err.Error(), `locale "fr"`) {
		t.Fatalf("invalid reload: %v", err)
	}
	mustOK(t, b.do("GET", view, auth("other", other), ""))

	if err := b.srv.ReloadTenants(keep); err != nil {
		t.Fatal(err)
	}
	close(release)
	if r := <-done; r.Status != 200 {
		t.Fatalf("the login under way did not finish on its configuration: %d %s", r.Status, r.Raw)
	}
	if r := b.do("GET", view, auth("other", other), ""); r.Status != 404 || r.code() != CodeUnknownTenant {
		t.Fatalf("removed store still served: %d %s", r.Status, r.Raw)
	}
	if b.srv.cache.lookup(shopperKey("other", "ana@example.com")) != nil {
		t.Fatal("the removed store's cached answers are still kept")
	}
	mustOK(t, b.do("GET", view, auth("demo", demo), "")) // an unchanged store keeps its sessions
	// The new origin is allowed, preflight included.
	req, _ := http.NewRequest("OPTIONS", b.url+view, nil)
	req.Header.Set("Origin", "http://new.test")
	req.Header.Set("Access-Control-Request-Method", "GET")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Access-Control-Allow-Origin") != "http://new.test" {
		t.Fatalf("preflight for the new origin: %d %v", res.StatusCode, res.Header)
	}
	h := auth("demo", demo)
	h["Origin"] = "http://new.test"
	mustOK(t, b.do("GET", view, h, ""))
}

// TestReloadDropsTheStoresLimits: a changed store's client and shopper buckets go with it (it
// starts with new ones); an unchanged store's stay.
func TestReloadDropsTheStoresLimits(t *testing.T) {
	c := newClock()
	sb, _ := startSandbox(t, c)
	b := startBFF(t, c, sb.URL, func(o *Options) { o.ClientLoginBurst, o.ClientLoginEvery = 1, time.Hour })
	login := func(tenant string) resp {
		return b.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": tenant}, `{"sessionToken":"ana","segmentToken":"s"}`)
	}
	for _, tenant := range []string{"demo", "other"} {
		mustOK(t, login(tenant))
		if r := login(tenant); r.Status != 429 || r.code() != CodeClientRateLimited {
			t.Fatalf("%s: the bucket of 1 gave two logins: %d %s", tenant, r.Status, r.Raw)
		}
	}
	tenants := slices.Clone(b.srv.o.Tenants)
	tenants[1].Locale = "es" // "other" changes, "demo" does not
	if err := b.srv.ReloadTenants(tenants); err != nil {
		t.Fatal(err)
	}
	if r := login("other"); r.Status != 200 {
		t.Fatalf("the changed store's client is still limited: %d %s", r.Status, r.Raw)
	}
	if r := login("demo"); r.Status != 429 {
		t.Fatalf("an unchanged store's limits were dropped too: %d %s", r.Status, r.Raw)
	}
}
