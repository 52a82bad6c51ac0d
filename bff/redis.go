package bff

// Over 400 lines: everything the replicas keep in Redis (keys, Lua scripts, their fallbacks)
// is here, so the shared data model reads in one place.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// sharedState is what the replicas share through Redis (Options.RedisURL):
//   - each shopper's generation, bumped by a write (redeem, use-redeemed, reverse) on any
//     replica, and read by every request of the shopper (one GET): local cache entries of an
//     older generation are dropped, so a write on one replica is seen at once on the others;
//   - the view's parts, fetched by one replica and read by the others, under the shopper's
//     generation (a part fetched before a write is never found after it);
//   - each store's budget: a sliding log of its calls per window, spent atomically by a Lua
//     script, which also honours the platform's 429 hold (set by the replica that got it);
//   - the per-client limits: logins (per address, and refused ones), calls per shopper, and
//     each client's share of its store's budget (GCRA, one Lua script).
//
// Redis unreachable (or slower than RedisTimeout): the call that found out falls back to this
// replica's own state, the fault is logged once, and Redis is not asked again until a
// heartbeat (every 2 seconds) gets through; then the local cache is emptied (writes on other
// replicas may have been missed meanwhile) and the replicas share again.
type sharedState struct {
	o       *Options
	log     *slog.Logger
	id      string                         // this replica's, in the heartbeats and the budget's log
	seq     atomic.Uint64                  // numbers this replica's entries in the budgets' logs
	warned  atomic.Bool                    // the outage under way is logged
	client  atomic.Pointer[rueidis.Client] // nil until connected
	healthy atomic.Bool
	count   atomic.Int64 // live replicas, from the heartbeats
	onBack  func()       // Redis answers again after an outage: what this replica kept alone is dropped
	epoch   string       // the Redis this replica last shared through (a restarted one lost every generation)
	// bumps are the writes whose generation bump did not reach Redis: bumped again as soon
	// as it answers, so the other replicas learn of them
	mu    sync.Mutex
	bumps map[string]bool
	stop  chan struct{}
	done  sync.WaitGroup
}

// Redis keys, all under one prefix.
const (
	redisPrefix     = "bff:"
	redisGenTTL     = 2 * time.Hour // longer than any token (and so any cached part) lives
	heartbeatEvery  = 2 * time.Second
	heartbeatExpiry = 3 * heartbeatEvery
)

func newSharedState(o *Options, onBack func()) *sharedState {
	if o.RedisURL == "" {
		return nil
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	r := &sharedState{o: o, log: o.Logger, id: hex.EncodeToString(b), onBack: onBack, stop: make(chan struct{}), bumps: map[string]bool{}}
	r.count.Store(1)
	r.done.Add(1)
	go r.run()
	return r
}

// run connects (again and again, until it can), then beats: says this replica is alive,
// counts the live ones, and finds out whether Redis answers again after an outage.
func (r *sharedState) run() {
	defer r.done.Done()
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	for {
		if r.client.Load() == nil {
			r.connect()
		}
		if c := r.client.Load(); c != nil {
			r.beat(*c)
		}
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
	}
}

func (r *sharedState) connect() {
	opt, err := rueidis.ParseURL(r.o.RedisURL)
	if err != nil {
		return // Validate refused it already
	}
	opt.Dialer.Timeout = max(r.o.RedisTimeout, time.Second)
	opt.ConnWriteTimeout = max(r.o.RedisTimeout, time.Second)
	opt.DisableRetry = true // a retry would outlast RedisTimeout: the replica carries on alone instead
	opt.ClientName = "bff-" + r.id
	c, err := rueidis.NewClient(opt)
	if err != nil {
		r.down(err)
		return
	}
	r.client.Store(&c)
}

// beat says this replica is alive and counts the live ones.
func (r *sharedState) beat(c rueidis.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), max(r.o.RedisTimeout, time.Second))
	defer cancel()
	now := time.Now().UnixMilli()
	key, epochKey := redisPrefix+"replicas", redisPrefix+"epoch"
	res := c.DoMulti(ctx,
		c.B().Zadd().Key(key).ScoreMember().ScoreMember(float64(now), r.id).Build(),
		c.B().Zremrangebyscore().Key(key).Min("-inf").Max(strconv.FormatInt(now-heartbeatExpiry.Milliseconds(), 10)).Build(),
		c.B().Zcard().Key(key).Build(),
		c.B().Pexpire().Key(key).Milliseconds(heartbeatExpiry.Milliseconds()).Build(),
		c.B().Set().Key(epochKey).Value(r.id+strconv.FormatInt(now, 36)).Nx().Build(),
		c.B().Get().Key(epochKey).Build())
	for i, x := range res {
		if err := x.Error(); err != nil && (i != 4 || !rueidis.IsRedisNil(err)) {
			r.down(err)
			return
		}
	}
	if n, err := res[2].AsInt64(); err == nil {
		r.count.Store(max(1, n))
	}
	epoch, _ := res[5].ToString()
	// A Redis that was restarted (or emptied) has lost every generation: what this replica
	// kept under the old ones must go, even if it never noticed the outage.
	restarted := r.epoch != "" && epoch != r.epoch
	r.epoch = epoch
	back := !r.healthy.Swap(true)
	r.warned.Store(false)
	if back {
		r.log.Info("redis: sharing state with the other replicas", "replicas", r.count.Load())
	}
	if (back || restarted) && r.onBack != nil {
		r.onBack()
	}
	r.mu.Lock()
	owed := r.bumps
	r.bumps = map[string]bool{}
	r.mu.Unlock()
	for shopper := range owed {
		if err := r.bump(ctx, shopper); err != nil {
			return // kept again by bump
		}
	}
}

