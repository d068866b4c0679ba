package memstore

import (
	"context"
	"time"

	"github.com/otpkit/otpkit/store"
)

var (
	_ store.GuardStore = (*Store)(nil)
	_ store.GuardTx    = (*Store)(nil)
)

// UpdateGuard implements [store.GuardStore] under the store's lock.
func (s *Store) UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func([]*store.GuardEntry) error) error {
	return s.locked(ctx, func() error {
		entries := s.loadGuard(now, keys)
		if err := fn(entries); err != nil {
			return err
		}
		s.storeGuard(now, keys, entries)
		return nil
	})
}

// IssueGuarded implements [store.GuardTx] under the store's lock.
func (s *Store) IssueGuarded(ctx context.Context, req store.IssueRequest, step store.GuardStep) (res store.IssueResult, err error) {
	err = s.guarded(ctx, req.Number, step, func(r *store.Record, es []*store.GuardEntry) (w bool, err error) {
		res, w, err = store.ApplyIssueGuarded(r, req, es, step)
		return w, err
	})
	return res, err
}

// CheckGuarded implements [store.GuardTx] under the store's lock.
func (s *Store) CheckGuarded(ctx context.Context, req store.CheckRequest, step store.GuardStep) (res store.CheckResult, err error) {
	err = s.guarded(ctx, req.Number, step, func(r *store.Record, es []*store.GuardEntry) (w bool, err error) {
		res, w, err = store.ApplyCheckGuarded(r, req, es, step)
		return w, err
	})
	return res, err
}

// guarded runs fn on a copy of the number's record and the step's entries,
// and keeps the record, and the entries if fn says so, unless fn fails.
func (s *Store) guarded(ctx context.Context, number string, step store.GuardStep, fn func(*store.Record, []*store.GuardEntry) (bool, error)) error {
	return s.locked(ctx, func() error {
		var rec store.Record
		if r := s.records[number]; r != nil {
			rec = *r
			rec.Hash = append([]byte(nil), r.Hash...)
			rec.Sends = append(rec.Sends[:0:0], r.Sends...)
		}
		entries := s.loadGuard(step.Now, step.Keys)
		write, err := fn(&rec, entries)
		if err != nil {
			return err
		}
		if write {
			s.storeGuard(step.Now, step.Keys, entries)
		}
		if rec.Empty() {
			delete(s.records, number)
		} else {
			s.records[number] = &rec
		}
		return nil
	})
}

// loadGuard returns copies of the live entries of keys (the zero entry for
// an absent or expired one). The caller holds the lock.
func (s *Store) loadGuard(now time.Time, keys []string) []*store.GuardEntry {
	entries := make([]*store.GuardEntry, len(keys))
	for i, k := range keys {
		e := s.guard[k].Clone()
		if !now.Before(e.Expires) {
			e = store.GuardEntry{}
		}
		entries[i] = &e
	}
	return entries
}

// storeGuard keeps the entries loadGuard returned, dropping those that
// expired. The caller holds the lock.
func (s *Store) storeGuard(now time.Time, keys []string, entries []*store.GuardEntry) {
	if s.guard == nil {
		s.guard = make(map[string]store.GuardEntry)
	}
	for i, k := range keys {
		if now.Before(entries[i].Expires) {
			s.guard[k] = *entries[i] // a copy of its own since loadGuard
		} else {
			delete(s.guard, k)
		}
	}
}

// ScanGuard implements [store.GuardStore].
func (s *Store) ScanGuard(ctx context.Context, now time.Time, fn func(string, store.GuardEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	live := make(map[string]store.GuardEntry, len(s.guard))
	for k, e := range s.guard {
		if now.Before(e.Expires) {
			live[k] = e.Clone()
		}
	}
	s.mu.Unlock()
	for k, e := range live {
		if err := fn(k, e); err != nil {
			return err
		}
	}
	return nil
}
