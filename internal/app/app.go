// Package app is the command's one job: it reads the configuration from the flags and the
// environment and runs the product's servers (the sandbox, the BFF with its widget, the demo
// store) as one stack, or one of them alone. main gives it the arguments and which build this
// is; the end-to-end tests start the same stack in their process (NewLocal).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/widget"
)

// Run runs the command for args (without the program's name): the whole product, or the mode
// they name, until SIGINT or SIGTERM; -version prints the build instead. The start-up lines go
// to out, the logs to stderr. version and commit are those set at link time in main ("" when
// not: then the binary's build information says). A -h is flag.ErrHelp.
func Run(args []string, out io.Writer, version, commit string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	cfg.build = buildInfo(version, commit)
	build := cfg.build
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

// buildInfo says which build this binary is: its version and the commit it was built from,
// those set at link time (main's version and commit) or else from the binary's build
// information: the module's version, and the commit Go stamps into binaries built in a git
// checkout (unless -buildvcs=false; "+dirty" when the tree had changes).
func buildInfo(version, commit string) bff.Build {
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
