package sandbox

import (
	"sync"
	"time"
)

// limiter counts calls in fixed windows of a second, a minute and an hour, as the platform
// documents its limits ("10 per second, 300 per minute, 10,000 per hour").
type limiter struct {
	mu      sync.Mutex
	windows []window
}

type window struct {
	size  time.Duration
	limit int
	start time.Time
	count int
}

func newLimiter(rl RateLimit) *limiter {
	l := &limiter{}
	for _, w := range []window{{size: time.Second, limit: rl.PerSecond}, {size: time.Minute, limit: rl.PerMinute}, {size: time.Hour, limit: rl.PerHour}} {
		if w.limit > 0 {
			l.windows = append(l.windows, w)
		}
	}
	return l
}

// allow counts one call at now, or refuses it with how long until every full window has room
// again. A refused call is not counted.
func (l *limiter) allow(now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for i := range l.windows {
		w := &l.windows[i]
		if start := now.Truncate(w.size); !start.Equal(w.start) {
			w.start, w.count = start, 0
		}
		if w.count >= w.limit {
			wait = max(wait, w.start.Add(w.size).Sub(now))
		}
	}
	if wait > 0 {
		return false, wait
	}
	for i := range l.windows {
		l.windows[i].count++
	}
	return true, 0
}
