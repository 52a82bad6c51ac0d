package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mainTestKey is a BFF key for these tests: a random secret (openssl rand -base64 32).
const mainTestKey = "k1:X8VpqfbYtCsgcrY1WiOdPAwYbm0Jc4njIHpQiNc75uY="

// cleanEnv clears every variable parseConfig reads, so the machine's settings do not leak in.
func cleanEnv(t *testing.T) {
	for _, v := range []string{"ADDR", "SANDBOX_ADDR", "DEMO_ADDR", "PUBLIC_URL", "SANDBOX_SEED", "TENANTS", "BFF_KEYS_FILE", "BFF_KEYS"} {
		t.Setenv(v, "")
	}
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
		// The real command line: it listens, then refuses.
		err := run([]string{"-addr", "127.0.0.1:0", "-tenants", tenants, "bff"}, io.Discard)
		for _, want := range []string{"no keys", "openssl rand -base64 32", "BFF_KEYS", "-keys-file"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want %q", err, want)
			}
		}
	})
	t.Run("all makes a random key, with a warning", func(t *testing.T) {
		logs.Reset()
		if _, err := newBFF(config{mode: "all"}, log, "http://127.0.0.1:1", nil); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "made a random one") {
			t.Fatalf("no warning: %s", logs.String())
		}
	})
	t.Run("all with a key that does not parse does not fall back", func(t *testing.T) {
		if _, err := newBFF(config{mode: "all", keys: "k1:not base64!"}, log, "http://127.0.0.1:1", nil); err == nil || !strings.Contains(err.Error(), "not base64") {
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
			if _, err := newBFF(tc.cfg, log, "http://127.0.0.1:1", nil); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logs.String(), "random") {
				t.Fatalf("a random key although one was given: %s", logs.String())
			}
		})
	}
	t.Run("a patterned key is refused", func(t *testing.T) {
		_, err := newBFF(config{mode: "bff", tenants: tenants, keys: "k:" + strings.Repeat("QUJD", 11)}, log, "", nil)
		if err == nil || !strings.Contains(err.Error(), "not random") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
			t.Fatalf("%v", err)
		}
	})
}
