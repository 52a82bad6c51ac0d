// Command bff-widget runs the loyalty checkout product: the embedded sandbox of the loyalty
// platform and, as later parts land, the BFF and the demo store. main only wires packages
// together; each package documents its own job.
//
//	go run .            everything, on the embedded sandbox
//	go run . sandbox    the sandbox alone, as a separate upstream process
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

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("bff-widget", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [flags] [all|sandbox]\n\n", os.Args[0])
		fs.PrintDefaults()
	}
	sandboxAddr := fs.String("sandbox-addr", envOr("SANDBOX_ADDR", "127.0.0.1:8081"), "sandbox listen address (env SANDBOX_ADDR)")
	seedPath := fs.String("seed", os.Getenv("SANDBOX_SEED"), "sandbox seed file; empty: the built-in seed (env SANDBOX_SEED)")
	_ = fs.Parse(os.Args[1:])
	mode := fs.Arg(0)
	if mode == "" {
		mode = "all"
	}
	if mode != "all" && mode != "sandbox" {
		fs.Usage()
		return fmt.Errorf("unknown command %q", mode)
	}

	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := sandbox.Options{Logger: log.With("server", "sandbox")}
	if *seedPath != "" {
		seed, err := sandbox.LoadSeed(*seedPath)
		if err != nil {
			return err
		}
		opts.Seed = &seed
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, "sandbox", *sandboxAddr, sb)
}

// serveHTTP runs a net/http server until ctx ends, then shuts it down gracefully.
func serveHTTP(ctx context.Context, name, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("%-8s http://%s\n", name, ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: %w", name, err)
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
