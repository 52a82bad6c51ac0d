package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/demostore"
	"github.com/loyalty-checkout/bff-widget/sandbox"
	"github.com/loyalty-checkout/bff-widget/widget"
)

// stack is the servers one command runs, each on its own listener.
type stack struct {
	sandboxLn, bffLn, demoLn net.Listener
	sandbox                  *sandbox.Server
	bff                      *bff.Server
	demo                     *demostore.Store
	sandboxURL, bffURL       string
	demoURL                  string
	adminLn                  net.Listener // the operators' address, when configured
	admin                    http.Handler
	adminURL                 string
	metricsLn                net.Listener // the BFF's metrics, when configured
	metricsURL               string
	sandboxIdle              time.Duration // the sandbox's idle timeout (config.sandboxIdle)
}

// newStack listens on every address first (so ports may be 0), then builds the servers with
// the real addresses: the demo tenant allows the demo store's origin, and the demo page's
// script tag points at the BFF.
func newStack(cfg config, log *slog.Logger, out io.Writer) (*stack, error) {
	st := &stack{sandboxIdle: cmp.Or(cfg.sandboxIdle, defaultIdleTimeout)}
	var err error
	fail := func(e error) (*stack, error) { st.close(); return nil, e }
	if cfg.mode != "bff" {
		if st.sandboxLn, st.sandboxURL, err = listen(cfg.sandboxAddr); err != nil {
			return fail(fmt.Errorf("sandbox: %w", err))
		}
	}
	if cfg.mode != "sandbox" {
		if st.bffLn, st.bffURL, err = listen(cfg.addr); err != nil {
			return fail(fmt.Errorf("bff: %w", err))
		}
		if cfg.publicURL != "" {
			st.bffURL = strings.TrimRight(cfg.publicURL, "/")
		}
	}
	if cfg.mode == "all" {
		if st.demoLn, st.demoURL, err = listen(cfg.demoAddr); err != nil {
			return fail(fmt.Errorf("demo store: %w", err))
		}
	}
	if cfg.adminAddr != "" {
		if st.adminLn, st.adminURL, err = listen(cfg.adminAddr); err != nil {
			return fail(fmt.Errorf("admin: %w", err))
		}
		st.admin = adminHandler(cfg.pprof)
	}
	if cfg.metricsAddr != "" && st.bffLn != nil {
		if st.metricsLn, st.metricsURL, err = listen(cfg.metricsAddr); err != nil {
			return fail(fmt.Errorf("metrics: %w", err))
		}
	}
	if st.sandboxLn != nil {
		if st.sandbox, err = newSandbox(cfg, log); err != nil {
			return fail(err)
		}
	}
	if st.bffLn != nil {
		w, err := widget.Build()
		if err != nil {
			return fail(err)
		}
		if st.bff, err = newBFF(cfg, log, st.sandboxURL, origins(st.demoLn), w); err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "%-8s %s   (widget %s: %d bytes, integrity %s)\n", "bff", st.bffURL, w.Name, len(w.JS), w.Integrity)
	}
	if st.metricsLn != nil {
		fmt.Fprintf(out, "%-8s %s/metrics\n", "metrics", st.metricsURL)
	}
	if st.sandboxLn != nil {
		fmt.Fprintf(out, "%-8s %s\n", "sandbox", st.sandboxURL)
	}
	if st.demoLn != nil {
		st.demo = demostore.New(demostore.Options{BFFURL: st.bffURL, SandboxURL: st.sandboxURL, Logger: log.With("server", "demo")})
		fmt.Fprintf(out, "%-8s %s   <- open this: the demo store's checkout\n", "demo", st.demoURL)
	}
	if st.bff != nil && cfg.tenants != "" { // Run listens for SIGHUP then (watchTenants)
		fmt.Fprintf(out, "%-8s %d   (kill -HUP %d re-reads TENANTS)\n", "pid", os.Getpid(), os.Getpid())
	} else {
		fmt.Fprintf(out, "%-8s %d\n", "pid", os.Getpid())
	}
	return st, nil
}

