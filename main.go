// Command bff-widget runs the loyalty checkout product: the BFF (serving the widget), the
// embedded sandbox of the loyalty platform behind it, and a demo store to try it in. main
// only wires packages together; each package documents its own job.
//
//	go run .            everything: BFF on ADDR, sandbox on SANDBOX_ADDR, demo store on DEMO_ADDR
//	go run . sandbox    the sandbox alone, as a separate upstream process
//	go run . bff        the BFF alone (with its widget), for the tenants of TENANTS
//
// Flags may come before or after the mode: go run . sandbox -sandbox-addr :9090.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"github.com/loyalty-checkout/bff-widget/demostore"
	"github.com/loyalty-checkout/bff-widget/sandbox"
	"github.com/loyalty-checkout/bff-widget/widget"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// config is what the command line and the environment say.
type config struct {
	mode, addr, sandboxAddr, demoAddr, publicURL, seed, tenants, keys, keysFile string
	// cacheTTL and cacheMaxBytes are bff.Options' CacheTTL and CacheMaxBytes: zero is the
	// default, a negative cacheTTL turns the cache off (CACHE_TTL=0 on the command line).
	cacheTTL      time.Duration
	cacheMaxBytes int64
	noDerive      bool // bff.Options' NoDerive (-derive off)
	// demoOrigins are more origins the demo tenant allows (-demo-origins): an integrator's
	// own page trying the tag under go run .
	demoOrigins []string
	// trustedProxyHeader is bff.Options' TrustedProxyHeader: where the proxy in front of the
	// BFF gives the client's address, for the per-client limits; empty: the connection's.
	trustedProxyHeader string
	// adminAddr is the operators' address (profiling); empty: none. pprof turns
	// net/http/pprof on there, and only there.
	adminAddr     string
	pprof         bool
	printVersion  bool
	tenantsReload time.Duration // how often the tenants file is checked for a change
	// metricsAddr is where the BFF's Prometheus metrics are served, at /metrics; empty: not
	// served. Its own listener, never the public address.
	metricsAddr string
	// redisURL is where the replicas share their state (bff.Options.RedisURL); empty: each
	// alone. replicas is how many share a store's budget while Redis cannot be reached.
	redisURL string
	replicas int
	// sandboxIdle is how long the sandbox keeps an idle keep-alive connection open (its
	// http.Server's IdleTimeout); below the BFF's upstream idle time, the BFF meets a platform
	// that closes connections first.
	sandboxIdle time.Duration
	// options are the BFF's options set by their own flags (options_flags.go): the
	// per-client limits, the budget's shares, the timeouts and the bounds.
	options options
}

// modes are the commands; "all" is the default.
var modes = []string{"all", "sandbox", "bff"}

