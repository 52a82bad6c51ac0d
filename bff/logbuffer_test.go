package bff

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLogBuffer: lines come out whole, in order, on the tick or at Close, with no line lost.
func TestLogBuffer(t *testing.T) {
	var out syncWriter
	out.w = &bytes.Buffer{}
	b := NewLogBuffer(&out, 20*time.Millisecond)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for range 250 {
				_, _ = b.Write([]byte(strings.Repeat("x", g+1) + "\n"))
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < 1000 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // the tick writes them without Close
	}
	if n := strings.Count(out.String(), "\n"); n != 1000 {
		t.Fatalf("%d lines after the ticks", n)
	}
	_, _ = b.Write([]byte("last\n"))
	if err := b.Close(); err != nil || !strings.HasSuffix(out.String(), "last\n") {
		t.Fatalf("Close: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if strings.Trim(l, "x") != "" && l != "last" {
			t.Fatalf("a line mixed with another: %q", l)
		}
	}
}