// serve runs every server until ctx ends, then shuts them down gracefully.
func (st *stack) serve(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if st.sandbox != nil {
		g.Go(func() error { return serveHTTP(ctx, st.sandboxLn, st.sandbox, 10*time.Second, st.sandboxIdle) })
	}
	if st.demo != nil {
		g.Go(func() error { return serveHTTP(ctx, st.demoLn, st.demo, 10*time.Second, defaultIdleTimeout) })
	}
	if st.admin != nil {
		// A CPU profile takes 30 s to write: the admin address allows longer answers.
		g.Go(func() error { return serveHTTP(ctx, st.adminLn, st.admin, 2*time.Minute, defaultIdleTimeout) })
	}
	if st.metricsLn != nil && st.bff != nil {
		g.Go(func() error {
			return serveHTTP(ctx, st.metricsLn, metricsHandler(st.bff), 10*time.Second, defaultIdleTimeout)
		})
	}
	if st.bff != nil {
		g.Go(func() error {
			if err := st.bff.Serve(st.bffLn); err != nil && ctx.Err() == nil {
				return err
			}
			return nil // closed by the shutdown below
		})
		g.Go(func() error {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := st.bff.Shutdown(sctx)
			// A shutdown that came before Serve began closed no listener (fasthttp's Shutdown
			// closes those it serves on): closing it here ends a Serve that starts after it.
			_ = st.bffLn.Close()
			return err
		})
	}
	return g.Wait()
}

func (st *stack) close() {
	for _, ln := range []net.Listener{st.sandboxLn, st.bffLn, st.demoLn, st.adminLn, st.metricsLn} {
		if ln != nil {
			_ = ln.Close() // a listener that never served: nothing to report
		}
	}
}

func newSandbox(cfg config, log *slog.Logger) (*sandbox.Server, error) {
	opts := sandbox.Options{Logger: log.With("server", "sandbox")}
	if cfg.seed != "" {
		seed, err := sandbox.LoadSeed(cfg.seed)
		if err != nil {
			return nil, err
		}
		opts.Seed = &seed
	}
	return sandbox.New(opts)
}

// seedRateLimit is the rate limit the sandbox's seed sets for a store, or nil.
func seedRateLimit(cfg config, key string) *sandbox.RateLimit {
	seed := sandbox.DefaultSeed()
	if cfg.seed != "" {
		var err error
		if seed, err = sandbox.LoadSeed(cfg.seed); err != nil {
			return nil // the sandbox reports it
		}
	}
	for _, t := range seed.Tenants {
		if t.Key == key {
			return t.RateLimit
		}
	}
	return nil
}

