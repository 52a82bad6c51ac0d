package bff

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// callClass is what a platform call is for, in the order the store's budget serves them:
// money first (the writes: redeem, use-redeemed, reverse; then the applied state a cart is
// restored from), then logins, then listings. A class never spends the part of a window kept
// for the classes above it: listings never starve a login or a redeem, and the applied
// states the views read never starve a redeem.
type callClass uint8

const (
	classMoney   callClass = iota // redeem, use-redeemed, reverse: the whole window
	classRestore                  // the applied state (endpoint 6, the view's part): restoreShare of the window, at least 1 call less
	classLogin                    // BudgetLoginShare of the window
	classListing                  // BudgetListingShare of the window
	numClasses
)

func (c callClass) String() string {
	switch c {
	case classMoney:
		return "money"
	case classRestore:
		return "restore"
	case classLogin:
		return "login"
	case classListing:
		return "listing"
	}
	return "unknown"
}

// Budget is a store's upstream budget: at most PerSecond calls in any second, PerMinute in
// any minute and PerHour in any hour (the platform's documented windows: 10, 300, 10,000). A
// zero field takes the default (Options.Budget); a negative one means no bound in that window.
type Budget struct {
	PerSecond int `json:"perSecond,omitempty"`
	PerMinute int `json:"perMinute,omitempty"`
	PerHour   int `json:"perHour,omitempty"`
}

// PlatformBudget is the platform's documented limit per store.
var PlatformBudget = Budget{PerSecond: 10, PerMinute: 300, PerHour: 10000}

// orDefault fills b's zero fields from def.
func (b Budget) orDefault(def Budget) Budget {
	setDefault(&b.PerSecond, def.PerSecond)
	setDefault(&b.PerMinute, def.PerMinute)
	setDefault(&b.PerHour, def.PerHour)
	return b
}

// budgetWindow is one window of a budget as it is counted: its size, stretched by a margin
// (calls the BFF counts one window apart may reach the platform closer together, by the
// difference of their latencies), and its limit per class.
type budgetWindow struct {
	name   string // "second", "minute", "hour"
	size   time.Duration
	limit  int
	limits [numClasses]int // how far into the window each class may go
}

// restoreShare is how far into each window the applied states (reads) may go: the rest is
// kept for the writes (redeem, use-redeemed, reverse), so the views' reads never starve them
// (with the platform's budget: 15 writes a minute at least, and one call of every second's
// window, under any load of views). The writes are a third of a checkout journey's calls at
// most, and they wait for the budget within their deadline: a larger reserve would only
// refuse listings the store has the budget for.
const restoreShare = 0.95

// windowMargin is how much longer than the platform's window the BFF counts one: half of it,
// at most 2 seconds. Two calls the BFF sends a window apart may reach the platform closer
// together by as much as their latencies differ; on a busy machine (the tests under -race,
// two cores) a tenth of a second was seen not to be enough. It costs no sustained rate (the
// minute's 300, counted over 62 s, is the tighter bound), only the second's bursts.
func windowMargin(size time.Duration) time.Duration { return min(size/2, 2*time.Second) }

// windows is the budget as counted: the bounded windows, each with its class limits (money:
// the whole window; restore: restoreShare of it; logins: LoginShare of it; listings:
// ListingShare), none above the class before it, divided by share (the
// replicas sharing the budget when each must count alone; 1 otherwise).
func (b Budget) windows(o *Options, share int) []budgetWindow {
	var ws []budgetWindow
	for _, w := range []struct {
		name  string
		size  time.Duration
		limit int
	}{{"second", time.Second, b.PerSecond}, {"minute", time.Minute, b.PerMinute}, {"hour", time.Hour, b.PerHour}} {
		if w.limit <= 0 {
			continue
		}
		limit := max(1, w.limit/max(1, share))
		bw := budgetWindow{name: w.name, size: w.size + windowMargin(w.size), limit: limit}
		bw.limits[classMoney] = limit
		bw.limits[classRestore] = max(1, min(limit-1, int(math.Floor(float64(limit)*restoreShare))))
		bw.limits[classLogin] = max(1, int(math.Floor(float64(limit)*o.BudgetLoginShare)))
		bw.limits[classListing] = max(1, int(math.Floor(float64(limit)*o.BudgetListingShare)))
		for c := classRestore + 1; c < numClasses; c++ {
			bw.limits[c] = min(bw.limits[c], bw.limits[c-1])
		}
		ws = append(ws, bw)
	}
	return ws
}

