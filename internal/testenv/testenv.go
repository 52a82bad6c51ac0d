// Package testenv is the tests' one answer to "is this part of the machine here?". A test
// that needs something Go does not bring (Chromium, redis-server, axe-core from
// widget/node_modules) calls Need: when the part is missing the test is skipped with one line
// saying what to install, and, with REQUIRE_ALL=1 (as .ci/run sets it), fails with that line
// instead, so a green CI means every test ran. A package whose tests use Need runs them through
// Run in its TestMain, which ends the package's run with one line of what it skipped.
package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Part is something a test needs from the machine.
type Part struct {
	Name    string                 // as the line names it: "chromium"
	Install string                 // how to get it: "apt-get install chromium, or set CHROMIUM"
	Find    func() (string, error) // where it is, or why it is not there
}

// Program is a part found on the PATH by its name.
func Program(name, install string) Part {
	return Part{Name: name, Install: install, Find: func() (string, error) { return exec.LookPath(name) }}
}

var (
	// Chromium is Debian's Chromium for the browser tests: $CHROMIUM, else chromium or
	// chromium-browser on the PATH.
	Chromium = Part{Name: "chromium", Install: "apt-get install chromium, or set CHROMIUM", Find: func() (string, error) {
		if p := os.Getenv("CHROMIUM"); p != "" {
			return exec.LookPath(p)
		}
		p, err := exec.LookPath("chromium")
		if err != nil {
			if p2, err2 := exec.LookPath("chromium-browser"); err2 == nil {
				return p2, nil
			}
		}
		return p, err
	}}

	// RedisServer is Debian's redis-server, which the replicas' tests start on a free port.
	RedisServer = Program("redis-server", "apt-get install redis-server")

	// AxeCore is axe-core's browser bundle for the accessibility checks, pinned in
	// widget/package.json: $AXE_CORE, else widget/node_modules/axe-core/axe.min.js.
	AxeCore = Part{Name: "axe-core", Install: "run `npm ci` in widget/ (apt-get install npm), or set AXE_CORE", Find: func() (string, error) {
		p := os.Getenv("AXE_CORE")
		if p == "" {
			root, err := moduleRoot()
			if err != nil {
				return "", err
			}
			p = filepath.Join(root, "widget", "node_modules", "axe-core", "axe.min.js")
		}
		if _, err := os.Stat(p); err != nil {
			return "", err
		}
		return p, nil
	}}
)

// RequireAll says whether a missing part fails the test instead of skipping it
// (REQUIRE_ALL=1, set by .ci/run).
func RequireAll() bool { return os.Getenv("REQUIRE_ALL") == "1" }

// Need returns where the part is. When it is missing, the test ends with one line saying what
// to install: a skip, or with REQUIRE_ALL=1 a failure.
func Need(t testing.TB, p Part) string {
	t.Helper()
	return need(t, p, &missing)
}

func need(t testing.TB, p Part, log *tally) string {
	t.Helper()
	where, err := p.Find()
	if err == nil {
		return where
	}
	line := p.Name + " not found: " + p.Install
	log.add(p)
	if RequireAll() {
		t.Fatal(line + " (REQUIRE_ALL=1: a missing part fails)")
	}
	t.Skip(line)
	return ""
}

// Run runs the package's tests and, when any needed a missing part, writes one line saying how
// many, per part, and what to install. `go test ./...` shows a passing package's output only
// with -v, so then the line goes to the terminal (/dev/tty) when there is one.
func Run(m *testing.M) int {
	code := m.Run()
	line := missing.summary(packagePath(), RequireAll())
	if line == "" {
		return code
	}
	var w io.Writer = os.Stdout
	if code == 0 && !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			defer func() { _ = tty.Close() }()
			w = tty
		}
	}
	_, _ = fmt.Fprintln(w, line)
	return code
}

// tally counts the tests that met a missing part, per part.
type tally struct {
	mu      sync.Mutex
	count   map[string]int
	install map[string]string
}

var missing tally

func (l *tally) add(p Part) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count == nil {
		l.count, l.install = map[string]int{}, map[string]string{}
	}
	l.count[p.Name]++
	l.install[p.Name] = p.Install
}

// summary is the package's one line, or "" when nothing was missing:
// "skipped in PKG: 44 tests need chromium (apt-get install chromium, or set CHROMIUM)".
func (l *tally) summary(pkg string, failed bool) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.count) == 0 {
		return ""
	}
	names := make([]string, 0, len(l.count))
	for n := range l.count {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if l.count[names[i]] != l.count[names[j]] {
			return l.count[names[i]] > l.count[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		tests, verb := "tests", "need"
		if l.count[n] == 1 {
			tests, verb = "test", "needs"
		}
		parts = append(parts, fmt.Sprintf("%d %s %s %s (%s)", l.count[n], tests, verb, n, l.install[n]))
	}
	what := "skipped in "
	if failed {
		what = "failed (REQUIRE_ALL=1) in "
	}
	return what + pkg + ": " + strings.Join(parts, "; ")
}

// moduleRoot is the directory of the go.mod above the working directory (a test runs in its
// package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

// packagePath is the import path of the package under test, from go.mod and the working
// directory; the directory alone if that fails.
func packagePath() string {
	dir, _ := os.Getwd()
	root, err := moduleRoot()
	if err != nil {
		return dir
	}
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		return dir
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			rel, err := filepath.Rel(root, dir)
			if err != nil || rel == "." {
				return strings.TrimSpace(mod)
			}
			return strings.TrimSpace(mod) + "/" + filepath.ToSlash(rel)
		}
	}
	return dir
}
