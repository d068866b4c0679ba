package memstore

import (
	"context"
	"time"

	"github.com/otpkit/otpkit/store"
)

var _ store.GuardStore = (*Store)(nil)

// UpdateGuard implements [store.GuardStore] under the store's lock.
func (s *Store) UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func([]*store.GuardEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	entries := make([]*store.GuardEntry, len(keys))
	for i, k := range keys {
		e := s.guard[k].Clone()
		if !now.Before(e.Expires) {
			e = store.GuardEntry{}
		}
		entries[i] = &e
	}
	if err := fn(entries); err != nil {
		return err
	}
	if s.guard == nil {
		s.guard = make(map[string]store.GuardEntry)
	}
	for i, k := range keys {
		if now.Before(entries[i].Expires) {
			s.guard[k] = entries[i].Clone()
		} else {
			delete(s.guard, k)
		}
	}
	return nil
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
