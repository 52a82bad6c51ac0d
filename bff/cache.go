package bff

// Over 400 lines: the cache and the byte bound go-cache lacks, which must be read together
// (every store and drop keeps both in step).

import (
	"container/heap"
	"container/list"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"golang.org/x/sync/singleflight"
)

// cache keeps what the BFF can answer again without the platform, for CacheTTL:
//   - per tenant and shopper (the key comes from a verified token only): the parts of the
//     checkout view (the listing, the redeemed list, the applied state: platform answers,
//     decoded once) and the final answers (encoded bytes, per route, variant and locale), so
//     a hit writes stored bytes and does no JSON work;
//   - verified tokens, so a hit does no signature check, no JSON and no unsealing.
//
// go-cache holds the shoppers and the tokens, by key, with their expiry. What go-cache lacks
// is the piece below it (about a hundred lines over container/list and container/heap): a
// bound in bytes with the least recently used entry out first, so a full cache still stores
// a new shopper; and expiry that frees an entry when its time comes (a timer on the earliest
// one) rather than when a janitor next sweeps the whole map. Maintained libraries were
// weighed: hashicorp/golang-lru bounds by count, not bytes; ristretto bounds by cost but its
// admission policy may refuse a new shopper and it is not LRU; neither would keep go-cache.
//
// Concurrent identical misses share one platform call (per shopper generation, below), and
// that call runs detached from any one caller, with its own deadline: a shopper who leaves
// does not fail the others who joined it.
//
// Invalidation: a write (redeem, use-redeemed, reverse) drops the shopper. The dropped
// shopper object is marked gone: calls under way for it finish, but store nothing, and
// nobody joins them any more; the next request makes a new shopper object (a new
// generation) with its own calls. A request that starts after a write has been answered can
// therefore never see an answer fetched before it.
type cache struct {
	ttl      time.Duration
	stale    time.Duration // how long past ttl a listing part may still be answered, marked stale
	maxBytes int64
	now      func() time.Time // the clock answers are checked against (tests set it)
	shoppers *gocache.Cache   // tenant "\x00" subject -> *shopperCache
	tokens   *gocache.Cache   // token -> *entry holding a *verifiedToken

	mu      sync.Mutex
	used    int64
	lru     list.List  // of *entry, the most recently used first
	byTime  entryQueue // of *entry, the first to be freed first
	timer   *time.Timer
	timerAt time.Time
	gens    uint64

	hits, misses, evictions atomic.Int64
}

// Sizes counted for what is not the values' bytes: an entry (its struct, list element, map
// slot, queue slot), a shopper (struct, map, flight group, go-cache item). Conservative.
const (
	entryOverhead   = 256
	shopperOverhead = 512
)

// expiryGrace is how much later than the cache's own time go-cache's expiry of an item is:
// the timer frees an item at its time, and finds it still in go-cache to delete it.
const expiryGrace = time.Second

// entry is one cached value.
type entry struct {
	key     string
	sh      *shopperCache // nil for a token
	value   any
	size    int64
	fetched time.Time // by the cache's clock: its age is counted from then
	expires time.Time // by the cache's clock: never served fresh from then on
	stale   time.Time // by the cache's clock: never served at all from then on
	release time.Time // by the wall clock: freed then
	elem    *list.Element
	qi      int // index in byTime
}

// shopperCache is one shopper's cached parts and answers, and the platform calls under way
// for them. A new one is a new generation: it shares no call with the one it replaces.
type shopperCache struct {
	key    string
	gen    uint64
	rgen   int64 // the shopper's generation in Redis when this was made; -1: not known (no Redis)
	flight singleflight.Group
	// guarded by cache.mu:
	entries map[string]*entry
	calls   int  // flights under way
	gone    bool // dropped or emptied: nothing is stored in it any more
}

