package app

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// TestLimitFlags: every per-client limit has a flag and a variable (a flag wins), each sets
// its bff.Options field, the defaults are the BFF's, and every value that does not parse is
// reported at once.
func TestLimitFlags(t *testing.T) {
	options := func(t *testing.T, args []string) bff.Options {
		t.Helper()
		cfg, err := parseConfig(args)
		if err != nil {
			t.Fatal(err)
		}
		var o bff.Options
		cfg.options.apply(&o)
		return o
	}
	t.Run("defaults are the BFF's", func(t *testing.T) {
		cleanEnv(t)
		o, d := options(t, nil), bff.Defaults()
		if o.ShopperBurst != d.ShopperBurst || o.ShopperEvery != d.ShopperEvery || o.ClientLoginBurst != d.ClientLoginBurst ||
			o.ClientLoginEvery != d.ClientLoginEvery || o.ClientRefusedBurst != d.ClientRefusedBurst ||
			o.ClientRefusedEvery != d.ClientRefusedEvery || o.ClientShare != d.ClientShare {
			t.Fatalf("flags' defaults %+v, the BFF's %+v", o, d)
		}
	})
	t.Run("variables", func(t *testing.T) {
		cleanEnv(t)
		for k, v := range map[string]string{"SHOPPER_BURST": "7", "SHOPPER_EVERY": "1s", "CLIENT_LOGIN_BURST": "-1",
			"CLIENT_LOGIN_EVERY": "5s", "CLIENT_REFUSED_BURST": "9", "CLIENT_REFUSED_EVERY": "2m", "CLIENT_SHARE": "0.25"} {
			t.Setenv(k, v)
		}
		o := options(t, []string{"bff"})
		if o.ShopperBurst != 7 || o.ShopperEvery != time.Second || o.ClientLoginBurst != -1 || o.ClientLoginEvery != 5*time.Second ||
			o.ClientRefusedBurst != 9 || o.ClientRefusedEvery != 2*time.Minute || o.ClientShare != 0.25 {
			t.Fatalf("%+v", o)
		}
	})
	t.Run("flags win, before or after the mode", func(t *testing.T) {
		cleanEnv(t)
		t.Setenv("SHOPPER_BURST", "7")
		t.Setenv("CLIENT_SHARE", "0.25")
		o := options(t, []string{"-shopper-burst", "11", "bff", "-shopper-every=100ms", "-client-login-burst", "4", "-client-login-every", "3s",
			"-client-refused-burst", "2", "-client-refused-every", "1m", "-client-share", "1"})
		if o.ShopperBurst != 11 || o.ShopperEvery != 100*time.Millisecond || o.ClientLoginBurst != 4 || o.ClientLoginEvery != 3*time.Second ||
			o.ClientRefusedBurst != 2 || o.ClientRefusedEvery != time.Minute || o.ClientShare != 1 {
			t.Fatalf("%+v", o)
		}
	})
	t.Run("every bad value at once", func(t *testing.T) {
		cleanEnv(t)
		t.Setenv("SHOPPER_EVERY", "soon")
		_, err := parseConfig([]string{"-shopper-burst", "0", "-client-login-every", "-1s", "-client-refused-burst", "many", "-client-share", "a tenth"})
		if err == nil {
			t.Fatal("accepted")
		}
		for _, want := range []string{`-shopper-burst (SHOPPER_BURST) "0"`, `-shopper-every (SHOPPER_EVERY) "soon"`,
			`-client-login-every (CLIENT_LOGIN_EVERY) "-1s"`, `-client-refused-burst (CLIENT_REFUSED_BURST) "many"`, `-client-share (CLIENT_SHARE) "a tenth"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
	t.Run("a share out of range is reported with the BFF's other problems", func(t *testing.T) {
		cleanEnv(t)
		cfg, err := parseConfig([]string{"-client-share", "1.5", "-trusted-proxy-header", "X Forwarded"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = newBFF(cfg, slog.New(slog.DiscardHandler), "http://127.0.0.1:1", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "ClientShare 1.5") || !strings.Contains(err.Error(), "TrustedProxyHeader") {
			t.Fatalf("%v", err)
		}
	})
}

// TestLimitFlagsReachTheBFF: a login limit set by a flag is the one the running BFF applies.
func TestLimitFlagsReachTheBFF(t *testing.T) {
	cleanEnv(t)
	cfg, err := parseConfig([]string{"-client-login-burst", "1", "-client-login-every", "1m"})
	if err != nil {
		t.Fatal(err)
	}
	base := startTestBFF(t, cfg, "http://127.0.0.1:1") // no platform: the limit comes first
	login := func() *http.Response {
		req, _ := http.NewRequest("POST", base+"/pub/widget/vendors/vtex/securelogin", strings.NewReader(`{"sessionToken":"ana","segmentToken":"s"}`))
		req.Header.Set("X-Bq-Tenant", "demo")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := login(); res.StatusCode == http.StatusTooManyRequests {
		t.Fatalf("the first login was limited")
	}
	if res := login(); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "60" {
		t.Fatalf("second login: %d Retry-After %q, want 429 after 60 s (-client-login-every 1m)", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

// startTestBFF runs newBFF's BFF for cfg (mode all, its demo tenant on upstream, the demo
// store's origin http://127.0.0.1:8082) on a free port, and returns its base URL.
func startTestBFF(t *testing.T, cfg config, upstream string) string {
	t.Helper()
	srv, err := newBFF(cfg, slog.New(slog.DiscardHandler), upstream, []string{"http://127.0.0.1:8082"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

// TestEveryOptionFlag: each option flag sets one bff.Options field of its own, its default is
// the BFF's, its variable works, and it is in the docs' table of options.
func TestEveryOptionFlag(t *testing.T) {
	cleanEnv(t)
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	flags := *defineOptionFlags(fs)
	docs, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	fieldsOf := func(o bff.Options) map[string]any {
		m := map[string]any{}
		v := reflect.ValueOf(o)
		for i := range v.NumField() {
			if f := v.Field(i); f.CanInterface() && f.Kind() != reflect.Func && f.Kind() != reflect.Pointer && f.Kind() != reflect.Slice && !f.IsZero() {
				m[v.Type().Field(i).Name] = f.Interface()
			}
		}
		return m
	}
	set := func(t *testing.T, args []string) map[string]any {
		t.Helper()
		cfg, err := parseConfig(args)
		if err != nil {
			t.Fatal(err)
		}
		var o bff.Options
		cfg.options.apply(&o)
		return fieldsOf(o)
	}
	defaults, bffDefaults := set(t, nil), fieldsOf(bff.Defaults())
	if len(defaults) != len(flags) {
		t.Errorf("%d option flags set %d fields: two flags share a field, or one sets none", len(flags), len(defaults))
	}
	for name, v := range defaults {
		if bffDefaults[name] != v {
			t.Errorf("%s: the flag's default %v, the BFF's %v", name, v, bffDefaults[name])
		}
	}
	for _, f := range flags {
		t.Run(f.name, func(t *testing.T) {
			if !strings.Contains(string(docs), "`-"+f.name+"` / `"+f.env+"`") {
				t.Errorf("docs/configuration.md's table lacks `-%s` / `%s`", f.name, f.env)
			}
			var value string
			for _, v := range []string{"3KiB", "7s", "7", "0.5"} { // whichever the flag takes
				if f.set(&bff.Options{}, v) == nil {
					value = v
					break
				}
			}
			for _, args := range [][]string{{"-" + f.name, value}, nil} {
				if args == nil {
					t.Setenv(f.env, value)
				}
				got := set(t, args)
				var changed []string
				for name, v := range got {
					if defaults[name] != v {
						changed = append(changed, name)
					}
				}
				if len(changed) != 1 {
					t.Errorf("%q (%s=%s): changed %v, want one field", args, f.env, value, changed)
				}
			}
		})
	}
}
