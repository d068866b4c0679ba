package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/otpkit/otpkit/store"
)

// clockSteps are the steps back the suite takes: an NTP step, a server
// whose clock is an hour off, and a clock a year off.
var clockSteps = []time.Duration{time.Minute, time.Hour, 365 * 24 * time.Hour}

// testClockBackBoundedWaits sends, wrong-tries and locks on one clock, then
// steps it back: no refusal may ask for a wait longer than the window that
// applies, and a code issued "in the future" of the clock is not accepted.
func testClockBackBoundedWaits(t *testing.T, h h) {
	for i, back := range clockSteps {
		t.Run(back.String(), func(t *testing.T) {
			ctx := context.Background()
			n1, n2, n3 := fmt.Sprintf("+1201555011%d", i), fmt.Sprintf("+1201555012%d", i), fmt.Sprintf("+1201555013%d", i)
			// Cooldown: one send, then a send on the clock stepped back.
			h.mustIssue(n1, "111111", base, policy)
			then := base.Add(-back)
			res := h.issue(n1, "222222", then, policy)
			if res.Outcome != store.IssueCooldown || res.RetryAt.Sub(then) > policy.ResendAfter || res.RetryAt.Before(then) {
				t.Fatalf("send %v back: %+v; want a cooldown of at most %v", back, res, policy.ResendAfter)
			}
			// The first code was issued after this clock's now: not accepted.
			if c := h.check(n1, "111111", then, policy); c.Outcome == store.Approved {
				t.Fatalf("check %v back: a code issued later by the clock was approved", back)
			}
			// After the cooldown, on the stepped-back clock, a send works.
			h.mustIssue(n1, "333333", then.Add(policy.ResendAfter), policy)
			h.wantCheck(n1, "333333", then.Add(policy.ResendAfter+time.Second), policy, store.Approved, policy.MaxAttempts)

			// Send window: MaxSends sends, then a send stepped back.
			now := base
			for range policy.MaxSends {
				h.mustIssue(n2, "111111", now, policy)
				now = now.Add(policy.ResendAfter)
			}
			then = now.Add(-back)
			res = h.issue(n2, "222222", then, policy)
			if res.Outcome == store.Issued || res.RetryAt.Sub(then) > policy.SendWindow {
				t.Fatalf("send window %v back: %+v; want a wait of at most %v", back, res, policy.SendWindow)
			}

			// Lockout: MaxAttempts wrong tries, then a send and a check stepped back.
			h.mustIssue(n3, "111111", base, policy)
			for range policy.MaxAttempts {
				h.check(n3, "000000", base.Add(time.Second), policy)
			}
			then = base.Add(-back)
			res = h.issue(n3, "222222", then, policy)
			if res.Outcome != store.IssueLocked || res.RetryAt.Sub(then) > policy.Lockout {
				t.Fatalf("send while locked %v back: %+v; want a lock of at most %v", back, res, policy.Lockout)
			}
			c := h.check(n3, "111111", then, policy)
			if c.Outcome != store.NumberLocked || c.LockedUntil.Sub(then) > policy.Lockout {
				t.Fatalf("check while locked %v back: %+v; want a lock of at most %v", back, c, policy.Lockout)
			}
			h.mustIssue(n3, "333333", then.Add(policy.Lockout), policy)

			// Purge on the stepped-back clock forgets everything once the
			// windows have passed by that clock.
			later := then.Add(policy.SendWindow + policy.Lockout + ttl)
			if _, err := h.s.Purge(ctx, store.PurgeRequest{Now: later, Policy: policy}); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{n1, n2, n3} {
				if r, ok, err := h.s.Get(ctx, n); err != nil || ok {
					t.Fatalf("after purge %v back: %s still holds %+v (err %v)", back, n, r, err)
				}
			}
		})
	}
}