// newCache makes a cache; nil (no cache, no shared calls) when ttl is not positive.
func newCache(ttl, stale time.Duration, maxBytes int64, now func() time.Time) *cache {
	if ttl <= 0 {
		return nil
	}
	// No janitor: entries are freed at their time by the timer below.
	return &cache{ttl: ttl, stale: max(0, stale), maxBytes: maxBytes, now: now, shoppers: gocache.New(ttl+stale, 0), tokens: gocache.New(ttl, 0)}
}

// lookup returns the shopper's cache, or nil when there is none.
func (c *cache) lookup(key string) *shopperCache {
	if v, ok := c.shoppers.Get(key); ok {
		return v.(*shopperCache)
	}
	return nil
}

// lookupAt returns the shopper's cache, or nil when there is none or it is older than rgen
// (the shopper's generation in Redis: a write on another replica); an older one is dropped.
// rgen -1 (not known) takes any.
func (c *cache) lookupAt(key string, rgen int64) *shopperCache {
	sh := c.lookup(key)
	if sh != nil && sh.rgen < rgen {
		c.drop(key)
		return nil
	}
	return sh
}

// shopper returns the shopper's cache, making it when there is none or the one there is
// older than rgen (to fetch for it: a shopper with nothing kept and no call under way is
// forgotten).
func (c *cache) shopper(key string, rgen int64) *shopperCache {
	if sh := c.lookupAt(key, rgen); sh != nil {
		return sh
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.shoppers.Get(key); ok {
		sh := v.(*shopperCache)
		if sh.rgen >= rgen {
			return sh
		}
		for _, e := range sh.entries { // older than a write on another replica
			c.remove(e)
		}
		c.forget(sh)
	}
	c.gens++
	sh := &shopperCache{key: strings.Clone(key), gen: c.gens, rgen: rgen, entries: map[string]*entry{}}
	c.shoppers.Set(sh.key, sh, c.ttl+c.stale+expiryGrace)
	c.used += shopperOverhead
	c.evict()
	return sh
}

// get returns a value kept for the shopper under key, if it has not expired.
func (c *cache) get(sh *shopperCache, key []byte) (any, *entry) {
	c.mu.Lock()
	e := sh.entries[string(key)]
	if e == nil || sh.gone {
		c.mu.Unlock()
		c.misses.Add(1)
		return nil, nil
	}
	if now := c.now(); !now.Before(e.expires) {
		if !now.Before(e.stale) {
			c.remove(e)
		}
		c.mu.Unlock()
		c.misses.Add(1)
		return nil, nil
	}
	c.lru.MoveToFront(e.elem)
	c.mu.Unlock()
	c.hits.Add(1)
	return e.value, e
}

// staleCopy returns a value kept for the shopper under key whose time has passed but which
// may still be answered, marked stale (the budget is short, or the platform failing), and its
// age. Only what was put with a stale period has one.
func (c *cache) staleCopy(sh *shopperCache, key string) (any, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := sh.entries[key]
	if e == nil || sh.gone {
		return nil, 0
	}
	now := c.now()
	if !now.Before(e.stale) {
		c.remove(e)
		return nil, 0
	}
	return e.value, now.Sub(e.fetched)
}

// hasStale says whether a stale copy is kept for the shopper under key.
func (c *cache) hasStale(sh *shopperCache, key string) bool {
	if sh == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := sh.entries[key]
	return e != nil && !sh.gone && c.now().Before(e.stale)
}

// put keeps value (size bytes) for the shopper under key, unless the shopper was dropped
// meanwhile or the value alone is over the bound. It returns the entry, or nil. A value put
// with canStale may be answered stale for the cache's stale period after its time.
func (c *cache) put(sh *shopperCache, key string, value any, size int64, canStale bool) *entry {
	return c.putAged(sh, key, value, size, canStale, 0)
}

// putAged is put for a value already age old (fetched by another replica): it expires that
// much sooner.
func (c *cache) putAged(sh *shopperCache, key string, value any, size int64, canStale bool, age time.Duration) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sh.gone {
		return nil
	}
	stale := time.Duration(0)
	if canStale {
		stale = c.stale
	}
	e := c.add(key, sh, value, size, c.ttl-age, stale)
	if e == nil {
		return nil
	}
	if old := sh.entries[key]; old != nil {
		c.remove(old)
	}
	sh.entries[key] = e
	c.shoppers.Set(sh.key, sh, c.ttl+c.stale+expiryGrace) // go-cache's expiry: after the newest entry's
	c.evict()
	return e
}

