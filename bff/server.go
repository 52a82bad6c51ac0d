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
//	limits.go    per-client limits: logins per address (refused ones remembered), calls per shopper
//	shield.go    the tenant's circuit breaker and rate-limit hold; gate.go, its connections' gate
//	budget.go    the tenant's budget with the platform, spent before each call, by class
//	cache.go     final bytes per tenant, shopper, variant and locale; shared calls; stale copies
//	redis.go     what the replicas share through Redis (REDIS_URL), and the fall-back without it
//	metrics.go   Prometheus metrics, served on their own address
//	platform/    the platform's contract and its client
package bff

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// Server is a configured BFF.
type Server struct {
	o       Options
	front   *front                    // the routes (routes.go: the only file that knows Fiber)
	tenants atomic.Pointer[tenantSet] // swapped whole by ReloadTenants
	reload  sync.Mutex                // one reload at a time
	keys    *keyring
	cache   *cache // nil when CacheTTL is negative
	widget  *widgetFiles
	beacons *beacons
	locales localeCache
	log     *slog.Logger
	ids     *requestIDs
	ready   atomic.Bool
	metrics *metrics
	redis   *sharedState // nil without Options.RedisURL
}

// tenant is a store at run time.
type tenant struct {
	cfg     TenantConfig
	client  *platform.Client
	origins map[string]bool
	msgs    *messages
	shield  *shield
	theme   *themeView // nil without a theme
	// the store's budget: its windows as counted, this process's log of its calls (the
	// whole budget without Redis), the log kept while Redis is unreachable (a share of it),
	// and each client's share (logins per address, listings per shopper)
	windows  []budgetWindow
	budget   *localBudget
	fallback atomic.Pointer[localBudget]
	swapping sync.Mutex // one replacement of fallback at a time: none loses the calls of another
	share    *keyedLimits
	// limits are the store's per-client limits (logins per address, refused logins, calls per
	// shopper): the options', or the store's own (TenantConfig.Limits). A store changed by a
	// reload starts with new ones.
	limits *clientLimits
	// when (unix nanoseconds, wall clock) the budget last refused a listing or a login on
	// this replica: the clients' shares bind for a minute after it (contended)
	short atomic.Int64
}

// contendedFor is how long after the store's budget refused a listing or a login the
// clients' shares bind.
const contendedFor = time.Minute

// contended says whether the store's budget refused a listing or a login lately: then each
// client keeps to its share, so that one cannot take what the others are waiting for.
func (t *tenant) contended(now time.Time) bool {
	at := t.short.Load()
	return at != 0 && now.UnixNano()-at < int64(contendedFor)
}

// fallbackBudget is the budget this replica spends alone while Redis is unreachable: its
// share of the store's, one of replicas.
func (t *tenant) fallbackBudget(o *Options, replicas int) *localBudget {
	if b := t.fallback.Load(); b != nil && b.share == replicas {
		return b
	}
	t.swapping.Lock()
	defer t.swapping.Unlock()
	if b := t.fallback.Load(); b != nil && b.share == replicas {
		return b
	}
	b := newLocalBudget(o.tenantBudget(t.cfg).windows(o, replicas))
	b.share = replicas
	// It keeps as many calls as the whole budget allows, not only its share: calls made
	// through Redis beyond the share still count, and so does all of them once alone.
	b.most = max(b.most, mostCalls(o.tenantBudget(t.cfg).windows(o, 1)))
	old := t.fallback.Load()
	if old == nil {
		t.fallback.Store(b)
		return b
	}
	// The calls this replica made are still in the windows: copied before b is published,
	// with old held, so that none is recorded in between (b's log stays in time order).
	old.mu.Lock()
	b.adopt(old)
	t.fallback.Store(b)
	old.mu.Unlock()
	return b
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
	s := &Server{o: o, keys: keys, log: o.Logger, ids: newRequestIDs(),
		beacons: newBeacons(o.BeaconLogEvery)}
	if o.CacheTTL > 0 {
		s.cache = newCache(o.CacheTTL, o.CacheStale, o.CacheMaxBytes, o.Now)
	}
	s.redis = newSharedState(&s.o, s.cache.flush)
	set, err := s.newTenantSet(o.Tenants, nil)
	if err != nil {
		return nil, err
	}
	s.tenants.Store(set)
	if o.Widget != nil {
		if s.widget, err = newWidgetFiles(o.Widget); err != nil {
			return nil, err
		}
		s.log.Info("widget mounted", "url", "/"+o.Widget.Name, "bytes", len(o.Widget.JS),
			"brotli", len(s.widget.js.br), "gzip", len(s.widget.js.gz))
	}
	s.metrics = newMetrics(s)
	s.metrics.budgetLeft = s.budgetLeft
	s.front = s.routes()
	s.ready.Store(true)
	return s, nil
}

