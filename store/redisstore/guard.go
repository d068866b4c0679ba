package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// fnError carries UpdateGuard's callback error through Watch.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// maxGuardTries bounds the optimistic retries of one UpdateGuard when other
// clients keep changing the same entries.
const maxGuardTries = 200

// UpdateGuard implements [store.GuardStore] as an optimistic transaction:
// WATCH the keys, read them, apply fn, and write in MULTI/EXEC; if another
// client changed a key in between, EXEC fails and the step is run again.
func (s *Store) UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func([]*store.GuardEntry) error) error {
	if err := s.check(ctx, now); err != nil {
		return err
	}
	if len(keys) == 0 {
		return fn(nil)
	}
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = s.guardKey(k)
	}
	step := func(tx *redis.Tx) error {
		vals, err := tx.MGet(ctx, rkeys...).Result()
		if err != nil {
			return err
		}
		entries := make([]*store.GuardEntry, len(keys))
		for i, v := range vals {
			e := store.GuardEntry{}
			if str, ok := v.(string); ok {
				d, err := guardcodec.Decode([]byte(str))
				if err != nil {
					return fmt.Errorf("guard entry %q: %w", keys[i], err)
				}
				if now.Before(d.Expires) {
					e = d
				}
			}
			entries[i] = &e
		}
		if err := fn(entries); err != nil {
			return fnError{err}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for i, e := range entries {
				if !now.Before(e.Expires) {
					if vals[i] != nil {
						p.Del(ctx, rkeys[i])
						p.ZRem(ctx, s.guardIndex(), keys[i])
					}
					continue
				}
				p.Set(ctx, rkeys[i], guardcodec.Encode(e), e.Expires.Sub(now))
				p.ZAdd(ctx, s.guardIndex(), redis.Z{Score: float64(e.Expires.UnixMilli()), Member: keys[i]})
			}
			return nil
		})
		return err
	}
	// The entries are few and hot (a country's counter takes every send
	// to it): goroutines of one process take turns, so that only other
	// processes' changes make a transaction run again.
	s.guardMu.Lock()
	defer s.guardMu.Unlock()
	for try := 0; ; try++ {
		err := s.client.Watch(ctx, step, rkeys...)
		var fe fnError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &fe):
			return fe.err
		case errors.Is(err, redis.TxFailedErr) && try < maxGuardTries:
			// Another client won the race: back off a little, at random.
			select {
			case <-time.After(time.Duration(rand.IntN(1000*(min(try, 20)+1))) * time.Microsecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		return fmt.Errorf("redis store: guard: %w", err)
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
