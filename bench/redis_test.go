package bench_test

import (
	"testing"

	"github.com/otpkit/otpkit/internal/redistest"
	"github.com/otpkit/otpkit/store"
)

// openRedisStore returns a Redis store whose keys are deleted when b ends,
// or skips b when no server answers (see package redistest).
func openRedisStore(b *testing.B) store.Store {
	return redistest.Open(b, redistest.Prefix(b))
}
