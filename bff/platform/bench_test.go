package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff/platform"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// BenchmarkUpstreamHop is one listing from the sandbox over loopback, read to what the BFF
// works with: the client of this package (a pooled fasthttp connection, pooled buffers, the
// answer decoded once into the wire types) against the hop as the BFF made it before issue #8
// (net/http with a cloned default transport, io.ReadAll, json.Valid, then a decode into
// map[string]any with UseNumber, on every request). Same sandbox, same run.
//
//	go test -run '^$' -bench UpstreamHop -benchmem -count 6 ./bff/platform
func BenchmarkUpstreamHop(b *testing.B) {
	sb, err := sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c, err := platform.NewClient(srv.URL, platform.ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	login, err := c.Login(context.Background(), platform.Call{Tenant: "demo"}, "vtex", platform.LoginRequest{SessionToken: "ana", SegmentToken: "s"})
	if err != nil {
		b.Fatal(err)
	}
	call := platform.Call{Tenant: "demo", Token: login.Env.Item.SecureToken}

	b.Run("client", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			r, err := c.Rewards(ctx, call, "120.00", "")
			if err != nil || r.Failed() || len(r.Env.Item) != 6 {
				b.Fatal(err)
			}
		}
	})
	b.Run("net-http-map", func(b *testing.B) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 64
		client := &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+platform.PathRewards+"?purchaseValue=120.00", nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set(platform.HeaderTenant, call.Tenant)
			req.Header.Set(platform.HeaderToken, call.Token)
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20+1))
			res.Body.Close()
			cancel()
			if !json.Valid(raw) || !bytes.Contains(raw, []byte(`"HasError"`)) {
				b.Fatal("not an envelope")
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var env map[string]any
			if err := dec.Decode(&env); err != nil || len(env["Item"].([]any)) != 6 {
				b.Fatal(err)
			}
		}
	})
}
