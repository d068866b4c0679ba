// Package storetest is the conformance suite that every [store.Store]
// implementation must pass, in the manner of restic's backend tests.
//
// A store's test calls [Run] with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
//	}
//
// Stores may keep times at millisecond precision; the suite uses whole
// milliseconds.
package storetest

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

// Opener returns a new, empty store for one test. The suite closes it.
type Opener func(t *testing.T) store.Store

// base is the suite's clock origin: whole milliseconds, far from zero.
var base = testclock.Base().Truncate(time.Millisecond)

// policy is the limits the suite uses unless a test sets its own.
var policy = store.Policy{
	MaxAttempts: 5,
	Lockout:     10 * time.Minute,
	ResendAfter: 30 * time.Second,
	MaxSends:    5,
	SendWindow:  time.Hour,
}

const (
	num1 = "+12015550101"
	num2 = "+12015550102"
	ttl  = 10 * time.Minute
)

func hash(s string) []byte { return []byte("hash-of-" + s + "-padded-to-32-bytes")[:32] }

// h is a store under test with helpers that fail the test on store errors.
type h struct {
	t *testing.T
	s store.Store
}

func (h h) issue(number, code string, now time.Time, p store.Policy) store.IssueResult {
	h.t.Helper()
	res, err := h.s.Issue(context.Background(), store.IssueRequest{
		Number: number, Hash: hash(code), Now: now, ExpiresAt: now.Add(ttl), Policy: p,
	})
	if err != nil {
		h.t.Fatalf("Issue(%s, %s): %v", number, code, err)
	}
	return res
}

func (h h) check(number, code string, now time.Time, p store.Policy) store.CheckResult {
	h.t.Helper()
	res, err := h.s.Check(context.Background(), store.CheckRequest{Number: number, Hash: hash(code), Now: now, Policy: p})
	if err != nil {
		h.t.Fatalf("Check(%s, %s): %v", number, code, err)
	}
	return res
}

func (h h) mustIssue(number, code string, now time.Time, p store.Policy) store.IssueResult {
	h.t.Helper()
	res := h.issue(number, code, now, p)
	if res.Outcome != store.Issued {
		h.t.Fatalf("Issue(%s) at +%v: outcome %v, want Issued", number, now.Sub(base), res.Outcome)
	}
	return res
}

func (h h) wantCheck(number, code string, now time.Time, p store.Policy, want store.CheckOutcome, wantLeft int) store.CheckResult {
	h.t.Helper()
	res := h.check(number, code, now, p)
	if res.Outcome != want || res.AttemptsLeft != wantLeft {
		h.t.Fatalf("Check(%s, %s) at +%v = outcome %v, %d left; want %v, %d left",
			number, code, now.Sub(base), res.Outcome, res.AttemptsLeft, want, wantLeft)
	}
	return res
}

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h h)
	}{
		{"ApproveOnce", testApproveOnce},
		{"UnknownNumber", testUnknownNumber},
		{"Expiry", testExpiry},
		{"WrongTriesThenLockout", testLockout},
		{"LockoutOffBurnsCode", testLockoutOff},
		{"NewSendReplacesCode", testReplace},
		{"ResendKeepsWrongTries", testResendKeepsTries},
		{"Cooldown", testCooldown},
		{"SendWindow", testSendWindow},
		{"LimitsOff", testLimitsOff},
		{"NumbersAreIndependent", testIndependent},
		{"Cancel", testCancel},
		{"Get", testGet},
		{"Purge", testPurge},
		{"ConcurrentApproveOnce", testConcurrentApprove},
		{"ConcurrentWrongTriesNoneLost", testConcurrentWrong},
		{"ConcurrentNumbers", testConcurrentNumbers},
		{"CanceledContext", testCanceledContext},
		{"Closed", testClosed},
		{"ClockBackBoundedWaits", testClockBackBoundedWaits},
		{"KeyFingerprint", testKeyFingerprint},
		{"Unlock", testUnlock},
		{"SendsBounded", testSendsBounded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			closed := false
			t.Cleanup(func() {
				if !closed {
					s.Close()
				}
			})
			if tc.name == "Closed" {
				closed = true
			}
			tc.fn(t, h{t, s})
		})
	}
	for _, tc := range guardTests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			g, ok := s.(store.GuardStore)
			if !ok {
				t.Skip("the store does not keep the abuse guard's state")
			}
			tc.fn(t, g)
		})
	}
	for _, tc := range guardTxTests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			g, ok := s.(store.GuardStore)
			tx, ok2 := s.(store.GuardIssuer)
			if !ok || !ok2 {
				t.Skip("the store runs no guard step with its records")
			}
			// A step that refuses and reads nothing changes nothing: a probe
			// of whether the store can here (not on a Redis Cluster).
			refuse := store.GuardStep{Now: base, Fn: func([]*store.GuardEntry) (bool, error) { return false, nil }}
			if _, err := tx.IssueGuarded(ctx, issueReq(num1, "123456", base), refuse); errors.Is(err, errors.ErrUnsupported) {
				t.Skipf("the store declines guarded issues here: %v", err)
			}
			tc.fn(t, h{t, s}, g, tx)
		})
	}
}

