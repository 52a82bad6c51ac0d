// Package bff is the backend-for-frontend of the loyalty checkout widget: a drop-in proxy of
// the loyalty platform's /pub/widget API for many stores (tenants). It keeps the platform's
// SecureToken out of the browser (the browser holds the BFF's own signed token, with the
// platform's token sealed inside), adds a localised message to every reward, answers the
// widget's whole checkout view in one round trip (and with the sign-in, in one exchange),
// caches, and turns upstream faults into clear, enveloped errors. It serves the widget too.
//
// A request goes through, top to bottom:
//
//	routes.go    the only file that knows Fiber: routes, middleware, writing answers
//	token.go     tenant and token (verified once, then cached)
//	shield.go    the tenant's circuit breaker and rate-limit hold
//	cache.go     final bytes per tenant, shopper, variant and locale; shared calls
//	platform/    the platform's contract and its client
package bff

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// Server is a configured BFF.
type Server struct {
	o       Options
	app     *fiber.App
	tenants map[string]*tenant
	keys    *keyring
	cache   *cache // nil when CacheTTL is negative
	widget  *widgetFiles
	beacons *beacons
	locales localeCache
	log     *slog.Logger
	ids     *requestIDs
	ready   atomic.Bool
}

// tenant is a store at run time.
type tenant struct {
	cfg     TenantConfig
	client  *platform.Client
	origins map[string]bool
	msgs    *messages
	shield  *shield
	theme   *themeView // nil without a theme
}

// New validates the options and builds the whole server, routes included (the widget's too,
// when Options.Widget is set). It does not listen. Keys are required: a key made up here would
// make every replica refuse the others' tokens, so only the caller (the all-in-one demo) may
// choose a random one (RandomKey).
func New(o Options) (*Server, error) {
	o.setDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	keys, err := newKeyring(o.Keys, o.TokenTTL, o.TokenLeeway, o.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, tenants: map[string]*tenant{}, keys: keys, log: o.Logger, ids: newRequestIDs(),
		beacons: newBeacons(o.BeaconLogEvery)}
	if o.CacheTTL > 0 {
		s.cache = newCache(o.CacheTTL, o.CacheMaxBytes, o.Now)
	}
	for _, tc := range o.Tenants {
		conns := o.UpstreamConns
		if tc.UpstreamConns > 0 {
			conns = tc.UpstreamConns
		}
		client, err := platform.NewClient(strings.TrimRight(tc.Upstream, "/"), platform.ClientOptions{Conns: conns, DialTimeout: o.DialTimeout,
			Timeout: o.UpstreamTimeout, IdleTimeout: o.UpstreamIdleTimeout, MaxBody: int(o.MaxUpstreamBody)})
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", tc.Key, err)
		}
		t := &tenant{cfg: tc, client: client, origins: map[string]bool{}, msgs: newMessages(tc), shield: newShield(&o, tc.Key), theme: newThemeView(tc.Theme)}
		for _, origin := range tc.AllowedOrigins {
			t.origins[origin] = true
		}
		s.tenants[tc.Key] = t
	}
	if o.Widget != nil {
		if s.widget, err = newWidgetFiles(o.Widget); err != nil {
			return nil, err
		}
		s.log.Info("widget mounted", "url", "/"+o.Widget.Name, "bytes", len(o.Widget.JS),
			"brotli", len(s.widget.js.br), "gzip", len(s.widget.js.gz))
	}
	s.app = s.routes()
	s.ready.Store(true)
	return s, nil
}

// Serve serves on a listener until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops taking requests (readyz turns 503 at once) and waits for the ones under way.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	err := s.app.ShutdownWithContext(ctx)
	for _, t := range s.tenants {
		t.client.Close()
	}
	return err
}
