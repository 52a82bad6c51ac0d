package bff

import (
	"io"
	"net/http"
	"testing"
	"time"
)

func benchKeyring(b *testing.B) *keyring {
	kr, err := newKeyring([]Key{testKey}, 55*time.Minute, 30*time.Second, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	return kr
}

func BenchmarkTokenIssue(b *testing.B) {
	kr := benchKeyring(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := kr.issue("demo", "ana@example.com", "742b9b93-c1dc-4ec1-8f92-6b3a1838c613"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenVerify(b *testing.B) {
	kr := benchKeyring(b)
	tok, _, _ := kr.issue("demo", "ana@example.com", "742b9b93-c1dc-4ec1-8f92-6b3a1838c613")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.verify(tok, "demo"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProxiedListing is one listing through the BFF to a local sandbox over loopback,
// with the cache off so every iteration is a real upstream call.
func BenchmarkProxiedListing(b *testing.B) { benchListing(b, -1) }

// BenchmarkCachedListing is the same listing answered from the cache.
func BenchmarkCachedListing(b *testing.B) { benchListing(b, time.Hour) }

func benchListing(b *testing.B, cacheTTL time.Duration) {
	c := &clock{t: time.Now()}
	up, _ := startSandbox(b, c)
	env := startBFF(b, c, up.URL, func(o *Options) { o.CacheTTL = cacheTTL; o.Now = time.Now })
	tok := env.login("demo", "ana")
	req, _ := http.NewRequest("GET", env.url+"/pub/widget/rewards/checkout?purchaseValue=120", nil)
	req.Header.Set("X-Bq-Tenant", "demo")
	req.Header.Set("X-Bq-SecureToken", tok)
	b.ReportAllocs()
	for b.Loop() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatal(res.Status)
		}
	}
}

// BenchmarkParallelListingShield is many concurrent listings of one shopper's cart through
// the BFF with the default cache: it reports how many upstream calls each request cost.
func BenchmarkParallelListingShield(b *testing.B) {
	c := &clock{t: time.Now()}
	up, calls := startSandbox(b, c)
	env := startBFF(b, c, up.URL, func(o *Options) { o.Now = time.Now })
	tok := env.login("demo", "ana")
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", env.url+"/pub/widget/rewards/checkout?purchaseValue=120", nil)
		req.Header.Set("X-Bq-Tenant", "demo")
		req.Header.Set("X-Bq-SecureToken", tok)
		for pb.Next() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
	b.ReportMetric(float64(calls.get("/pub/widget/rewards/checkout"))/float64(b.N), "upstream-calls/op")
}