// parseConfig reads flags written before and after the mode word (flag stops at the first
// non-flag, and flags after it used to be silently ignored), and refuses anything else. There
// is deliberately no flag carrying a secret: a command line is visible to every user in ps.
// Keys come from BFF_KEYS or from the file -keys-file names.
func parseConfig(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bff-widget", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bff-widget [flags] [all|sandbox|bff] [flags]\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", envOr("ADDR", ":8080"), "BFF listen address (env ADDR)")
	fs.StringVar(&cfg.sandboxAddr, "sandbox-addr", envOr("SANDBOX_ADDR", "127.0.0.1:8081"), "sandbox listen address (env SANDBOX_ADDR)")
	fs.StringVar(&cfg.demoAddr, "demo-addr", envOr("DEMO_ADDR", ":8082"), "demo store listen address; its origin is allowed by the demo tenant (env DEMO_ADDR)")
	fs.StringVar(&cfg.publicURL, "public-url", os.Getenv("PUBLIC_URL"), "the BFF's public base URL, for the demo page's script tag; default http://ADDR (env PUBLIC_URL)")
	fs.StringVar(&cfg.seed, "seed", os.Getenv("SANDBOX_SEED"), "sandbox seed file; empty: the built-in seed (env SANDBOX_SEED)")
	fs.StringVar(&cfg.tenants, "tenants", os.Getenv("TENANTS"), "BFF tenants file; empty: the built-in demo tenant on the sandbox (env TENANTS)")
	fs.StringVar(&cfg.keysFile, "keys-file", os.Getenv("BFF_KEYS_FILE"), "file of BFF token keys, id:base64secret per line, the first signs (env BFF_KEYS_FILE; or the keys themselves in env BFF_KEYS); required but in mode all")
	cacheTTL := fs.String("cache-ttl", envOr("CACHE_TTL", "15s"), "how long the BFF reuses a shopper's view, its parts and verified tokens, e.g. 15s; 0 turns the cache off (env CACHE_TTL)")
	demoOrigins := fs.String("demo-origins", os.Getenv("DEMO_ORIGINS"), "more origins the demo tenant allows, comma-separated (exact scheme://host[:port]), to try the script tag on your own page under go run . (env DEMO_ORIGINS)")
	derive := fs.String("derive", envOr("DERIVE", "on"), "on: the BFF derives a listing it can by the contract's rules (a new cart value, the shopper's own redeem or reverse) instead of asking the platform; off: it always asks (env DERIVE)")
	cacheMax := fs.String("cache-max-bytes", envOr("CACHE_MAX_BYTES", "64MiB"), "the BFF cache's bound in bytes (KiB, MiB, GiB allowed); the least recently used goes first (env CACHE_MAX_BYTES)")
	fs.StringVar(&cfg.trustedProxyHeader, "trusted-proxy-header", os.Getenv("TRUSTED_PROXY_HEADER"), "the header in which the proxy in front of the BFF gives the client's address, e.g. X-Forwarded-For (its last address is used); empty: the connection's address. Only behind a proxy that sets it (env TRUSTED_PROXY_HEADER)")
	fs.StringVar(&cfg.adminAddr, "admin-addr", os.Getenv("ADMIN_ADDR"), "the operators' listen address (profiling with -pprof); empty: none. Never the public one (env ADMIN_ADDR)")
	fs.StringVar(&cfg.redisURL, "redis-url", os.Getenv("REDIS_URL"), "Redis the BFF replicas share their cache, the stores' budgets and the client limits through, e.g. redis://redis:6379/0; empty: each replica alone (env REDIS_URL)")
	sandboxIdle := fs.String("sandbox-idle-timeout", envOr("SANDBOX_IDLE_TIMEOUT", "60s"), "how long the sandbox keeps an idle keep-alive connection open, e.g. 60s; below the BFF's upstream idle time ("+platform.DefaultIdleTimeout.String()+") to try the BFF against a platform that closes connections first (env SANDBOX_IDLE_TIMEOUT)")
	replicas := fs.String("replicas", envOr("REPLICAS", "1"), "how many BFF replicas share each store's budget: while Redis cannot be reached, each spends this share of it (env REPLICAS)")
	fs.StringVar(&cfg.metricsAddr, "metrics-addr", os.Getenv("METRICS_ADDR"), "the listen address of the BFF's Prometheus metrics, served at /metrics; empty: none. Never the public one (env METRICS_ADDR)")
	fs.BoolVar(&cfg.pprof, "pprof", os.Getenv("PPROF") == "1", "serve net/http/pprof at /debug/pprof/ on -admin-addr (env PPROF=1)")
	fs.BoolVar(&cfg.printVersion, "version", false, "print the version, commit and widget version, and exit")
	optionFlags := defineOptionFlags(fs)
	fs.DurationVar(&cfg.tenantsReload, "tenants-check", 2*time.Second, "how often the tenants file is checked for a change (SIGHUP reloads it at once); 0: on SIGHUP only")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.mode = "all"
	if fs.NArg() > 0 {
		cfg.mode = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return cfg, err
		}
	}
	var err error
	if cfg.options, err = optionFlags.parse(); err != nil {
		return cfg, err
	}
	if cfg.replicas, err = strconv.Atoi(*replicas); err != nil || cfg.replicas < 1 {
		return cfg, fmt.Errorf("-replicas (REPLICAS) %q: want a whole number, at least 1", *replicas)
	}
	if cfg.sandboxIdle, err = time.ParseDuration(*sandboxIdle); err != nil || cfg.sandboxIdle <= 0 {
		return cfg, fmt.Errorf("-sandbox-idle-timeout (SANDBOX_IDLE_TIMEOUT) %q: want a positive duration such as 60s", *sandboxIdle)
	}
	if cfg.cacheTTL, err = parseCacheTTL(*cacheTTL); err != nil {
		return cfg, err
	}
	for _, o := range strings.Split(*demoOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.demoOrigins = append(cfg.demoOrigins, o)
		}
	}
	switch *derive {
	case "on":
	case "off":
		cfg.noDerive = true
	default:
		return cfg, fmt.Errorf("-derive (DERIVE) %q: want on or off", *derive)
	}
	if cfg.cacheMaxBytes, err = parseBytes(*cacheMax); err != nil {
		return cfg, fmt.Errorf("-cache-max-bytes (CACHE_MAX_BYTES) %q: %w", *cacheMax, err)
	}
	cfg.keys = os.Getenv("BFF_KEYS")
	if !slices.Contains(modes, cfg.mode) {
		fs.Usage()
		return cfg, fmt.Errorf("unknown command %q: want one of %s", cfg.mode, strings.Join(modes, ", "))
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return cfg, fmt.Errorf("unexpected argument %q after the command %q: give one command, with flags before or after it", fs.Arg(0), cfg.mode)
	}
	if cfg.pprof && cfg.adminAddr == "" {
		return cfg, errors.New("-pprof needs -admin-addr (ADMIN_ADDR): profiling is never served on the public address")
	}
	if cfg.metricsAddr != "" && cfg.mode == "sandbox" {
		return cfg, errors.New("-metrics-addr (METRICS_ADDR) serves the BFF's metrics: the sandbox alone runs no BFF")
	}
	return cfg, nil
}

