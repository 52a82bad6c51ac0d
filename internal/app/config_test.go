package app

// Over 400 lines: every flag and variable of parseConfig with its error, in one table per kind,
// beside the stack they configure.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mainTestKey is a BFF key for these tests: a random secret (openssl rand -base64 32).
const mainTestKey = "k1:X8VpqfbYtCsgcrY1WiOdPAwYbm0Jc4njIHpQiNc75uY="

// testKeys is the stacks' token key in these tests: a fixed random secret.
const testKeys = "k:rIp8lq9E7FY8+vFNwjziJijpUF6xze3rX7xD9ajol60="

// cleanEnv clears every variable parseConfig reads, so the machine's settings do not leak in.
func cleanEnv(t *testing.T) {
	for _, v := range []string{"ADDR", "SANDBOX_ADDR", "DEMO_ADDR", "PUBLIC_URL", "SANDBOX_SEED", "TENANTS", "BFF_KEYS_FILE", "BFF_KEYS", "CACHE_TTL", "CACHE_MAX_BYTES", "TRUSTED_PROXY_HEADER", "METRICS_ADDR", "SANDBOX_IDLE_TIMEOUT",
		"DEMO_ORIGINS", "DERIVE"} {
		t.Setenv(v, "")
	}
	for _, f := range *defineOptionFlags(flag.NewFlagSet("env", flag.ContinueOnError)) {
		t.Setenv(f.env, "")
	}
}

func TestFlagsBeforeAndAfterTheMode(t *testing.T) {
	cleanEnv(t)
	tests := []struct {
		name            string
		args            []string
		mode, sandbox   string
		addr, keysFile  string
		wantErr, errHas string
	}{
		{name: "nothing", args: nil, mode: "all", sandbox: "127.0.0.1:8081", addr: ":8080"},
		{name: "flags before", args: []string{"-sandbox-addr", ":9", "sandbox"}, mode: "sandbox", sandbox: ":9", addr: ":8080"},
		{name: "flags after", args: []string{"sandbox", "-sandbox-addr", ":9"}, mode: "sandbox", sandbox: ":9", addr: ":8080"},
		{name: "flags on both sides", args: []string{"-addr=:1", "bff", "-keys-file", "/k", "-sandbox-addr=:9"}, mode: "bff", sandbox: ":9", addr: ":1", keysFile: "/k"},
		{name: "after wins over before", args: []string{"-addr", ":1", "all", "-addr", ":2"}, mode: "all", sandbox: "127.0.0.1:8081", addr: ":2"},
		{name: "flags only", args: []string{"-addr", ":3"}, mode: "all", sandbox: "127.0.0.1:8081", addr: ":3"},
		{name: "a second command", args: []string{"bff", "sandbox"}, wantErr: "unexpected", errHas: `"sandbox"`},
		{name: "an argument after flags after the mode", args: []string{"sandbox", "-seed", "s.json", "extra"}, wantErr: "unexpected", errHas: `"extra"`},
		{name: "unknown command", args: []string{"serve"}, wantErr: "unknown command", errHas: "all, sandbox, bff"},
		{name: "unknown flag after the mode", args: []string{"bff", "-keys", "k:secret"}, wantErr: "flag provided but not defined", errHas: "-keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want %q with %s", err, tc.wantErr, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.mode != tc.mode || cfg.sandboxAddr != tc.sandbox || cfg.addr != tc.addr || cfg.keysFile != tc.keysFile {
				t.Fatalf("got %+v", cfg)
			}
		})
	}
	t.Run("help after the mode", func(t *testing.T) {
		if _, err := parseConfig([]string{"bff", "-h"}); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%v", err)
		}
	})
}

