package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/otpkit/otpkit/store"
	redisstore "github.com/otpkit/otpkit/store/redis"
	"github.com/redis/go-redis/v9"
)

// redisURL is the server the Redis benchmarks use, the same as the
// store/redis tests: $OTP_TEST_REDIS_URL, else 127.0.0.1:6379.
func redisURL() string {
	if u := os.Getenv("OTP_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// openRedisStore returns a Redis store whose keys have a prefix of their
// own, deleted when b ends, or skips b when no server answers.
func openRedisStore(b *testing.B) store.Store {
	o, err := redis.ParseURL(redisURL())
	if err != nil {
		b.Fatalf("OTP_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(o)
	b.Cleanup(func() { client.Close() })
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		b.Skipf("no Redis server at %s (%v): set OTP_TEST_REDIS_URL or start one", o.Addr, err)
	}
	id := make([]byte, 6)
	rand.Read(id)
	prefix := "otpkit-bench-" + hex.EncodeToString(id) + ":"
	s, err := redisstore.Open(ctx, redisstore.Options{Client: client, Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Close()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			if keys = append(keys, iter.Val()); len(keys) == 1000 {
				client.Unlink(ctx, keys...)
				keys = keys[:0]
			}
		}
		if len(keys) > 0 {
			client.Unlink(ctx, keys...)
		}
	})
	return s
}
