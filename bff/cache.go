package bff

import (
	"sync"
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
	mu sync.Mutex
	m  map[string]cachedListing
}

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
		e := &shopperListings{m: map[string]cachedListing{}}
		// The item outlives its answers by nothing: each answer has its own expiry, and the
		// item is renewed whenever an answer is stored.
		if lc.c.Add(shopper, e, lc.ttl) == nil {
			return e
		}
	}
}

// get returns a cached answer, or calls fetch once for all concurrent callers of the same key
// and keeps a successful answer.
func (lc *listingCache) get(shopper, variant string, now time.Time, fetch func() (upstreamReply, *HTTPError)) (upstreamReply, *HTTPError) {
	if lc == nil {
		return fetch()
	}
	e := lc.entries(shopper)
	if e != nil {
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
	v, _, _ := lc.flight.Do(shopper+"\x00"+variant, func() (any, error) {
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