// writeTenants writes a tenants file for one test.
func writeTenants(t *testing.T, json string) string {
	path := filepath.Join(t.TempDir(), "tenants.json")
	if err := os.WriteFile(path, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const goodTenants = `{"tenants": [{"key": "shop", "upstream": "http://127.0.0.1:1", "allowedOrigins": ["https://shop.example"]}]}`

// TestModeKeys: only the all-in-one demo may make up a random key; the BFF alone, one of many
// replicas, refuses to start without one and says how to make it.
func TestModeKeys(t *testing.T) {
	cleanEnv(t)
	tenants := writeTenants(t, goodTenants)
	keysFile := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keysFile, []byte("# the first signs\n"+mainTestKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	t.Run("bff alone without keys does not start", func(t *testing.T) {
		// The real command line, flags after the mode: it listens, then refuses.
		err := Run([]string{"bff", "-addr", "127.0.0.1:0", "-tenants", tenants}, io.Discard, "", "")
		for _, want := range []string{"no keys", "openssl rand -base64 32", "BFF_KEYS", "-keys-file"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want %q", err, want)
			}
		}
	})
	t.Run("all makes a random key, with a warning", func(t *testing.T) {
		logs.Reset()
		if _, err := newBFF(config{mode: "all"}, log, "http://127.0.0.1:1", nil, nil); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "made a random one") {
			t.Fatalf("no warning: %s", logs.String())
		}
	})
	t.Run("all with a key that does not parse does not fall back", func(t *testing.T) {
		if _, err := newBFF(config{mode: "all", keys: "k1:not base64!"}, log, "http://127.0.0.1:1", nil, nil); err == nil || !strings.Contains(err.Error(), "not base64") {
			t.Fatalf("%v", err)
		}
	})
	for _, tc := range []struct {
		name string
		cfg  config
	}{
		{"bff with BFF_KEYS", config{mode: "bff", tenants: tenants, keys: mainTestKey}},
		{"bff with a keys file", config{mode: "bff", tenants: tenants, keysFile: keysFile}},
		{"all with a key", config{mode: "all", keys: mainTestKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			if _, err := newBFF(tc.cfg, log, "http://127.0.0.1:1", nil, nil); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logs.String(), "random") {
				t.Fatalf("a random key although one was given: %s", logs.String())
			}
		})
	}
	t.Run("a patterned key is refused", func(t *testing.T) {
		_, err := newBFF(config{mode: "bff", tenants: tenants, keys: "k:" + strings.Repeat("QUJD", 11)}, log, "", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "not random") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
			t.Fatalf("%v", err)
		}
	})
}

