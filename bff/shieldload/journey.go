package main

// The journey load test (issue 17): shoppers arriving at a store's checkout, each doing what
// the widget does there, against the embedded sandbox with the platform's rate limit on for
// the store and one BFF with the default options in front of it. It counts the platform calls
// per journey (by path), the journeys that saw an error, the platform's 429s and the views
// answered from a stale copy, and checks the sandbox's ledger: every redeem and every reverse
// exactly once.
//
//	go run ./bff/shieldload -journeys 1 -d 60s           # 1 journey a second for a minute
//	go run ./bff/shieldload -journeys 1 -redeem 0.3 -reverse 0.1

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loyalty-checkout/bff-widget/bff"
	"github.com/loyalty-checkout/bff-widget/sandbox"
)

// journeyConfig is a journey run's shape.
type journeyConfig struct {
	rate     float64       // journeys started a second
	duration time.Duration // how long journeys are started for
	step     time.Duration // between a journey's steps (a person's pace)
	redeem   float64       // share of shoppers who redeem
	reverse  float64       // share of those who then remove the reward
	seed     uint64
}

// journeyReport is what a journey run found.
type journeyReport struct {
	Journeys     int
	WithError    int
	Errors       map[string]int // "step: status code", per step that failed
	Calls        map[string]int64
	Platform429  int64
	Views        int
	StaleViews   int
	DerivedViews int
	MaxAge       int // seconds
	Redeems      int // journeys that redeemed (the BFF said 200)
	Reverses     int
	LedgerDebit  int
	LedgerCredit int
	Failures     []string
}

// CallsPerJourney is the platform calls a journey cost, on average.
func (r *journeyReport) CallsPerJourney() float64 {
	var n int64
	for _, c := range r.Calls {
		n += c
	}
	return float64(n) / float64(max(1, r.Journeys))
}

func runJourneys(c journeyConfig, out io.Writer) (*journeyReport, error) {
	quiet := slog.New(slog.DiscardHandler)
	n := int(c.rate*c.duration.Seconds()) + 1
	seed := sandbox.DefaultSeed()
	seed.Tenants[0].RateLimit = &budget
	for i := range n {
		id := "j" + strconv.Itoa(i)
		seed.Tenants[0].Shoppers = append(seed.Tenants[0].Shoppers, sandbox.SeedShopper{SessionToken: id,
			UserID: id + "@load.test", Name: "Shopper " + id, Email: id + "@load.test", Points: 5000, Enrolled: true})
	}
	sb, err := sandbox.New(sandbox.Options{Seed: &seed, Logger: quiet})
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	rep := &journeyReport{Errors: map[string]int{}, Calls: map[string]int64{}}
	var limited atomic.Int64
	sandboxURL, closeSandbox, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/pub/") {
			mu.Lock()
			rep.Calls[r.Method+" "+callName(r.URL.Path)]++
			mu.Unlock()
		}
		rec := &statusRecorder{ResponseWriter: w}
		sb.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			limited.Add(1)
		}
	}))
	if err != nil {
		return nil, err
	}
	defer closeSandbox()

	secret := make([]byte, 32)
	_, _ = crand.Read(secret)
	store := bff.DemoTenant(sandboxURL, nil)
	store.Budget = &bff.Budget{PerSecond: budget.PerSecond, PerMinute: budget.PerMinute, PerHour: budget.PerHour}
	s, err := bff.New(bff.Options{Tenants: []bff.TenantConfig{store}, Keys: []bff.Key{{ID: "k1", Secret: secret}},
		Logger: quiet, TrustedProxyHeader: "X-Forwarded-For"})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = s.Serve(ln) }()
	defer func() { _ = s.Shutdown(context.Background()) }()
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	rnd := rand.New(rand.NewPCG(c.seed, 17)) //nolint:gosec // G404: a load pattern, not a secret
	fmt.Fprintf(out, "journeys: %.2g a second for %v, %v between steps; %.0f%% redeem, %.0f%% of them remove it\n",
		c.rate, c.duration, c.step, 100*c.redeem, 100*c.reverse)
	every := time.Duration(float64(time.Second) / c.rate)
	var wg sync.WaitGroup
	stop := time.Now().Add(c.duration)
	i := 0
	for next := time.Now(); next.Before(stop) && i < n; next = next.Add(every) {
		time.Sleep(time.Until(next))
		j := journey{i: i, hc: hc, base: base, step: c.step, redeems: rnd.Float64() < c.redeem}
		j.reverses = j.redeems && rnd.Float64() < c.reverse
		j.pv, j.pv2 = 100+rnd.IntN(300), 100+rnd.IntN(300)
		i++
		wg.Go(func() {
			res := j.run()
			mu.Lock()
			defer mu.Unlock()
			rep.Journeys++
			if res.failed != "" {
				rep.WithError++
				rep.Errors[res.failed]++
			}
			rep.Views += res.views
			rep.StaleViews += res.stale
			rep.DerivedViews += res.derived
			rep.MaxAge = max(rep.MaxAge, res.maxAge)
			if res.redeemed {
				rep.Redeems++
			}
			if res.reversed {
				rep.Reverses++
			}
		})
	}
	wg.Wait()
	rep.Platform429 = limited.Load()
	for k := range i {
		debits, credits, err := ledger(hc, sandboxURL, fmt.Sprintf("j%d@load.test", k))
		if err != nil {
			return nil, err
		}
		rep.LedgerDebit += debits
		rep.LedgerCredit += credits
	}
	if rep.Platform429 != 0 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("the platform answered 429 %d times", rep.Platform429))
	}
	if rep.LedgerDebit != rep.Redeems || rep.LedgerCredit != rep.Reverses {
		rep.Failures = append(rep.Failures, fmt.Sprintf("the ledger has %d debits and %d credits; the BFF answered %d redeems and %d reverses",
			rep.LedgerDebit, rep.LedgerCredit, rep.Redeems, rep.Reverses))
	}
	printJourneys(out, rep)
	return rep, nil
}

