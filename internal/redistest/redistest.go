// Package redistest gives tests and benchmarks outside store/redis a Redis
// store on the test server, under a key prefix of their own whose keys are
// deleted afterwards, as the store/redis tests do.
//
// The server is $OTP_TEST_REDIS_URL, else 127.0.0.1:6379 (.ci/redis.sh
// starts one there). Without a server the caller is skipped, except in CI
// (CI=true), where it fails.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	redisstore "github.com/otpkit/otpkit/store/redis"
	"github.com/redis/go-redis/v9"
)

// URL returns the server the tests use.
func URL() string {
	if u := os.Getenv("OTP_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Client returns a new client of the test server, closed when tb ends. It
// skips tb, or fails it in CI, when no server answers.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	o, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatalf("OTP_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(o)
	tb.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		msg := "no Redis server at " + o.Addr + " (" + err.Error() + "): start one with .ci/redis.sh or set OTP_TEST_REDIS_URL"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + "; CI must run the Redis tests")
		}
		tb.Skip(msg)
	}
	return c
}

// Prefix returns a fresh key prefix; every key under it is deleted when tb
// ends.
func Prefix(tb testing.TB) string {
	tb.Helper()
	c := Client(tb)
	id := make([]byte, 8)
	rand.Read(id)
	prefix := "otpkit-test-" + hex.EncodeToString(id) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			if keys = append(keys, iter.Val()); len(keys) == 1000 {
				c.Unlink(ctx, keys...)
				keys = keys[:0]
			}
		}
		if len(keys) > 0 {
			c.Unlink(ctx, keys...)
		}
	})
	return prefix
}

// Open returns a store on a client of its own with the key prefix prefix,
// closed when tb ends. Stores opened with one prefix share their records,
// as the servers of one application do.
func Open(tb testing.TB, prefix string) *redisstore.Store {
	tb.Helper()
	s, err := redisstore.Open(context.Background(), redisstore.Options{Client: Client(tb), Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
