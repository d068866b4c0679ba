package filestore

import (
	"context"

	"github.com/otpkit/otpkit/store"
)

var (
	_ store.Unlocker = (*Store)(nil)
	_ store.Unlocker = (*PerCall)(nil)
)

// Unlock implements [store.Unlocker].
func (s *Store) Unlock(ctx context.Context, req store.UnlockRequest) (changed bool, err error) {
	err = s.do(ctx, req.Number, func(r *store.Record) { changed = r.Unlock() })
	return changed, err
}

// Unlock implements [store.Unlocker].
func (p *PerCall) Unlock(ctx context.Context, req store.UnlockRequest) (changed bool, err error) {
	err = p.with(ctx, func(s *Store) error {
		changed, err = s.Unlock(ctx, req)
		return err
	})
	return changed, err
}
