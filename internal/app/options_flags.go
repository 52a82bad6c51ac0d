package app

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// optionFlag is one bff.Options field an operator sets by a flag or its variable. Its default
// is the BFF's (bff.Defaults: the defaults are written in one place); a store's own, where a
// store may have one (TENANTS "limits", "budget"), goes over it.
type optionFlag struct {
	name, env string
	raw       *string
	// set parses a value into the options' field, or says what is wrong with it.
	set func(o *bff.Options, v string) error
}

// options are the parsed option flags, set into the BFF's options by apply.
type options []func(*bff.Options)

func (s options) apply(o *bff.Options) {
	for _, set := range s {
		set(o)
	}
}

// optionFlags are the option flags as given, parsed once the command line is read.
type optionFlags []optionFlag

// defineOptionFlags adds a flag (and variable) for every bff.Options field an operator may
// tune that has none elsewhere in parseConfig. Ranges are the BFF's to check
// (Options.Validate, with the rest of its configuration); only a 0 is refused here, since the
// BFF reads 0 as "the default". negative says what a negative value means, "" when none may be.
func defineOptionFlags(fs *flag.FlagSet) *optionFlags {
	d := bff.Defaults()
	var of optionFlags
	add := func(name, env, def, usage string, set func(*bff.Options, string) error) {
		raw := fs.String(name, envOr(env, def), usage+" (env "+env+")")
		of = append(of, optionFlag{name, env, raw, set})
	}
	count := func(name, env string, field func(*bff.Options) *int, usage, negative string) {
		def := *field(&d)
		if negative != "" {
			usage += "; negative: " + negative
		}
		add(name, env, strconv.Itoa(def), usage, func(o *bff.Options, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n == 0 || (n < 0 && negative == "") {
				if negative != "" {
					return errors.New("want a whole number above 0, or a negative one: " + negative)
				}
				return errors.New("want a whole number above 0")
			}
			*field(o) = n
			return nil
		})
	}
	duration := func(name, env string, field func(*bff.Options) *time.Duration, usage, negative string) {
		def := *field(&d)
		if negative != "" {
			usage += "; negative: " + negative
		}
		add(name, env, def.String(), usage, func(o *bff.Options, v string) error {
			t, err := time.ParseDuration(v)
			if err != nil || t == 0 || (t < 0 && negative == "") {
				return errors.New("want a positive duration such as 2s or 250ms")
			}
			*field(o) = t
			return nil
		})
	}
	size := func(name, env string, field func(*bff.Options) *int64, usage string) {
		add(name, env, formatBytes(*field(&d)), usage+"; KiB, MiB, GiB accepted", func(o *bff.Options, v string) error {
			n, err := parseBytes(v)
			if err != nil {
				return err
			}
			*field(o) = n
			return nil
		})
	}
	smallSize := func(name, env string, field func(*bff.Options) *int, usage, negative string) {
		def := *field(&d)
		if negative != "" {
			usage += "; negative: " + negative
		}
		add(name, env, formatBytes(int64(def)), usage+"; KiB accepted", func(o *bff.Options, v string) error {
			if n, err := strconv.Atoi(v); err == nil && n < 0 && negative != "" {
				*field(o) = n
				return nil
			}
			n, err := parseBytes(v)
			if err != nil || n > 1<<30 {
				return errors.New("want a positive number of bytes, e.g. 16384 or 16KiB, at most 1GiB")
			}
			*field(o) = int(n)
			return nil
		})
	}
	share := func(name, env string, field func(*bff.Options) *float64, usage string) {
		add(name, env, strconv.FormatFloat(*field(&d), 'f', -1, 64), usage, func(o *bff.Options, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f == 0 {
				return errors.New("want a number above 0 and at most 1, e.g. 0.1")
			}
			*field(o) = f
			return nil
		})
	}

	// The per-client limits: every store's, unless its TENANTS entry has its own ("limits").
	count("shopper-burst", "SHOPPER_BURST", func(o *bff.Options) *int { return &o.ShopperBurst },
		"calls one signed-in shopper may make in a burst, per store", "no limit")
	duration("shopper-every", "SHOPPER_EVERY", func(o *bff.Options) *time.Duration { return &o.ShopperEvery },
		"after the burst, one more call per shopper each this long", "")
	count("client-login-burst", "CLIENT_LOGIN_BURST", func(o *bff.Options) *int { return &o.ClientLoginBurst },
		"logins one client address may make in a burst, per store", "no limit")
	duration("client-login-every", "CLIENT_LOGIN_EVERY", func(o *bff.Options) *time.Duration { return &o.ClientLoginEvery },
		"after the burst, one more login per address each this long", "")
	count("client-refused-burst", "CLIENT_REFUSED_BURST", func(o *bff.Options) *int { return &o.ClientRefusedBurst },
		"logins the platform refused (401) from one address, per store, before its logins are answered 429 by the BFF", "no limit")
	duration("client-refused-every", "CLIENT_REFUSED_EVERY", func(o *bff.Options) *time.Duration { return &o.ClientRefusedEvery },
		"one refused login is forgotten each this long", "")
	share("client-share", "CLIENT_SHARE", func(o *bff.Options) *float64 { return &o.ClientShare },
		"the most of a store's platform budget one client (a shopper's listings, an address's logins) may spend while the budget is contended, above 0 and at most 1; 1: no share limit")

	// The budget's shares and wait (every store's budget itself: TENANTS "budget").
	share("budget-login-share", "BUDGET_LOGIN_SHARE", func(o *bff.Options) *float64 { return &o.BudgetLoginShare },
		"how far into each window of a store's budget logins may go, at most 0.95 (the rest is kept for money and the applied states)")
	share("budget-listing-share", "BUDGET_LISTING_SHARE", func(o *bff.Options) *float64 { return &o.BudgetListingShare },
		"how far into each window of a store's budget listings may go, at most 0.95")
	duration("budget-wait", "BUDGET_WAIT", func(o *bff.Options) *time.Duration { return &o.BudgetWait },
		"how long a listing with no stale copy waits for its store's budget", "")

	// The cache's and the tokens' times.
	duration("cache-stale", "CACHE_STALE", func(o *bff.Options) *time.Duration { return &o.CacheStale },
		"how long past the cache TTL a listing may be answered stale when the budget is short or the platform fails", "never")
	duration("token-ttl", "TOKEN_TTL", func(o *bff.Options) *time.Duration { return &o.TokenTTL },
		"how long the BFF's token lasts; with -token-leeway at most the platform token's 60m", "")
	duration("token-leeway", "TOKEN_LEEWAY", func(o *bff.Options) *time.Duration { return &o.TokenLeeway },
		"clock skew tolerated between the replicas that issue and verify a token, at most 5m", "")
	duration("redis-timeout", "REDIS_TIMEOUT", func(o *bff.Options) *time.Duration { return &o.RedisTimeout },
		"how long one Redis call may take before the replica carries on alone", "")

	// The platform's connections and its faults.
	count("upstream-conns", "UPSTREAM_CONNS", func(o *bff.Options) *int { return &o.UpstreamConns },
		"connections (and calls under way) to each store's platform", "")
	count("upstream-queue", "UPSTREAM_QUEUE", func(o *bff.Options) *int { return &o.UpstreamQueue },
		"calls per store waiting for a connection; past it 503 upstream_busy at once", "")
	duration("upstream-idle-timeout", "UPSTREAM_IDLE_TIMEOUT", func(o *bff.Options) *time.Duration { return &o.UpstreamIdleTimeout },
		"how long an idle connection to the platform is kept; below the platform's own idle timeout", "")
	duration("dial-timeout", "DIAL_TIMEOUT", func(o *bff.Options) *time.Duration { return &o.DialTimeout },
		"how long connecting to the platform may take", "")
	duration("upstream-timeout", "UPSTREAM_TIMEOUT", func(o *bff.Options) *time.Duration { return &o.UpstreamTimeout },
		"how long one platform call may take in all", "")
	size("max-upstream-body", "MAX_UPSTREAM_BODY", func(o *bff.Options) *int64 { return &o.MaxUpstreamBody },
		"the largest platform answer read")
	size("max-redeemed-body", "MAX_REDEEMED_BODY", func(o *bff.Options) *int64 { return &o.MaxRedeemedBody },
		"the largest redeemed list read")
	count("breaker-failures", "BREAKER_FAILURES", func(o *bff.Options) *int { return &o.BreakerFailures },
		"platform faults in a row that open a store's circuit breaker", "")
	duration("breaker-cooldown", "BREAKER_COOLDOWN", func(o *bff.Options) *time.Duration { return &o.BreakerCooldown },
		"how long an open breaker waits before it tries the platform again", "")

	// The BFF's own answers.
	smallSize("body-limit", "BODY_LIMIT", func(o *bff.Options) *int { return &o.BodyLimit },
		"the largest request body the BFF reads", "")
	smallSize("compress-min-bytes", "COMPRESS_MIN_BYTES", func(o *bff.Options) *int { return &o.CompressMinBytes },
		"the smallest JSON answer sent compressed", "answers are never compressed")
	smallSize("beacon-body-limit", "BEACON_BODY_LIMIT", func(o *bff.Options) *int { return &o.BeaconBodyLimit },
		"the largest widget error report read", "")
	duration("beacon-log-every", "BEACON_LOG_EVERY", func(o *bff.Options) *time.Duration { return &o.BeaconLogEvery },
		"at most one log line per kind of widget error report this often", "")
	duration("read-timeout", "READ_TIMEOUT", func(o *bff.Options) *time.Duration { return &o.ReadTimeout },
		"how long a client may take to send its request", "")
	duration("write-timeout", "WRITE_TIMEOUT", func(o *bff.Options) *time.Duration { return &o.WriteTimeout },
		"how long the BFF may take to answer a client", "")
	duration("idle-timeout", "IDLE_TIMEOUT", func(o *bff.Options) *time.Duration { return &o.IdleTimeout },
		"how long a client's idle keep-alive connection is kept", "")
	duration("preflight-max-age", "PREFLIGHT_MAX_AGE", func(o *bff.Options) *time.Duration { return &o.PreflightMaxAge },
		"how long browsers may keep a CORS preflight's answer", "")
	return &of
}

// parse reads the option flags, reporting every value that does not parse in one error.
func (of *optionFlags) parse() (options, error) {
	var set options
	var errs []error
	for _, f := range *of {
		v := *f.raw
		o := bff.Options{}
		if err := f.set(&o, v); err != nil {
			errs = append(errs, fmt.Errorf("-%s (%s) %q: %w", f.name, f.env, v, err))
			continue
		}
		set = append(set, func(o *bff.Options) { _ = f.set(o, v) })
	}
	return set, errors.Join(errs...)
}

// formatBytes writes n as parseBytes reads it, in the largest unit that divides it.
func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n > 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
