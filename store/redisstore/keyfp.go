package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/otpkit/otpkit/store"
	"github.com/redis/go-redis/v9"
)

var _ store.KeyChecker = (*Store)(nil)

// CheckKey implements [store.KeyChecker]: the fingerprint is one key under
// the prefix, set once (SET NX) by the first program and compared by every
// later one, on every machine.
func (s *Store) CheckKey(ctx context.Context, fp []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	key := s.prefix + "key-fingerprint"
	held, err := s.ops.SetArgs(ctx, key, fp, redis.SetArgs{Mode: "NX", Get: true}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil // it was not set: now it is ours
	case err != nil:
		return fmt.Errorf("redis store: key fingerprint: %w", err)
	}
	if err := store.CompareKey([]byte(held), fp); err != nil {
		return fmt.Errorf("redis store: %w", err)
	}
	return nil
}
