package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// countOn is a guard step that counts one send on each of keys.
func countOn(now time.Time, keys ...string) store.GuardStep {
	return store.GuardStep{Now: now, Keys: keys, Fn: func(es []*store.GuardEntry) (bool, error) {
		for _, e := range es {
			if len(e.Slots) == 0 {
				e.Slots = []store.GuardSlot{{Start: now}}
			}
			e.Slots[0].Sent++
			e.Expires = now.Add(time.Hour)
		}
		return true, nil
	}}
}

// sentOn reads the count of key.
func sentOn(t *testing.T, s *Store, now time.Time, key string) int {
	t.Helper()
	n := 0
	if err := s.UpdateGuard(context.Background(), now, []string{key}, func(es []*store.GuardEntry) error {
		for _, sl := range es[0].Slots {
			n += sl.Sent
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGuardedIssuesShareBatches: guarded sends racing in one process share
// batch scripts. Sends to one number: exactly one is issued and counted,
// the others are refused by its cooldown and counted nowhere. A damaged
// record fails its own send only, which counts nowhere either.
func TestGuardedIssuesShareBatches(t *testing.T) {
	s := openWith(t, Options{Prefix: testPrefix(t), AutoPipeline: true})
	ctx := context.Background()
	now := testclock.Base()
	p := store.Policy{MaxAttempts: 5, Lockout: time.Hour, ResendAfter: time.Minute, MaxSends: 5, SendWindow: time.Hour}
	req := func(number string) store.IssueRequest {
		return store.IssueRequest{Number: number, Hash: hash("123456"), Now: now, ExpiresAt: now.Add(10 * time.Minute), Policy: p}
	}
	const damaged = "+12015550199"
	if err := s.client.Set(ctx, s.key(damaged), "garbage", 0).Err(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		number string
		res    store.IssueResult
		err    error
	}
	results := make(chan result, 100)
	var wg sync.WaitGroup
	for i := range 60 {
		number := fmt.Sprintf("+120155501%02d", i%30) // each number twice
		if i == 59 {
			number = damaged
		}
		wg.Go(func() {
			res, err := s.IssueGuarded(ctx, req(number), countOn(now, "shared", "n:"+number))
			results <- result{number, res, err}
		})
	}
	wg.Wait()
	close(results)
	issued := map[string]int{}
	for r := range results {
		switch {
		case r.number == damaged:
			if !errors.Is(r.err, store.ErrCorrupt) {
				t.Errorf("the damaged record's send: %+v, %v; want ErrCorrupt", r.res, r.err)
			}
		case r.err != nil:
			t.Errorf("send to %s: %v", r.number, r.err)
		case r.res.Outcome == store.Issued:
			issued[r.number]++
		case r.res.Outcome != store.IssueCooldown:
			t.Errorf("send to %s = %+v, want Issued or IssueCooldown", r.number, r.res)
		}
	}
	total := 0
	for i := range 30 {
		number := fmt.Sprintf("+120155501%02d", i)
		if issued[number] != 1 {
			t.Errorf("%s: %d sends issued, want 1", number, issued[number])
		}
		if n := sentOn(t, s, now, "n:"+number); n != issued[number] {
			t.Errorf("%s: counted %d sends, issued %d", number, n, issued[number])
		}
		total += issued[number]
	}
	if n := sentOn(t, s, now, "shared"); n != total {
		t.Errorf("the shared counter holds %d, want the %d issued", n, total)
	}
	if n := sentOn(t, s, now, "n:"+damaged); n != 0 {
		t.Errorf("the damaged record's send was counted %d times", n)
	}
	if v, err := s.client.Get(ctx, s.key(damaged)).Result(); err != nil || v != "garbage" {
		t.Errorf("the damaged value is now %q, %v", v, err)
	}
}
