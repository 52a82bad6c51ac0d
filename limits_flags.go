package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// clientLimits are the per-client limits an operator sets on the command line or in the
// environment: bff.Options' fields of the same names, for every store (a store's own, in the
// tenants file's "limits", go over them).
type clientLimits struct {
	shopperBurst, clientLoginBurst, clientRefusedBurst int
	shopperEvery, clientLoginEvery, clientRefusedEvery time.Duration
	clientShare                                        float64
}

// apply sets the limits into the BFF's options.
func (l clientLimits) apply(o *bff.Options) {
	o.ShopperBurst, o.ShopperEvery = l.shopperBurst, l.shopperEvery
	o.ClientLoginBurst, o.ClientLoginEvery = l.clientLoginBurst, l.clientLoginEvery
	o.ClientRefusedBurst, o.ClientRefusedEvery = l.clientRefusedBurst, l.clientRefusedEvery
	o.ClientShare = l.clientShare
}

// limitFlags are the limits' flags as given, parsed once the command line is read.
type limitFlags struct {
	bursts []burstFlag
	everys []everyFlag
	share  *string
}

type burstFlag struct {
	name, env string
	v         *string
	dst       func(*clientLimits) *int
}

type everyFlag struct {
	name, env string
	v         *string
	dst       func(*clientLimits) *time.Duration
}

// defineLimitFlags adds the limits' flags to fs, each defaulting to its variable, else to the
// BFF's default (bff.Defaults: the defaults are written in one place).
func defineLimitFlags(fs *flag.FlagSet) *limitFlags {
	d := bff.Defaults()
	lf := &limitFlags{}
	burst := func(name, env string, def int, usage string, dst func(*clientLimits) *int) {
		v := fs.String(name, envOr(env, strconv.Itoa(def)), usage+"; negative turns the limit off (env "+env+")")
		lf.bursts = append(lf.bursts, burstFlag{name, env, v, dst})
	}
	every := func(name, env string, def time.Duration, usage string, dst func(*clientLimits) *time.Duration) {
		v := fs.String(name, envOr(env, def.String()), usage+" (env "+env+")")
		lf.everys = append(lf.everys, everyFlag{name, env, v, dst})
	}
	burst("shopper-burst", "SHOPPER_BURST", d.ShopperBurst, "calls one signed-in shopper may make in a burst, per store",
		func(l *clientLimits) *int { return &l.shopperBurst })
	every("shopper-every", "SHOPPER_EVERY", d.ShopperEvery, "after the burst, one more call per shopper each this long",
		func(l *clientLimits) *time.Duration { return &l.shopperEvery })
	burst("client-login-burst", "CLIENT_LOGIN_BURST", d.ClientLoginBurst, "logins one client address may make in a burst, per store",
		func(l *clientLimits) *int { return &l.clientLoginBurst })
	every("client-login-every", "CLIENT_LOGIN_EVERY", d.ClientLoginEvery, "after the burst, one more login per address each this long",
		func(l *clientLimits) *time.Duration { return &l.clientLoginEvery })
	burst("client-refused-burst", "CLIENT_REFUSED_BURST", d.ClientRefusedBurst, "logins the platform refused (401) from one address, per store, before its logins are answered 429 by the BFF",
		func(l *clientLimits) *int { return &l.clientRefusedBurst })
	every("client-refused-every", "CLIENT_REFUSED_EVERY", d.ClientRefusedEvery, "one refused login is forgotten each this long",
		func(l *clientLimits) *time.Duration { return &l.clientRefusedEvery })
	lf.share = fs.String("client-share", envOr("CLIENT_SHARE", strconv.FormatFloat(d.ClientShare, 'f', -1, 64)),
		"the most of a store's platform budget one client (a shopper's listings, an address's logins) may spend, above 0 and at most 1; 1: no share limit (env CLIENT_SHARE)")
	return lf
}

// parse reads the limits' flags, reporting every value that does not parse in one error.
// Ranges are the BFF's to check (Options.Validate), with the rest of its configuration; only a
// 0 is refused here, since the BFF would read it as "the default".
func (lf *limitFlags) parse() (clientLimits, error) {
	var l clientLimits
	var errs []error
	for _, b := range lf.bursts {
		n, err := strconv.Atoi(*b.v)
		if err != nil || n == 0 {
			errs = append(errs, fmt.Errorf("-%s (%s) %q: want a whole number above 0, or a negative one to turn the limit off", b.name, b.env, *b.v))
			continue
		}
		*b.dst(&l) = n
	}
	for _, e := range lf.everys {
		d, err := time.ParseDuration(*e.v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("-%s (%s) %q: want a positive duration such as 2s or 250ms", e.name, e.env, *e.v))
			continue
		}
		*e.dst(&l) = d
	}
	share, err := strconv.ParseFloat(*lf.share, 64)
	if err != nil || share == 0 {
		errs = append(errs, fmt.Errorf("-client-share (CLIENT_SHARE) %q: want a number above 0 and at most 1, e.g. 0.1", *lf.share))
	} else {
		l.clientShare = share
	}
	return l, errors.Join(errs...)
}