// add makes an entry and counts it, or returns nil when it is over the bound by itself.
// c.mu is held.
func (c *cache) add(key string, sh *shopperCache, value any, size int64, ttl, stale time.Duration) *entry {
	size += int64(len(key)) + entryOverhead
	if size > c.maxBytes || ttl+stale <= 0 {
		return nil
	}
	now := c.now()
	e := &entry{key: key, sh: sh, value: value, size: size, fetched: now.Add(-(c.ttl - ttl)), expires: now.Add(ttl),
		stale: now.Add(ttl + stale), release: time.Now().Add(ttl + stale)}
	e.elem = c.lru.PushFront(e)
	heap.Push(&c.byTime, e)
	c.used += size
	c.schedule()
	return e
}

// grow counts more bytes for the entry holding value (a compressed form of an answer, made
// on first use), if it is still kept.
func (c *cache) grow(sh *shopperCache, key string, value any, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := sh.entries[key]
	if e == nil || e.value != value {
		return
	}
	e.size += n
	c.used += n
	c.evict()
}

// evict removes the least recently used entries while the cache is over its bound. c.mu is
// held.
func (c *cache) evict() {
	for c.used > c.maxBytes && c.lru.Len() > 0 {
		c.remove(c.lru.Back().Value.(*entry))
		c.evictions.Add(1)
	}
}

// remove forgets an entry, and its shopper once it has nothing left. c.mu is held.
func (c *cache) remove(e *entry) {
	if e.elem == nil {
		return
	}
	c.lru.Remove(e.elem)
	e.elem = nil
	heap.Remove(&c.byTime, e.qi)
	c.used -= e.size
	if e.sh == nil {
		if v, ok := c.tokens.Get(e.key); !ok || v == e {
			c.tokens.Delete(e.key) // ours, or expired in go-cache (invisible already): either way, freed
		}
		return
	}
	if e.sh.entries[e.key] == e {
		delete(e.sh.entries, e.key)
	}
	if len(e.sh.entries) == 0 && e.sh.calls == 0 {
		c.forget(e.sh)
	}
}

// forget takes a shopper out of go-cache and marks it gone. c.mu is held.
func (c *cache) forget(sh *shopperCache) {
	if sh.gone {
		return
	}
	sh.gone = true
	c.used -= shopperOverhead
	if v, ok := c.shoppers.Get(sh.key); !ok || v == sh {
		c.shoppers.Delete(sh.key) // ours, or expired in go-cache (invisible already): either way, freed
	}
}

// drop forgets everything kept for a shopper (after a write: their points, redemptions or
// applied reward changed). Calls under way for it keep going but store nothing, and no new
// request joins them. It returns the dropped cache's gen (0: there was none).
func (c *cache) drop(key string) uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.shoppers.Get(key)
	if !ok {
		return 0
	}
	sh := v.(*shopperCache)
	for _, e := range sh.entries {
		c.remove(e)
	}
	c.forget(sh)
	return sh.gen
}

// flush forgets everything kept for every shopper (Redis answers again after an outage: a
// write on another replica may have been missed meanwhile).
func (c *cache) flush() {
	if c == nil {
		return
	}
	for k := range c.shoppers.Items() {
		c.drop(k)
	}
}

