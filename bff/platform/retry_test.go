package platform_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
)

// What the fake platform does with a request it has read whole.
type action int

const (
	answer          action = iota // answers and keeps the connection
	answerThenClose               // answers, then closes the connection, as an idle timeout does
	answerThenReset               // answers, then resets the connection (RST), as some proxies do
	closeUnanswered               // closes the connection without a byte of an answer
	hang                          // never answers
	cutShort                      // writes the status line only, then closes
)

// fakePlatform is a platform on a real port whose connections do what a test says: act tells
// what to do with each request, by the connection's number and the request's on it (from 0).
type fakePlatform struct {
	url    string
	act    func(conn, req int) action
	tls    *tls.Config
	closed chan struct{} // a value each time the platform closes a connection
	done   chan struct{}

	mu    sync.Mutex
	seen  map[string]int // requests read whole, by "METHOD path"
	conns int            // connections accepted
}

func startFake(t *testing.T, overTLS bool, act func(conn, req int) action) (*fakePlatform, *platform.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePlatform{url: "http://" + ln.Addr().String(), act: act, seen: map[string]int{},
		closed: make(chan struct{}, 16), done: make(chan struct{})}
	var roots *http.Transport
	if overTLS { // httptest's certificate, for 127.0.0.1
		borrowed := httptest.NewUnstartedServer(nil)
		borrowed.StartTLS()
		f.tls = borrowed.TLS
		roots = borrowed.Client().Transport.(*http.Transport)
		borrowed.Close()
		f.url = "https://" + ln.Addr().String()
	}
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			n := f.conns
			f.conns++
			f.mu.Unlock()
			go f.serve(raw, n)
		}
	}()
	c, err := platform.NewClient(f.url, platform.ClientOptions{IdleTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if roots != nil {
		platform.TrustForTest(c, roots.TLSClientConfig.RootCAs)
	}
	t.Cleanup(func() { close(f.done); _ = ln.Close(); c.Close() })
	return f, c
}

func (f *fakePlatform) serve(raw net.Conn, n int) {
	c := raw
	if f.tls != nil {
		c = tls.Server(raw, f.tls)
	}
	defer func() {
		_ = c.Close()
		select {
		case f.closed <- struct{}{}:
		case <-f.done:
		}
	}()
	br := bufio.NewReader(c)
	for i := 0; ; i++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		f.mu.Lock()
		f.seen[req.Method+" "+req.URL.Path]++
		f.mu.Unlock()
		switch a := f.act(n, i); a {
		case answer, answerThenClose, answerThenReset:
			const body = `{"HasError":false,"Message":null,"Item":null}`
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			if a == answer {
				continue
			}
			if a == answerThenReset {
				_ = raw.(*net.TCPConn).SetLinger(0)
			}
			return
		case hang:
			<-f.done
			return
		case cutShort:
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\n")
			return
		default:
			return
		}
	}
}

// count is how many requests the platform has read whole, for "METHOD path", and how many
// connections it has accepted.
func (f *fakePlatform) count(sent string) (requests, conns int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[sent], f.conns
}

// waitClosed waits until the platform has closed n more connections.
func (f *fakePlatform) waitClosed(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-f.closed:
		case <-time.After(5 * time.Second):
			t.Fatal("the platform did not close its connection")
		}
	}
	time.Sleep(20 * time.Millisecond) // the FIN or RST on its way to the client
}

var testCall = platform.Call{Tenant: "t", Token: "tok"}

// aCall is one of the client's calls, and the request the platform reads for it.
type aCall struct {
	name, sent string
	do         func(context.Context, *platform.Client) error
}

func errOf[T any](_ T, err error) error { return err }

