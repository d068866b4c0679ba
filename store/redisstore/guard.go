package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/internal/guardcodec"
	"github.com/redis/go-redis/v9"
)

var (
	_ store.GuardStore    = (*Store)(nil)
	_ store.GuardDeferrer = (*Store)(nil)
)

// DeferGuard implements [store.GuardDeferrer]: UpdateGuard in a goroutine
// of its own, which joins the batch of this process's other guard calls.
func (s *Store) DeferGuard(now time.Time, keys []string, fn func([]*store.GuardEntry) error) {
	s.deferMu.RLock()
	defer s.deferMu.RUnlock()
	if s.noDefer {
		return
	}
	s.deferred.Add(1)
	go func() {
		defer s.deferred.Done()
		_ = s.UpdateGuard(context.Background(), now, keys, fn)
	}()
}

// The guard's entries are string keys under the prefix with the hash tag
// {guard}, so that one script can change several of them in a Redis
// Cluster (they live in one slot), plus a sorted set indexing them by
// expiry for ScanGuard.
func (s *Store) guardKey(k string) string { return s.prefix + "{guard}:" + k }
func (s *Store) guardIndex() string       { return s.prefix + "{guard}index" }

// guardReq is one UpdateGuard waiting for its batch.
type guardReq struct {
	ctx  context.Context
	now  time.Time
	keys []string
	fn   func([]*store.GuardEntry) error
	err  error
	done chan struct{} // closed when its batch ran
	lead chan struct{} // closed when it is to run the next batch
}

// guardBatcher group-commits UpdateGuard calls: the first caller to find no
// batch running becomes the leader and runs every queued call in one
// optimistic transaction; then, if calls queued meanwhile, it hands the
// lead to the first of them and returns, so no caller waits for more than
// the batch before its own and its own.
// The guard's entries are few and hot (a country's counter takes every send
// to it), so one transaction for many calls is what keeps Redis busy with
// work rather than with transactions run again.
type guardBatcher struct {
	mu      sync.Mutex
	queue   []*guardReq
	running bool
	// last is what this process last read or wrote under each key (""
	// for absent), used only by the running leader: a batch starts from it
	// and skips reading when it has every key, and the compare-and-set
	// proves it still right. Another process's write makes that one try
	// fail; the next reads afresh.
	last map[string]string
}

// maxGuardCache bounds guardBatcher.last; past it, the cache starts again.
const maxGuardCache = 8192

// maxGuardTries bounds the optimistic retries of one batch when other
// clients keep changing the same entries.
const maxGuardTries = 200

// UpdateGuard implements [store.GuardStore]: read the keys, apply fn, and
// write with a script that compares each key with what was read; if
// another client changed one in between, nothing is written and the batch
// is run again. Calls made at the same time in this process share one
// batch.
func (s *Store) UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func([]*store.GuardEntry) error) error {
	if err := s.check(ctx, now); err != nil {
		return err
	}
	if len(keys) == 0 {
		return fn(nil)
	}
	r := &guardReq{ctx: ctx, now: now, keys: keys, fn: fn, done: make(chan struct{}), lead: make(chan struct{})}
	b := &s.guardBatch
	b.mu.Lock()
	b.queue = append(b.queue, r)
	if b.running {
		b.mu.Unlock()
		select {
		case <-r.done:
			return r.err
		case <-r.lead: // the last leader handed over: run the queue
		}
		b.mu.Lock()
	}
	b.running = true
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()
	s.runGuardBatch(batch)
	for _, q := range batch {
		close(q.done)
	}
	b.mu.Lock()
	if len(b.queue) > 0 {
		close(b.queue[0].lead) // it runs the next batch; running stays true
	} else {
		b.running = false
	}
	b.mu.Unlock()
	return r.err
}

