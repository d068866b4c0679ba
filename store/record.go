package store

import (
	"bytes"
	"crypto/subtle"
	"time"
)

// Record is everything a store remembers about one number: its pending code
// (as a keyed hash), the wrong tries against it, a lockout, and the recent
// sends that the resend limits count.
//
// Its methods are the rules of otpkit. They change the record in place and
// are meant to run inside a store's transaction.
type Record struct {
	Hash        []byte      // keyed hash of the pending code; nil when there is none
	ExpiresAt   time.Time   // when the pending code stops being accepted
	Used        bool        // the pending code was verified
	Attempts    int         // wrong tries against the number's codes since it last had none in the send window
	LockedUntil time.Time   // the number is locked before this time
	Sends       []time.Time // recent send times, oldest first
}

// Empty reports whether the record holds nothing: no code, no lock, no
// send history. Stores delete empty records rather than keep them.
func (r *Record) Empty() bool {
	return r.Hash == nil && r.LockedUntil.IsZero() && len(r.Sends) == 0
}

// Locked reports whether the number is locked at now.
func (r *Record) Locked(now time.Time) bool { return now.Before(r.LockedUntil) }

// Pending reports whether the record holds a code that can still be verified at now.
func (r *Record) Pending(now time.Time) bool {
	return r.Hash != nil && !r.Used && now.Before(r.ExpiresAt) && !r.Locked(now)
}

// clamp bounds what a clock that stepped back finds in the future, so that
// no wait exceeds the policy's window: send times after now become now (a
// cooldown or window then ends at most ResendAfter or SendWindow from now),
// and a lock ending later than now+Lockout ends then. A pending code issued
// after now (by this clock's reading) is withdrawn: its validity was counted
// from the issuing clock, and a clock gone back must not extend it. It
// reports whether it withdrew a code.
func (r *Record) clamp(now time.Time, p Policy) (cleared bool) {
	if n := len(r.Sends); n > 0 && r.Sends[n-1].After(now) {
		if r.Hash != nil && !r.Used {
			r.Hash, r.ExpiresAt = nil, time.Time{}
			cleared = true
		}
		for i := range r.Sends {
			if r.Sends[i].After(now) {
				r.Sends[i] = now
			}
		}
	}
	if p.Lockout > 0 && r.LockedUntil.After(now.Add(p.Lockout)) {
		r.LockedUntil = now.Add(p.Lockout)
	}
	return cleared
}

// pruneSends drops send times that fell out of the window. Wrong tries are
// counted per number while a send is in the window: when the last one
// leaves it, they are forgotten with it.
func (r *Record) pruneSends(now time.Time, p Policy) {
	defer func() {
		if len(r.Sends) == 0 {
			r.Attempts = 0
		}
	}()
	if p.SendWindow <= 0 {
		// Without a window only the last send matters (for ResendAfter).
		if len(r.Sends) > 1 {
			r.Sends = r.Sends[len(r.Sends)-1:]
		}
		if len(r.Sends) == 1 && (p.ResendAfter <= 0 || !now.Before(r.Sends[0].Add(p.ResendAfter))) {
			r.Sends = nil
		}
		return
	}
	cut := now.Add(-p.SendWindow)
	i := 0
	for i < len(r.Sends) && !r.Sends[i].After(cut) {
		i++
	}
	r.Sends = r.Sends[i:]
	if len(r.Sends) == 0 {
		r.Sends = nil
	}
}

// Issue applies a send at req.Now. A locked number, a send within
// ResendAfter of the last one, and a send beyond MaxSends in SendWindow are
// refused with the time a send may succeed (the latest of the limits that
// apply). Otherwise the new code replaces the pending one and the send is
// recorded. The count of wrong tries carries over: it is per number, not
// per code, so resending cannot buy more guesses than MaxAttempts before
// the lock (it is forgotten when a correct code is verified, when the lock
// is set, and when no send is left in the window).
func (r *Record) Issue(req IssueRequest) IssueResult {
	now, p := req.Now, req.Policy
	r.clamp(now, p)
	r.pruneSends(now, p)
	if r.Locked(now) {
		return IssueResult{Outcome: IssueLocked, RetryAt: r.LockedUntil}
	}
	res := IssueResult{Outcome: Issued}
	if n := len(r.Sends); n > 0 && p.ResendAfter > 0 {
		if next := r.Sends[n-1].Add(p.ResendAfter); now.Before(next) {
			res = IssueResult{Outcome: IssueCooldown, RetryAt: next}
		}
	}
	if p.MaxSends > 0 && len(r.Sends) >= p.MaxSends && p.SendWindow > 0 {
		// The send that frees a place is the (len-MaxSends+1)th oldest.
		next := r.Sends[len(r.Sends)-p.MaxSends].Add(p.SendWindow)
		if next.After(res.RetryAt) {
			res = IssueResult{Outcome: IssueLimit, RetryAt: next}
		}
	}
	if res.Outcome != Issued {
		return res
	}
	r.Hash = append([]byte(nil), req.Hash...)
	r.ExpiresAt = req.ExpiresAt
	r.Used = false
	r.LockedUntil = time.Time{}
	r.Sends = append(r.Sends, now)
	// Only as many sends as a limit counts are kept: MaxSends, or without
	// a cap the last one (for ResendAfter), so a record cannot grow with
	// every send.
	if keep := max(p.MaxSends, 1); len(r.Sends) > keep {
		r.Sends = r.Sends[len(r.Sends)-keep:]
	}
	res.SentAt = now
	res.SendsLeft = -1
	if p.ResendAfter > 0 {
		res.NextAt = now.Add(p.ResendAfter)
	}
	if p.MaxSends > 0 && p.SendWindow > 0 {
		res.SendsLeft = p.MaxSends - len(r.Sends)
		if res.SendsLeft <= 0 {
			if next := r.Sends[len(r.Sends)-p.MaxSends].Add(p.SendWindow); next.After(res.NextAt) {
				res.NextAt = next
			}
		}
	}
	return res
}