// TestConfigReportsEveryProblemAtOnce: a tenants file's unknown fields (with their paths) and
// every invalid value, the keys' included, come back in one error at start.
func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	cleanEnv(t)
	tenants := writeTenants(t, `{
	  "tenants": [
	    {"key": "a", "upstream": "http://up.test", "alowedOrigins": ["https://a.example"], "locale": "fr",
	     "messages": {"NotEnoughPoints": {"en": "Keep going"}}},
	    {"Key": "b", "upstream": "ftp://up.test", "allowedOrigins": ["*"], "curency": "USD"},
	    {"key": "", "upstream": "http://up.test", "currency": "EURO"}
	  ],
	  "colour": "blue"
	}`)
	_, err := newBFF(config{mode: "bff", tenants: tenants, keys: "k:" + strings.Repeat("QUJD", 11)}, slog.New(slog.DiscardHandler), "", nil, nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"tenants[0].alowedOrigins: unknown field",
		`tenants[1].Key: unknown field (did you mean "key"?)`,
		"tenants[1].curency: unknown field",
		"colour: unknown field",
		`locale "fr"`,
		`upstream "ftp://up.test"`,
		`allowed origin "*"`,
		"tenants[2]: key is empty",
		`currency "EURO"`,
		"keys[0] (k): secret has only 3 distinct byte values",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "messages") {
		t.Errorf("messages' free-form names reported as unknown:\n%v", err)
	}

	t.Run("not JSON", func(t *testing.T) {
		_, err := newBFF(config{mode: "bff", tenants: writeTenants(t, `{"tenants": [`), keys: mainTestKey}, slog.New(slog.DiscardHandler), "", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "invalid JSON") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("a good file", func(t *testing.T) {
		if _, err := newBFF(config{mode: "bff", tenants: writeTenants(t, goodTenants), keys: mainTestKey}, slog.New(slog.DiscardHandler), "", nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCacheFlags: CACHE_TTL and CACHE_MAX_BYTES, as variables and flags (a flag wins); a TTL
// of 0 turns the cache off (bff.Options' negative CacheTTL).
func TestCacheFlags(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		ttl      time.Duration
		maxBytes int64
		errHas   string
	}{
		{name: "defaults", ttl: 15 * time.Second, maxBytes: 64 << 20},
		{name: "variables", env: map[string]string{"CACHE_TTL": "1m", "CACHE_MAX_BYTES": "8MiB"}, ttl: time.Minute, maxBytes: 8 << 20},
		{name: "flags win", env: map[string]string{"CACHE_TTL": "1m"}, args: []string{"bff", "-cache-ttl", "30s", "-cache-max-bytes", "1048576"}, ttl: 30 * time.Second, maxBytes: 1 << 20},
		{name: "whole seconds", args: []string{"-cache-ttl=20"}, ttl: 20 * time.Second, maxBytes: 64 << 20},
		{name: "0 turns it off", env: map[string]string{"CACHE_TTL": "0"}, ttl: -1, maxBytes: 64 << 20},
		{name: "0s too", args: []string{"-cache-ttl", "0s"}, ttl: -1, maxBytes: 64 << 20},
		{name: "KiB and GiB", args: []string{"-cache-max-bytes", "512KiB"}, ttl: 15 * time.Second, maxBytes: 512 << 10},
		{name: "negative TTL", args: []string{"-cache-ttl", "-5s"}, errHas: "must not be negative"},
		{name: "no unit", env: map[string]string{"CACHE_TTL": "soon"}, errHas: "CACHE_TTL"},
		{name: "bytes not a number", env: map[string]string{"CACHE_MAX_BYTES": "lots"}, errHas: "CACHE_MAX_BYTES"},
		{name: "zero bytes", args: []string{"-cache-max-bytes", "0"}, errHas: "positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, err := parseConfig(tc.args)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want %q", err, tc.errHas)
				}
				return
			}
			if err != nil || cfg.cacheTTL != tc.ttl || cfg.cacheMaxBytes != tc.maxBytes {
				t.Fatalf("ttl %v bytes %d, err %v", cfg.cacheTTL, cfg.cacheMaxBytes, err)
			}
		})
	}
	t.Run("the trusted proxy header, from the environment or a flag", func(t *testing.T) {
		cleanEnv(t)
		t.Setenv("TRUSTED_PROXY_HEADER", "X-Real-IP")
		if cfg, err := parseConfig(nil); err != nil || cfg.trustedProxyHeader != "X-Real-IP" {
			t.Fatalf("%q %v", cfg.trustedProxyHeader, err)
		}
		if cfg, err := parseConfig([]string{"bff", "-trusted-proxy-header", "X-Forwarded-For"}); err != nil || cfg.trustedProxyHeader != "X-Forwarded-For" {
			t.Fatalf("%q %v", cfg.trustedProxyHeader, err)
		}
		_, err := newBFF(config{mode: "all", trustedProxyHeader: "X Forwarded"}, slog.New(slog.DiscardHandler), "http://127.0.0.1:1", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "TrustedProxyHeader") {
			t.Fatalf("a bad header name: %v", err)
		}
	})
	t.Run("the BFF takes them", func(t *testing.T) {
		cleanEnv(t)
		if _, err := newBFF(config{mode: "all", cacheTTL: -1, cacheMaxBytes: 1 << 20}, slog.New(slog.DiscardHandler), "http://127.0.0.1:1", nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMetricsAddrFlag: METRICS_ADDR and -metrics-addr (a flag wins) serve the BFF's metrics at
// /metrics on their own address, never on the public one; the sandbox alone has none to serve.
func TestMetricsAddrFlag(t *testing.T) {
	cleanEnv(t)
	if cfg, err := parseConfig(nil); err != nil || cfg.metricsAddr != "" {
		t.Fatalf("default: %q %v", cfg.metricsAddr, err)
	}
	t.Setenv("METRICS_ADDR", "127.0.0.1:9100")
	if cfg, err := parseConfig([]string{"bff"}); err != nil || cfg.metricsAddr != "127.0.0.1:9100" {
		t.Fatalf("from the environment: %q %v", cfg.metricsAddr, err)
	}
	if cfg, err := parseConfig([]string{"bff", "-metrics-addr", ":9200"}); err != nil || cfg.metricsAddr != ":9200" {
		t.Fatalf("the flag after the mode: %q %v", cfg.metricsAddr, err)
	}
	if _, err := parseConfig([]string{"sandbox"}); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Fatalf("the sandbox alone with a metrics address: %v", err)
	}
	cleanEnv(t)

	st := startStack(t, config{mode: "all", addr: "127.0.0.1:0", sandboxAddr: "127.0.0.1:0", demoAddr: "127.0.0.1:0", keys: testKeys,
		metricsAddr: "127.0.0.1:0"})
	res, err := http.Get(st.metricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `bff_breaker_state{tenant="demo"} 0`) || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("metrics address /metrics: %d\n%s", res.StatusCode, body)
	}
	if got := httpStatus(t, st.bffURL+"/metrics"); got != http.StatusNotFound {
		t.Errorf("the public address answered /metrics with %d", got)
	}
	if got := httpStatus(t, st.metricsURL+"/debug/pprof/"); got != http.StatusNotFound {
		t.Errorf("the metrics address answered /debug/pprof/ with %d", got)
	}
}

// TestSandboxIdleTimeoutFlag: SANDBOX_IDLE_TIMEOUT and -sandbox-idle-timeout (a flag wins) set
// how long the sandbox keeps an idle connection, 60 s by default, so that a test can put it
// below the BFF's upstream idle time; the sandbox then closes an idle connection that soon.
func TestSandboxIdleTimeoutFlag(t *testing.T) {
	tests := []struct {
		name   string
		env    string
		args   []string
		idle   time.Duration
		errHas string
	}{
		{name: "default", idle: 60 * time.Second},
		{name: "variable", env: "1s", idle: time.Second},
		{name: "flag wins", env: "1s", args: []string{"sandbox", "-sandbox-idle-timeout", "500ms"}, idle: 500 * time.Millisecond},
		{name: "not a duration", env: "soon", errHas: "SANDBOX_IDLE_TIMEOUT"},
		{name: "zero", args: []string{"-sandbox-idle-timeout=0"}, errHas: "positive"},
		{name: "negative", args: []string{"-sandbox-idle-timeout", "-1s"}, errHas: "-sandbox-idle-timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			t.Setenv("SANDBOX_IDLE_TIMEOUT", tc.env)
			cfg, err := parseConfig(tc.args)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want %q", err, tc.errHas)
				}
				return
			}
			if err != nil || cfg.sandboxIdle != tc.idle {
				t.Fatalf("idle %v, err %v", cfg.sandboxIdle, err)
			}
		})
	}
	t.Run("the sandbox closes an idle connection that soon", func(t *testing.T) {
		cleanEnv(t)
		const idle = 300 * time.Millisecond
		st := startStack(t, config{mode: "sandbox", sandboxAddr: "127.0.0.1:0", sandboxIdle: idle})
		conn, err := net.Dial("tcp", strings.TrimPrefix(st.sandboxURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /pub/widget/rewards/checkout?purchaseValue=1 HTTP/1.1\r\nHost: sandbox\r\nX-Bq-Tenant: demo\r\n\r\n")
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.Close {
			t.Fatal("the sandbox closed the connection with its answer")
		}
		answered := time.Now()
		_ = conn.SetReadDeadline(answered.Add(5 * time.Second))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("want the sandbox to close the idle connection, got %v", err)
		}
		if quiet := time.Since(answered); quiet < idle/2 || quiet > 10*idle {
			t.Fatalf("closed after %v idle, want about %v", quiet, idle)
		}
	})
}

