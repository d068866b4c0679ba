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
	_ store.GuardTx    = (*Store)(nil)
	_ store.GuardTx    = (*PerCall)(nil)
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

// applyGuard runs a guard op inside the transaction of gt. An error of fn
// or a damaged entry is the op's own error (nothing written).
func (s *Store) applyGuard(gt *guardTx, o *op) {
	g := o.guard
	entries, err := gt.load(g.now, g.keys)
	if err != nil {
		o.err = err
		return
	}
	if err := g.fn(entries); err != nil {
		o.err = err
		return
	}
	gt.keep(g.now, g.keys, entries)
}

// guardTx is the guard's entries in one write transaction: each entry is
// decoded at its first use and encoded once, at flush, however many
// operations of the batch change it. A country's or the budget's entry is
// in every send of a batch, and decoding it was most of the committer's
// time.
//
// The committer has one guardTx, which begin readies for each transaction:
// its map and its memory are used again, as a batch's garbage slowed every
// commit.
type guardTx struct {
	s       *Store
	tx      *bolt.Tx
	entries map[string]*guardState
	// arena holds the copies load hands out, states and lists their
	// memory; all are reset by begin (settle copies what the cache keeps).
	arena  guardcodec.Arena
	states guardcodec.Chunks[guardState]
	lists  guardcodec.Chunks[*store.GuardEntry]
}

type guardState struct {
	old    []byte           // as stored; nil if absent
	e      store.GuardEntry // as the batch left it
	dirty  bool
	cached bool      // e is the cache's, and old its value
	now    time.Time // of the last change
	// stored is what flush left under the key (nil: absent), once it ran.
	stored []byte
}

// begin readies gt for the write transaction tx.
func (gt *guardTx) begin(s *Store, tx *bolt.Tx) *guardTx {
	gt.s, gt.tx = s, tx
	if gt.entries == nil {
		gt.entries = make(map[string]*guardState, 32)
	}
	clear(gt.entries)
	gt.arena.Reset()
	gt.states.Reset()
	gt.lists.Reset()
	return gt
}

// guardCache is what the committer last read or committed under each guard
// key, decoded, so that the next batches start from it instead of reading
// and decoding the entry again. It stays right because an open Store holds
// the file's lock: no other process writes the file meanwhile. Only the
// committer goroutine uses it; it is changed only by a transaction that
// committed (or changed nothing), and dropped when one fails.
type guardCache map[string]guardCached

type guardCached struct {
	val []byte // as stored, never changed; nil if absent
	// e is val decoded. A transaction only reads it (load copies it);
	// settle, after the transaction, copies the new entry into its memory.
	e store.GuardEntry
}

// maxGuardCache bounds the cache; past it, the cache starts again.
const maxGuardCache = 8192

// load returns copies of the live entries of keys (the zero entry for an
// absent or expired one).
func (gt *guardTx) load(now time.Time, keys []string) ([]*store.GuardEntry, error) {
	out := gt.lists.Take(len(keys))
	for i, k := range keys {
		st, ok := gt.entries[k]
		if !ok {
			var err error
			if st, err = gt.read(k); err != nil {
				return nil, err
			}
			gt.entries[k] = st
		}
		if now.Before(st.e.Expires) {
			out[i] = gt.arena.Clone(&st.e)
		} else {
			out[i] = gt.arena.Clone(&store.GuardEntry{})
		}
	}
	return out, nil
}

// read returns the stored entry of k, from the cache when it has k.
func (gt *guardTx) read(k string) (*guardState, error) {
	st := &gt.states.Take(1)[0]
	if c, ok := gt.s.gcache[k]; ok {
		st.old, st.e, st.cached = c.val, c.e, true
		return st, nil
	}
	if b := gt.tx.Bucket(guardBucket); b != nil {
		if v := b.Get([]byte(k)); v != nil {
			st.old = append([]byte(nil), v...)
			d, err := guardcodec.Decode(v)
			if err != nil {
				return nil, fmt.Errorf("%s: guard entry %q: %w", gt.s.path, k, err)
			}
			st.e = d
		}
	}
	return st, nil
}