// version and commit say which build this is, set at link time (-ldflags "-X
// main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)"); else from the binary's build
// information (the module's version; the commit Go stamps into a binary built in a git
// checkout, unless -buildvcs=false).
var version, commit string

// buildInfo says which build this binary is: its version and the commit it was built from
// (Go stamps the commit into binaries built in a git checkout; "+dirty" when the tree had
// changes).
func buildInfo() bff.Build {
	b := bff.Build{Version: version, Commit: commit}
	dirty := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if dirty && b.Commit != "" {
		b.Commit += "+dirty"
	}
	return b
}

func run(args []string, out io.Writer) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	build := buildInfo()
	if cfg.printVersion {
		_, err := fmt.Fprintf(out, "bff-widget %s (commit %s), widget %s\n", build.Version, orUnknown(build.Commit), widget.Version)
		return err
	}
	// One write per 100 ms of log lines, not one per request (bff.LogBuffer); flushed on the
	// way out.
	logOut := bff.NewLogBuffer(os.Stderr, 0)
	defer logOut.Close()
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	if limit := bff.SoftMemoryLimit(bff.Options{CacheTTL: cfg.cacheTTL, CacheMaxBytes: cfg.cacheMaxBytes}); limit > 0 && cfg.mode != "sandbox" && os.Getenv("GOMEMLIMIT") == "" {
		// The process's memory follows the cache's bound (see bff.SoftMemoryLimit).
		debug.SetMemoryLimit(limit)
	}
	log.Info("starting", "mode", cfg.mode, "pid", os.Getpid(), "version", build.Version, "commit", build.Commit, "widget", widget.Version)
	st, err := newStack(cfg, log, out)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if st.bff != nil && cfg.tenants != "" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go watchTenants(ctx, st.bff, cfg.tenants, cfg.tenantsReload, hup, log)
	}
	return st.serve(ctx)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// watchTenants reloads the tenants file into the BFF on SIGHUP (a signal on hup) and when the
// file changes (checked every interval; 0: on signals only). A file that does not load or
// validate changes nothing: the running configuration stays, and every problem is logged.
func watchTenants(ctx context.Context, srv *bff.Server, path string, interval time.Duration, hup <-chan os.Signal, log *slog.Logger) {
	stamp := func() string {
		fi, err := os.Stat(path)
		if err != nil {
			return ""
		}
		return fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10)
	}
	last := stamp()
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		why := "SIGHUP"
		select {
		case <-ctx.Done():
			return
		case <-hup:
		case <-tick:
			now := stamp()
			if now == last || now == "" {
				continue
			}
			why = "file changed"
		}
		last = stamp()
		tenants, err := bff.LoadTenants(path)
		if err != nil { // unknown fields: report them with every invalid value, apply nothing
			err = errors.Join(err, srv.CheckTenants(tenants))
		} else {
			err = srv.ReloadTenants(tenants)
		}
		if err != nil {
			log.Error("tenants not reloaded: the running configuration stays", "why", why, "file", path, "problems", err.Error())
			continue
		}
		log.Info("tenants file reloaded", "why", why, "file", path, "tenants", len(tenants))
	}
}

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
	if st.bff != nil && cfg.tenants != "" { // run listens for SIGHUP then (watchTenants)
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
	opts := bff.Options{Logger: log.With("server", "bff"), Widget: assets, CacheTTL: cfg.cacheTTL, CacheMaxBytes: cfg.cacheMaxBytes, NoDerive: cfg.noDerive, Build: buildInfo(),
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

// parseCacheTTL reads CACHE_TTL: a duration (15s, 1m) or whole seconds; 0 turns the cache
// off (bff.Options: negative).
func parseCacheTTL(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, err2 := strconv.Atoi(s)
		if err2 != nil {
			return 0, fmt.Errorf("-cache-ttl (CACHE_TTL) %q: want a duration such as 15s, or 0 to turn the cache off", s)
		}
		d = time.Duration(secs) * time.Second
	}
	if d < 0 {
		return 0, fmt.Errorf("-cache-ttl (CACHE_TTL) %q: must not be negative (0 turns the cache off)", s)
	}
	if d == 0 {
		return -1, nil
	}
	return d, nil
}

// parseBytes reads a size: a number of bytes, or with KiB, MiB or GiB.
func parseBytes(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(num, suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, suffix)), m
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, errors.New("want a positive number of bytes, e.g. 67108864 or 64MiB")
	}
	return n * mult, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
