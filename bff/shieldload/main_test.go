package main

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loyalty-checkout/bff-widget/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// A short run of the load test: three replicas on one Redis, 20× the store's budget for a few
// seconds. It fails as the command does: a platform 429, a redeem or reverse not exactly
// once, a view older than the bound.
func TestShortLoad(t *testing.T) {
	testenv.Need(t, testenv.RedisServer)
	var out strings.Builder
	rep, err := run(config{duration: 4 * time.Second, times: 20, replicas: 3, shoppers: 20, writers: 4,
		ttl: time.Second, stale: 2 * time.Second}, io.MultiWriter(&out))
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, f := range rep.Failures {
		t.Error(f)
	}
	if rep.ViewsAsked < 500 || rep.Redeems != 4 || rep.Reverses != 4 {
		t.Errorf("the run asked %d views, and the ledger has %d redeems and %d reverses (want 4 each)", rep.ViewsAsked, rep.Redeems, rep.Reverses)
	}
}