// runGuardBatch applies batch in one transaction, each call's fn on the
// entries as the calls before it left them. A call whose fn fails changes
// nothing; an error of the transaction fails every call.
func (s *Store) runGuardBatch(batch []*guardReq) {
	ctx := context.WithoutCancel(batch[0].ctx)
	var rkeys []string
	index := map[string]int{}
	for _, r := range batch {
		for _, k := range r.keys {
			if _, ok := index[k]; !ok {
				index[k] = len(rkeys)
				rkeys = append(rkeys, s.guardKey(k))
			}
		}
	}
	names := make([]string, len(rkeys))
	for k, i := range index {
		names[i] = k
	}
	// One try: read every key (from the cache of the last batch when it
	// has them all), apply the calls in order, and write with
	// casGuardScript, which writes only if no key changed since the read.
	// One round trip, or two when a key must be read, where WATCH, GET,
	// MULTI/EXEC and UNWATCH took four.
	cache := &s.guardBatch.last
	step := func(fresh bool) (bool, error) {
		read := make([]string, len(rkeys))
		var missing []int
		for i, rk := range rkeys {
			v, ok := (*cache)[rk]
			if fresh || !ok {
				missing = append(missing, i)
			}
			read[i] = v
		}
		cached := len(missing) < len(rkeys)
		if len(missing) > 0 {
			mk := make([]string, len(missing))
			for j, i := range missing {
				mk[j] = rkeys[i]
			}
			vals, err := s.ops.MGet(ctx, mk...).Result()
			if err != nil {
				return false, err
			}
			for j, v := range vals {
				str, _ := v.(string)
				read[missing[j]] = str
			}
		}
		state := make([]store.GuardEntry, len(rkeys))
		for i, str := range read {
			if str != "" {
				d, err := guardcodec.Decode([]byte(str))
				if err != nil {
					delete(*cache, rkeys[i])
					return false, fmt.Errorf("guard entry %q: %w", names[i], err)
				}
				state[i] = d
			}
		}
		lastNow := make([]time.Time, len(rkeys))
		for _, r := range batch {
			r.err = r.ctx.Err()
			if r.err != nil {
				continue
			}
			entries := make([]*store.GuardEntry, len(r.keys))
			for j, k := range r.keys {
				e := state[index[k]].Clone()
				if !r.now.Before(e.Expires) {
					e = store.GuardEntry{}
				}
				entries[j] = &e
			}
			if r.err = r.fn(entries); r.err != nil {
				continue
			}
			for j, k := range r.keys {
				state[index[k]] = *entries[j]
				lastNow[index[k]] = r.now
			}
		}
		// ARGV per key: what was read ("" if absent), then the action:
		// "k" keep, "d" delete, or "s" set to the value with the TTL in
		// ms, indexed under name at score.
		args := make([]any, 0, 6*len(rkeys))
		after := make([]string, len(rkeys)) // each key's value once written
		writes := 0
		for i, e := range state {
			action, val, ttl, score := "k", "", int64(0), int64(0)
			if now := lastNow[i]; !now.IsZero() {
				switch {
				case !now.Before(e.Expires):
					if read[i] != "" {
						action = "d"
					}
				default:
					if v := guardcodec.Encode(&e); string(v) != read[i] {
						action, val = "s", string(v)
						ttl, score = max(e.Expires.Sub(now).Milliseconds(), 1), e.Expires.UnixMilli()
					}
				}
			}
			if action != "k" {
				writes++
			}
			after[i] = read[i]
			if action != "k" {
				after[i] = val
			}
			args = append(args, read[i], action, val, ttl, score, names[i])
		}
		if writes == 0 && !cached {
			return true, nil // read just now, nothing to write
		}
		// With nothing to write, the script only proves the cache right.
		ok, err := casGuardScript.Run(ctx, s.ops, append(rkeys, s.guardIndex()), args...).Int()
		if err != nil || ok != 1 {
			for _, rk := range rkeys {
				delete(*cache, rk)
			}
			return false, err
		}
		if *cache == nil || len(*cache) > maxGuardCache {
			*cache = make(map[string]string)
		}
		for i, rk := range rkeys {
			(*cache)[rk] = after[i]
		}
		return true, nil
	}
	for try := 0; ; try++ {
		done, err := step(try > 0)
		switch {
		case err == nil && done:
			return
		case err == nil && try < maxGuardTries:
			// Another client won the race: back off a little, at random.
			time.Sleep(time.Duration(rand.IntN(1000*(min(try, 20)+1))) * time.Microsecond)
			continue
		case err == nil:
			err = errors.New("too many conflicting writers")
		}
		for _, r := range batch {
			r.err = fmt.Errorf("redis store: guard: %w", err)
		}
		return
	}
}

// casGuardScript writes a batch of guard entries if none changed since it
// read them: KEYS are the entries, then the index; ARGV six per entry (see
// runGuardBatch). It answers 1 if it wrote, 0 if an entry had changed.
var casGuardScript = redis.NewScript(`
local n = #KEYS - 1
for i = 1, n do
	local cur = redis.call('GET', KEYS[i]) or ''
	if cur ~= ARGV[6*i-5] then return 0 end
end
for i = 1, n do
	local a = ARGV[6*i-4]
	if a == 'd' then
		redis.call('DEL', KEYS[i])
		redis.call('ZREM', KEYS[#KEYS], ARGV[6*i])
	elseif a == 's' then
		redis.call('SET', KEYS[i], ARGV[6*i-3], 'PX', ARGV[6*i-2])
		redis.call('ZADD', KEYS[#KEYS], ARGV[6*i-1], ARGV[6*i])
	end
end
return 1
`)

// ScanGuard implements [store.GuardStore]: the index lists the live keys.
func (s *Store) ScanGuard(ctx context.Context, now time.Time, fn func(string, store.GuardEntry) error) error {
	if err := s.check(ctx, now); err != nil {
		return err
	}
	s.client.ZRemRangeByScore(ctx, s.guardIndex(), "-inf", fmt.Sprint(now.UnixMilli()))
	keys, err := s.client.ZRangeByScore(ctx, s.guardIndex(), &redis.ZRangeBy{Min: fmt.Sprint(now.UnixMilli() + 1), Max: "+inf"}).Result()
	if err != nil {
		return fmt.Errorf("redis store: guard index: %w", err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		batch := keys[:n]
		keys = keys[n:]
		rkeys := make([]string, n)
		for i, k := range batch {
			rkeys[i] = s.guardKey(k)
		}
		vals, err := s.client.MGet(ctx, rkeys...).Result()
		if err != nil {
			return fmt.Errorf("redis store: guard scan: %w", err)
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // expired since the index was read
			}
			e, err := guardcodec.Decode([]byte(str))
			if err != nil {
				return fmt.Errorf("redis store: guard entry %q: %w", batch[i], err)
			}
			if !now.Before(e.Expires) {
				continue
			}
			if err := fn(batch[i], e); err != nil {
				return err
			}
		}
	}
	return nil
}
