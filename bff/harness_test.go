package bff

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

const shopOrigin = "http://shop.test"

// clock is a settable time source shared by the sandbox and the BFF.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Test secrets are random (openssl rand -base64 32), as real ones must be: Validate refuses
// patterned ones.
var (
	testKey    = Key{ID: "k1", Secret: b64("Kt5BAAYgyH4/BVmDK/BYrsdnsxFBTGckm3Zu+Fbxf7c=")}
	strangeKey = Key{ID: "k1", Secret: b64("CknW1VABQT7Hh5Wevbt8SL6xq/PenJFUMvuOi4Xynjo=")} // same id, another secret
	oldKey     = Key{ID: "old", Secret: b64("EEzsWd91mPMeXfat+54I/Hqc7AazJpoPmn/jsFFcCjI=")}
	newKey     = Key{ID: "new", Secret: b64("dwqKOlRxvms0BOtUGfATdLuSdOVylWNN9pP6HM8N5BY=")}
)

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// twoTenantSeed is the built-in seed plus a copy of its tenant under the key "other".
func twoTenantSeed() *sandbox.Seed {
	seed := sandbox.DefaultSeed()
	other := seed.Tenants[0]
	other.Key = "other"
	seed.Tenants = append(seed.Tenants, other)
	return &seed
}

// startSandbox runs a real sandbox over HTTP and counts the calls per path.
func startSandbox(t testing.TB, c *clock) (*httptest.Server, *callCounter) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: twoTenantSeed(), Now: c.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cc := &callCounter{}
	checked := specCheckedHandler(sb) // its contract answers are held to openapi.json
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cc.add(r.URL.Path)
		cc.add(r.Method + " " + r.URL.Path)
		checked.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	sandboxURLs.Store(srv.URL, true)
	t.Cleanup(func() { sandboxURLs.Delete(srv.URL) }) // its port may serve a fake next
	return srv, cc
}

type callCounter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *callCounter) add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[path]++
}

func (c *callCounter) get(path string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.m[path] }

// bffEnv is a BFF listening on a real port.
type bffEnv struct {
	t     testing.TB
	url   string
	srv   *Server
	clock *clock
}

// startBFF starts a BFF with tenants "demo" and "other" on the given upstream. The per-client
// limits are off (the tests' clock stands still, and they call from one address), and the
// stores' budgets as good as unbounded: a test of them sets them in mod (0 for the defaults);
// derived listings are off (derive_test.go turns them on).
func startBFF(t testing.TB, c *clock, upstream string, mod func(*Options)) *bffEnv {
	t.Helper()
	o := Options{
		Tenants: []TenantConfig{
			{Key: "demo", Upstream: upstream, AllowedOrigins: []string{shopOrigin}},
			{Key: "other", Upstream: upstream, AllowedOrigins: []string{"http://other.test"}, Locale: "en", Currency: "USD"},
		},
		Keys:               []Key{testKey},
		Now:                c.Now,
		Logger:             quiet,
		ClientLoginBurst:   -1,
		ClientRefusedBurst: -1,
		ShopperBurst:       -1,
		ClientShare:        1,
		Budget:             Budget{PerSecond: -1, PerMinute: -1, PerHour: maxBudget},
		NoDerive:           true, // the tests count the calls each part makes; derive_test.go turns it on
	}
	if mod != nil {
		mod(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	url := "http://" + ln.Addr().String()
	if _, real := sandboxURLs.Load(upstream); real {
		bffURLs.Store(url, true) // in front of the real sandbox: its answers are held to openapi.json
		// Forgotten when it stops: a later BFF on the same port, in front of a fake, is not held to it.
		t.Cleanup(func() { bffURLs.Delete(url) })
	}
	return &bffEnv{t: t, url: url, srv: srv, clock: c}
}

// resp is an answer: status, headers, raw body and the decoded envelope.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	Env    map[string]any
}

func (r resp) msg() string          { s, _ := r.Env["Message"].(string); return s }
func (r resp) code() string         { s, _ := r.Env["ErrorCode"].(string); return s }
func (r resp) item() map[string]any { m, _ := r.Env["Item"].(map[string]any); return m }
func (r resp) list() []any          { l, _ := r.Env["Item"].([]any); return l }

type hdr map[string]string

// bffURLs are the base URLs of the BFFs the tests started in front of a real sandbox, and
// sandboxURLs those sandboxes'. (A BFF in front of a deliberately faulty fake passes the
// fake's broken values through: those answers are not the contract's.)
var bffURLs, sandboxURLs sync.Map

func call(t testing.TB, base, method, path string, h hdr, body string) resp {
	t.Helper()
	r, err := try(http.DefaultClient, base, method, path, h, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is call for goroutines: it returns its error instead of failing the test.
func try(client *http.Client, base, method, path string, h hdr, body string) (resp, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return resp{}, err
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if _, ok := bffURLs.Load(base); ok {
		checkAnswer("the BFF", req, res.StatusCode, res.Header, raw)
	}
	r := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&r.Env); err != nil {
			return r, fmt.Errorf("%s %s: bad JSON %s", method, path, raw)
		}
	}
	return r, nil
}

func (e *bffEnv) do(method, path string, h hdr, body string) resp {
	e.t.Helper()
	return call(e.t, e.url, method, path, h, body)
}

// login signs a seeded shopper in through the BFF and returns the BFF token.
func (e *bffEnv) login(tenant, session string) string {
	e.t.Helper()
	r := e.do("POST", "/pub/widget/vendors/vtex/securelogin", hdr{"X-Bq-Tenant": tenant}, `{"sessionToken":"`+session+`","segmentToken":"seg"}`)
	if r.Status != 200 {
		e.t.Fatalf("login: %d %s", r.Status, r.Raw)
	}
	return r.item()["SecureToken"].(string)
}

func auth(tenant, token string) hdr { return hdr{"X-Bq-Tenant": tenant, "X-Bq-SecureToken": token} }

func mustOK(t testing.TB, r resp) resp {
	t.Helper()
	if r.Status != 200 || r.Env["HasError"] != false {
		t.Fatalf("want 200 without error, got %d %s", r.Status, r.Raw)
	}
	return r
}

func num(v any) float64 {
	n, _ := v.(json.Number)
	f, _ := n.Float64()
	return f
}

// ledger is a shopper's state in the sandbox (its inspection path, outside the contract):
// points and every debit and credit.
func ledger(t testing.TB, sandboxURL, tenant, userID string) (points float64, entries []any) {
	t.Helper()
	r := call(t, sandboxURL, "GET", "/_sandbox/tenants/"+tenant+"/shoppers/"+userID, nil, "")
	if r.Status != 200 {
		t.Fatalf("ledger: %d %s", r.Status, r.Raw)
	}
	entries, _ = r.item()["Ledger"].([]any)
	return num(r.item()["Points"]), entries
}