func testApproveOnce(t *testing.T, h h) {
	h.mustIssue(num1, "123456", base, policy)
	h.wantCheck(num1, "123456", base.Add(time.Second), policy, store.Approved, 5)
	h.wantCheck(num1, "123456", base.Add(2*time.Second), policy, store.CodeUsed, 5)
	// A used code cannot be burned by wrong tries either.
	h.wantCheck(num1, "000000", base.Add(3*time.Second), policy, store.CodeUsed, 5)
}

func testUnknownNumber(t *testing.T, h h) {
	h.wantCheck(num1, "123456", base, policy, store.NoCode, 5)
	if _, ok, err := h.s.Get(context.Background(), num1); err != nil || ok {
		t.Fatalf("Get after a check of an unknown number = ok %v, err %v; want no record", ok, err)
	}
}

func testExpiry(t *testing.T, h h) {
	h.mustIssue(num1, "123456", base, policy)
	h.wantCheck(num1, "123456", base.Add(ttl), policy, store.CodeExpired, 5)
	// An expired code does not count wrong tries.
	h.wantCheck(num1, "000000", base.Add(ttl+time.Second), policy, store.CodeExpired, 5)
	h.mustIssue(num1, "654321", base.Add(ttl), policy)
	h.wantCheck(num1, "654321", base.Add(ttl+time.Millisecond), policy, store.Approved, 5)
}

func testLockout(t *testing.T, h h) {
	h.mustIssue(num1, "123456", base, policy)
	now := base
	for left := 4; left >= 1; left-- {
		now = now.Add(time.Second)
		h.wantCheck(num1, "000000", now, policy, store.WrongCode, left)
	}
	now = now.Add(time.Second)
	res := h.wantCheck(num1, "000000", now, policy, store.WrongCode, 0)
	if want := now.Add(policy.Lockout); !res.LockedUntil.Equal(want) {
		t.Fatalf("LockedUntil after the last try = %v, want %v", res.LockedUntil, want)
	}
	// Locked: not even the right code passes, and nothing is counted.
	locked := h.wantCheck(num1, "123456", now.Add(time.Second), policy, store.NumberLocked, 0)
	if !locked.LockedUntil.Equal(res.LockedUntil) {
		t.Fatalf("LockedUntil while locked = %v, want %v", locked.LockedUntil, res.LockedUntil)
	}
	is := h.issue(num1, "111111", now.Add(time.Minute), policy)
	if is.Outcome != store.IssueLocked || !is.RetryAt.Equal(res.LockedUntil) {
		t.Fatalf("Issue while locked = %v retry %v, want IssueLocked retry %v", is.Outcome, is.RetryAt, res.LockedUntil)
	}
	// The lock lapses; the burned code stays gone; a new send works.
	after := res.LockedUntil
	h.wantCheck(num1, "123456", after, policy, store.NoCode, 5)
	h.mustIssue(num1, "222222", after, policy)
	h.wantCheck(num1, "222222", after.Add(time.Second), policy, store.Approved, 5)
}

