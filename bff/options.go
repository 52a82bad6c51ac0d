package bff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// Options configures the BFF. Every duration and limit has a default, applied in one place
// (setDefaults); Validate reports every problem at once.
type Options struct {
	// Tenants are the stores served. At least one.
	Tenants []TenantConfig

	// Keys sign and seal the BFF's session tokens; Keys[0] signs, every key verifies (so keys
	// can rotate). Required, and the same on every replica: a replica with a key of its own
	// refuses every other replica's tokens. Each secret is at least 32 random bytes
	// (`openssl rand -base64 32`); a secret with few distinct byte values or a repeated
	// pattern is refused.
	Keys []Key

	// TokenTTL is how long a BFF token lives. Default 55 minutes: never past the upstream
	// SecureToken's 60 minutes, with a margin for clock skew and the login's own latency.
	TokenTTL time.Duration
	// TokenLeeway is the clock skew tolerated between the replica that issued a token and the
	// one verifying it: a token whose iat/nbf is up to this far in the verifier's future is
	// accepted, and one expired by up to this much still is. Default 30 seconds; TokenTTL
	// plus TokenLeeway must stay within the upstream token's 60 minutes.
	TokenLeeway time.Duration

	// CacheTTL is how long the parts of a shopper's view (listing, redeemed list, applied
	// state), the answers made of them and verified tokens are reused. A redeem, use-redeemed
	// or reverse through the BFF drops the shopper's at once. Default 15 seconds; a negative
	// value turns the cache off (and with it the sharing of identical concurrent calls).
	CacheTTL time.Duration
	// CacheMaxBytes bounds the cache's memory (values, keys and bookkeeping): past it, the
	// least recently used entries go first, so a new shopper is always stored. Default 64 MiB.
	CacheMaxBytes int64
	// CacheStale is how long past CacheTTL a listing (endpoints 2 and 3, and the view's
	// listing and redeemed parts) may still be answered when its store's budget has no call
	// left for it, or the platform fails (stale-while-revalidate, stale-if-error). Such an
	// answer says how old it is: an Age header, and the view's Age. So no listing is ever
	// older than CacheTTL + CacheStale. The applied state (money) is never answered stale. A
	// write drops the stale copies with the rest. Default 45 seconds; negative: none.
	CacheStale time.Duration
	// NoDerive turns off the listings the BFF derives from the platform's earlier answers by
	// the contract's rules (derive.go: a new purchase value, the shopper's own redeem or
	// reverse) instead of asking: every part is then asked of the platform. For a platform
	// whose rules differ from the contract's; it costs each checkout journey about twice the
	// calls.
	NoDerive bool

	// Budget is each store's upstream budget, spent before a call goes out, so the BFF's own
	// volume never makes the platform answer 429. A zero field takes PlatformBudget's (10 a
	// second, 300 a minute, 10,000 an hour); a negative one is no bound in that window; at
	// most 1,000,000 in a window. A store may set its own (TenantConfig.Budget).
	Budget Budget
	// BudgetLoginShare and BudgetListingShare are how far into each window logins and
	// listings may go: the rest is kept for the classes above them (money's writes, the
	// applied states at 0.95, then logins), so listings never starve a redeem. Defaults 0.9
	// and 0.9 (with the platform's budget: 30 calls of every minute and one of every second
	// are the writes' alone); neither above 0.95.
	BudgetLoginShare, BudgetListingShare float64
	// BudgetWait is how long a listing with no stale copy to answer waits for its store's
	// budget (within its deadline) before it is answered 429 budget_spent with Retry-After.
	// Logins and money calls wait within their deadline. Default 2 seconds: long enough for
	// the second's window (counted over 1.5 s) to let a call through, so a burst of one
	// shopper's clicks waits a moment instead of being refused while the minute has room.
	BudgetWait time.Duration
	// ClientShare is the most of a store's budget one client may spend on listings and
	// logins while the budget is contended: one shopper (signed-in calls) or one address
	// (logins). Past it, that client is answered from a stale copy or 429
	// client_rate_limited; no one else is. The share binds only while the store's budget is
	// contended (it refused a listing or a login in the last minute, on this replica): on a
	// store with room any client may use it, as the platform would let them. Default 0.1.
	ClientShare float64

	// RedisURL, when set (redis://host:port/db), is where the replicas share their state:
	// the cache and its invalidation, the stores' budgets and the platform's 429 holds, and
	// the per-client limits (logins, calls per shopper, each client's share of the budget).
	// Without it everything stays in this process. When Redis cannot be reached, each replica carries on
	// alone on its in-process state, with its share of each store's budget (see Replicas),
	// logs it once, and goes back to Redis when it answers again.
	RedisURL string
	// RedisTimeout bounds one Redis call; past it, the replica carries on alone. Default
	// 250 ms.
	RedisTimeout time.Duration
	// Replicas is how many replicas share the stores' budgets, used while Redis cannot be
	// reached: each then spends 1/Replicas of it. With Redis, the replicas count themselves
	// (each says it is alive every 2 seconds) and the larger of both is used. Default 1.
	Replicas int
	// CompressMinBytes is the smallest JSON answer sent compressed (brotli or gzip, as the
	// client accepts): below it, compressing saves less than it costs. Default 1 KiB; a
	// negative value turns compression of answers off (the widget's files are always
	// precompressed).
	CompressMinBytes int

	// UpstreamConns bounds each tenant's connections to its platform (its pool of keep-alive
	// connections, and the calls under way at once); a call that finds them all busy waits
	// in the tenant's queue, within its deadline (UpstreamTimeout). A tenant may set its own
	// (upstreamConns). Default 64.
	UpstreamConns int
	// UpstreamQueue bounds the calls of one tenant waiting for a connection: past it, a call
	// is answered 503 (upstream_busy, Retry-After) at once instead of piling up. Default 256.
	UpstreamQueue int
	// UpstreamIdleTimeout closes an upstream connection idle that long. Default 4 seconds
	// (platform.DefaultIdleTimeout, which says why): shorter than any common server's idle
	// timeout, so the BFF drops a connection before the platform would close it. Set it longer
	// only for a platform known to keep connections longer.
	UpstreamIdleTimeout time.Duration

	// DialTimeout bounds connecting to an upstream. Default 2 seconds.
	DialTimeout time.Duration
	// UpstreamTimeout bounds one whole upstream call, body included. Default 8 seconds.
	UpstreamTimeout time.Duration
	// MaxUpstreamBody bounds an upstream answer. Default 1 MiB. Past it, the client is
	// answered 502 answer_too_large: one shopper's answer, never counted as a platform fault.
	MaxUpstreamBody int64
	// MaxRedeemedBody bounds the answer of the redeemed list (endpoint 3), which grows with
	// every redemption a shopper keeps and must not be lost. Default 8 MiB; never below
	// MaxUpstreamBody.
	MaxRedeemedBody int64
	// BreakerFailures is how many platform faults in a row (timeouts, connection errors,
	// 5xx answers) open a tenant's circuit breaker. An answer that is too large or unreadable
	// (not a 5xx) is that shopper's error and does not count. Default 5.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker answers 503 at once before one call probes
	// the platform again. Default 10 seconds.
	BreakerCooldown time.Duration

	// TrustedProxyHeader names the header in which a proxy in front of the BFF gives the
	// client's address (X-Forwarded-For, X-Real-IP, ...); the last address in it is used, the
	// one the proxy saw. Set it only behind a proxy that sets or appends it: a client could
	// forge it otherwise. Default "": the connection's address.
	TrustedProxyHeader string
	// ClientLoginBurst and ClientLoginEvery limit the logins (securelogin and
	// POST /bff/v1/session) of one client address per store: a burst of ClientLoginBurst,
	// then one more each ClientLoginEvery. Past it: 429 client_rate_limited with
	// Retry-After, to that client only. Defaults 3 and 2 seconds (30 a minute: a tenth of the
	// platform's 300). A negative ClientLoginBurst turns the limit off.
	ClientLoginBurst int
	ClientLoginEvery time.Duration
	// ClientRefusedBurst and ClientRefusedEvery remember the logins the platform refused
	// (401) per client address and store: after ClientRefusedBurst refusals, that client's
	// logins are answered 429 locally until one more is allowed each ClientRefusedEvery, so
	// made-up sessions never reach the platform. Defaults 3 and 30 seconds. A negative
	// ClientRefusedBurst turns it off.
	ClientRefusedBurst int
	ClientRefusedEvery time.Duration
	// ShopperBurst and ShopperEvery limit one signed-in shopper's calls (every call with a
	// token): a burst of ShopperBurst, then one more each ShopperEvery. Defaults 60 and
	// 250 ms (4 a second), far above what the widget asks. A negative ShopperBurst turns it
	// off.
	ShopperBurst int
	ShopperEvery time.Duration

	// BodyLimit bounds a request body; past it: 413. Default 16 KiB.
	BodyLimit int
	// BeaconBodyLimit bounds an error beacon's body (POST /bff/v1/beacon); past it: 413.
	// Default 1 KiB.
	BeaconBodyLimit int
	// BeaconLogEvery is how often one client address may put a beacon line in the log; the
	// beacons in between are counted (the next line says how many) but not logged, so no
	// client can flood the log. Default 10 seconds.
	BeaconLogEvery time.Duration
	// PreflightMaxAge is how long a browser may reuse a CORS preflight's answer
	// (Access-Control-Max-Age). Browsers cap it (Chromium at 2 hours, Firefox at 24): the
	// default, 24 hours, is as long as each allows.
	PreflightMaxAge time.Duration
	// ReadTimeout, WriteTimeout and IdleTimeout bound a client connection. Defaults 10 s, 15 s
	// (longer than UpstreamTimeout), 60 s.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration

	// Widget is the built widget, served at /widget.js and beside it (see WidgetAssets); nil
	// serves none.
	Widget *WidgetAssets

	// Build says which build this is, for /healthz (main reads it from the binary).
	Build Build

	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger

	extraRoutes []extraRoute // tests add routes before the 404
}

