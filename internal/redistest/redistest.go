// Package redistest is the one place tests find their Redis server: the
// store/redisstore tests, the command's scripts, the benchmarks and the
// reliability tests all use it.
//
// The server is $OTP_TEST_REDIS_URL, else 127.0.0.1:6379 (.ci/redis.sh
// starts one there). Without a server the caller is skipped, except in CI
// (CI=true), where it fails. It imports no otpkit package, so the store's
// own tests can use it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// URL returns the server the tests use.
func URL() string {
	if u := os.Getenv("OTP_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Ping reports whether the server answers; it asks once per process.
var Ping = sync.OnceValue(func() error {
	o, err := redis.ParseURL(URL())
	if err != nil {
		return fmt.Errorf("OTP_TEST_REDIS_URL: %w", err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("no Redis server answers at %s (%v): start one with .ci/redis.sh or set OTP_TEST_REDIS_URL", o.Addr, err)
	}
	return nil
})

// Need skips tb, or fails it in CI, when no server answers.
func Need(tb testing.TB) {
	tb.Helper()
	err := Ping()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%v; CI must run the Redis tests", err)
	}
	tb.Skip(err)
}

// Client returns a new client of the test server, closed when tb ends. It
// skips tb, or fails it in CI, when no server answers.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	Need(tb)
	o, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(o)
	tb.Cleanup(func() { c.Close() })
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