// repeatable are the calls safe to send again: a login, the reads, the redeems that carry
// their key, the reverse.
var repeatable = []aCall{
	{"login", "POST " + platform.Expand(platform.PathLogin, "vtex"), func(ctx context.Context, c *platform.Client) error {
		return errOf(c.Login(ctx, testCall, "vtex", platform.LoginRequest{SessionToken: "s", SegmentToken: "g"}))
	}},
	{"listing", "GET " + platform.PathRewards, func(ctx context.Context, c *platform.Client) error {
		return errOf(c.Rewards(ctx, testCall, "10.00", "cart-1"))
	}},
	{"redeemed list", "GET " + platform.PathRedeemed, func(ctx context.Context, c *platform.Client) error {
		return errOf(c.Redeemed(ctx, testCall, "10.00", "cart-1"))
	}},
	{"redeem with OriginalId", "POST " + platform.Expand(platform.PathRedeem, "301"), func(ctx context.Context, c *platform.Client) error {
		return errOf(c.Redeem(ctx, testCall, "301", "10.00", "cart-1"))
	}},
	{"use-redeemed with OriginalId", "POST " + platform.Expand(platform.PathUseRedeemed, "1002"), func(ctx context.Context, c *platform.Client) error {
		return errOf(c.UseRedeemed(ctx, testCall, "1002", "", "cart-1"))
	}},
	{"applied state", "POST " + platform.PathApplied, func(ctx context.Context, c *platform.Client) error {
		return errOf(c.Applied(ctx, testCall, "cart-1"))
	}},
	{"reverse", "POST " + platform.Expand(platform.PathReverse, "1002"), func(ctx context.Context, c *platform.Client) error {
		return errOf(c.Reverse(ctx, testCall, "1002"))
	}},
}

// keyless are the redeems without a key: a second copy could debit again.
var keyless = []aCall{
	{"redeem without OriginalId", "POST " + platform.Expand(platform.PathRedeem, "301"), func(ctx context.Context, c *platform.Client) error {
		return errOf(c.Redeem(ctx, testCall, "301", "10.00", ""))
	}},
	{"use-redeemed without OriginalId", "POST " + platform.Expand(platform.PathUseRedeemed, "1002"), func(ctx context.Context, c *platform.Client) error {
		return errOf(c.UseRedeemed(ctx, testCall, "1002", "", ""))
	}},
}

var keyedRedeem = repeatable[3]

// warm makes one call that leaves a connection in the pool, which the platform then closes
// (or resets) as an idle timeout shorter than the pool's would.
func warm(t *testing.T, f *fakePlatform, c *platform.Client) {
	t.Helper()
	if _, err := c.Redeemed(context.Background(), testCall, "1.00", "warm"); err != nil {
		t.Fatal(err)
	}
	f.waitClosed(t, 1)
}

var idleNames = map[action]string{answerThenClose: "closed", answerThenReset: "reset"}

// TestStaleConnectionResent (issue 16): after a quiet spell the platform has closed the pooled
// connection (FIN) or reset it (RST), and the call on it gets nothing. Every call that is safe
// to repeat is sent again, once, on a new connection, and succeeds; the platform reads it once
// (the copy on the dead connection never reached it). Over TLS too.
func TestStaleConnectionResent(t *testing.T) {
	for _, idle := range []action{answerThenClose, answerThenReset} {
		for _, overTLS := range []bool{false, true} {
			for _, tc := range repeatable {
				name := fmt.Sprintf("%s/tls=%v/%s", idleNames[idle], overTLS, tc.name)
				t.Run(name, func(t *testing.T) {
					f, c := startFake(t, overTLS, func(int, int) action { return idle })
					warm(t, f, c)
					before, _ := f.count(tc.sent)
					if err := tc.do(context.Background(), c); err != nil {
						t.Fatalf("not resent on a new connection: %v", err)
					}
					if got, conns := f.count(tc.sent); got != before+1 || conns != 2 {
						t.Fatalf("the platform read it %d times, on %d connections; want once, on a second", got-before, conns)
					}
				})
			}
		}
	}
}

