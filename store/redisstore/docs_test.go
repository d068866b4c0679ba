package redisstore

import (
	"context"
	"testing"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/storetest"
)

func TestDocConformance(t *testing.T) {
	needRedis(t)
	storetest.RunDocs(t, func(t *testing.T) store.Store { return openTest(t, testPrefix(t)) })
}

// TestDocKeys: documents live under the store's prefix, apart from the
// records, and Purge leaves them alone.
func TestDocKeys(t *testing.T) {
	needRedis(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	s := openTest(t, prefix)
	if err := s.PutDoc(ctx, "service", "VA1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	c := testClient(t)
	if v, err := c.Get(ctx, prefix+"doc:{service}:VA1").Result(); err != nil || v != "x" {
		t.Fatalf("doc key: %q, %v", v, err)
	}
	if n, err := c.ZCard(ctx, prefix+"docs:{service}").Result(); err != nil || n != 1 {
		t.Fatalf("index: %d, %v", n, err)
	}
	if _, err := s.Purge(ctx, store.PurgeRequest{Now: testclock.Base()}); err != nil {
		t.Fatalf("Purge with documents present: %v", err)
	}
	if v, err := s.GetDoc(ctx, "service", "VA1"); err != nil || string(v) != "x" {
		t.Fatalf("after Purge: %q, %v", v, err)
	}
	other := openTest(t, testPrefix(t))
	if l, err := other.ListDocs(ctx, "service", "", 10); err != nil || len(l) != 0 {
		t.Fatalf("another prefix lists %v, %v", l, err)
	}
}
