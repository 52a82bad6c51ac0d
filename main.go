// Command bff-widget runs the loyalty checkout product: the BFF and, behind it, the embedded
// sandbox of the loyalty platform. main only wires packages together; each package documents
// its own job.
//
//	go run .            everything: the BFF on ADDR with the sandbox as the demo tenant's upstream
//	go run . sandbox    the sandbox alone, as a separate upstream process
//	go run . bff        the BFF alone, with the tenants of TENANTS
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

type config struct {
	mode, addr, sandboxAddr, demoAddr, seed, tenants, keys, keysFile string
}

func run() error {
	var cfg config
	fs := flag.NewFlagSet("bff-widget", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [flags] [all|sandbox|bff]\n\n", os.Args[0])
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", envOr("ADDR", ":8080"), "BFF listen address (env ADDR)")
	fs.StringVar(&cfg.sandboxAddr, "sandbox-addr", envOr("SANDBOX_ADDR", "127.0.0.1:8081"), "sandbox listen address (env SANDBOX_ADDR)")
	fs.StringVar(&cfg.demoAddr, "demo-addr", envOr("DEMO_ADDR", ":8082"), "demo store address, allowed as an origin of the demo tenant (env DEMO_ADDR)")
	fs.StringVar(&cfg.seed, "seed", os.Getenv("SANDBOX_SEED"), "sandbox seed file; empty: the built-in seed (env SANDBOX_SEED)")
	fs.StringVar(&cfg.tenants, "tenants", os.Getenv("TENANTS"), "BFF tenants file; empty: the built-in demo tenant on the sandbox (env TENANTS)")
	fs.StringVar(&cfg.keysFile, "keys-file", os.Getenv("BFF_KEYS_FILE"), "file of BFF token keys, id:base64secret per line, the first signs (env BFF_KEYS_FILE)")
	_ = fs.Parse(os.Args[1:])
	cfg.keys = os.Getenv("BFF_KEYS")
	cfg.mode = fs.Arg(0)
	if cfg.mode == "" {
		cfg.mode = "all"
	}
	if cfg.mode != "all" && cfg.mode != "sandbox" && cfg.mode != "bff" {
		fs.Usage()
		return fmt.Errorf("unknown command %q", cfg.mode)
	}

	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, ctx := errgroup.WithContext(ctx)

	if cfg.mode != "bff" {
		sb, err := newSandbox(cfg, log)
		if err != nil {
			return err
		}
		ln, err := listen("sandbox", cfg.sandboxAddr)
		if err != nil {
			return err
		}
		g.Go(func() error { return serveHTTP(ctx, ln, sb) })
	}
	if cfg.mode != "sandbox" {
		srv, err := newBFF(cfg, log)
		if err != nil {
			return err
		}
		ln, err := listen("bff", cfg.addr)
		if err != nil {
			return err
		}
		g.Go(func() error { return srv.Serve(ln) })
		g.Go(func() error {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		})
	}
	return g.Wait()
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

func newBFF(cfg config, log *slog.Logger) (*bff.Server, error) {
	opts := bff.Options{Logger: log.With("server", "bff")}
	if cfg.tenants != "" {
		tenants, err := bff.LoadTenants(cfg.tenants)
		if err != nil {
			return nil, err
		}
		opts.Tenants = tenants
	} else {
		opts.Tenants = []bff.TenantConfig{bff.DemoTenant("http://"+dialable(cfg.sandboxAddr), origins(cfg.demoAddr))}
	}
	keys := cfg.keys
	if cfg.keysFile != "" {
		b, err := os.ReadFile(cfg.keysFile)
		if err != nil {
			return nil, err
		}
		keys = string(b)
	}
	var err error
	if opts.Keys, err = bff.ParseKeys(keys); err != nil {
		return nil, fmt.Errorf("BFF keys: %w", err)
	}
	srv, err := bff.New(opts)
	if err != nil {
		return nil, fmt.Errorf("BFF configuration:\n%w", err)
	}
	srv.NotFound()
	return srv, nil
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

// origins are the browser origins a page served on addr has.
func origins(addr string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		return []string{"http://localhost:" + port, "http://127.0.0.1:" + port}
	}
	return []string{"http://" + net.JoinHostPort(host, port)}
}

func listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("%-8s http://%s\n", name, dialable(ln.Addr().String()))
	return ln, nil
}

// serveHTTP runs a net/http server until ctx ends, then shuts it down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
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

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