// Check applies one verification try at req.Now. A locked number is refused
// without comparing. A matching code (compared in constant time) is marked
// used, so it is accepted once, and the wrong tries are forgotten. A wrong
// code counts a try against the number; the try that reaches MaxAttempts
// burns the code and locks the number for Lockout.
func (r *Record) Check(req CheckRequest) CheckResult {
	now, p := req.Now, req.Policy
	left := func() int {
		if p.MaxAttempts <= 0 {
			return -1
		}
		return max(p.MaxAttempts-r.Attempts, 0)
	}
	r.clamp(now, p)
	switch {
	case r.Locked(now):
		return CheckResult{Outcome: NumberLocked, LockedUntil: r.LockedUntil, AttemptsLeft: 0}
	case r.Hash == nil:
		return CheckResult{Outcome: NoCode, AttemptsLeft: left()}
	case r.Used:
		return CheckResult{Outcome: CodeUsed, AttemptsLeft: left()}
	case !now.Before(r.ExpiresAt):
		return CheckResult{Outcome: CodeExpired, AttemptsLeft: left()}
	}
	if subtle.ConstantTimeCompare(r.Hash, req.Hash) == 1 {
		r.Used = true
		res := CheckResult{Outcome: Approved, AttemptsLeft: left()}
		r.Attempts = 0
		return res
	}
	r.Attempts++
	res := CheckResult{Outcome: WrongCode, AttemptsLeft: left()}
	if res.AttemptsLeft == 0 {
		r.Hash = nil
		r.Attempts = 0
		if p.Lockout > 0 {
			r.LockedUntil = now.Add(p.Lockout)
			res.LockedUntil = r.LockedUntil
		}
	}
	return res
}

// Cancel withdraws the code issued at req.SentAt if it is still the pending,
// unused one, and removes that send from the send history so a failed
// delivery does not count against the limits (the wrong tries stay
// counted). It reports whether it changed the record.
func (r *Record) Cancel(req CancelRequest) bool {
	if r.Hash == nil || r.Used || subtle.ConstantTimeCompare(r.Hash, req.Hash) != 1 {
		return false
	}
	r.Hash = nil
	r.ExpiresAt = time.Time{}
	for i := len(r.Sends) - 1; i >= 0; i-- {
		if r.Sends[i].Equal(req.SentAt) {
			r.Sends = append(r.Sends[:i:i], r.Sends[i+1:]...)
			break
		}
	}
	if len(r.Sends) == 0 {
		r.Sends, r.Attempts = nil, 0
	}
	return true
}

// Purge drops what is dead at req.Now: an expired or used code is cleared,
// and send times outside the window are forgotten. It reports whether it
// cleared a code and whether the record now holds nothing live (no pending
// code, no lock, no send that a limit still counts) and can be deleted.
func (r *Record) Purge(req PurgeRequest) (cleared, empty bool) {
	now := req.Now
	cleared = r.clamp(now, req.Policy)
	if r.Hash != nil && (r.Used || !now.Before(r.ExpiresAt)) {
		r.Hash, r.Used, r.ExpiresAt = nil, false, time.Time{}
		cleared = true
	}
	r.pruneSends(now, req.Policy)
	if !r.Locked(now) {
		r.LockedUntil = time.Time{}
	}
	return cleared, r.Empty()
}

// Equal reports whether r and o hold the same state: the same code hash,
// expiry, use, wrong tries, lock and send times (times compared as
// instants; a nil and an empty hash or send list are the same).
func (r *Record) Equal(o *Record) bool {
	if !bytes.Equal(r.Hash, o.Hash) || !r.ExpiresAt.Equal(o.ExpiresAt) || r.Used != o.Used ||
		r.Attempts != o.Attempts || !r.LockedUntil.Equal(o.LockedUntil) || len(r.Sends) != len(o.Sends) {
		return false
	}
	for i := range r.Sends {
		if !r.Sends[i].Equal(o.Sends[i]) {
			return false
		}
	}
	return true
}

// Unlock lifts the lock and forgets the wrong tries; it reports whether
// there was anything to lift. The pending code, if any, stays.
func (r *Record) Unlock() bool {
	changed := !r.LockedUntil.IsZero() || r.Attempts != 0
	r.LockedUntil, r.Attempts = time.Time{}, 0
	return changed
}
