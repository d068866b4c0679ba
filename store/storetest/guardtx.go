package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/store"
)

// guardTxTests are run when the store implements [store.GuardIssuer]; the
// parts about CheckGuarded when it implements [store.GuardTx].
var guardTxTests = []struct {
	name string
	fn   func(t *testing.T, h h, g store.GuardStore, tx store.GuardIssuer)
}{
	{"GuardTxIssuedWritesBoth", testTxIssued},
	{"GuardTxRefusalKeepsEntriesOnly", testTxRefused},
	{"GuardTxRecordRefusalCountsNothing", testTxRecordRefused},
	{"GuardTxErrorWritesNothing", testTxError},
	{"GuardTxCheck", testTxCheck},
	{"GuardTxRaceExactLimit", testTxRace},
}

func issueReq(number, code string, now time.Time) store.IssueRequest {
	return store.IssueRequest{Number: number, Hash: hash(code), Now: now, ExpiresAt: now.Add(ttl), Policy: policy}
}

// countStep counts one send on each of keys, or refuses (setting a block
// on the first) when the first already holds limit.
func countStep(now time.Time, limit int, keys ...string) store.GuardStep {
	return store.GuardStep{Now: now, Keys: keys, Fn: func(es []*store.GuardEntry) (bool, error) {
		if limit > 0 && sent(es[0]) >= limit {
			es[0].BlockedUntil, es[0].BlockReason, es[0].Expires = now.Add(time.Hour), "test", now.Add(time.Hour)
			return false, nil
		}
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

// entry reads the live entry under key at now.
func entry(t *testing.T, g store.GuardStore, now time.Time, key string) store.GuardEntry {
	t.Helper()
	var got store.GuardEntry
	if err := g.UpdateGuard(ctx, now, []string{key}, func(es []*store.GuardEntry) error {
		got = es[0].Clone()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func testTxIssued(t *testing.T, h h, g store.GuardStore, tx store.GuardIssuer) {
	res, err := tx.IssueGuarded(ctx, issueReq(num1, "123456", base), countStep(base, 0, "p:a", "c:b"))
	if err != nil || res.Outcome != store.Issued || !res.SentAt.Equal(base) || res.SendsLeft != policy.MaxSends-1 {
		t.Fatalf("IssueGuarded = %+v, %v; want Issued at base with %d sends left", res, err, policy.MaxSends-1)
	}
	for _, k := range []string{"p:a", "c:b"} {
		if n := sent(ptr(entry(t, g, base, k))); n != 1 {
			t.Errorf("entry %s counts %d sends, want 1", k, n)
		}
	}
	h.wantCheck(num1, "123456", base.Add(time.Second), policy, store.Approved, 5)
}

func testTxRefused(t *testing.T, h h, g store.GuardStore, tx store.GuardIssuer) {
	// A full counter: the step refuses and blocks it.
	res, err := tx.IssueGuarded(ctx, issueReq(num1, "123456", base), countStep(base, -1, "p:a"))
	if err != nil || res.Outcome != store.Issued {
		t.Fatalf("first IssueGuarded = %+v, %v", res, err)
	}
	res, err = tx.IssueGuarded(ctx, issueReq(num2, "654321", base), countStep(base, 1, "p:a"))
	if err != nil || res.Outcome != store.IssueRefused {
		t.Fatalf("IssueGuarded over the limit = %+v, %v; want IssueRefused", res, err)
	}
	if _, ok, err := h.s.Get(ctx, num2); err != nil || ok {
		t.Errorf("a refused send left a record (ok %v, err %v)", ok, err)
	}
	if e := entry(t, g, base, "p:a"); e.BlockReason != "test" || !e.BlockedUntil.Equal(base.Add(time.Hour)) || sent(&e) != 1 {
		t.Errorf("after the refusal the entry is %+v; want the block kept and 1 send", e)
	}
}

func testTxRecordRefused(t *testing.T, h h, g store.GuardStore, tx store.GuardIssuer) {
	h.mustIssue(num1, "123456", base, policy)
	res, err := tx.IssueGuarded(ctx, issueReq(num1, "654321", base.Add(time.Second)), countStep(base.Add(time.Second), 0, "p:a"))
	if err != nil || res.Outcome != store.IssueCooldown {
		t.Fatalf("IssueGuarded in the cooldown = %+v, %v; want IssueCooldown", res, err)
	}
	if n := sent(ptr(entry(t, g, base.Add(time.Second), "p:a"))); n != 0 {
		t.Errorf("a send the record refused was counted %d times", n)
	}
	h.wantCheck(num1, "123456", base.Add(2*time.Second), policy, store.Approved, 5)
}

func testTxError(t *testing.T, h h, g store.GuardStore, tx store.GuardIssuer) {
	boom := errors.New("boom")
	step := countStep(base, 0, "p:a")
	fn := step.Fn
	step.Fn = func(es []*store.GuardEntry) (bool, error) {
		fn(es)
		return true, boom
	}
	if _, err := tx.IssueGuarded(ctx, issueReq(num1, "123456", base), step); !errors.Is(err, boom) {
		t.Fatalf("IssueGuarded = %v, want the step's error", err)
	}
	if _, ok, _ := h.s.Get(ctx, num1); ok {
		t.Error("a failed step left a record")
	}
	if n := sent(ptr(entry(t, g, base, "p:a"))); n != 0 {
		t.Errorf("a failed step was written: %d sends", n)
	}
	// In a check, a failed step undoes the approval too.
	gtx := checkTx(t, tx)
	h.mustIssue(num1, "123456", base, policy)
	creq := store.CheckRequest{Number: num1, Hash: hash("123456"), Now: base.Add(time.Second), Policy: policy}
	if _, err := gtx.CheckGuarded(ctx, creq, step); !errors.Is(err, boom) {
		t.Fatalf("CheckGuarded = %v, want the step's error", err)
	}
	h.wantCheck(num1, "123456", base.Add(2*time.Second), policy, store.Approved, 5)
}

// checkTx returns tx as a GuardTx, or skips the rest of the test.
func checkTx(t *testing.T, tx store.GuardIssuer) store.GuardTx {
	t.Helper()
	c, ok := tx.(store.GuardTx)
	if !ok {
		t.Skip("the store counts a verified code apart from the check (no CheckGuarded)")
	}
	return c
}

func testTxCheck(t *testing.T, h h, g store.GuardStore, tx0 store.GuardIssuer) {
	tx := checkTx(t, tx0)
	h.mustIssue(num1, "123456", base, policy)
	check := func(code string, at time.Duration) store.CheckResult {
		t.Helper()
		now := base.Add(at)
		res, err := tx.CheckGuarded(ctx, store.CheckRequest{Number: num1, Hash: hash(code), Now: now, Policy: policy}, countStep(now, 0, "p:a"))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := check("000000", time.Second); res.Outcome != store.WrongCode || res.AttemptsLeft != 4 {
		t.Fatalf("wrong code = %+v, want WrongCode with 4 left", res)
	}
	if n := sent(ptr(entry(t, g, base.Add(time.Second), "p:a"))); n != 0 {
		t.Errorf("a wrong code ran the step (%d)", n)
	}
	if res := check("123456", 2*time.Second); res.Outcome != store.Approved {
		t.Fatalf("right code = %+v, want Approved", res)
	}
	if n := sent(ptr(entry(t, g, base.Add(2*time.Second), "p:a"))); n != 1 {
		t.Errorf("an approved code ran the step %d times, want 1", n)
	}
	if res := check("123456", 3*time.Second); res.Outcome != store.CodeUsed {
		t.Fatalf("used code = %+v, want CodeUsed", res)
	}
}

// testTxRace: sends to 40 numbers racing against a shared limit of 5:
// exactly 5 are issued and counted, and only they have records.
func testTxRace(t *testing.T, h h, g store.GuardStore, tx store.GuardIssuer) {
	const clients, limit = 40, 5
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		issued []string
	)
	for i := range clients {
		wg.Go(func() {
			number := fmt.Sprintf("+1201555%04d", 100+i)
			res, err := tx.IssueGuarded(ctx, issueReq(number, "123456", base), countStep(base, limit, "shared", "own:"+number))
			if err != nil {
				t.Error(err)
				return
			}
			if res.Outcome == store.Issued {
				mu.Lock()
				issued = append(issued, number)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(issued) != limit {
		t.Fatalf("%d issued, want exactly %d", len(issued), limit)
	}
	if n := sent(ptr(entry(t, g, base, "shared"))); n != limit {
		t.Errorf("the shared counter holds %d, want %d", n, limit)
	}
	records := 0
	for i := range clients {
		if _, ok, err := h.s.Get(ctx, fmt.Sprintf("+1201555%04d", 100+i)); err != nil {
			t.Fatal(err)
		} else if ok {
			records++
		}
	}
	if records != limit {
		t.Errorf("%d records, want %d", records, limit)
	}
}

func ptr(e store.GuardEntry) *store.GuardEntry { return &e }
