package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
)

// TestGuardCacheSeesOtherWriters: two stores (two processes) take turns
// counting on one key. Each starts its batch from what it last wrote, which
// the other's write made stale: the compare-and-set must catch that every
// time, so no count is lost.
func TestGuardCacheSeesOtherWriters(t *testing.T) {
	prefix := testPrefix(t)
	a, b := openTest(t, prefix), openTest(t, prefix)
	now := testclock.Base()
	incr := func(s *Store) int {
		t.Helper()
		var n int
		err := s.UpdateGuard(context.Background(), now, []string{"shared"}, func(es []*store.GuardEntry) error {
			e := es[0]
			if len(e.Slots) == 0 {
				e.Slots = []store.GuardSlot{{Start: now}}
			}
			e.Slots[0].Sent++
			e.Expires = now.Add(time.Hour)
			n = e.Slots[0].Sent
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := 1; i <= 20; i++ {
		s := a
		if i%3 == 0 {
			s = b
		}
		if got := incr(s); got != i {
			t.Fatalf("count %d saw %d: a write of the other store was lost or unseen", i, got)
		}
	}
}

// TestDeferGuardCloseWaits: counts deferred just before Close are all
// written by the time Close returns.
func TestDeferGuardCloseWaits(t *testing.T) {
	prefix := testPrefix(t)
	s := openTest(t, prefix)
	now := testclock.Base()
	const n = 50
	for range n {
		s.DeferGuard(now, []string{"deferred"}, func(es []*store.GuardEntry) error {
			e := es[0]
			if len(e.Slots) == 0 {
				e.Slots = []store.GuardSlot{{Start: now}}
			}
			e.Slots[0].Verified++
			e.Expires = now.Add(time.Hour)
			return nil
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close, DeferGuard does nothing (and does not panic).
	s.DeferGuard(now, []string{"deferred"}, func([]*store.GuardEntry) error { t.Error("ran after Close"); return nil })
	var got int
	if err := openTest(t, prefix).UpdateGuard(context.Background(), now, []string{"deferred"}, func(es []*store.GuardEntry) error {
		if len(es[0].Slots) > 0 {
			got = es[0].Slots[0].Verified
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("after Close the entry counts %d, want %d", got, n)
	}
}
