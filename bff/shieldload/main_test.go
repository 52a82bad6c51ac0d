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

// A short journey run (the README's is a minute at 1 a second): every journey without an
// error, no platform 429, every redeem and reverse once in the ledger, and the journey at its
// floor of platform calls (one sign-in, one listing, one redeemed list, the redeem, the
// reverse for a third), the cart change and the views after the writes derived.
func TestJourneys(t *testing.T) {
	var out strings.Builder
	rep, err := runJourneys(journeyConfig{rate: 1, duration: 10 * time.Second, step: 300 * time.Millisecond, redeem: 1, reverse: 1.0 / 3, seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, f := range rep.Failures {
		t.Error(f)
	}
	if rep.Journeys < 10 || rep.WithError != 0 {
		t.Errorf("%d journeys, %d with an error: %v", rep.Journeys, rep.WithError, rep.Errors)
	}
	floor := 4 + float64(rep.Reverses)/float64(max(1, rep.Journeys))
	if got := rep.CallsPerJourney(); got > floor+0.01 {
		t.Errorf("%.2f platform calls a journey, over its floor of %.2f: %v", got, floor, rep.Calls)
	}
}
