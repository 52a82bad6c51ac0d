package app

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

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
	// build is which build this is, for the BFF's /healthz (Run: buildInfo); not a flag.
	build bff.Build
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