// dropTenant forgets everything kept for a store's shoppers (the store was removed or its
// configuration changed). Tokens are keyed by the token alone: a removed store's requests are
// refused before a token is looked at, and a changed store's expire with the TTL.
func (c *cache) dropTenant(key string) {
	if c == nil {
		return
	}
	prefix := key + "\x00"
	for k := range c.shoppers.Items() {
		if strings.HasPrefix(k, prefix) {
			c.drop(k)
		}
	}
}

// shared runs fetch once for every concurrent caller with the same shopper and key. It runs
// in the first caller's goroutine (no hand-off: a miss costs no scheduler round trip), but
// detached from it: fetch gets a context that no caller's cancellation reaches, and the
// platform call has its own deadline, so a caller who leaves does not fail the others who
// joined it. fetch keeps what it fetched (put) before it returns. A panic in fetch is an
// error for its callers, not the end of the process.
//
// joined says the caller did not run fetch: it shared a call another had started.
func (c *cache) shared(ctx context.Context, sh *shopperCache, key string, fetch func(context.Context) (any, error)) (v any, err error, joined bool) {
	detached := context.WithoutCancel(ctx)
	joined = true
	v, err, _ = sh.flight.Do(key, func() (v any, err error) {
		joined = false
		c.mu.Lock()
		sh.calls++
		c.mu.Unlock()
		defer func() {
			if p := recover(); p != nil {
				v, err = nil, fmt.Errorf("panic in a shared call: %v", p)
			}
			c.mu.Lock()
			sh.calls--
			if len(sh.entries) == 0 && sh.calls == 0 {
				c.forget(sh)
			}
			c.mu.Unlock()
		}()
		return fetch(detached)
	})
	return v, err, joined
}

// token returns a verified token kept under its text.
func (c *cache) token(tok string) *verifiedToken {
	v, ok := c.tokens.Get(tok)
	if !ok {
		return nil
	}
	e := v.(*entry)
	c.mu.Lock()
	if e.elem == nil || !c.now().Before(e.expires) {
		c.remove(e)
		c.mu.Unlock()
		return nil
	}
	c.lru.MoveToFront(e.elem)
	c.mu.Unlock()
	return e.value.(*verifiedToken)
}

// putToken keeps a verified token, for at most ttl.
func (c *cache) putToken(tok string, v *verifiedToken, ttl time.Duration) {
	ttl = min(ttl, c.ttl)
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.add(tok, nil, v, v.size(), ttl, 0)
	if e == nil {
		return
	}
	if old, ok := c.tokens.Get(tok); ok {
		c.remove(old.(*entry))
	}
	c.tokens.Set(tok, e, ttl+expiryGrace)
	c.evict()
}

// schedule arms the timer for the first entry to be freed. c.mu is held.
func (c *cache) schedule() {
	if len(c.byTime) == 0 {
		return
	}
	at := c.byTime[0].release
	if c.timer != nil && !c.timerAt.IsZero() && !at.Before(c.timerAt) {
		return // armed for that time or earlier
	}
	c.timerAt = at
	if c.timer == nil {
		c.timer = time.AfterFunc(time.Until(at), c.expire)
		return
	}
	c.timer.Reset(time.Until(at))
}

// expire frees every entry whose time has come, then arms the timer for the next one.
func (c *cache) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for len(c.byTime) > 0 && !c.byTime[0].release.After(now) {
		c.remove(c.byTime[0])
	}
	c.timerAt = time.Time{}
	c.schedule()
}

// stats are the cache's counters, for tests and benchmarks.
func (c *cache) stats() (used int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, c.lru.Len()
}

// entryQueue is a min-heap of entries by release time.
type entryQueue []*entry

func (q entryQueue) Len() int           { return len(q) }
func (q entryQueue) Less(i, j int) bool { return q[i].release.Before(q[j].release) }
func (q entryQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].qi, q[j].qi = i, j
}
func (q *entryQueue) Push(x any) {
	e := x.(*entry)
	e.qi = len(*q)
	*q = append(*q, e)
}
func (q *entryQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	e.qi = -1
	return e
}