// TestKeylessRedeemNotResent: a redeem without its OriginalId (a tenant may allow old
// clients) is never sent twice, even when its connection surely was dead: a second copy could
// debit the shopper again. It fails, Unreachable, and the platform never read it.
func TestKeylessRedeemNotResent(t *testing.T) {
	for _, idle := range []action{answerThenClose, answerThenReset} {
		for _, tc := range keyless {
			t.Run(idleNames[idle]+"/"+tc.name, func(t *testing.T) {
				f, c := startFake(t, false, func(int, int) action { return idle })
				warm(t, f, c)
				err := tc.do(context.Background(), c)
				var pe *platform.Error
				t.Log(err)
				if !errors.As(err, &pe) || pe.Kind != platform.Unreachable {
					t.Fatalf("want Unreachable, got %v", err)
				}
				if got, conns := f.count(tc.sent); got != 0 || conns != 1 {
					t.Fatalf("sent again: the platform read it %d times, on %d connections", got, conns)
				}
			})
		}
	}
}

// TestOnlyStaleConnectionsResent: no other failure is a reason to send a call again, whatever
// the call: a new connection closed before the answer (a server in trouble: a resend adds to
// its load, and the breaker must see the fault; over TLS too, where the handshake's bytes are
// no answer), a timeout once the request is sent (it may be under way at the platform), an
// answer cut short (the platform had it).
func TestOnlyStaleConnectionsResent(t *testing.T) {
	listing := repeatable[1]
	tests := []struct {
		name    string
		overTLS bool
		warm    bool
		act     func(conn, req int) action
		call    aCall
		timeout time.Duration
		kind    platform.ErrorKind
	}{
		{"a new connection closed before the answer: a listing", false, false,
			func(int, int) action { return closeUnanswered }, listing, 0, platform.Unreachable},
		{"a new connection closed before the answer: a redeem", false, false,
			func(int, int) action { return closeUnanswered }, keyedRedeem, 0, platform.Unreachable},
		{"a new connection over TLS closed before the answer", true, false,
			func(int, int) action { return closeUnanswered }, keyedRedeem, 0, platform.Unreachable},
		{"a timeout on a reused connection", false, true,
			func(_, req int) action { return map[bool]action{true: answer, false: hang}[req == 0] }, keyedRedeem, 300 * time.Millisecond, platform.Timeout},
		{"an answer cut short on a reused connection", false, true,
			func(_, req int) action { return map[bool]action{true: answer, false: cutShort}[req == 0] }, keyedRedeem, 0, platform.Unreachable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, c := startFake(t, tc.overTLS, tc.act)
			if tc.warm {
				if _, err := c.Redeemed(context.Background(), testCall, "1.00", "warm"); err != nil {
					t.Fatal(err)
				}
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			err := tc.call.do(ctx, c)
			var pe *platform.Error
			if !errors.As(err, &pe) || pe.Kind != tc.kind {
				t.Fatalf("want kind %d, got %v", tc.kind, err)
			}
			if got, conns := f.count(tc.call.sent); got != 1 || conns != 1 {
				t.Fatalf("sent again: the platform read it %d times, on %d connections", got, conns)
			}
		})
	}
}

// TestSeveralStaleConnections: after a busy moment and a quiet spell, every pooled connection
// is dead. The resend goes on a new connection, not on the next dead one.
func TestSeveralStaleConnections(t *testing.T) {
	const busy = 3
	var hold sync.WaitGroup
	hold.Add(busy)
	f, c := startFake(t, false, func(conn, req int) action {
		if conn < busy && req == 0 { // answered together: three connections
			hold.Done()
			hold.Wait()
		}
		return answerThenClose
	})
	var wg sync.WaitGroup
	for range busy {
		wg.Go(func() {
			if _, err := c.Redeemed(context.Background(), testCall, "1.00", "warm"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f.waitClosed(t, busy)
	if err := keyedRedeem.do(context.Background(), c); err != nil {
		t.Fatalf("resent on another dead connection: %v", err)
	}
	if got, conns := f.count(keyedRedeem.sent); got != 1 || conns != busy+1 {
		t.Fatalf("the platform read it %d times, on %d connections", got, conns)
	}
}
