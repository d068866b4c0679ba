package memstore

import (
	"context"

	"github.com/otpkit/otpkit/store"
)

var _ store.Unlocker = (*Store)(nil)

// Unlock implements [store.Unlocker].
func (s *Store) Unlock(ctx context.Context, req store.UnlockRequest) (changed bool, err error) {
	err = s.update(ctx, req.Number, func(r *store.Record) { changed = r.Unlock() })
	return changed, err
}
