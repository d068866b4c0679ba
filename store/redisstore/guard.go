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

var _ store.GuardStore = (*Store)(nil)

// The guard's entries are string keys under the prefix with the hash tag
// {guard}, so that one MULTI can change several of them in a Redis
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
}

// maxGuardTries bounds the optimistic retries of one batch when other
// clients keep changing the same entries.
const maxGuardTries = 200

// UpdateGuard implements [store.GuardStore]: WATCH the keys, read them,
// apply fn, and write in MULTI/EXEC; if another client changed a key in
// between, EXEC fails and the batch is run again. Calls made at the same
// time in this process share one transaction.
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
	step := func(tx *redis.Tx) error {
		vals, err := tx.MGet(ctx, rkeys...).Result()
		if err != nil {
			return err
		}
		state := make([]store.GuardEntry, len(rkeys))
		read := make([]string, len(rkeys))
		for i, v := range vals {
			if str, ok := v.(string); ok {
				d, err := guardcodec.Decode([]byte(str))
				if err != nil {
					return fmt.Errorf("guard entry %q: %w", names[i], err)
				}
				state[i], read[i] = d, str
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
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for i, e := range state {
				now := lastNow[i]
				if now.IsZero() {
					continue // no call changed it
				}
				if !now.Before(e.Expires) {
					if read[i] != "" {
						p.Del(ctx, rkeys[i])
						p.ZRem(ctx, s.guardIndex(), names[i])
					}
					continue
				}
				v := guardcodec.Encode(&e)
				if string(v) == read[i] {
					continue
				}
				p.Set(ctx, rkeys[i], v, e.Expires.Sub(now))
				p.ZAdd(ctx, s.guardIndex(), redis.Z{Score: float64(e.Expires.UnixMilli()), Member: names[i]})
			}
			return nil
		})
		return err
	}
	for try := 0; ; try++ {
		err := s.client.Watch(ctx, step, rkeys...)
		switch {
		case err == nil:
			return
		case errors.Is(err, redis.TxFailedErr) && try < maxGuardTries:
			// Another client won the race: back off a little, at random.
			time.Sleep(time.Duration(rand.IntN(1000*(min(try, 20)+1))) * time.Microsecond)
			continue
		}
		for _, r := range batch {
			r.err = fmt.Errorf("redis store: guard: %w", err)
		}
		return
	}
}

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