// localBudget counts one store's calls in this process: the time of every call in the
// longest window, in a ring, so the calls in any window are a binary search away. It is exact
// (a sliding window, not fixed ones), so no window of the platform's, however aligned, sees
// more than the limit.
type localBudget struct {
	mu      sync.Mutex
	windows []budgetWindow
	ring    []int64 // unix nanoseconds, oldest at head
	head, n int
	most    int // the ring's largest size: the largest window's limit
	longest time.Duration
	share   int // the replicas it is a share for (a fallback budget)
}

func newLocalBudget(ws []budgetWindow) *localBudget {
	b := &localBudget{windows: ws, most: mostCalls(ws)}
	for _, w := range ws {
		b.longest = max(b.longest, w.size)
	}
	b.ring = make([]int64, min(b.most, 64)) // grown as calls come: a wide budget costs nothing until spent
	return b
}

// mostCalls is the most calls windows allow (their largest limit, at least 1).
func mostCalls(ws []budgetWindow) int {
	most := 1
	for _, w := range ws {
		most = max(most, w.limit)
	}
	return most
}

// grow doubles the ring (up to most), keeping the calls in order.
func (b *localBudget) grow() {
	ring := make([]int64, min(2*len(b.ring), b.most))
	for i := range b.n {
		ring[i] = b.at(i)
	}
	b.ring, b.head = ring, 0
}

// at is the i-th oldest call kept.
func (b *localBudget) at(i int) int64 { return b.ring[(b.head+i)%len(b.ring)] }

// since counts the calls after t (nanoseconds).
func (b *localBudget) since(t int64) int {
	lo, hi := 0, b.n // the first call after t, by binary search
	for lo < hi {
		mid := (lo + hi) / 2
		if b.at(mid) > t {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return b.n - lo
}

// take spends one call of class at now, or says how long until one is there.
func (b *localBudget) take(class callClass, now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns := now.UnixNano()
	b.forget(ns)
	var wait time.Duration
	for _, w := range b.windows {
		limit := w.limits[class]
		if c := b.since(ns - int64(w.size)); c >= limit {
			// a call is allowed once the limit-th most recent leaves the window
			oldest := b.at(b.n - limit)
			wait = max(wait, time.Duration(oldest+int64(w.size)-ns)+time.Millisecond)
		}
	}
	if wait > 0 {
		return wait, false
	}
	b.add(ns)
	return 0, true
}

// forget drops the calls no window holds any more at ns (b.mu held).
func (b *localBudget) forget(ns int64) {
	for b.n > 0 && b.at(0) <= ns-int64(b.longest) {
		b.head = (b.head + 1) % len(b.ring)
		b.n--
	}
}

// add keeps a call made at ns (b.mu held), in time order: a call whose clock was read just
// before another's, and locked just after it, counts as made with it.
func (b *localBudget) add(ns int64) {
	if b.n > 0 {
		ns = max(ns, b.at(b.n-1))
	}
	b.forget(ns)
	if b.n == len(b.ring) && len(b.ring) < b.most {
		b.grow()
	}
	if b.n == len(b.ring) { // full at the largest limit: the oldest is outside every window's limit
		b.head = (b.head + 1) % len(b.ring)
		b.n--
	}
	b.ring[(b.head+b.n)%len(b.ring)] = ns
	b.n++
}

// record keeps a call made at now that the shared budget allowed, whatever this log's
// limits: a replica's fallback budget knows the calls it made through Redis, so that falling
// back does not start its share afresh.
func (b *localBudget) record(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.add(now.UnixNano())
}

// adopt takes the calls from's log holds, before b is in use (a fallback budget replaced for
// a new number of replicas keeps the replica's calls, in order). from.mu is held by the
// caller.
func (b *localBudget) adopt(from *localBudget) {
	for i := range from.n {
		b.add(from.at(i))
	}
}

// left is what each window has left for money calls at now.
func (b *localBudget) left(now time.Time) []budgetWindowLeft {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns := now.UnixNano()
	out := make([]budgetWindowLeft, 0, len(b.windows))
	for _, w := range b.windows {
		out = append(out, budgetWindowLeft{Window: w.name, Limit: w.limit, Left: max(0, w.limit-b.since(ns-int64(w.size)))})
	}
	return out
}

// budgetSpent is the 429 a caller gets when the store's budget has no call left for it within
// its wait: the platform is not asked, so it never refuses the store.
func budgetSpent(wait time.Duration) *HTTPError {
	return &HTTPError{Code: http.StatusTooManyRequests, ErrorCode: CodeBudgetSpent,
		Msg:        "The loyalty programme is very busy for this store right now; please try again in a moment.",
		RetryAfter: strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))}
}