func testLockoutOff(t *testing.T, h h) {
	p := policy
	p.Lockout = 0
	p.MaxAttempts = 2
	h.mustIssue(num1, "123456", base, p)
	h.wantCheck(num1, "000000", base.Add(time.Second), p, store.WrongCode, 1)
	res := h.wantCheck(num1, "000000", base.Add(2*time.Second), p, store.WrongCode, 0)
	if !res.LockedUntil.IsZero() {
		t.Fatalf("LockedUntil with Lockout off = %v, want zero", res.LockedUntil)
	}
	h.wantCheck(num1, "123456", base.Add(3*time.Second), p, store.NoCode, 2)
	h.mustIssue(num1, "222222", base.Add(time.Minute), p)
}

func testReplace(t *testing.T, h h) {
	h.mustIssue(num1, "111111", base, policy)
	h.wantCheck(num1, "000000", base.Add(time.Second), policy, store.WrongCode, 4)
	h.mustIssue(num1, "222222", base.Add(time.Minute), policy)
	// The old code is gone, and a try with it is a wrong try; the tries
	// are the number's, so they carry over to the new code.
	h.wantCheck(num1, "111111", base.Add(61*time.Second), policy, store.WrongCode, 3)
	h.wantCheck(num1, "222222", base.Add(62*time.Second), policy, store.Approved, 3)
	// A correct code forgets the wrong tries.
	h.mustIssue(num1, "333333", base.Add(2*time.Minute), policy)
	h.wantCheck(num1, "333333", base.Add(2*time.Minute+time.Second), policy, store.Approved, 5)
}

// testResendKeepsTries: resending does not buy guesses. Wrong tries count
// against the number over the send window, so MaxAttempts wrong tries
// spread over several codes lock it; they are forgotten with the last send
// that leaves the window.
func testResendKeepsTries(t *testing.T, h h) {
	now := base
	tries := 0
	for code := range 3 {
		h.mustIssue(num1, fmt.Sprintf("%06d", 100000+code), now, policy)
		for range 2 {
			if tries == policy.MaxAttempts-1 {
				break
			}
			now = now.Add(time.Second)
			tries++
			h.wantCheck(num1, "000000", now, policy, store.WrongCode, policy.MaxAttempts-tries)
		}
		now = now.Add(policy.ResendAfter)
	}
	// Four wrong tries over three codes: the fifth, against the third
	// code, locks the number.
	res := h.wantCheck(num1, "000000", now, policy, store.WrongCode, 0)
	if want := now.Add(policy.Lockout); !res.LockedUntil.Equal(want) {
		t.Fatalf("LockedUntil = %v, want %v: resends reset the wrong tries", res.LockedUntil, want)
	}
	// Outside the window the count starts again: one wrong try, then a
	// send an hour later, leaves all the tries.
	h.mustIssue(num2, "111111", base, policy)
	h.wantCheck(num2, "000000", base.Add(time.Second), policy, store.WrongCode, 4)
	later := base.Add(policy.SendWindow + time.Second)
	h.mustIssue(num2, "222222", later, policy)
	h.wantCheck(num2, "000000", later.Add(time.Second), policy, store.WrongCode, 4)
}

func testCooldown(t *testing.T, h h) {
	h.mustIssue(num1, "111111", base, policy)
	res := h.issue(num1, "222222", base.Add(10*time.Second), policy)
	if res.Outcome != store.IssueCooldown || !res.RetryAt.Equal(base.Add(30*time.Second)) {
		t.Fatalf("Issue within cooldown = %v retry %v, want IssueCooldown retry +30s", res.Outcome, res.RetryAt)
	}
	// The refused send did not replace the code.
	h.wantCheck(num1, "111111", base.Add(11*time.Second), policy, store.Approved, 5)
	h.mustIssue(num1, "333333", base.Add(30*time.Second), policy)
}

