package redisstore

import (
	"context"
	"testing"

	"github.com/otpkit/otpkit/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// The tests need a real Redis (or Valkey) server, found by package
// redistest: OTP_TEST_REDIS_URL, or 127.0.0.1:6379 (the repository's
// .ci/redis.sh starts one). Without a server they skip, unless CI is
// "true". Each test writes only keys under its own random prefix and
// deletes them afterwards; nothing else in the database is touched.
// TestCluster also starts a three-node Redis Cluster of its own.

// needRedis skips the test, or fails it in CI, when no server answers.
func needRedis(t testing.TB) { t.Helper(); redistest.Need(t) }

// testURL is the server the tests use.
func testURL() string { return redistest.URL() }

// testClient returns a client of its own for the test, closed at cleanup.
func testClient(t testing.TB) *redis.Client { t.Helper(); return redistest.Client(t) }

// testPrefix returns a fresh key prefix and deletes every key under it when
// the test ends.
func testPrefix(t testing.TB) string { t.Helper(); return redistest.Prefix(t) }

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
