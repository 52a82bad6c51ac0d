package bff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
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

	// CacheTTL is how long an available-rewards answer is reused for the same tenant, shopper,
	// purchase value and cart. Default 15 seconds; a negative value turns the cache off.
	CacheTTL time.Duration
	// CacheMaxShoppers bounds the cache: past it, new shoppers are served uncached until
	// entries expire. Default 10,000 (each holds at most cachePerShopper answers).
	CacheMaxShoppers int

	// DialTimeout bounds connecting to an upstream. Default 2 seconds.
	DialTimeout time.Duration
	// UpstreamTimeout bounds one whole upstream call, body included. Default 8 seconds.
	UpstreamTimeout time.Duration
	// MaxUpstreamBody bounds an upstream answer. Default 1 MiB.
	MaxUpstreamBody int64
	// BreakerFailures is how many platform faults in a row (timeouts, connection errors,
	// unreadable or 5xx answers) open a tenant's circuit breaker. Default 5.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker answers 503 at once before one call probes
	// the platform again. Default 10 seconds.
	BreakerCooldown time.Duration

	// BodyLimit bounds a request body; past it: 413. Default 16 KiB.
	BodyLimit int
	// ReadTimeout, WriteTimeout and IdleTimeout bound a client connection. Defaults 10 s, 15 s
	// (longer than UpstreamTimeout), 60 s.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration

	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
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
	// Messages overrides shopper messages: UseReason name -> locale -> text. "{remaining}"
	// in a MinValueNotReached text becomes the missing amount.
	Messages map[string]map[string]string `json:"messages,omitempty"`
	// AllowRedeemWithoutOriginalId lets old clients redeem (endpoints 4 and 5) without an
	// OriginalId. Default false: such a redeem is refused (400 missing_original_id), because
	// a retry of it could debit the shopper twice.
	AllowRedeemWithoutOriginalId bool `json:"allowRedeemWithoutOriginalId,omitempty"`
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
)

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.TokenTTL, 55*time.Minute)
	def(&o.TokenLeeway, 30*time.Second)
	def(&o.CacheTTL, 15*time.Second)
	def(&o.DialTimeout, 2*time.Second)
	def(&o.UpstreamTimeout, 8*time.Second)
	def(&o.ReadTimeout, 10*time.Second)
	def(&o.WriteTimeout, 15*time.Second)
	def(&o.IdleTimeout, 60*time.Second)
	def(&o.BreakerCooldown, 10*time.Second)
	if o.BreakerFailures == 0 {
		o.BreakerFailures = 5
	}
	if o.CacheMaxShoppers == 0 {
		o.CacheMaxShoppers = 10_000
	}
	if o.MaxUpstreamBody == 0 {
		o.MaxUpstreamBody = 1 << 20
	}
	if o.BodyLimit == 0 {
		o.BodyLimit = 16 << 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
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
		"ReadTimeout": o.ReadTimeout, "WriteTimeout": o.WriteTimeout, "IdleTimeout": o.IdleTimeout} {
		if d < 0 {
			bad("%s %v: must not be negative", name, d)
		}
	}
	if o.CacheMaxShoppers < 0 || o.MaxUpstreamBody < 0 || o.BodyLimit < 0 || o.BreakerFailures < 0 || o.BreakerCooldown < 0 {
		bad("CacheMaxShoppers, MaxUpstreamBody, BodyLimit, BreakerFailures and BreakerCooldown must not be negative")
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
		for reason, byLocale := range t.Messages {
			if !knownMessageKey(reason) {
				bad("%s: messages: %q is not a UseReason name", where, reason)
			}
			for loc := range byLocale {
				if !supportedLocale(loc) {
					bad("%s: messages.%s: locale %q is not one of %s", where, reason, loc, strings.Join(locales, ", "))
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

// DemoTenant is the built-in tenant used when no tenants file is given: key "demo", the
// embedded sandbox as its upstream, and the demo store's origins.
func DemoTenant(upstream string, origins []string) TenantConfig {
	return TenantConfig{Key: "demo", Upstream: upstream, AllowedOrigins: origins, Locale: defaultLocale, Currency: defaultCurrency}
}
