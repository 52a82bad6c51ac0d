package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

// fakeT records how Need ended a test; Skip and Fatal end the goroutine as testing's do.
type fakeT struct {
	testing.TB
	skipped, failed string
}

func (f *fakeT) Helper()           {}
func (f *fakeT) Skip(args ...any)  { f.skipped = strings.TrimSpace(fmtArgs(args)); runtime.Goexit() }
func (f *fakeT) Fatal(args ...any) { f.failed = strings.TrimSpace(fmtArgs(args)); runtime.Goexit() }

func fmtArgs(args []any) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.(string))
	}
	return b.String()
}

// needOn runs need on a fake test and answers what it returned and how the test ended.
func needOn(p Part, log *tally) (where string, f *fakeT) {
	f = &fakeT{}
	done := make(chan struct{})
	go func() { defer close(done); where = need(f, p, log) }()
	<-done
	return where, f
}

func TestNeed(t *testing.T) {
	bin := t.TempDir()
	chromium := filepath.Join(bin, "chromium")
	if err := os.WriteFile(chromium, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	axe := filepath.Join(bin, "axe.min.js")
	if err := os.WriteFile(axe, []byte("axe"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()

	for _, c := range []struct {
		name      string
		env       map[string]string
		part      Part
		where     string // "" for missing
		line      string
		requireIt bool
	}{
		{"chromium on the PATH", map[string]string{"PATH": bin, "CHROMIUM": ""}, Chromium, chromium, "", false},
		{"chromium from CHROMIUM", map[string]string{"PATH": empty, "CHROMIUM": chromium}, Chromium, chromium, "", true},
		{"no chromium", map[string]string{"PATH": empty, "CHROMIUM": ""}, Chromium, "",
			"chromium not found: apt-get install chromium, or set CHROMIUM", false},
		{"no chromium, REQUIRE_ALL", map[string]string{"PATH": empty, "CHROMIUM": ""}, Chromium, "",
			"chromium not found: apt-get install chromium, or set CHROMIUM", true},
		{"CHROMIUM names nothing", map[string]string{"PATH": bin, "CHROMIUM": filepath.Join(empty, "chromium")}, Chromium, "",
			"chromium not found: apt-get install chromium, or set CHROMIUM", false},
		{"no redis-server, REQUIRE_ALL", map[string]string{"PATH": empty}, RedisServer, "",
			"redis-server not found: apt-get install redis-server", true},
		{"axe-core from AXE_CORE", map[string]string{"AXE_CORE": axe}, AxeCore, axe, "", true},
		{"no axe-core", map[string]string{"AXE_CORE": filepath.Join(empty, "axe.min.js")}, AxeCore, "",
			"axe-core not found: run `npm ci` in widget/ (apt-get install npm), or set AXE_CORE", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			t.Setenv("REQUIRE_ALL", "")
			if c.requireIt {
				t.Setenv("REQUIRE_ALL", "1")
			}
			var log tally
			where, f := needOn(c.part, &log)
			switch {
			case c.where != "":
				if where != c.where || f.skipped != "" || f.failed != "" {
					t.Fatalf("found %q, skipped %q, failed %q; want %q found", where, f.skipped, f.failed, c.where)
				}
				if s := log.summary("pkg", false); s != "" {
					t.Errorf("summary %q, want none", s)
				}
			case c.requireIt:
				if want := c.line + " (REQUIRE_ALL=1: a missing part fails)"; f.failed != want || f.skipped != "" {
					t.Fatalf("failed %q, skipped %q; want failed %q", f.failed, f.skipped, want)
				}
			default:
				if f.skipped != c.line || f.failed != "" {
					t.Fatalf("skipped %q, failed %q; want skipped %q", f.skipped, f.failed, c.line)
				}
			}
		})
	}
}

func TestSummary(t *testing.T) {
	var log tally
	if s := log.summary("m/p", false); s != "" {
		t.Fatalf("nothing missing: %q", s)
	}
	for range 3 {
		log.add(Chromium)
	}
	log.add(AxeCore)
	want := "skipped in m/p: 3 tests need chromium (apt-get install chromium, or set CHROMIUM); " +
		"1 test needs axe-core (run `npm ci` in widget/ (apt-get install npm), or set AXE_CORE)"
	if s := log.summary("m/p", false); s != want {
		t.Errorf("summary\n %q\nwant\n %q", s, want)
	}
	if s := log.summary("m/p", true); !strings.HasPrefix(s, "failed (REQUIRE_ALL=1) in m/p: 3 tests need chromium") {
		t.Errorf("summary under REQUIRE_ALL: %q", s)
	}
	if p := packagePath(); p != "github.com/loyalty-checkout/bff-widget/internal/testenv" {
		t.Errorf("packagePath %q", p)
	}
}

// TestChildNeedsMissing is the test the child runs in TestMissingPartInAChild; it does nothing
// in the parent.
func TestChildNeedsMissing(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "1" {
		return
	}
	Need(t, Program("testenv-no-such-program", "apt-get install nothing"))
	t.Error("Need returned for a missing part")
}

// A real test binary: a missing part is a skip and the run ends with the package's line; with
// REQUIRE_ALL=1 the same line fails the test and the run.
func TestMissingPartInAChild(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		return
	}
	line := "testenv-no-such-program not found: apt-get install nothing"
	for _, requireAll := range []string{"", "1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildNeedsMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "REQUIRE_ALL="+requireAll)
		out, err := cmd.CombinedOutput()
		got := string(out)
		if requireAll == "" {
			if err != nil || !strings.Contains(got, "--- SKIP: TestChildNeedsMissing") || !strings.Contains(got, line+"\n") ||
				!strings.Contains(got, "\nskipped in github.com/loyalty-checkout/bff-widget/internal/testenv: 1 test needs testenv-no-such-program (apt-get install nothing)\n") {
				t.Errorf("without REQUIRE_ALL: %v\n%s", err, got)
			}
			continue
		}
		if err == nil || !strings.Contains(got, "--- FAIL: TestChildNeedsMissing") || !strings.Contains(got, line+" (REQUIRE_ALL=1: a missing part fails)\n") ||
			!strings.Contains(got, "\nfailed (REQUIRE_ALL=1) in github.com/loyalty-checkout/bff-widget/internal/testenv: 1 test needs testenv-no-such-program") {
			t.Errorf("with REQUIRE_ALL=1: %v\n%s", err, got)
		}
	}
}
