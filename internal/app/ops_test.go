package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/sandbox"
	"github.com/loyalty-checkout/bff-widget/widget"
)

// TestVersion: -version prints the build and the widget's version; /healthz says the same.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := Run([]string{"-version"}, &out, "", ""); err != nil {
		t.Fatal(err)
	}
	b := buildInfo("", "")
	if want := "bff-widget " + b.Version; !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "widget "+widget.Version) {
		t.Fatalf("-version printed %q", out.String())
	}
	st := startStack(t, config{mode: "all", addr: "127.0.0.1:0", sandboxAddr: "127.0.0.1:0", demoAddr: "127.0.0.1:0", keys: testKeys, build: b})
	var h struct{ Status, Version, Commit, Widget string }
	getJSON(t, st.bffURL+"/healthz", &h)
	if h.Status != "ok" || h.Version != b.Version || h.Commit != b.Commit || h.Widget != widget.Version {
		t.Fatalf("/healthz %+v, build %+v", h, b)
	}
}

// TestProfilingOnlyOnTheAdminAddress: pprof is off unless asked for, and then only on the
// admin address, never on the public one.
func TestProfilingOnlyOnTheAdminAddress(t *testing.T) {
	if _, err := parseConfig([]string{"-pprof"}); err == nil || !strings.Contains(err.Error(), "-admin-addr") {
		t.Fatalf("-pprof without -admin-addr: %v", err)
	}
	for _, on := range []bool{false, true} {
		cfg := config{mode: "all", addr: "127.0.0.1:0", sandboxAddr: "127.0.0.1:0", demoAddr: "127.0.0.1:0", keys: testKeys,
			adminAddr: "127.0.0.1:0", pprof: on}
		st := startStack(t, cfg)
		want := http.StatusNotFound
		if on {
			want = http.StatusOK
		}
		if got := httpStatus(t, st.adminURL+"/debug/pprof/"); got != want {
			t.Errorf("pprof %v: admin /debug/pprof/ answered %d", on, got)
		}
		if got := httpStatus(t, st.bffURL+"/debug/pprof/"); got != http.StatusNotFound {
			t.Errorf("pprof %v: the public address answered /debug/pprof/ with %d", on, got)
		}
	}
}

// TestTenantsReload: the BFF alone re-reads TENANTS on SIGHUP and when the file changes; an
// invalid file keeps the running configuration and logs every problem.
func TestTenantsReload(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	path := filepath.Join(t.TempDir(), "tenants.json")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	one := `{"tenants": [{"key": "demo", "upstream": "` + up.URL + `"}]}`
	two := `{"tenants": [{"key": "demo", "upstream": "` + up.URL + `"}, {"key": "shop2", "upstream": "` + up.URL + `"}]}`
	write(one)
	st := startStack(t, config{mode: "bff", addr: "127.0.0.1:0", tenants: path, keys: testKeys})
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go watchTenants(ctx, st.bff, path, 20*time.Millisecond, hup, log)

	tenants := func() int {
		var r struct{ Tenants int }
		getJSON(t, st.bffURL+"/readyz", &r)
		return r.Tenants
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s; log: %s", what, logs.String())
			}
		}
	}
	if tenants() != 1 {
		t.Fatal("start")
	}
	write(two) // a change of the file is noticed
	waitFor("the changed file was not reloaded", func() bool { return tenants() == 2 })

	write(`{"tenants": [{"key": "demo", "upstream": "ftp://x", "locale": "fr", "alowedOrigins": []}]}`)
	hup <- os.Interrupt // stands for SIGHUP: whatever arrives on the channel reloads
	waitFor("the invalid file's problems were not logged", func() bool { return strings.Contains(logs.String(), "tenants not reloaded") })
	for _, p := range []string{"alowedOrigins", `ftp://x`, `locale \"fr\"`} {
		if !strings.Contains(logs.String(), p) {
			t.Errorf("the log does not name %s: %s", p, logs.String())
		}
	}
	if tenants() != 2 {
		t.Fatal("an invalid file changed the running configuration")
	}
}

// startStack runs a stack until the test ends.
func startStack(t *testing.T, cfg config) *stack {
	t.Helper()
	st, err := newStack(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = st.serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return st
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