// down marks Redis unreachable (logged once per outage): until a heartbeat gets through, the
// replica works alone.
func (r *sharedState) down(err error) {
	r.healthy.Store(false)
	if !r.warned.Swap(true) {
		r.log.Warn("redis: unreachable; this replica carries on alone, with its share of each store's budget", "err", err)
	}
}

// use returns the client when Redis is there to be asked.
func (r *sharedState) use() rueidis.Client {
	if r == nil || !r.healthy.Load() {
		return nil
	}
	if c := r.client.Load(); c != nil {
		return *c
	}
	return nil
}

// call runs one Redis exchange within RedisTimeout; an error other than a missing key marks
// Redis down.
func (r *sharedState) call(ctx context.Context, f func(context.Context, rueidis.Client) error) error {
	c := r.use()
	if c == nil {
		return errRedisDown
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.RedisTimeout)
	defer cancel()
	err := f(ctx, c)
	if err != nil && !rueidis.IsRedisNil(err) {
		r.down(err)
	}
	return err
}

var errRedisDown = errors.New("redis is not reachable")

// replicas is how many replicas share each budget: the live ones last counted, or
// Options.Replicas when it says more.
func (r *sharedState) replicas() int {
	return max(int(r.count.Load()), r.o.Replicas)
}

func (r *sharedState) close() {
	if r == nil {
		return
	}
	close(r.stop)
	r.done.Wait()
	if c := r.client.Load(); c != nil {
		(*c).Close()
	}
}

// genKey is the Redis key of a shopper's generation.
func genKey(shopper string) string { return redisPrefix + "g:" + shopper }

// generation is the shopper's generation (0 before any write): one round trip. (Redis'
// client-side caching would save it, but its invalidations arrive after the writer's own
// reply and, measured here, often after the next read on another replica: 119 reads in 600
// right after a bump saw the old generation. A read after a write must see it.)
func (r *sharedState) generation(ctx context.Context, shopper string) (uint64, error) {
	var gen uint64
	err := r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		v, err := c.Do(ctx, c.B().Get().Key(genKey(shopper)).Build()).AsUint64()
		if rueidis.IsRedisNil(err) {
			return nil
		}
		gen = v
		return err
	})
	if rueidis.IsRedisNil(err) {
		err = nil
	}
	return gen, err
}

// bump starts a new generation for the shopper, on every replica (after a write). One that
// cannot reach Redis is owed: done again as soon as Redis answers.
func (r *sharedState) bump(ctx context.Context, shopper string) error {
	_, err := r.bumpTo(ctx, shopper)
	return err
}

