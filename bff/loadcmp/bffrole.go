package main

import (
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// bffServer builds the BFF for the demo tenant on upstream. ttl "0" turns its cache off.
func bffServer(upstream, ttl, maxBytes string) (func(net.Listener) error, error) {
	keys, err := bff.ParseKeys(loadKey)
	if err != nil {
		return nil, err
	}
	d, err := durationEnv(ttl)
	if err != nil {
		return nil, err
	}
	if d == 0 && ttl != "" {
		d = -1
	}
	o := bff.Options{Tenants: []bff.TenantConfig{bff.DemoTenant(upstream, nil)}, Keys: keys, CacheTTL: d,
		Logger: slog.New(slog.NewJSONHandler(bff.NewLogBuffer(os.Stderr, 0), nil)), // as go run . bff does
		// One shopper sends every request of a run, thousands a second: the per-shopper limit
		// (60, then 4 a second) would answer almost all of them 429. It stays on the path,
		// sized out of the way; a client's share of the budget (at most a tenth of the
		// demo's 1,000,000 an hour) is turned off: 1 is the whole budget. The memory run signs
		// 10,000 shoppers in from this one address: the per-address login limit is off.
		ShopperBurst: 1 << 30, ShopperEvery: time.Nanosecond, ClientShare: 1, ClientLoginBurst: -1}
	// A cache miss is a platform call only without derived listings: with them, a listing at
	// a new purchase value is derived from the last exact one (derive.go) and asks nothing.
	o.NoDerive = os.Getenv("LOADCMP_NODERIVE") != ""
	if os.Getenv("LOADCMP_NOLOG") != "" {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if maxBytes != "" {
		if o.CacheMaxBytes, err = strconv.ParseInt(maxBytes, 10, 64); err != nil {
			return nil, err
		}
	}
	if limit := bff.SoftMemoryLimit(o); limit > 0 && os.Getenv("GOMEMLIMIT") == "" { // as go run . bff does
		debug.SetMemoryLimit(limit)
	}
	s, err := bff.New(o)
	if err != nil {
		return nil, err
	}
	return s.Serve, nil
}
