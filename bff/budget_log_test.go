package bff

import (
	"sync"
	"testing"
	"time"
)

// The local budget is a sliding log: in any window, at most its limit, whatever the
// alignment; each class stops where its share of the window ends, so money is always left.
func TestLocalBudgetSlidingWindows(t *testing.T) {
	o := &Options{BudgetLoginShare: 0.8, BudgetListingShare: 0.6} // below the defaults (0.9), to see each class stop
	o.setDefaults()
	b := newLocalBudget(Budget{PerSecond: 10, PerMinute: 30, PerHour: -1}.windows(o, 1))
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 900_000_000, time.UTC) // late in a second: a fixed window would turn soon
	for i := range 6 {
		if _, ok := b.take(classListing, t0.Add(time.Duration(i)*time.Millisecond)); !ok {
			t.Fatalf("listing %d refused", i)
		}
	}
	wait, ok := b.take(classListing, t0.Add(10*time.Millisecond))
	if ok || wait <= 0 {
		t.Fatalf("the 7th listing in a second went out (0.6 of 10 is 6): wait %v ok %v", wait, ok)
	}
	for i := range 2 {
		if _, ok := b.take(classLogin, t0.Add(time.Duration(20+i)*time.Millisecond)); !ok {
			t.Fatalf("login %d refused: logins may go to 8", i)
		}
	}
	if _, ok := b.take(classLogin, t0.Add(30*time.Millisecond)); ok {
		t.Fatal("a 9th call went out as a login: the rest is kept for money")
	}
	if _, ok := b.take(classRestore, t0.Add(35*time.Millisecond)); !ok {
		t.Fatal("a 9th call refused as an applied state (0.95 of 10, less one, is 9)")
	}
	if _, ok := b.take(classRestore, t0.Add(38*time.Millisecond)); ok {
		t.Fatal("a 10th call went out as an applied state: the last is kept for the writes")
	}
	if _, ok := b.take(classMoney, t0.Add(45*time.Millisecond)); !ok {
		t.Fatal("money was refused with one call of the window left")
	}
	wait, ok = b.take(classMoney, t0.Add(50*time.Millisecond))
	if ok {
		t.Fatal("an 11th call in a second went out")
	}
	// The first call leaves the window (1 s and its 500 ms margin) just after t0+1.5 s: not at
	// the next whole second, as a fixed window would have it.
	if want := 1500*time.Millisecond - 50*time.Millisecond; wait < want || wait > want+2*time.Millisecond {
		t.Errorf("wait %v, want about %v", wait, want)
	}
	if _, ok := b.take(classMoney, t0.Add(1450*time.Millisecond)); ok {
		t.Fatal("a call went out 1.45 s after the window's first: inside the margin")
	}
	if _, ok := b.take(classMoney, t0.Add(1501*time.Millisecond)); !ok {
		t.Fatal("the window slid, but the call was refused")
	}
	// The minute: 30 at most, 18 of them listings; 11 spent so far.
	spent := 11
	for at := 2 * time.Second; spent < 30; at += 150 * time.Millisecond {
		if _, ok := b.take(classMoney, t0.Add(at)); ok {
			spent++
		}
	}
	if _, ok := b.take(classMoney, t0.Add(20*time.Second)); ok {
		t.Fatal("a 31st call in a minute went out")
	}
	left := b.left(t0.Add(20 * time.Second))
	if len(left) != 2 || left[1].Window != "minute" || left[1].Left != 0 || left[1].Limit != 30 {
		t.Errorf("left: %+v", left)
	}
	// Divided among 3 replicas (while Redis is away): each may spend a third.
	if ws := (Budget{PerSecond: 10, PerMinute: 300, PerHour: 10000}).windows(o, 3); ws[0].limit != 3 || ws[1].limit != 100 || ws[2].limit != 3333 {
		t.Errorf("shares: %+v", ws)
	}
}

