package redisstore

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

// The tests need a real Redis (or Valkey) server: OTP_TEST_REDIS_URL, or
// 127.0.0.1:6379 if it is unset (.ci/redis.sh starts one there). Without a
// server they skip, except in CI (CI=true), where they fail. Each test writes
// only keys under its own random prefix and deletes them afterwards; nothing
// else in the database is touched.

// testURL is the server the tests use.
func testURL() string {
	if u := os.Getenv("OTP_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var (
	reachOnce sync.Once
	reachErr  error
)

// needRedis skips the test, or fails it in CI, when no server answers.
func needRedis(t testing.TB) {
	t.Helper()
	reachOnce.Do(func() {
		o, err := redis.ParseURL(testURL())
		if err != nil {
			reachErr = fmt.Errorf("OTP_TEST_REDIS_URL: %w", err)
			return
		}
		c := redis.NewClient(o)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			reachErr = fmt.Errorf("no Redis server answers at %s (%v); start one with .ci/redis.sh or set OTP_TEST_REDIS_URL", o.Addr, err)
		}
	})
	if reachErr == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v; CI must run the Redis tests", reachErr)
	}
	t.Skip(reachErr)
}

// testClient returns a client of its own for the test, closed at cleanup.
func testClient(t testing.TB) *redis.Client {
	t.Helper()
	needRedis(t)
	o, err := redis.ParseURL(testURL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix returns a fresh key prefix and deletes every key under it when
// the test ends.
func testPrefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "otptest:" + hex.EncodeToString(b) + ":"
	c := testClient(t)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		for len(keys) > 0 {
			n := min(len(keys), 1000)
			c.Unlink(ctx, keys[:n]...)
			keys = keys[n:]
		}
	})
	return prefix
}

// openTest opens a store with its own connection and prefix; the store is
// closed when the test ends.
func openTest(t testing.TB, prefix string) *Store {
	t.Helper()
	return openWith(t, Options{Prefix: prefix})
}

// openWith opens a store on the test server with opts; the store is closed
// when the test ends.
func openWith(t testing.TB, opts Options) *Store {
	t.Helper()
	needRedis(t)
	opts.URL = testURL()
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