// orNone is a sandbox limit (0: none) as a budget's field (negative: none).
func orNone(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// newBFF builds the BFF from the tenants and keys, reporting every problem of the
// configuration in one error: the tenants file's unknown fields, the keys that do not parse,
// and every invalid value, so one start shows everything to fix.
func newBFF(cfg config, log *slog.Logger, sandboxURL string, demoOrigins []string, assets *bff.WidgetAssets) (*bff.Server, error) {
	opts := bff.Options{Logger: log.With("server", "bff"), Widget: assets, CacheTTL: cfg.cacheTTL, CacheMaxBytes: cfg.cacheMaxBytes, NoDerive: cfg.noDerive, Build: cfg.build,
		TrustedProxyHeader: cfg.trustedProxyHeader, RedisURL: cfg.redisURL, Replicas: cfg.replicas}
	cfg.options.apply(&opts)
	var problems []error
	switch {
	case cfg.tenants != "" && len(cfg.demoOrigins) > 0:
		return nil, errors.New("-demo-origins (DEMO_ORIGINS) adds origins to the demo tenant, which TENANTS replaces: put them in its tenants' allowedOrigins")
	case cfg.tenants != "":
		tenants, err := bff.LoadTenants(cfg.tenants)
		problems = append(problems, err) // and the tenants read despite it are validated too
		opts.Tenants = tenants
	case sandboxURL != "":
		demo := bff.DemoTenant(sandboxURL, append(cfg.demoOrigins[:len(cfg.demoOrigins):len(cfg.demoOrigins)], demoOrigins...))
		if rl := seedRateLimit(cfg, "demo"); rl != nil { // the BFF keeps within the sandbox's limit, as within the platform's
			demo.Budget = &bff.Budget{PerSecond: orNone(rl.PerSecond), PerMinute: orNone(rl.PerMinute), PerHour: orNone(rl.PerHour)}
		}
		opts.Tenants = []bff.TenantConfig{demo}
	default:
		return nil, errors.New("bff alone needs TENANTS (there is no embedded sandbox to point the demo tenant at)")
	}
	keys, err := loadKeys(cfg)
	problems = append(problems, err)
	opts.Keys = keys
	// Only the all-in-one demo, one process, may sign with a key nothing else knows; and a key
	// that does not parse never falls back to a random one.
	if len(keys) == 0 && err == nil && cfg.mode == "all" {
		opts.Keys = []bff.Key{bff.RandomKey()}
		opts.Logger.Warn("no BFF key configured (BFF_KEYS or BFF_KEYS_FILE): made a random one; tokens will not survive a restart nor be accepted by other replicas")
	}
	srv, err := bff.New(opts)
	problems = append(problems, err)
	if len(opts.Keys) == 0 && err != nil {
		problems = append(problems, errWhereKeysGo) // bff.New has said that keys are missing
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("BFF configuration:\n%w", err)
	}
	return srv, nil
}

// errWhereKeysGo completes bff's "no keys": outside the all-in-one demo a random key would
// make every replica refuse the others' tokens (and every restart sign everyone out), so the
// BFF does not start without one.
var errWhereKeysGo = errors.New("give the BFF's key as BFF_KEYS=\"k1:<secret>\" or in a file named by BFF_KEYS_FILE or -keys-file " +
	"(one id:base64secret per line, the same on every replica); only the all-in-one demo (no command, or all) makes up a random key")

// loadKeys reads the keys from the file -keys-file names, or else from BFF_KEYS.
func loadKeys(cfg config) ([]bff.Key, error) {
	keys := cfg.keys
	if cfg.keysFile != "" {
		b, err := os.ReadFile(cfg.keysFile)
		if err != nil {
			return nil, fmt.Errorf("BFF keys: %w", err)
		}
		keys = string(b)
	}
	parsed, err := bff.ParseKeys(keys)
	if err != nil {
		return parsed, fmt.Errorf("BFF keys: %w", err)
	}
	return parsed, nil
}

// adminHandler is what the operators' address serves: net/http/pprof when turned on, and
// nothing else yet. It is never mounted on the public address.
func adminHandler(pprofOn bool) http.Handler {
	mux := http.NewServeMux()
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// metricsHandler is what the metrics address serves: the BFF's metrics at /metrics, nothing
// else.
func metricsHandler(srv *bff.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.Metrics())
	return mux
}

// listen opens addr and says the URL a client on this machine reaches it at.
func listen(addr string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	return ln, "http://" + dialable(ln.Addr().String()), nil
}

// dialable turns a listen address into one a client can dial (":8081" -> "127.0.0.1:8081").
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// origins are the browser origins of pages served on ln.
func origins(ln net.Listener) []string {
	if ln == nil {
		return nil
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsUnspecified() || ip.IsLoopback()) {
		return []string{"http://localhost:" + port, "http://127.0.0.1:" + port}
	}
	return []string{"http://" + net.JoinHostPort(host, port)}
}

// defaultIdleTimeout is how long the net/http servers keep an idle connection open (the
// sandbox's unless -sandbox-idle-timeout says otherwise).
const defaultIdleTimeout = 60 * time.Second

// serveHTTP runs a net/http server until ctx ends, then shuts it down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, writeTimeout, idleTimeout time.Duration) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: writeTimeout, IdleTimeout: idleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
