package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/internal/guardcodec"
	bolt "go.etcd.io/bbolt"
)

// guardBucket holds the abuse guard's entries, created on first use.
var guardBucket = []byte("guard")

var (
	_ store.GuardStore = (*Store)(nil)
	_ store.GuardStore = (*PerCall)(nil)
)

// guardOp is one UpdateGuard, run by the committer in the same group commit
// as record operations.
type guardOp struct {
	now  time.Time
	keys []string
	fn   func([]*store.GuardEntry) error
}

// UpdateGuard implements [store.GuardStore]: one write transaction, shared
// with whatever else the committer batches.
func (s *Store) UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func([]*store.GuardEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return fn(nil)
	}
	return s.submit(&op{ctx: ctx, guard: &guardOp{now: now, keys: keys, fn: fn}})
}

// applyGuard runs a guard op inside tx. An error of fn or a damaged entry
// is the op's own error (nothing written); an error writing is the
// transaction's.
func (s *Store) applyGuard(tx *bolt.Tx, o *op) (changed bool, err error) {
	g := o.guard
	b := tx.Bucket(guardBucket)
	olds := make([][]byte, len(g.keys))
	entries := make([]*store.GuardEntry, len(g.keys))
	for i, k := range g.keys {
		e := store.GuardEntry{}
		if b != nil {
			if v := b.Get([]byte(k)); v != nil {
				olds[i] = append([]byte(nil), v...)
				d, err := guardcodec.Decode(v)
				if err != nil {
					o.err = fmt.Errorf("%s: guard entry %q: %w", s.path, k, err)
					return false, nil
				}
				if g.now.Before(d.Expires) {
					e = d
				}
			}
		}
		entries[i] = &e
	}
	if err := g.fn(entries); err != nil {
		o.err = err
		return false, nil
	}
	for i, k := range g.keys {
		live := g.now.Before(entries[i].Expires)
		switch {
		case !live && olds[i] == nil:
			continue
		case !live:
			if err := b.Delete([]byte(k)); err != nil {
				return false, err
			}
			changed = true
			continue
		}
		v := guardcodec.Encode(entries[i])
		if bytes.Equal(v, olds[i]) {
			continue
		}
		if b == nil {
			if b, err = tx.CreateBucket(guardBucket); err != nil {
				return false, err
			}
		}
		if err := b.Put([]byte(k), v); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// ScanGuard implements [store.GuardStore] in one read transaction.
func (s *Store) ScanGuard(ctx context.Context, now time.Time, fn func(string, store.GuardEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return store.ErrClosed
	}
	var fnErr error
	err := s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(guardBucket)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				e, err := guardcodec.Decode(v)
				if err != nil {
					return fmt.Errorf("guard entry %q: %w", k, err)
				}
				if !now.Before(e.Expires) {
					return nil
				}
				if err := fn(string(k), e); err != nil {
					fnErr = err
					return err
				}
				return nil
			})
		})
	})
	if fnErr != nil && errors.Is(err, fnErr) {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

// UpdateGuard implements [store.GuardStore].
func (p *PerCall) UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func([]*store.GuardEntry) error) error {
	return p.with(ctx, func(s *Store) error { return s.UpdateGuard(ctx, now, keys, fn) })
}

// ScanGuard implements [store.GuardStore].
func (p *PerCall) ScanGuard(ctx context.Context, now time.Time, fn func(string, store.GuardEntry) error) error {
	return p.with(ctx, func(s *Store) error { return s.ScanGuard(ctx, now, fn) })
}