// TestStartUpLinesShowThePid: the start-up lines give the process id, to signal it; with a
// tenants file, they say that SIGHUP re-reads it (without one, SIGHUP would end the process).
func TestStartUpLinesShowThePid(t *testing.T) {
	cleanEnv(t)
	pid := fmt.Sprint(os.Getpid())
	for _, tc := range []struct {
		name string
		cfg  config
		want string
	}{
		{"the sandbox alone", config{mode: "sandbox", sandboxAddr: "127.0.0.1:0"}, "pid      " + pid + "\n"},
		{"the BFF with a tenants file", config{mode: "bff", addr: "127.0.0.1:0", tenants: writeTenants(t, goodTenants), keys: mainTestKey},
			"pid      " + pid + "   (kill -HUP " + pid + " re-reads TENANTS)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			st, err := newStack(tc.cfg, slog.New(slog.DiscardHandler), &out)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = st.serve(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			if !strings.Contains(out.String(), tc.want) {
				t.Fatalf("the start-up lines lack %q:\n%s", tc.want, out.String())
			}
			if tc.cfg.tenants == "" && strings.Contains(out.String(), "HUP") {
				t.Fatalf("SIGHUP offered without a tenants file to re-read:\n%s", out.String())
			}
		})
	}
}

// -demo-origins (DEMO_ORIGINS) lets an integrator's own page call the demo tenant under
// go run .: that origin is answered, another still refused; a malformed one, or one given
// with TENANTS (which replaces the demo tenant), stops the start with a sentence.
func TestDemoOriginsFlag(t *testing.T) {
	cleanEnv(t)
	t.Setenv("DEMO_ORIGINS", "http://localhost:3000, https://shop.test")
	cfg, err := parseConfig(nil)
	if err != nil || len(cfg.demoOrigins) != 2 || cfg.demoOrigins[1] != "https://shop.test" {
		t.Fatalf("DEMO_ORIGINS: %v %q", err, cfg.demoOrigins)
	}
	if cfg, err = parseConfig([]string{"-demo-origins", "http://localhost:4000"}); err != nil || len(cfg.demoOrigins) != 1 {
		t.Fatalf("-demo-origins wins over DEMO_ORIGINS: %v %q", err, cfg.demoOrigins)
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := newBFF(config{mode: "all", demoOrigins: []string{"http://localhost:3000"}}, log, "http://127.0.0.1:1", []string{"http://127.0.0.1:8082"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	for origin, want := range map[string]int{"http://localhost:3000": 204, "http://127.0.0.1:8082": 204, "http://evil.test": 403} {
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/bff/v1/beacon", strings.NewReader(`{"v":"1","tenant":"demo","platform":"vtex","kind":"net"}`))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("a beacon from %s: %d, want %d", origin, res.StatusCode, want)
		}
	}
	if _, err := newBFF(config{mode: "all", demoOrigins: []string{"localhost:3000"}}, log, "http://127.0.0.1:1", nil, nil); err == nil || !strings.Contains(err.Error(), "localhost:3000") {
		t.Errorf("a malformed origin: %v", err)
	}
	if _, err := newBFF(config{mode: "all", tenants: writeTenants(t, goodTenants), demoOrigins: []string{"http://localhost:3000"}}, log, "http://127.0.0.1:1", nil, nil); err == nil || !strings.Contains(err.Error(), "TENANTS replaces") {
		t.Errorf("with TENANTS: %v", err)
	}
}