// callName is a platform path with its ids written as {id}.
func callName(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && p != "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

func printJourneys(out io.Writer, rep *journeyReport) {
	fmt.Fprintf(out, "journeys: %d; without an error: %.1f%%; platform calls a journey: %.2f; platform 429s: %d\n",
		rep.Journeys, 100*float64(rep.Journeys-rep.WithError)/float64(max(1, rep.Journeys)), rep.CallsPerJourney(), rep.Platform429)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range rep.Calls {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		fmt.Fprintf(out, "  %-58s %5.2f a journey\n", k, float64(rep.Calls[k])/float64(max(1, rep.Journeys)))
	}
	for k, v := range rep.Errors {
		fmt.Fprintf(out, "  error at %-49s %5d journeys\n", k, v)
	}
	fmt.Fprintf(out, "views: %d; with a derived part: %.1f%%; from a stale copy: %.1f%%, the oldest %d s\n", rep.Views,
		100*float64(rep.DerivedViews)/float64(max(1, rep.Views)), 100*float64(rep.StaleViews)/float64(max(1, rep.Views)), rep.MaxAge)
	fmt.Fprintf(out, "redeems: %d (ledger debits %d), reverses: %d (ledger credits %d)\n", rep.Redeems, rep.LedgerDebit, rep.Reverses, rep.LedgerCredit)
}

// journey is one shopper at the checkout, doing what the widget does.
type journey struct {
	i                 int
	hc                *http.Client
	base              string
	step              time.Duration
	redeems, reverses bool
	pv, pv2           int // the cart's value, then after a change

	token, coupon         string
	mustList, mustNotList string // a RedeemedId the next views must (not) list
	res                   journeyResult
}

type journeyResult struct {
	failed             string // the first step that failed, with its status and code
	views, stale       int
	derived            int
	maxAge             int
	redeemed, reversed bool
}

func (j *journey) addr() string {
	return fmt.Sprintf("10.%d.%d.%d", 1+j.i/62500, j.i/250%250, 1+j.i%250)
}
func (j *journey) cart() string { return "cart-j" + strconv.Itoa(j.i) }

// view asks for the widget's view of the cart (a session when there is no token yet).
func (j *journey) view(step string, pv int) bool {
	// As the widget asks: with the coupon the cart holds (none until the redeem).
	q := fmt.Sprintf("?purchaseValue=%d.00&checkoutCode=%s&lang=pt-BR&coupon=%s", pv, j.cart(), url.QueryEscape(j.coupon))
	var r answer
	var err error
	if j.token == "" {
		r, err = doFrom(j.hc, j.base, "POST", bff.PathSession+q, "", fmt.Sprintf(`{"platform":"vtex","sessionToken":"j%d","segmentToken":"x"}`, j.i), j.addr())
	} else {
		r, err = doFrom(j.hc, j.base, "GET", bff.PathCheckout+q, j.token, "", j.addr())
	}
	if !j.ok(step, r, err) {
		return false
	}
	item := r.item
	if j.token == "" {
		sess, _ := item["Session"].(map[string]any)
		j.token, _ = sess["SecureToken"].(string)
		item, _ = item["View"].(map[string]any)
		if item == nil || j.token == "" {
			return j.fail(step, "no session or view")
		}
	}
	j.res.views++
	if missing, _ := item["Missing"].([]any); len(missing) > 0 {
		probs, _ := item["Problems"].(map[string]any)
		var why []string
		for _, m := range missing {
			p, _ := probs[fmt.Sprint(m)].(map[string]any)
			why = append(why, fmt.Sprintf("%v %v", m, p["ErrorCode"]))
		}
		slices.Sort(why)
		return j.fail(step, "without "+strings.Join(why, ", "))
	}
	if age, _ := strconv.Atoi(fmt.Sprint(item["Age"])); age > 0 {
		j.res.stale++
		j.res.maxAge = max(j.res.maxAge, age)
	}
	if item["Derived"] == true {
		j.res.derived++
	}
	// No view after a write shows the state from before it: the redemption is listed after
	// the redeem, and gone after the reverse.
	if j.mustList != "" || j.mustNotList != "" {
		listed := map[string]bool{}
		red, _ := item["Redeemed"].([]any)
		for _, r := range red {
			m, _ := r.(map[string]any)
			listed[fmt.Sprint(m["RedeemedId"])] = true
		}
		if j.mustList != "" && !listed[j.mustList] || j.mustNotList != "" && listed[j.mustNotList] {
			return j.fail(step, "the state from before the write")
		}
	}
	return true
}

func (j *journey) ok(step string, r answer, err error) bool {
	if err != nil {
		return j.fail(step, "transport error")
	}
	if r.status != http.StatusOK {
		return j.fail(step, fmt.Sprintf("%d %s", r.status, r.code))
	}
	return true
}

func (j *journey) fail(step, why string) bool {
	if j.res.failed == "" {
		j.res.failed = step + ": " + why
	}
	return false
}

func (j *journey) pause() { time.Sleep(j.step) }

// run is the journey: the sign-in with the view, a cart change, for a redeemer the redeem and
// the view after it, a step change (the same view again), and for a remover the reverse and
// the view after it. A step that fails ends the journey, as a shopper who sees an error stops.
func (j *journey) run() journeyResult {
	if !j.view("session", j.pv) {
		return j.res
	}
	j.pause()
	if !j.view("cart change", j.pv2) {
		return j.res
	}
	redeemedID := ""
	if j.redeems {
		j.pause()
		r, err := doFrom(j.hc, j.base, "POST", fmt.Sprintf("/pub/widget/rewards/redeem/302?purchaseValue=%d.00&lang=pt-BR", j.pv2), j.token,
			`{"OriginalId":"`+j.cart()+`"}`, j.addr())
		if !j.ok("redeem", r, err) {
			return j.res
		}
		j.res.redeemed = true
		j.coupon, _ = r.item["CouponCode"].(string) // the widget puts it in the cart
		reward, _ := r.item["Reward"].(map[string]any)
		if id, ok := reward["RedeemedId"].(json.Number); ok {
			redeemedID = id.String()
		}
		j.mustList = redeemedID
		if !j.view("view after the redeem", j.pv2) {
			return j.res
		}
	}
	j.pause()
	if !j.view("step change", j.pv2) {
		return j.res
	}
	if j.reverses && redeemedID != "" {
		j.pause()
		r, err := doFrom(j.hc, j.base, "POST", "/pub/widget/rewards/checkout/"+redeemedID+"/reverse?lang=pt-BR", j.token, "", j.addr())
		if !j.ok("reverse", r, err) {
			return j.res
		}
		j.res.reversed = true
		j.coupon = "" // the widget took it out of the cart first
		j.mustList, j.mustNotList = "", redeemedID
		if !j.view("view after the reverse", j.pv2) {
			return j.res
		}
	}
	return j.res
}