// The log grows as calls come (a wide budget costs nothing until spent), and keeps counting
// exactly across its growth.
func TestLocalBudgetGrows(t *testing.T) {
	o := &Options{}
	o.setDefaults()
	b := newLocalBudget(Budget{PerSecond: -1, PerMinute: 500, PerHour: -1}.windows(o, 1))
	if len(b.ring) != 64 {
		t.Fatalf("a new log holds %d, want 64", len(b.ring))
	}
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range 500 {
		if _, ok := b.take(classMoney, t0.Add(time.Duration(i)*10*time.Millisecond)); !ok {
			t.Fatalf("call %d refused", i)
		}
	}
	if len(b.ring) != 500 {
		t.Errorf("the log grew to %d, want 500 (the limit)", len(b.ring))
	}
	if _, ok := b.take(classMoney, t0.Add(6*time.Second)); ok {
		t.Fatal("a 501st call in a minute went out")
	}
	// 62 s (the minute and its margin) after the first call, one more fits.
	if _, ok := b.take(classMoney, t0.Add(62*time.Second+time.Millisecond)); !ok {
		t.Fatal("the window slid past the first call, but the call was refused")
	}
}

// TestFallbackBudgetKeepsItsCallsForANewShare: a fallback budget replaced when the number of
// replicas changes keeps the calls recorded in it, and recorded calls count against a share
// whatever its limits.
func TestFallbackBudgetKeepsItsCallsForANewShare(t *testing.T) {
	o := &Options{}
	o.setDefaults()
	ten := &tenant{cfg: TenantConfig{Key: "s", Budget: &Budget{PerSecond: -1, PerMinute: 40, PerHour: -1}}}
	now := time.Now()
	two := ten.fallbackBudget(o, 2) // 20 a minute each
	// Through Redis: more than this replica's share, as Redis allowed.
	for range 25 {
		two.record(now)
	}
	if left := two.left(now); left[0].Limit != 20 || left[0].Left != 0 {
		t.Fatalf("two replicas: %+v, want 0 of 20 left", left)
	}
	if ten.fallbackBudget(o, 2) != two {
		t.Fatal("the same share made anew")
	}
	one := ten.fallbackBudget(o, 1) // the other replica went: 40 a minute
	if left := one.left(now); left[0].Limit != 40 || left[0].Left != 15 {
		t.Fatalf("one replica: %+v, want 15 of 40 left (25 calls kept)", left)
	}
}

// TestFallbackLogStaysSmallAndInOrder: the fallback log forgets the calls no window holds any
// more as it records (it records every call Redis allows, for hours), and stays in time
// order while it is replaced for a new number of replicas under concurrent calls (its counts
// search it by time).
func TestFallbackLogStaysSmallAndInOrder(t *testing.T) {
	o := &Options{}
	o.setDefaults()
	ten := &tenant{cfg: TenantConfig{Key: "s", Budget: &Budget{PerSecond: -1, PerMinute: -1, PerHour: 1_000_000}}}
	b := ten.fallbackBudget(o, 1)
	t0 := time.Now()
	for i := range 6000 { // three hours of calls, one each 1.8 s: the hour holds 2,000
		b.record(t0.Add(time.Duration(i) * 1800 * time.Millisecond))
	}
	if b.n > 2002 || len(b.ring) > 4096 {
		t.Errorf("after three hours of calls the log keeps %d in a ring of %d: the hour holds 2,000", b.n, len(b.ring))
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					ten.fallbackBudget(o, 1+int(time.Now().UnixNano()%3)).record(time.Now())
				}
			}
		})
	}
	for i := range 200 {
		ten.fallbackBudget(o, 1+i%3)
	}
	close(stop)
	wg.Wait()
	cur := ten.fallback.Load()
	cur.mu.Lock()
	defer cur.mu.Unlock()
	for i := 1; i < cur.n; i++ {
		if cur.at(i) < cur.at(i-1) {
			t.Fatalf("the log is out of time order at %d of %d", i, cur.n)
		}
	}
}