func testSendWindow(t *testing.T, h h) {
	now := base
	for i := range 5 {
		res := h.mustIssue(num1, fmt.Sprint(i), now, policy)
		if res.SendsLeft != 4-i {
			t.Fatalf("send %d: SendsLeft = %d, want %d", i+1, res.SendsLeft, 4-i)
		}
		wantNext := now.Add(policy.ResendAfter)
		if i == 4 {
			wantNext = base.Add(time.Hour) // the window is full until the first send leaves it
		}
		if !res.NextAt.Equal(wantNext) {
			t.Fatalf("send %d: NextAt = +%v, want +%v", i+1, res.NextAt.Sub(base), wantNext.Sub(base))
		}
		now = now.Add(time.Minute)
	}
	res := h.issue(num1, "x", now, policy)
	if want := base.Add(time.Hour); res.Outcome != store.IssueLimit || !res.RetryAt.Equal(want) {
		t.Fatalf("6th send in the window = %v retry %v, want IssueLimit retry %v", res.Outcome, res.RetryAt, want)
	}
	// Within the cooldown as well as over the limit: the later time wins.
	p := policy
	p.ResendAfter = 2 * time.Hour
	res = h.issue(num1, "x", now, p)
	if want := base.Add(4*time.Minute + 2*time.Hour); res.Outcome != store.IssueCooldown || !res.RetryAt.Equal(want) {
		t.Fatalf("send over limit and in a long cooldown = %v retry %v, want IssueCooldown retry %v", res.Outcome, res.RetryAt, want)
	}
	// The oldest send leaves the window: one place frees up, not more.
	h.mustIssue(num1, "y", base.Add(time.Hour), policy)
	res = h.issue(num1, "z", base.Add(time.Hour+30*time.Second), policy)
	if want := base.Add(time.Hour + time.Minute); res.Outcome != store.IssueLimit || !res.RetryAt.Equal(want) {
		t.Fatalf("send after the freed place was taken = %v retry %v, want IssueLimit retry %v", res.Outcome, res.RetryAt, want)
	}
}

func testLimitsOff(t *testing.T, h h) {
	var p store.Policy
	for i := range 20 {
		h.mustIssue(num1, fmt.Sprint(i), base.Add(time.Duration(i)*time.Millisecond), p)
	}
	for i := range 50 {
		h.wantCheck(num1, "wrong", base.Add(time.Second+time.Duration(i)*time.Millisecond), p, store.WrongCode, -1)
	}
	h.wantCheck(num1, "19", base.Add(2*time.Second), p, store.Approved, -1)
}

func testIndependent(t *testing.T, h h) {
	h.mustIssue(num1, "111111", base, policy)
	h.mustIssue(num2, "222222", base, policy)
	h.wantCheck(num1, "222222", base.Add(time.Second), policy, store.WrongCode, 4)
	h.wantCheck(num2, "222222", base.Add(time.Second), policy, store.Approved, 5)
	h.wantCheck(num1, "111111", base.Add(time.Second), policy, store.Approved, 4)
}

func testCancel(t *testing.T, h h) {
	ctx := context.Background()
	res := h.mustIssue(num1, "111111", base, policy)
	// Cancel with another hash changes nothing.
	if err := h.s.Cancel(ctx, store.CancelRequest{Number: num1, Hash: hash("999999"), SentAt: res.SentAt}); err != nil {
		t.Fatal(err)
	}
	if is := h.issue(num1, "x", base.Add(time.Second), policy); is.Outcome != store.IssueCooldown {
		t.Fatalf("after cancel with a wrong hash, Issue = %v, want IssueCooldown", is.Outcome)
	}
	if err := h.s.Cancel(ctx, store.CancelRequest{Number: num1, Hash: hash("111111"), SentAt: res.SentAt}); err != nil {
		t.Fatal(err)
	}
	h.wantCheck(num1, "111111", base.Add(time.Second), policy, store.NoCode, 5)
	// The failed send was refunded: no cooldown, and it does not count.
	for i := range 5 {
		h.mustIssue(num1, fmt.Sprint(i), base.Add(time.Duration(2+30*i)*time.Second), policy)
	}
	// Cancelling an unknown number is not an error.
	if err := h.s.Cancel(ctx, store.CancelRequest{Number: num2, Hash: hash("1"), SentAt: base}); err != nil {
		t.Fatalf("Cancel of an unknown number: %v", err)
	}
}

