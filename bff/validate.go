package bff

// Validation of the options and the tenants, apart from the options themselves (as
// oauth2-proxy keeps them): every problem is collected and reported at once.

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

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
		if t.Limits != nil {
			to, problems := o.forTenant(t)
			for _, p := range problems {
				bad("%s: %s", where, p)
			}
			if l := t.Limits; l.ClientShare != 0 && !(to.ClientShare > 0 && to.ClientShare <= 1) {
				bad("%s: limits.clientShare %v: must be above 0 and at most 1", where, l.ClientShare)
			}
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