// Build is which build of the BFF runs: its version (a module version or a tag given at
// link time) and the commit it was built from ("" when unknown, "+dirty" when built from a
// changed tree).
type Build struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// extraRoute is a route a test adds.
type extraRoute struct {
	method, path string
	h            func(*exchange) error
}

// TenantConfig is one store, as the tenants file lists it.
type TenantConfig struct {
	// Key is the store's public key, sent by the widget as X-Bq-Tenant.
	Key string `json:"key"`
	// Upstream is the loyalty platform's base URL for this store (its /pub/widget paths are
	// appended). It comes only from here, never from a request.
	Upstream string `json:"upstream"`
	// AllowedOrigins are the exact origins (scheme://host[:port]) whose pages may call the BFF.
	AllowedOrigins []string `json:"allowedOrigins"`
	// Locale is the default language: pt-BR, en or es. Default pt-BR.
	Locale string `json:"locale"`
	// Currency is the ISO 4217 code amounts are shown in. Default BRL.
	Currency string `json:"currency"`
	// Messages overrides what shoppers read: key -> locale -> text. A key is a UseReason name
	// ("{remaining}" in a MinValueNotReached text becomes the missing amount) or one of the
	// widget's sentences (widgetWords, e.g. "Title", "Use", "Join"), whose placeholder ({n},
	// {code}, {msg}) the widget fills. A text may leave its placeholder out, not add or repeat one.
	Messages map[string]map[string]string `json:"messages,omitempty"`
	// AllowRedeemWithoutOriginalId lets old clients redeem (endpoints 4 and 5) without an
	// OriginalId. Default false: such a redeem is refused (400 missing_original_id), because
	// a retry of it could debit the shopper twice.
	AllowRedeemWithoutOriginalId bool `json:"allowRedeemWithoutOriginalId,omitempty"`
	// Theme is how the widget looks on the store's pages and where it links, delivered with
	// the checkout view. Optional; the CSS custom properties on the mount point still win.
	Theme *Theme `json:"theme,omitempty"`
	// UpstreamConns overrides Options.UpstreamConns for this store's platform.
	UpstreamConns int `json:"upstreamConns,omitempty"`
	// Budget overrides Options.Budget for this store: its platform's rate limit, if it is
	// not the documented one. A field left out takes Options.Budget's.
	Budget *Budget `json:"budget,omitempty"`
}