func testGet(t *testing.T, h h) {
	ctx := context.Background()
	h.mustIssue(num1, "111111", base, policy)
	h.wantCheck(num1, "000000", base.Add(time.Second), policy, store.WrongCode, 4)
	rec, ok, err := h.s.Get(ctx, num1)
	if err != nil || !ok {
		t.Fatalf("Get = ok %v, err %v", ok, err)
	}
	if string(rec.Hash) != string(hash("111111")) || !rec.ExpiresAt.Equal(base.Add(ttl)) || rec.Attempts != 1 ||
		rec.Used || !rec.LockedUntil.IsZero() || len(rec.Sends) != 1 || !rec.Sends[0].Equal(base) {
		t.Fatalf("Get = %+v", rec)
	}
	// The record is a copy.
	rec.Hash[0] ^= 0xff
	h.wantCheck(num1, "111111", base.Add(2*time.Second), policy, store.Approved, 4)
}

func testPurge(t *testing.T, h h) {
	ctx := context.Background()
	purge := func(now time.Time) int {
		t.Helper()
		n, err := h.s.Purge(ctx, store.PurgeRequest{Now: now, Policy: policy})
		if err != nil {
			t.Fatalf("Purge: %v", err)
		}
		return n
	}
	const (
		pending = "+12015550111"
		used    = "+12015550112"
		expired = "+12015550113"
		locked  = "+12015550114"
	)
	for _, n := range []string{pending, used, expired, locked} {
		h.mustIssue(n, "111111", base, policy)
	}
	h.mustIssue(pending, "222222", base.Add(5*time.Minute), policy) // expires at +15m
	h.wantCheck(used, "111111", base.Add(time.Minute), policy, store.Approved, 5)
	for range 5 {
		h.check(locked, "000000", base.Add(time.Minute), policy) // locked until +11m
	}
	now := base.Add(ttl + time.Minute) // +11m: expired's code is dead, lock still holds at +11m-ε? no: lapsed at +11m
	if n := purge(now.Add(-time.Second)); n != 2 {
		t.Fatalf("Purge at +11m-1s = %d, want 2 (the used and the expired code)", n)
	}
	// The pending code and the lock survive a purge; the rate limit too.
	h.wantCheck(locked, "111111", now.Add(-time.Millisecond), policy, store.NumberLocked, 0)
	if res := h.issue(used, "333333", now, policy); res.Outcome != store.Issued {
		t.Fatalf("Issue after purge = %v", res.Outcome)
	}
	h.wantCheck(pending, "222222", now, policy, store.Approved, 5)
	if n := purge(now); n != 1 { // pending's code is now used
		t.Fatalf("second Purge = %d, want 1", n)
	}
	// An hour on, nothing is live: every record goes.
	later := base.Add(3 * time.Hour)
	if n := purge(later); n != 4 {
		t.Fatalf("Purge after the window = %d, want 4", n)
	}
	for _, n := range []string{pending, used, expired, locked} {
		if _, ok, err := h.s.Get(ctx, n); err != nil || ok {
			t.Fatalf("Get(%s) after purge = ok %v, err %v; want gone", n, ok, err)
		}
	}
	if n := purge(later); n != 0 {
		t.Fatalf("Purge of an empty store = %d, want 0", n)
	}
}

func testConcurrentApprove(t *testing.T, h h) {
	h.mustIssue(num1, "123456", base, policy)
	const n = 32
	var wg sync.WaitGroup
	results := make([]store.CheckOutcome, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			res, err := h.s.Check(context.Background(), store.CheckRequest{Number: num1, Hash: hash("123456"), Now: base.Add(time.Second), Policy: policy})
			results[i], errs[i] = res.Outcome, err
		})
	}
	wg.Wait()
	approved := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch results[i] {
		case store.Approved:
			approved++
		case store.CodeUsed:
		default:
			t.Fatalf("concurrent check outcome %v", results[i])
		}
	}
	if approved != 1 {
		t.Fatalf("%d concurrent checks of one code approved %d times, want exactly 1", n, approved)
	}
}