// spend takes one call of class from the tenant's budget (shared through Redis when there
// is one, else this process's), waiting for one up to maxWait within ctx's deadline.
//
// The budget runs on the wall clock (the platform's windows do), not Options.Now.
func (s *Server) spend(ctx context.Context, t *tenant, class callClass, maxWait time.Duration) *HTTPError {
	deadline := time.Now().Add(maxWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for refused := false; ; refused = true {
		wait, ok := s.takeBudget(ctx, t, class)
		if ok {
			return nil
		}
		if !refused { // once per call, however long it waits
			s.metrics.budgetRefused(t.cfg.Key, class)
		}
		if time.Now().Add(wait).After(deadline) {
			return s.budgetShort(t, class, wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return s.budgetShort(t, class, wait)
		case <-timer.C:
		}
	}
}

// budgetShort is the refusal of a call the budget had no room for within its wait; a
// refused listing or login makes the store contended (the clients' shares bind).
func (s *Server) budgetShort(t *tenant, class callClass, wait time.Duration) *HTTPError {
	if class == classListing || class == classLogin {
		t.short.Store(time.Now().UnixNano())
	}
	return budgetSpent(wait)
}

// takeBudget takes one call from the shared budget, or, without Redis (or while it is
// unreachable), from this process's.
func (s *Server) takeBudget(ctx context.Context, t *tenant, class callClass) (time.Duration, bool) {
	if s.redis != nil {
		if wait, ok, err := s.redis.takeBudget(ctx, t, class); err == nil {
			if ok {
				t.fallbackBudget(&s.o, s.redis.replicas()).record(time.Now())
			}
			return wait, ok
		}
	}
	b := t.budget
	if s.redis != nil {
		b = t.fallbackBudget(&s.o, s.redis.replicas())
	}
	return b.take(class, time.Now())
}

// clientShare is the bucket of one client's share of a store's budget: share of the calls
// the budget allows a minute (its tightest window, as a rate), with a burst of a fifth of
// that, at least 6 (a cold checkout view takes 2 listing calls; a shopper reloading a few
// times in a row is not refused). nil when share is 1.
func clientShare(b Budget, share float64) *keyedLimits {
	if share >= 1 {
		return nil
	}
	perMinute := math.Inf(1)
	for _, w := range []struct {
		limit int
		per   float64 // windows a minute
	}{{b.PerSecond, 60}, {b.PerMinute, 1}, {b.PerHour, 1.0 / 60}} {
		if w.limit > 0 {
			perMinute = math.Min(perMinute, float64(w.limit)*w.per)
		}
	}
	if math.IsInf(perMinute, 1) {
		return nil
	}
	mine := math.Max(share*perMinute, 1)
	return newKeyedLimits(max(6, int(math.Ceil(mine/5))), time.Duration(float64(time.Minute)/mine))
}

// budgetLeft is what each window of a store's budget has left for money calls (the metrics'
// bff_budget_left): the shared budget's when Redis answers, else this replica's.
func (s *Server) budgetLeft(t *tenant) []budgetWindowLeft {
	if s.redis != nil {
		if left, err := s.redis.budgetLeft(context.Background(), t); err == nil {
			return left
		}
		return t.fallbackBudget(&s.o, s.redis.replicas()).left(time.Now())
	}
	return t.budget.left(time.Now())
}