// Theme is a store's look and links, as the tenants file writes it. Every field is optional.
type Theme struct {
	Accent     string `json:"accent,omitempty"`     // CSS hex colour: #rgb, #rgba, #rrggbb or #rrggbbaa
	AccentText string `json:"accentText,omitempty"` // CSS hex colour of text on the accent
	Radius     string `json:"radius,omitempty"`     // CSS length, e.g. 8px, 0.5rem, 50%
	Font       string `json:"font,omitempty"`       // CSS font-family list, e.g. Georgia, serif
	JoinURL    string `json:"joinUrl,omitempty"`    // where a shopper not in the programme joins it (https)
	TermsURL   string `json:"termsUrl,omitempty"`   // the programme's terms (https)
}

// tenantsFile is the JSON form of the tenants file.
type tenantsFile struct {
	Tenants []TenantConfig `json:"tenants"`
}

// LoadTenants reads a tenants file. Every unknown field is reported, each with its JSON path
// (tenants[0].alowedOrigins), in one error: a misspelt field would otherwise be silently
// ignored. Unless the file is not JSON at all, the tenants are returned even with that error,
// so that the caller can validate them too (Options.Validate) and report every problem of the
// file at once.
func LoadTenants(path string) ([]TenantConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("tenants file %s: invalid JSON: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("tenants file %s: invalid JSON: more after the top-level object", path)
	}
	var errs []error
	for _, u := range unknownFields(raw, reflect.TypeFor[tenantsFile](), "") {
		if u.like != "" {
			errs = append(errs, fmt.Errorf("%s: unknown field (did you mean %q?)", u.path, u.like))
		} else {
			errs = append(errs, fmt.Errorf("%s: unknown field", u.path))
		}
	}
	var f tenantsFile
	if err := json.Unmarshal(b, &f); err != nil {
		errs = append(errs, fmt.Errorf("invalid value: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return f.Tenants, fmt.Errorf("tenants file %s:\n%w", path, err)
	}
	return f.Tenants, nil
}

// unknownField is where a name is that its object does not have, and the field it differs
// from only by case, if any.
type unknownField struct{ path, like string }

// unknownFields lists, sorted by path, the object members in v that the Go type t has no field
// for. Names must match their json tag exactly: "Key" for "key" is reported too (encoding/json
// would take it), since the documented spelling is the only one.
func unknownFields(v any, t reflect.Type, path string) []unknownField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []unknownField
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fields := map[string]reflect.Type{}
			for i := range t.NumField() {
				f := t.Field(i)
				if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" && f.IsExported() {
					fields[name] = f.Type
				}
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				p := k
				if path != "" {
					p = path + "." + k
				}
				ft, ok := fields[k]
				if !ok {
					u := unknownField{path: p}
					for name := range fields {
						if strings.EqualFold(name, k) {
							u.like = name
						}
					}
					out = append(out, u)
					continue
				}
				out = append(out, unknownFields(x[k], ft, p)...)
			}
		case reflect.Map: // free-form names (messages): only their values have a shape
			for _, k := range slices.Sorted(maps.Keys(x)) {
				out = append(out, unknownFields(x[k], t.Elem(), path+"."+k)...)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range x {
				out = append(out, unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return out
}

const (
	defaultLocale   = "pt-BR"
	defaultCurrency = "BRL"
	maxTokenTTL     = 60 * time.Minute
	maxTokenLeeway  = 5 * time.Minute
	maxBudget       = 1_000_000
)

// setDefault sets *p to v when it is the zero value: an option left out takes its default.
func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

func (o *Options) setDefaults() {
	setDefault(&o.TokenTTL, 55*time.Minute)
	setDefault(&o.TokenLeeway, 30*time.Second)
	setDefault(&o.CacheTTL, 15*time.Second)
	setDefault(&o.CacheStale, 45*time.Second)
	setDefault(&o.BudgetWait, 2*time.Second)
	setDefault(&o.RedisTimeout, 250*time.Millisecond)
	o.Budget = o.Budget.orDefault(PlatformBudget)
	setDefault(&o.BudgetLoginShare, 0.9)
	setDefault(&o.BudgetListingShare, 0.9)
	setDefault(&o.ClientShare, 0.1)
	setDefault(&o.Replicas, 1)
	setDefault(&o.UpstreamIdleTimeout, platform.DefaultIdleTimeout)
	setDefault(&o.BeaconLogEvery, 10*time.Second)
	setDefault(&o.PreflightMaxAge, 24*time.Hour)
	setDefault(&o.DialTimeout, 2*time.Second)
	setDefault(&o.UpstreamTimeout, 8*time.Second)
	setDefault(&o.ReadTimeout, 10*time.Second)
	setDefault(&o.WriteTimeout, 15*time.Second)
	setDefault(&o.IdleTimeout, 60*time.Second)
	setDefault(&o.BreakerCooldown, 10*time.Second)
	setDefault(&o.ClientLoginEvery, 2*time.Second)
	setDefault(&o.ClientRefusedEvery, 30*time.Second)
	setDefault(&o.ShopperEvery, 250*time.Millisecond)
	setDefault(&o.ClientLoginBurst, 3)
	setDefault(&o.ClientRefusedBurst, 3)
	setDefault(&o.ShopperBurst, 60)
	setDefault(&o.UpstreamQueue, 256)
	setDefault(&o.MaxRedeemedBody, 8<<20)
	setDefault(&o.BreakerFailures, 5)
	setDefault(&o.CacheMaxBytes, 64<<20)
	setDefault(&o.CompressMinBytes, 1<<10)
	setDefault(&o.UpstreamConns, 64)
	setDefault(&o.BeaconBodyLimit, 1<<10)
	setDefault(&o.MaxUpstreamBody, 1<<20)
	setDefault(&o.BodyLimit, 16<<10)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.setTenantDefaults()
}

// setTenantDefaults applies the tenants' defaults (also to a reloaded list).
func (o *Options) setTenantDefaults() {
	for i := range o.Tenants {
		t := &o.Tenants[i]
		if t.Locale == "" {
			t.Locale = defaultLocale
		}
		if t.Currency == "" {
			t.Currency = defaultCurrency
		}
	}
}

// Validate returns every problem of the options joined in one error, or nil. It expects
// setDefaults to have run.
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(o.Tenants) == 0 {
		bad("no tenants configured")
	}
	if o.TokenTTL < 0 || o.TokenTTL > maxTokenTTL {
		bad("TokenTTL %v: must be positive and at most %v (the upstream token's life)", o.TokenTTL, maxTokenTTL)
	}
	if o.TokenLeeway < 0 || o.TokenLeeway > maxTokenLeeway {
		bad("TokenLeeway %v: must not be negative, and at most %v", o.TokenLeeway, maxTokenLeeway)
	} else if o.TokenTTL > 0 && o.TokenTTL <= maxTokenTTL && o.TokenTTL+o.TokenLeeway > maxTokenTTL {
		bad("TokenTTL %v plus TokenLeeway %v: a token would be accepted after the upstream token's %v", o.TokenTTL, o.TokenLeeway, maxTokenTTL)
	}
	for name, d := range map[string]time.Duration{"DialTimeout": o.DialTimeout, "UpstreamTimeout": o.UpstreamTimeout,
		"ReadTimeout": o.ReadTimeout, "WriteTimeout": o.WriteTimeout, "IdleTimeout": o.IdleTimeout,
		"UpstreamIdleTimeout": o.UpstreamIdleTimeout, "BeaconLogEvery": o.BeaconLogEvery, "PreflightMaxAge": o.PreflightMaxAge,
		"ClientLoginEvery": o.ClientLoginEvery, "ClientRefusedEvery": o.ClientRefusedEvery, "ShopperEvery": o.ShopperEvery} {
		if d < 0 {
			bad("%s %v: must not be negative", name, d)
		}
	}
	if o.CacheMaxBytes < 0 || o.MaxUpstreamBody < 0 || o.BodyLimit < 0 || o.BreakerFailures < 0 || o.BreakerCooldown < 0 ||
		o.UpstreamConns < 0 || o.BeaconBodyLimit < 0 || o.UpstreamQueue < 0 || o.MaxRedeemedBody < 0 {
		bad("CacheMaxBytes, MaxUpstreamBody, MaxRedeemedBody, BodyLimit, BreakerFailures, BreakerCooldown, UpstreamConns, UpstreamQueue and BeaconBodyLimit must not be negative")
	}
	if o.MaxRedeemedBody > 0 && o.MaxRedeemedBody < o.MaxUpstreamBody {
		bad("MaxRedeemedBody %d: must not be below MaxUpstreamBody %d (a redeemed list is no smaller than any other answer)", o.MaxRedeemedBody, o.MaxUpstreamBody)
	}
	for name, f := range map[string]float64{"BudgetLoginShare": o.BudgetLoginShare, "BudgetListingShare": o.BudgetListingShare, "ClientShare": o.ClientShare} {
		if !(f >= 0 && f <= 1) { // 0: the default
			bad("%s %v: must be above 0 and at most 1", name, f)
		}
	}
	if o.BudgetLoginShare > restoreShare {
		bad("BudgetLoginShare %v: must not be above %v (the applied states come before logins)", o.BudgetLoginShare, restoreShare)
	}
	if o.BudgetListingShare > o.BudgetLoginShare {
		bad("BudgetListingShare %v: must not be above BudgetLoginShare %v (listings come after logins)", o.BudgetListingShare, o.BudgetLoginShare)
	}
	if o.BudgetWait < 0 || o.RedisTimeout < 0 || o.Replicas < 0 {
		bad("BudgetWait, RedisTimeout and Replicas must not be negative")
	}
	if o.RedisURL != "" {
		if _, err := rueidis.ParseURL(o.RedisURL); err != nil {
			bad("RedisURL: %v (want redis://[user:password@]host:port[/db])", err)
		}
	}
	if h := o.TrustedProxyHeader; h != "" && !headerNameRe.MatchString(h) {
		bad("TrustedProxyHeader %q: not a header name", h)
	}
	if len(o.Keys) == 0 {
		bad("no keys: the BFF needs a key to sign its tokens, the same on every replica; %s", makeKeyHint)
	}
	kids := map[string]bool{}
	for i, k := range o.Keys {
		if k.ID == "" || kids[k.ID] {
			bad("keys[%d]: id %q is empty or repeated", i, k.ID)
		}
		kids[k.ID] = true
		if why := weakSecret(k.Secret); why != "" {
			bad("keys[%d] (%s): %s", i, k.ID, why)
		}
	}
	keys := map[string]bool{}
	for i, t := range o.Tenants {
		where := fmt.Sprintf("tenants[%d]", i)
		if t.Key != "" {
			where += " (" + t.Key + ")"
		}
		switch {
		case t.Key == "":
			bad("%s: key is empty", where)
		case keys[t.Key]:
			bad("%s: key appears twice", where)
		}
		keys[t.Key] = true
		if u, err := url.Parse(t.Upstream); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("%s: upstream %q must be an absolute http(s) URL without query", where, t.Upstream)
		}
		for _, origin := range t.AllowedOrigins {
			if !validOrigin(origin) {
				bad("%s: allowed origin %q must be exactly scheme://host[:port] (no wildcard, path or slash)", where, origin)
			}
		}
		if !supportedLocale(t.Locale) {
			bad("%s: locale %q is not one of %s", where, t.Locale, strings.Join(locales, ", "))
		}
		if !validCurrency(t.Currency) {
			bad("%s: currency %q is not an ISO 4217 code", where, t.Currency)
		}
		if t.UpstreamConns < 0 {
			bad("%s: upstreamConns %d must not be negative", where, t.UpstreamConns)
		}
		if b := o.tenantBudget(t).orDefault(PlatformBudget); max(b.PerSecond, b.PerMinute, b.PerHour) > maxBudget {
			bad("%s: budget %+v: at most %d calls in a window (each call in the longest window is remembered)", where, b, maxBudget)
		} else if b.PerSecond <= 0 && b.PerMinute <= 0 && b.PerHour <= 0 {
			bad("%s: budget has no bound in any window: a store's platform has a rate limit (the documented one is %d a second, %d a minute, %d an hour)",
				where, PlatformBudget.PerSecond, PlatformBudget.PerMinute, PlatformBudget.PerHour)
		}
		for _, p := range t.Theme.problems() {
			bad("%s: theme.%s", where, p)
		}
		for key, byLocale := range t.Messages {
			known := knownMessageKey(key)
			if !known {
				bad("%s: messages: %q is not a UseReason name nor one of the widget's sentences (%s)", where, key, strings.Join(widgetWords, ", "))
			}
			for loc, text := range byLocale {
				if !supportedLocale(loc) {
					bad("%s: messages.%s: locale %q is not one of %s", where, key, loc, strings.Join(locales, ", "))
				} else if known {
					if p := overrideProblem(key, text); p != "" {
						bad("%s: messages.%s.%s %q: %s", where, key, loc, text, p)
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

func validOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		!strings.Contains(u.Host, "*") && u.Path == "" && u.RawQuery == "" && u.User == nil && u.Fragment == "" &&
		s == u.Scheme+"://"+u.Host
}

// SoftMemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) a process running
// this BFF should have when its operator set none (GOMEMLIMIT): the cache's bound plus 16 MiB
// for everything else. Go's collector otherwise lets the heap grow to twice what is live
// before it runs, so a full cache would cost its bound twice in RSS. With it, the process's
// memory follows the bound. 0 when the cache is off.
func SoftMemoryLimit(o Options) int64 {
	o.setDefaults()
	if o.CacheTTL < 0 {
		return 0
	}
	return o.CacheMaxBytes + 16<<20
}

// DemoTenant is the built-in tenant used when no tenants file is given: key "demo", the
// embedded sandbox as its upstream, the demo store's origins, a demo theme whose join link
// leads to the demo store's page on how to join (demostore's /fidelidade), and a budget as wide as the sandbox's (its built-in seed limits no
// store: a million calls an hour; main narrows it to a seed's rateLimit).
func DemoTenant(upstream string, origins []string) TenantConfig {
	t := TenantConfig{Key: "demo", Upstream: upstream, AllowedOrigins: origins, Locale: defaultLocale, Currency: defaultCurrency,
		Theme:  &Theme{Accent: "#5b21b6", AccentText: "#ffffff", Radius: "8px"},
		Budget: &Budget{PerSecond: -1, PerMinute: -1, PerHour: maxBudget}}
	if len(origins) > 0 {
		t.Theme.JoinURL = origins[len(origins)-1] + "/fidelidade"
	}
	return t
}

var (
	headerNameRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	hexColourRe  = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$`)
	cssLengthRe  = regexp.MustCompile(`^(?:0|[0-9]{1,4}(?:\.[0-9]{1,4})?(?:px|rem|em|%|pt|ch|ex|vw|vh|vmin|vmax))$`)
	fontRe       = regexp.MustCompile(`^[A-Za-z0-9 ,'"_.-]{1,120}$`)
)

// problems lists what is wrong with a theme, each starting with the field's name.
func (th *Theme) problems() []string {
	if th == nil {
		return nil
	}
	var out []string
	for _, c := range []struct{ name, v string }{{"accent", th.Accent}, {"accentText", th.AccentText}} {
		if c.v != "" && !hexColourRe.MatchString(c.v) {
			out = append(out, fmt.Sprintf("%s %q: want a CSS hex colour such as #5b21b6", c.name, c.v))
		}
	}
	if th.Radius != "" && !cssLengthRe.MatchString(th.Radius) {
		out = append(out, fmt.Sprintf("radius %q: want a CSS length such as 8px, 0.5rem or 50%%", th.Radius))
	}
	if th.Font != "" && !fontRe.MatchString(th.Font) {
		out = append(out, fmt.Sprintf("font %q: want a CSS font-family list such as Georgia, serif (letters, digits, spaces, commas, quotes)", th.Font))
	}
	for _, u := range []struct{ name, v string }{{"joinUrl", th.JoinURL}, {"termsUrl", th.TermsURL}} {
		if u.v != "" && !pageURL(u.v) {
			out = append(out, fmt.Sprintf("%s %q: want an absolute https URL (http only for localhost)", u.name, u.v))
		}
	}
	return out
}

// pageURL tells whether s is a link a shopper may be sent to: absolute https, or http on this
// machine (localhost, 127.0.0.0/8, ::1) for development.
func pageURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		ip := net.ParseIP(h)
		return h == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}

// tenantBudget is a store's budget: its own fields, the rest from Options.Budget.
func (o *Options) tenantBudget(t TenantConfig) Budget {
	if t.Budget == nil {
		return o.Budget
	}
	return t.Budget.orDefault(o.Budget)
}
