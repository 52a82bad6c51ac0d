package app

import (
	"context"
	"io"
	"log/slog"
	"net"

	"github.com/loyalty-checkout/bff-widget/bff"
)

// Stack is the whole product in this process, as `go run .` runs it (NewLocal): what the
// end-to-end tests start, one for each test.
type Stack struct{ st *stack }

// NewLocal listens on free ports of the loopback and builds the whole product on them, as
// `go run .` does (the sandbox, the BFF with its widget and the demo tenant, the demo store),
// configured by its arguments alone: nothing is read from the flags or the environment, every
// other setting is the BFF's default. seedFile is the sandbox's seed file ("": the built-in
// seed); keys are the BFF's token keys, written as BFF_KEYS gives them. Nothing is logged.
func NewLocal(seedFile, keys string) (*Stack, error) {
	cfg := config{mode: "all", addr: "127.0.0.1:0", sandboxAddr: "127.0.0.1:0", demoAddr: "127.0.0.1:0",
		seed: seedFile, keys: keys, build: buildInfo("", "")}
	st, err := newStack(cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		return nil, err
	}
	return &Stack{st}, nil
}

// WrapBFF puts wrap(the BFF's listener) in its place, before Serve: a listener of the test's
// that counts the requests, or takes the BFF away and brings it back.
func (s *Stack) WrapBFF(wrap func(net.Listener) net.Listener) { s.st.bffLn = wrap(s.st.bffLn) }

// Serve runs every server until ctx ends, then shuts them down gracefully.
func (s *Stack) Serve(ctx context.Context) error { return s.st.serve(ctx) }

// SandboxURL, BFFURL and DemoURL are where a client on this machine reaches each server.
func (s *Stack) SandboxURL() string { return s.st.sandboxURL }

// BFFURL is the BFF's base URL (see SandboxURL).
func (s *Stack) BFFURL() string { return s.st.bffURL }

// DemoURL is the demo store's base URL (see SandboxURL).
func (s *Stack) DemoURL() string { return s.st.demoURL }

// BFF is the running BFF: a test may shut it down.
func (s *Stack) BFF() *bff.Server { return s.st.bff }
