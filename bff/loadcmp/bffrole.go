package main

import (
	"log/slog"
	"net"
	"os"

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
	s, err := bff.New(bff.Options{Tenants: []bff.TenantConfig{bff.DemoTenant(upstream, nil)}, Keys: keys, CacheTTL: d,
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	if err != nil {
		return nil, err
	}
	s.NotFound()
	return s.Serve, nil
}
