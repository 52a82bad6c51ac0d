package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/http/pprof"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// loadKey signs the BFF's tokens in these runs: a fixed random secret (openssl rand -base64 32).
const loadKey = "k1:1PPHddQLbL90NIHGA7A36Pqi7I5bVg1REiWoFGMoNns="

// serveRole runs one server until its stdin closes, after printing its address and the
// address of its memory statistics.
func serveRole(role string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	statsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	stats := http.NewServeMux()
	stats.HandleFunc("/", memStats)
	stats.HandleFunc("/debug/pprof/profile", pprof.Profile) // LOADCMP_DEBUG: where a role's time goes
	go func() { _ = (&http.Server{Handler: stats, ReadHeaderTimeout: 5 * time.Second}).Serve(statsLn) }()
	var serve func() error
	switch role {
	case "sandbox":
		n, _ := strconv.Atoi(os.Getenv("LOADCMP_SHOPPERS"))
		sb, err := sandbox.New(sandbox.Options{Seed: loadSeed(n), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		serve = func() error { return (&http.Server{Handler: sb, ReadHeaderTimeout: 5 * time.Second}).Serve(ln) }
	case "proxy":
		up, err := url.Parse(os.Getenv("UPSTREAM"))
		if err != nil {
			return err
		}
		p := httputil.NewSingleHostReverseProxy(up) //nolint:gosec // G704: the sandbox this tool started
		// A tuned bare proxy: the default keeps 2 idle connections per host, which would make
		// it dial on most requests at 16 connections.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		p.Transport = tr
		serve = func() error { return (&http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}).Serve(ln) }
	case "nethttp-hello": // the net/http floor, beside Fiber's (LOADCMP_DEBUG)
		serve = func() error {
			hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "Hello, World!") })
			return (&http.Server{Handler: hello, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)
		}
	case "hello":
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Get("/", func(c *fiber.Ctx) error { return c.SendString("Hello, World!") })
		serve = func() error { return app.Listener(ln) }
	case "bff":
		s, err := bffServer(os.Getenv("UPSTREAM"), os.Getenv("CACHE_TTL"), os.Getenv("CACHE_MAX_BYTES"))
		if err != nil {
			return err
		}
		serve = func() error { return s(ln) }
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	fmt.Printf("%s %s\n", ln.Addr(), statsLn.Addr())
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); errc <- nil }()
	return <-errc
}

// loadSeed is the built-in seed with n more enrolled shoppers, s0 … s(n-1).
func loadSeed(n int) *sandbox.Seed {
	seed := sandbox.DefaultSeed()
	t := &seed.Tenants[0]
	for i := range n {
		id := "s" + strconv.Itoa(i)
		t.Shoppers = append(t.Shoppers, sandbox.SeedShopper{SessionToken: id, UserID: id + "@load.test", Name: "Shopper " + id,
			Email: id + "@load.test", Points: 5000, Cashback: 10, Enrolled: true})
	}
	return &seed
}

// memStats answers the process's memory: RSS as the kernel counts it, and the Go heap after
// a collection (what is really kept).
func memStats(w http.ResponseWriter, r *http.Request) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(w, "%d %d %d %d %d %d %d\n", rss(), m.HeapAlloc, m.HeapSys, m.HeapIdle, m.HeapReleased, m.StackInuse, m.Sys)
}

// rss is the resident set size in bytes, from /proc/self/status.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// durationEnv reads a duration; "0" is 0.
func durationEnv(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}