func testConcurrentWrong(t *testing.T, h h) {
	p := policy
	p.MaxAttempts = 10
	h.mustIssue(num1, "123456", base, p)
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	wrong, lefts := 0, map[int]bool{}
	for range n {
		wg.Go(func() {
			res, err := h.s.Check(context.Background(), store.CheckRequest{Number: num1, Hash: hash("000000"), Now: base.Add(time.Second), Policy: p})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if res.Outcome == store.WrongCode {
				wrong++
				if lefts[res.AttemptsLeft] {
					t.Errorf("two tries both left %d attempts: a try was lost", res.AttemptsLeft)
				}
				lefts[res.AttemptsLeft] = true
			} else if res.Outcome != store.NumberLocked {
				t.Errorf("outcome %v, want WrongCode or NumberLocked", res.Outcome)
			}
		})
	}
	wg.Wait()
	if wrong != p.MaxAttempts {
		t.Fatalf("%d concurrent wrong tries counted %d, want exactly MaxAttempts=%d", n, wrong, p.MaxAttempts)
	}
}

func testConcurrentNumbers(t *testing.T, h h) {
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			num := fmt.Sprintf("+1201555%04d", i)
			code := fmt.Sprintf("%06d", i)
			if _, err := h.s.Issue(context.Background(), store.IssueRequest{Number: num, Hash: hash(code), Now: base, ExpiresAt: base.Add(ttl), Policy: policy}); err != nil {
				t.Error(err)
				return
			}
			res, err := h.s.Check(context.Background(), store.CheckRequest{Number: num, Hash: hash(code), Now: base.Add(time.Second), Policy: policy})
			if err != nil || res.Outcome != store.Approved {
				t.Errorf("%s: outcome %v, err %v", num, res.Outcome, err)
			}
		})
	}
	wg.Wait()
}

func testCanceledContext(t *testing.T, h h) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.s.Issue(ctx, store.IssueRequest{Number: num1, Hash: hash("1"), Now: base, ExpiresAt: base.Add(ttl), Policy: policy}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Issue with a canceled context: err %v, want context.Canceled", err)
	}
	h.wantCheck(num1, "1", base.Add(time.Second), policy, store.NoCode, 5)
}

func testClosed(t *testing.T, h h) {
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	if _, err := h.s.Issue(ctx, store.IssueRequest{Number: num1, Hash: hash("1"), Now: base, ExpiresAt: base.Add(ttl), Policy: policy}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Issue after Close: err %v, want ErrClosed", err)
	}
	if _, err := h.s.Check(ctx, store.CheckRequest{Number: num1, Hash: hash("1"), Now: base, Policy: policy}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Check after Close: err %v, want ErrClosed", err)
	}
	if _, _, err := h.s.Get(ctx, num1); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Get after Close: err %v, want ErrClosed", err)
	}
	if _, err := h.s.Purge(ctx, store.PurgeRequest{Now: base, Policy: policy}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Purge after Close: err %v, want ErrClosed", err)
	}
}

// testKeyFingerprint: a store that is a store.KeyChecker takes the first
// fingerprint, accepts it again, and refuses another with ErrKeyMismatch,
// keeping the first.
func testKeyFingerprint(t *testing.T, h h) {
	kc, ok := h.s.(store.KeyChecker)
	if !ok {
		t.Skip("not a store.KeyChecker")
	}
	ctx := context.Background()
	a, b := []byte("fingerprint-of-a"), []byte("fingerprint-of-b")
	if err := kc.CheckKey(ctx, a); err != nil {
		t.Fatalf("first fingerprint: %v", err)
	}
	if err := kc.CheckKey(ctx, a); err != nil {
		t.Fatalf("the same fingerprint again: %v", err)
	}
	if err := kc.CheckKey(ctx, b); !errors.Is(err, store.ErrKeyMismatch) {
		t.Fatalf("another fingerprint: %v, want ErrKeyMismatch", err)
	}
	if err := kc.CheckKey(ctx, a); err != nil {
		t.Fatalf("the first fingerprint after a refused one: %v", err)
	}
}
