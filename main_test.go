package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loyalty-checkout/bff-widget/widget"
)

// TestRunExitStatus: the command's exit status, and its error on stderr.
func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"help", []string{"-h"}, 0, ""},
		{"help after the mode", []string{"bff", "-h"}, 0, ""},
		{"an unknown command", []string{"serve"}, 1, `error: unknown command "serve"`},
		{"a value that does not parse", []string{"-version", "-cache-ttl", "soon"}, 1, "error: -cache-ttl (CACHE_TTL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tc.args, &stdout, &stderr); got != tc.status || !strings.HasPrefix(stderr.String(), tc.stderr) {
				t.Fatalf("exit status %d, stderr %q; want %d, %q", got, stderr.String(), tc.status, tc.stderr)
			}
		})
	}
}

// TestVersionSetAtLinkTime: -ldflags "-X main.version=... -X main.commit=..." (deploy's
// Containerfile) names the build that -version prints.
func TestVersionSetAtLinkTime(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3", "0123abc"
	var stdout, stderr bytes.Buffer
	if got := run([]string{"-version"}, &stdout, &stderr); got != 0 {
		t.Fatalf("exit status %d: %s", got, stderr.String())
	}
	if want := "bff-widget v1.2.3 (commit 0123abc), widget " + widget.Version + "\n"; stdout.String() != want {
		t.Fatalf("-version printed %q, want %q", stdout.String(), want)
	}
}
