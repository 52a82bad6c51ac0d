package bff

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"golang.org/x/sync/singleflight"
)

// cachePerShopper bounds the answers kept for one shopper (one per purchase value and cart).
const cachePerShopper = 8

// listingCache keeps available-rewards answers (raw upstream bodies) per tenant and shopper.
// Keys come only from authenticated values (the token's audience and subject) and validated
// ones (the purchase value in cents, the cart id). Memory is bounded: at most maxShoppers
// shoppers, each with at most cachePerShopper answers. Identical concurrent misses share one
// upstream call.
type listingCache struct {
	c           *gocache.Cache
	ttl         time.Duration
	maxShoppers int
	flight      singleflight.Group
}

// shopperListings is one shopper's cached answers. Dropping the shopper's cache item orphans
// it, so an answer fetched before a redeem and stored after it is never served.
type shopperListings struct {
	gen uint64 // new for every item: in-flight calls of a dropped item are not shared
	mu  sync.Mutex
	m   map[string]cachedListing
}

var generations atomic.Uint64

type cachedListing struct {
	body    []byte
	expires time.Time
}

func newListingCache(ttl time.Duration, maxShoppers int) *listingCache {
	if ttl <= 0 {
		return nil
	}
	return &listingCache{c: gocache.New(ttl, 2*ttl+time.Minute), ttl: ttl, maxShoppers: maxShoppers}
}

func shopperKey(tenant, subject string) string { return tenant + "\x00" + subject }

// entries returns the shopper's item, creating it when there is room.
func (lc *listingCache) entries(shopper string) *shopperListings {
	for {
		if v, ok := lc.c.Get(shopper); ok {
			return v.(*shopperListings)
		}
		if lc.c.ItemCount() >= lc.maxShoppers {
			lc.c.DeleteExpired()
			if lc.c.ItemCount() >= lc.maxShoppers {
				return nil
			}
		}
		e := &shopperListings{gen: generations.Add(1), m: map[string]cachedListing{}}
		// The item outlives its answers by nothing: each answer has its own expiry, and the
		// item is renewed whenever an answer is stored.
		if lc.c.Add(shopper, e, lc.ttl) == nil {
			return e
		}
	}
}

// get returns a cached answer, or calls fetch once for all concurrent callers of the same key
// and keeps a successful answer. Callers share a call only within one generation of the
// shopper's item: after a drop, a new caller never gets an answer fetched before it.
func (lc *listingCache) get(shopper, variant string, now time.Time, fetch func() (upstreamReply, *HTTPError)) (upstreamReply, *HTTPError) {
	if lc == nil {
		return fetch()
	}
	e := lc.entries(shopper)
	flightKey := shopper + "\x00" + variant
	if e != nil {
		flightKey += "\x00" + strconv.FormatUint(e.gen, 10)
		e.mu.Lock()
		hit, ok := e.m[variant]
		e.mu.Unlock()
		if ok && now.Before(hit.expires) {
			return upstreamReply{status: 200, body: hit.body}, nil
		}
	}
	type result struct {
		r   upstreamReply
		err *HTTPError
	}
	v, _, _ := lc.flight.Do(flightKey, func() (any, error) {
		r, err := fetch()
		if err == nil && r.status == 200 && e != nil {
			e.mu.Lock()
			if _, has := e.m[variant]; !has && len(e.m) >= cachePerShopper {
				var oldest string
				var at time.Time
				for k, old := range e.m { // drop the one closest to expiry
					if oldest == "" || old.expires.Before(at) {
						oldest, at = k, old.expires
					}
				}
				delete(e.m, oldest)
			}
			e.m[variant] = cachedListing{body: r.body, expires: now.Add(lc.ttl)}
			e.mu.Unlock()
			lc.c.Replace(shopper, e, lc.ttl) // no-op if dropped meanwhile
		}
		return result{r, err}, nil
	})
	res := v.(result)
	return res.r, res.err
}

// drop forgets a shopper's answers, after anything that changes their points or cart.
func (lc *listingCache) drop(shopper string) {
	if lc != nil {
		lc.c.Delete(shopper)
	}
}