// bumpTo is bump, saying the generation it started.
func (r *sharedState) bumpTo(ctx context.Context, shopper string) (uint64, error) {
	var gen uint64
	err := r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		key := genKey(shopper)
		res := c.DoMulti(ctx, c.B().Incr().Key(key).Build(), c.B().Pexpire().Key(key).Milliseconds(redisGenTTL.Milliseconds()).Build())
		for _, x := range res {
			if err := x.Error(); err != nil {
				return err
			}
		}
		v, err := res[0].AsInt64()
		if err != nil || v < 0 {
			return fmt.Errorf("INCR %s: %v, %w", key, v, err)
		}
		gen = uint64(v)
		return nil
	})
	if err != nil {
		r.mu.Lock()
		if len(r.bumps) < maxOwedBumps {
			r.bumps[shopper] = true
		}
		r.mu.Unlock()
	}
	return gen, err
}

// maxOwedBumps bounds the writes remembered while Redis is away (past it, the other
// replicas' copies of those shoppers expire with CacheTTL + CacheStale).
const maxOwedBumps = 100_000

// partKey is the Redis key of a shopper's part in a generation.
func partKey(shopper string, gen uint64, key string) string {
	return redisPrefix + "p:" + shopper + "\x00" + strconv.FormatUint(gen, 10) + "\x00" + key
}

// getPart returns a part another replica (or this one) fetched, and its age.
func (r *sharedState) getPart(ctx context.Context, shopper string, gen uint64, key string) ([]byte, time.Duration, bool) {
	var b []byte
	if err := r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		var err error
		b, err = c.Do(ctx, c.B().Get().Key(partKey(shopper, gen, key)).Build()).AsBytes()
		return err
	}); err != nil || len(b) < 8 {
		return nil, 0, false
	}
	fetched := time.UnixMilli(int64(binary.BigEndian.Uint64(b))) //nolint:gosec // G115: written by putPart from a time
	return b[8:], max(0, r.o.Now().Sub(fetched)), true
}

// putPart keeps a part for the other replicas, for ttl.
func (r *sharedState) putPart(ctx context.Context, shopper string, gen uint64, key string, body []byte, ttl time.Duration) {
	v := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint64(v, uint64(r.o.Now().UnixMilli())) //nolint:gosec // G115: a time after 1970
	v = append(v, body...)
	_ = r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		return c.Do(ctx, c.B().Set().Key(partKey(shopper, gen, key)).Value(rueidis.BinaryString(v)).Px(ttl).Build()).Error()
	})
}

