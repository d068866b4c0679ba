package bench_test

import (
	"context"
	"testing"

	"github.com/otpkit/otpkit/internal/redistest"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/redisstore"
)

// openRedisStore returns a Redis store whose keys are deleted when b ends,
// or skips b when no server answers (see package redistest).
func openRedisStore(b *testing.B) store.Store {
	s, err := redisstore.Open(context.Background(), redisstore.Options{Client: redistest.Client(b), Prefix: redistest.Prefix(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// openRedisServerStore is openRedisStore as a server opens it (otp serve,
// config.StoreServer): with AutoPipeline, for many concurrent callers.
func openRedisServerStore(b *testing.B) store.Store {
	s, err := redisstore.Open(context.Background(), redisstore.Options{Client: redistest.Client(b), Prefix: redistest.Prefix(b), AutoPipeline: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