// Serve serves on a listener until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.front.serve(ln) }

// Shutdown stops taking requests (readyz turns 503 at once) and waits for the ones under way.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	err := s.front.shutdown(ctx)
	for _, t := range s.tenants.Load().byKey {
		t.client.Close()
	}
	s.redis.close()
	return err
}

// tenantSet is the stores served at one moment, and the union of their origins (for
// preflights, which name no store). A request takes the set once, at its start, and finishes
// on the configuration it started with, whatever a reload swaps in meanwhile.
type tenantSet struct {
	byKey   map[string]*tenant
	origins map[string]bool
}

// tenant returns the store for a key, or nil.
func (s *Server) tenant(key string) *tenant { return s.tenants.Load().byKey[key] }

// newTenantSet builds the stores of a configuration. A store whose configuration has not
// changed keeps its run-time state from old (its connections, circuit breaker, rate-limit
// hold); a new or changed one starts afresh.
func (s *Server) newTenantSet(tcs []TenantConfig, old *tenantSet) (*tenantSet, error) {
	o := s.o
	set := &tenantSet{byKey: map[string]*tenant{}, origins: map[string]bool{}}
	for _, tc := range tcs {
		t := (*tenant)(nil)
		if old != nil {
			if prev := old.byKey[tc.Key]; prev != nil && reflect.DeepEqual(prev.cfg, tc) {
				t = prev
			}
		}
		if t == nil {
			conns := o.UpstreamConns
			if tc.UpstreamConns > 0 {
				conns = tc.UpstreamConns
			}
			client, err := platform.NewClient(strings.TrimRight(tc.Upstream, "/"), platform.ClientOptions{Conns: conns, DialTimeout: o.DialTimeout,
				Timeout: o.UpstreamTimeout, IdleTimeout: o.UpstreamIdleTimeout, MaxBody: int(o.MaxUpstreamBody),
				MaxRedeemedBody: int(o.MaxRedeemedBody)})
			if err != nil {
				return nil, fmt.Errorf("tenant %s: %w", tc.Key, err)
			}
			t = &tenant{cfg: tc, client: client, origins: map[string]bool{}, msgs: newMessages(tc), shield: newShield(&o, tc.Key, conns), theme: newThemeView(tc.Theme)}
			b := o.tenantBudget(tc)
			t.windows = b.windows(&o, 1)
			t.budget = newLocalBudget(t.windows)
			to, _ := o.forTenant(tc) // validated: no problems
			t.share = clientShare(b, to.ClientShare)
			t.limits = newClientLimits(&to)
			for _, origin := range tc.AllowedOrigins {
				t.origins[origin] = true
			}
		}
		set.byKey[tc.Key] = t
		for origin := range t.origins {
			set.origins[origin] = true
		}
	}
	return set, nil
}

// CheckTenants validates a list of stores as ReloadTenants would, changing nothing: every
// problem, in one error.
func (s *Server) CheckTenants(tcs []TenantConfig) error {
	_, err := s.withTenants(tcs)
	return err
}

// withTenants is the server's options with another list of stores, defaults applied and
// validated.
func (s *Server) withTenants(tcs []TenantConfig) (Options, error) {
	o := s.o
	o.Tenants = slices.Clone(tcs)
	o.setTenantDefaults()
	return o, o.Validate()
}

// ReloadTenants swaps in a new list of stores without a restart (main calls it on SIGHUP and
// when the tenants file changes). The list is validated whole first: an invalid one changes
// nothing and the error names every problem. Requests under way finish on the configuration
// they started with. A store removed or changed loses what the BFF kept for it: its cached
// answers, its connections, its breaker and rate-limit hold, its clients' and shoppers' limits.
func (s *Server) ReloadTenants(tcs []TenantConfig) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	o, err := s.withTenants(tcs)
	if err != nil {
		return err
	}
	old := s.tenants.Load()
	set, err := s.newTenantSet(o.Tenants, old)
	if err != nil {
		return err
	}
	s.tenants.Store(set)
	var gone []string
	for key, t := range old.byKey {
		if set.byKey[key] != t {
			gone = append(gone, key)
			s.cache.dropTenant(key)
			t.client.Close() // idle connections now; calls under way finish on theirs
		}
	}
	s.log.Info("tenants reloaded", "tenants", len(set.byKey), "dropped", gone)
	return nil
}
