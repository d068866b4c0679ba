package storetest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/store"
)

// guardTests are run when the store implements [store.GuardStore].
var guardTests = []struct {
	name string
	fn   func(t *testing.T, g store.GuardStore)
}{
	{"GuardReadWriteExpire", testGuardReadWrite},
	{"GuardErrorWritesNothing", testGuardError},
	{"GuardRaceExactLimit", testGuardRace},
	{"GuardScan", testGuardScan},
}

var ctx = context.Background()

func sent(e *store.GuardEntry) int {
	n := 0
	for _, s := range e.Slots {
		n += s.Sent
	}
	return n
}

func testGuardReadWrite(t *testing.T, g store.GuardStore) {
	keys := []string{"p:+1201555", "c:US"}
	err := g.UpdateGuard(ctx, base, keys, func(es []*store.GuardEntry) error {
		if len(es) != 2 || sent(es[0]) != 0 || !es[1].BlockedUntil.IsZero() {
			t.Errorf("fresh entries = %+v", es)
		}
		es[0].Slots = []store.GuardSlot{{Start: base, Sent: 1}}
		es[0].Members = map[string]time.Time{"US": base}
		es[0].Expires = base.Add(time.Hour)
		es[1].BlockedUntil, es[1].BlockReason, es[1].Expires = base.Add(time.Minute), "manual", base.Add(time.Minute)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = g.UpdateGuard(ctx, base.Add(30*time.Second), keys, func(es []*store.GuardEntry) error {
		if sent(es[0]) != 1 || !es[0].Members["US"].Equal(base) || !es[0].Expires.Equal(base.Add(time.Hour)) {
			t.Errorf("entry 0 = %+v", es[0])
		}
		if !es[1].BlockedUntil.Equal(base.Add(time.Minute)) || es[1].BlockReason != "manual" {
			t.Errorf("entry 1 = %+v", es[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Past its Expires an entry is gone.
	err = g.UpdateGuard(ctx, base.Add(2*time.Minute), keys, func(es []*store.GuardEntry) error {
		if sent(es[0]) != 1 || !es[1].BlockedUntil.IsZero() || es[1].BlockReason != "" {
			t.Errorf("after the block expired: %+v %+v", es[0], es[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testGuardError(t *testing.T, g store.GuardStore) {
	boom := errors.New("boom")
	err := g.UpdateGuard(ctx, base, []string{"k"}, func(es []*store.GuardEntry) error {
		es[0].Slots = []store.GuardSlot{{Start: base, Sent: 9}}
		es[0].Expires = base.Add(time.Hour)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateGuard = %v, want fn's error", err)
	}
	g.UpdateGuard(ctx, base, []string{"k"}, func(es []*store.GuardEntry) error {
		if sent(es[0]) != 0 {
			t.Errorf("a failed update was written: %+v", es[0])
		}
		return nil
	})
}

// testGuardRace: many clients admit sends against a limit of 5 on a shared
// key (and each on its own key too): exactly 5 get through.
func testGuardRace(t *testing.T, g store.GuardStore) {
	const clients, limit = 40, 5
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			own := string(rune('a' + i%26))
			err := g.UpdateGuard(ctx, base, []string{"shared", "own:" + own}, func(es []*store.GuardEntry) error {
				ok = false
				if sent(es[0]) >= limit {
					return nil
				}
				for _, e := range es {
					if len(e.Slots) == 0 {
						e.Slots = []store.GuardSlot{{Start: base}}
					}
					e.Slots[0].Sent++
					e.Expires = base.Add(time.Hour)
				}
				ok = true
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != limit {
		t.Errorf("%d admitted, want exactly %d", allowed, limit)
	}
	g.UpdateGuard(ctx, base, []string{"shared"}, func(es []*store.GuardEntry) error {
		if n := sent(es[0]); n != limit {
			t.Errorf("the shared counter holds %d, want %d", n, limit)
		}
		return nil
	})
}

func testGuardScan(t *testing.T, g store.GuardStore) {
	for key, life := range map[string]time.Duration{"live1": time.Hour, "live2": time.Minute, "gone": time.Second} {
		err := g.UpdateGuard(ctx, base, []string{key}, func(es []*store.GuardEntry) error {
			es[0].Slots = []store.GuardSlot{{Start: base, Sent: 1}}
			es[0].Expires = base.Add(life)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	if err := g.ScanGuard(ctx, base.Add(2*time.Second), func(k string, e store.GuardEntry) error {
		seen = append(seen, k)
		if sent(&e) != 1 {
			t.Errorf("%s: %+v", k, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(seen)
	if len(seen) != 2 || seen[0] != "live1" || seen[1] != "live2" {
		t.Errorf("ScanGuard saw %q, want live1 and live2", seen)
	}
	// A rewrite that keeps the expiry, then one that moves it past every
	// other entry's: the scan follows both (Redis indexes entries by
	// expiry, and re-indexes only when it moves).
	rewrite := func(at time.Time, sentTo int, expires time.Time) {
		t.Helper()
		err := g.UpdateGuard(ctx, at, []string{"live2"}, func(es []*store.GuardEntry) error {
			es[0].Slots = []store.GuardSlot{{Start: base, Sent: sentTo}}
			es[0].Expires = expires
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	scan := func(at time.Time) map[string]int {
		t.Helper()
		got := map[string]int{}
		if err := g.ScanGuard(ctx, at, func(k string, e store.GuardEntry) error {
			got[k] = sent(&e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	rewrite(base.Add(3*time.Second), 2, base.Add(time.Minute))
	if got := scan(base.Add(4 * time.Second)); len(got) != 2 || got["live2"] != 2 {
		t.Errorf("after a rewrite with the same expiry, ScanGuard saw %v, want live1 and live2 with 2 sends", got)
	}
	rewrite(base.Add(5*time.Second), 3, base.Add(2*time.Hour))
	if got := scan(base.Add(90 * time.Minute)); len(got) != 1 || got["live2"] != 3 {
		t.Errorf("after its expiry moved, ScanGuard saw %v, want live2 alone with 3 sends", got)
	}
}

// testUnlock: a support agent lifts a lock and the wrong tries.
func testUnlock(t *testing.T, h h) {
	u, ok := h.s.(store.Unlocker)
	if !ok {
		t.Skip("the store cannot unlock")
	}
	if changed, err := u.Unlock(ctx, store.UnlockRequest{Number: num1, Now: base, Policy: policy}); err != nil || changed {
		t.Fatalf("Unlock of an unknown number = %v, %v", changed, err)
	}
	h.mustIssue(num1, "123456", base, policy)
	for i := range policy.MaxAttempts {
		h.check(num1, "000000", base.Add(time.Duration(i+1)*time.Second), policy)
	}
	h.wantCheck(num1, "000000", base.Add(10*time.Second), policy, store.NumberLocked, 0)
	if changed, err := u.Unlock(ctx, store.UnlockRequest{Number: num1, Now: base.Add(11 * time.Second), Policy: policy}); err != nil || !changed {
		t.Fatalf("Unlock = %v, %v", changed, err)
	}
	// The burned code stays gone; a new send after the cooldown has all its tries.
	h.wantCheck(num1, "123456", base.Add(12*time.Second), policy, store.NoCode, policy.MaxAttempts)
	h.mustIssue(num1, "222222", base.Add(time.Minute), policy)
	h.wantCheck(num1, "000000", base.Add(61*time.Second), policy, store.WrongCode, policy.MaxAttempts-1)
	if changed, _ := u.Unlock(ctx, store.UnlockRequest{Number: num1, Now: base.Add(62 * time.Second), Policy: policy}); !changed {
		t.Error("Unlock of a counted wrong try changed nothing")
	}
	h.wantCheck(num1, "222222", base.Add(63*time.Second), policy, store.Approved, policy.MaxAttempts)
}

// testSendsBounded: without a cap on sends a record keeps only the last
// send, so sending to one number again and again cannot grow it.
func testSendsBounded(t *testing.T, h h) {
	p := policy
	p.MaxSends, p.ResendAfter = 0, time.Second
	for i := range 50 {
		h.mustIssue(num1, "123456", base.Add(time.Duration(i)*time.Second), p)
	}
	rec, _, err := h.s.Get(ctx, num1)
	if err != nil || len(rec.Sends) != 1 {
		t.Fatalf("after 50 sends without a cap the record holds %d sends (%v), want 1", len(rec.Sends), err)
	}
	h.mustIssue(num2, "123456", base, policy)
	for i := 1; i < 5; i++ {
		h.mustIssue(num2, "123456", base.Add(time.Duration(i)*policy.ResendAfter), policy)
	}
	if rec, _, _ := h.s.Get(ctx, num2); len(rec.Sends) != policy.MaxSends {
		t.Fatalf("with a cap of %d the record holds %d sends", policy.MaxSends, len(rec.Sends))
	}
}
