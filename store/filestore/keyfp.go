package filestore

import (
	"context"
	"fmt"

	"github.com/otpkit/otpkit/store"
	bolt "go.etcd.io/bbolt"
)

// keyFPKey holds, in the meta bucket, the fingerprint of the key that
// hashes the store's codes (store.KeyChecker).
var keyFPKey = []byte("key-fingerprint")

var (
	_ store.KeyChecker = (*Store)(nil)
	_ store.KeyChecker = (*PerCall)(nil)
)

// CheckKey implements [store.KeyChecker]: the fingerprint lives in the
// meta bucket, beside the format marker.
func (s *Store) CheckKey(ctx context.Context, fp []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Read first: an Update that changes nothing still commits (a new meta
	// page), and a store that is only read must stay byte for byte as it was.
	var held []byte
	err := s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			if meta := tx.Bucket(metaBucket); meta != nil {
				held = append([]byte(nil), meta.Get(keyFPKey)...)
			}
			return nil
		})
	})
	if err == nil && len(held) > 0 {
		if err := store.CompareKey(held, fp); err != nil {
			return fmt.Errorf("%s: %w", s.path, err)
		}
		return nil
	}
	err = s.guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(metaBucket)
			if meta == nil {
				return fmt.Errorf("no meta bucket: %w", store.ErrCorrupt)
			}
			held := meta.Get(keyFPKey)
			if err := store.CompareKey(held, fp); err != nil {
				return err
			}
			if held != nil {
				return nil
			}
			return meta.Put(keyFPKey, append([]byte(nil), fp...))
		})
	})
	if err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

// CheckKey implements [store.KeyChecker].
func (p *PerCall) CheckKey(ctx context.Context, fp []byte) error {
	return p.with(ctx, func(s *Store) error { return s.CheckKey(ctx, fp) })
}