// budgetScript spends one call from a store's sliding log (a sorted set of calls by time, in
// Redis' own clock, so the replicas' clocks do not matter), or says how long until one is
// there: in every window, fewer calls than the class's limit. A 429 hold from the platform
// answers its remaining time. KEYS: the log, the hold. ARGV: a unique member, the number of
// windows, then each window's size (ms) and the class's limit in it.
var budgetScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('PTTL', KEYS[2])
if held > 0 then return {0, held} end
local n = tonumber(ARGV[2])
local longest, wait = 0, 0
for i = 0, n - 1 do
  local size, limit = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  if size > longest then longest = size end
  local from = '(' .. (now - size)
  if redis.call('ZCOUNT', KEYS[1], from, '+inf') >= limit then
    local r = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', from, 'WITHSCORES', 'LIMIT', limit - 1, 1)
    local w = tonumber(r[2]) + size - now + 1
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, wait} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], longest)
return {1, 0}
`)

func budgetKeys(tenantKey string) []string {
	return []string{redisPrefix + "b:" + tenantKey, redisPrefix + "h:" + tenantKey}
}

// takeBudget spends one call of class from the store's shared budget.
func (r *sharedState) takeBudget(ctx context.Context, t *tenant, class callClass) (time.Duration, bool, error) {
	ws := t.windows
	args := make([]string, 0, 2+2*len(ws))
	args = append(args, r.id+":"+strconv.FormatUint(r.seq.Add(1), 36), strconv.Itoa(len(ws)))
	for _, w := range ws {
		args = append(args, strconv.FormatInt(w.size.Milliseconds(), 10), strconv.Itoa(w.limits[class]))
	}
	var res []int64
	err := r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		var err error
		res, err = budgetScript.Exec(ctx, c, budgetKeys(t.cfg.Key), args).AsIntSlice()
		return err
	})
	if err != nil || len(res) != 2 {
		return 0, false, errors.Join(err, errRedisDown)
	}
	return time.Duration(res[1]) * time.Millisecond, res[0] == 1, nil
}

// budgetLeft is what each window of a store's shared budget has left (for the metrics).
func (r *sharedState) budgetLeft(ctx context.Context, t *tenant) ([]budgetWindowLeft, error) {
	var out []budgetWindowLeft
	err := r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		now := time.Now().UnixMilli()
		key := budgetKeys(t.cfg.Key)[0]
		for _, w := range t.windows {
			n, err := c.Do(ctx, c.B().Zcount().Key(key).Min("("+strconv.FormatInt(now-w.size.Milliseconds(), 10)).Max("+inf").Build()).AsInt64()
			if err != nil {
				return err
			}
			out = append(out, budgetWindowLeft{Window: w.name, Limit: w.limit, Left: max(0, w.limit-int(n))})
		}
		return nil
	})
	return out, err
}

// hold answers the store's calls 429 on every replica for d (the platform's Retry-After).
func (r *sharedState) hold(ctx context.Context, tenantKey string, d time.Duration) {
	_ = r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		return c.Do(ctx, c.B().Set().Key(budgetKeys(tenantKey)[1]).Value("1").Px(d).Build()).Error()
	})
}

// limitScript is a GCRA token bucket per key (a burst, then one more each interval): mode
// "take" spends one or says how long until one is there; "peek" only says how long;
// "spend" spends one even when there is none (the bucket goes into debt). KEYS: the bucket,
// and optionally a shopper's generation key. ARGV: the interval (ms), the burst, the mode.
// The answer: the wait in ms (0: allowed); with the second key, {the wait, the generation}
// ("0" before any write), so that a request reads both in one round trip.
var limitScript = rueidis.NewLuaScript(`
local function answer(wait)
  if #KEYS > 1 then return {wait, redis.call('GET', KEYS[2]) or '0'} end
  return wait
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local every, burst, mode = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local tat = now
local v = redis.call('GET', KEYS[1])
if v then tat = math.max(now, tonumber(v)) end
local allowAt = tat + every - burst * every
if mode == 'peek' then return answer(math.max(0, allowAt - now)) end
if mode == 'take' and now < allowAt then return answer(allowAt - now) end
redis.call('SET', KEYS[1], tat + every, 'PX', math.max(1, tat + every - now))
return answer(0)
`)

// limitArgs are the limit script's arguments.
func limitArgs(every time.Duration, burst int, mode string) []string {
	return []string{strconv.FormatInt(max(1, every.Milliseconds()), 10), strconv.Itoa(burst), mode}
}

// limit runs the GCRA script for a key of a limit.
func (r *sharedState) limit(ctx context.Context, name, key string, every time.Duration, burst int, mode string) (time.Duration, error) {
	var wait int64
	err := r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		var err error
		wait, err = limitScript.Exec(ctx, c, []string{redisPrefix + "l:" + name + ":" + key}, limitArgs(every, burst, mode)).AsInt64()
		return err
	})
	return time.Duration(wait) * time.Millisecond, err
}

// shopperLimit takes one of a shopper's calls and reads the shopper's generation, in one
// round trip (a request needs both: its limit first, then the generation its cache lookup
// is made at).
func (r *sharedState) shopperLimit(ctx context.Context, shopper string, every time.Duration, burst int) (time.Duration, uint64, error) {
	var wait int64
	var gen uint64
	err := r.call(ctx, func(ctx context.Context, c rueidis.Client) error {
		a, err := limitScript.Exec(ctx, c, []string{redisPrefix + "l:shopper:" + shopper, genKey(shopper)}, limitArgs(every, burst, "take")).ToArray()
		if err != nil {
			return err
		}
		if len(a) != 2 {
			return fmt.Errorf("limit script: %d values, want 2", len(a))
		}
		if wait, err = a[0].AsInt64(); err != nil {
			return err
		}
		gen, err = a[1].AsUint64()
		return err
	})
	return time.Duration(wait) * time.Millisecond, gen, err
}
