// Package memstore is an in-memory [store.Store]: for tests, examples and
// programs that run as one process and may forget pending codes on restart.
package memstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/otpkit/otpkit/store"
)

// Store is an in-memory [store.Store]. The zero value is not usable; call [New].
type Store struct {
	mu      sync.Mutex
	records map[string]*store.Record
	closed  bool
	secret  []byte
	keyFP   []byte
	guard   map[string]store.GuardEntry // the abuse guard's entries (guard.go)
	docs    map[docKey][]byte           // store.DocStore (docs.go)
}

var (
	_ store.Store        = (*Store)(nil)
	_ store.SecretKeeper = (*Store)(nil)
)

// New returns an empty in-memory store.
func New() *Store {
	s := &Store{records: make(map[string]*store.Record), secret: make([]byte, 32)}
	rand.Read(s.secret) // never fails (crypto/rand)
	return s
}

// Secret implements [store.SecretKeeper]: a random key made by New, which
// lives as long as the store.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	return append([]byte(nil), s.secret...), nil
}

// update runs fn on the number's record (a new one if absent) under the lock,
// and deletes the record if fn leaves it with nothing in it.
func (s *Store) update(ctx context.Context, number string, fn func(*store.Record)) error {
	return s.locked(ctx, func() error {
		rec := s.records[number]
		if rec == nil {
			rec = &store.Record{}
		}
		fn(rec)
		if rec.Empty() {
			delete(s.records, number)
		} else {
			s.records[number] = rec
		}
		return nil
	})
}

// locked runs fn under the lock, unless ctx is done (its error) or the
// store is closed ([store.ErrClosed]).
func (s *Store) locked(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	return fn()
}

// Issue implements [store.Store].
func (s *Store) Issue(ctx context.Context, req store.IssueRequest) (res store.IssueResult, err error) {
	err = s.update(ctx, req.Number, func(r *store.Record) { res = r.Issue(req) })
	return res, err
}

// Check implements [store.Store].
func (s *Store) Check(ctx context.Context, req store.CheckRequest) (res store.CheckResult, err error) {
	err = s.update(ctx, req.Number, func(r *store.Record) { res = r.Check(req) })
	return res, err
}

// Cancel implements [store.Store].
func (s *Store) Cancel(ctx context.Context, req store.CancelRequest) error {
	return s.update(ctx, req.Number, func(r *store.Record) { r.Cancel(req) })
}

// Get implements [store.Store].
func (s *Store) Get(ctx context.Context, number string) (rec store.Record, ok bool, err error) {
	err = s.locked(ctx, func() error {
		r, found := s.records[number]
		if found {
			rec, ok = *r, true
			rec.Hash = append([]byte(nil), r.Hash...)
			rec.Sends = append(rec.Sends[:0:0], r.Sends...)
		}
		return nil
	})
	return rec, ok, err
}

// Purge implements [store.Store].
func (s *Store) Purge(ctx context.Context, req store.PurgeRequest) (n int, err error) {
	err = s.locked(ctx, func() error {
		for k, rec := range s.records {
			cleared, empty := rec.Purge(req)
			if empty {
				delete(s.records, k)
			}
			if cleared || empty {
				n++
			}
		}
		return nil
	})
	return n, err
}

// Close implements [store.Store]. The records are dropped.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.records = nil
	s.docs = nil
	return nil
}

// CheckKey implements [store.KeyChecker].
func (s *Store) CheckKey(ctx context.Context, fp []byte) error {
	return s.locked(ctx, func() error {
		if err := store.CompareKey(s.keyFP, fp); err != nil {
			return fmt.Errorf("memstore: %w", err)
		}
		s.keyFP = append([]byte(nil), fp...)
		return nil
	})
}