// keep takes the entries load returned, as a rule left them.
func (gt *guardTx) keep(now time.Time, keys []string, entries []*store.GuardEntry) {
	for i, k := range keys {
		st := gt.entries[k]
		st.e, st.dirty, st.now = *entries[i], true, now
	}
}

// flush writes the entries the batch changed, deleting those that expired,
// and says whether it wrote anything.
func (gt *guardTx) flush() (changed bool, err error) {
	b := gt.tx.Bucket(guardBucket)
	for k, st := range gt.entries {
		st.stored = st.old
		if !st.dirty {
			continue
		}
		if !st.now.Before(st.e.Expires) {
			st.stored, st.e = nil, store.GuardEntry{}
			if st.old != nil {
				if err := b.Delete([]byte(k)); err != nil {
					return false, err
				}
				changed = true
			}
			continue
		}
		v := guardcodec.Encode(&st.e)
		if bytes.Equal(v, st.old) {
			continue
		}
		if b == nil {
			if b, err = gt.tx.CreateBucket(guardBucket); err != nil {
				return false, err
			}
		}
		if err := b.Put([]byte(k), v); err != nil {
			return false, err
		}
		st.stored = v
		changed = true
	}
	return changed, nil
}

// settle keeps in the cache what the transaction, now committed (or rolled
// back with nothing written), left under each key it flushed. ok false says
// it failed: what the cache holds of the file may then be wrong, and it is
// dropped.
func (gt *guardTx) settle(ok bool) {
	s := gt.s
	if !ok {
		s.gcache = nil
		return
	}
	if len(gt.entries) == 0 {
		return
	}
	if s.gcache == nil || len(s.gcache)+len(gt.entries) > maxGuardCache {
		s.gcache = make(guardCache, len(gt.entries))
	}
	for k, st := range gt.entries {
		switch {
		case st.dirty:
			// Out of the arena, into the cache's memory for k: no
			// transaction holds it now (one that read it is over).
			c := s.gcache[k]
			c.val = st.stored
			guardcodec.CopyInto(&c.e, &st.e)
			s.gcache[k] = c
		case !st.cached:
			s.gcache[k] = guardCached{val: st.stored, e: st.e} // decoded: its own
		}
	}
}

// IssueGuarded implements [store.GuardTx]: the guard step and the record's
// rule in one write transaction, batched by the committer like any other.
func (s *Store) IssueGuarded(ctx context.Context, req store.IssueRequest, step store.GuardStep) (res store.IssueResult, err error) {
	err = s.doGuarded(ctx, req.Number, step, func(r *store.Record, es []*store.GuardEntry) (w bool, err error) {
		res, w, err = store.ApplyIssueGuarded(r, req, es, step)
		return w, err
	})
	return res, err
}

// CheckGuarded implements [store.GuardTx], as IssueGuarded.
func (s *Store) CheckGuarded(ctx context.Context, req store.CheckRequest, step store.GuardStep) (res store.CheckResult, err error) {
	err = s.doGuarded(ctx, req.Number, step, func(r *store.Record, es []*store.GuardEntry) (w bool, err error) {
		res, w, err = store.ApplyCheckGuarded(r, req, es, step)
		return w, err
	})
	return res, err
}

func (s *Store) doGuarded(ctx context.Context, number string, step store.GuardStep, fn func(*store.Record, []*store.GuardEntry) (bool, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if number == "" {
		return errors.New("filestore: empty number")
	}
	return s.submit(&op{ctx: ctx, number: number, step: &step, gfn: fn})
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

// IssueGuarded implements [store.GuardTx].
func (p *PerCall) IssueGuarded(ctx context.Context, req store.IssueRequest, step store.GuardStep) (res store.IssueResult, err error) {
	err = p.with(ctx, func(s *Store) (err error) { res, err = s.IssueGuarded(ctx, req, step); return err })
	return res, err
}

// CheckGuarded implements [store.GuardTx].
func (p *PerCall) CheckGuarded(ctx context.Context, req store.CheckRequest, step store.GuardStep) (res store.CheckResult, err error) {
	err = p.with(ctx, func(s *Store) (err error) { res, err = s.CheckGuarded(ctx, req, step); return err })
	return res, err
}
