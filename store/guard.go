package store

import (
	"context"
	"time"
)

// GuardStore is implemented by stores that keep the abuse guard's state
// (package otp's [GuardOptions]): counters of recent sends per prefix,
// country, client and overall, the members a client reached, and blocks.
// The guard's rules live in package otp; a GuardStore only gives them an
// atomic read-modify-write over a few entries, so the rules hold across
// processes and servers sharing the store.
type GuardStore interface {
	// UpdateGuard loads the entries of keys (an absent or expired entry is
	// the zero GuardEntry), calls fn with them in the order of keys, and
	// writes back what fn left, all in one atomic step: no other
	// UpdateGuard on any of these keys sees a state in between. If fn
	// returns an error nothing is written and UpdateGuard returns it. An
	// entry whose Expires is not after now is deleted. fn may be called
	// more than once (a store may retry a conflicting step), so it must
	// only compute from the entries it is given, and it must not keep them
	// after it returns (a store may reuse their memory).
	UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func(entries []*GuardEntry) error) error
	// ScanGuard calls fn for every live guard entry (Expires after now), in
	// no particular order, for reports. A store may stop early if fn
	// returns an error, and returns that error.
	ScanGuard(ctx context.Context, now time.Time, fn func(key string, e GuardEntry) error) error
}

// GuardEntry is what the abuse guard keeps under one key: counts per time
// slot, the distinct members seen (the countries one client reached), and
// a block.
type GuardEntry struct {
	Slots        []GuardSlot          // counts per slot of the window, oldest first
	Members      map[string]time.Time // member -> last seen
	BlockedUntil time.Time            // blocked before this time (zero: not blocked)
	BlockReason  string               // why: "manual", "conversion", ...
	// Expires is when nothing in the entry matters any more; the store
	// drops it then (and Redis expires it by itself).
	Expires time.Time
}

// GuardSlot counts the sends and verified codes of one slot of time.
type GuardSlot struct {
	Start          time.Time // the slot's start
	Sent, Verified int
}

// Clone returns a deep copy of e.
func (e GuardEntry) Clone() GuardEntry {
	e.Slots = append([]GuardSlot(nil), e.Slots...)
	if e.Members != nil {
		m := make(map[string]time.Time, len(e.Members))
		for k, v := range e.Members {
			m[k] = v
		}
		e.Members = m
	}
	return e
}

// GuardTx is implemented by stores that can run a step of the abuse guard
// in the same atomic step as a record's rule: one transaction, one commit.
// With it a send or a check under the guard costs what it costs without;
// package otp uses it when the store has it, and [GuardStore.UpdateGuard]
// around Issue and Check otherwise. Both ways obey the same rules; this one
// also never counts, even for a moment, a send the number's own limits
// refuse.
type GuardTx interface {
	GuardIssuer
	// CheckGuarded runs the record's [Record.Check] and, if the code is
	// approved, step.Fn on the live entries of step.Keys (whose proceed is
	// ignored), in one atomic step.
	CheckGuarded(ctx context.Context, req CheckRequest, step GuardStep) (CheckResult, error)
}

// GuardIssuer is the send half of [GuardTx], for stores that can run the
// guard's step and a record's Issue in one atomic step but not a Check and
// the count of a verified code (Redis, which counts those in the
// background: [GuardDeferrer]). Package otp uses it for sends when the
// store has it.
type GuardIssuer interface {
	// IssueGuarded runs step.Fn on the live entries of step.Keys and, if it
	// lets the send through, the record's [Record.Issue], in one atomic step.
	// The entries are written as Fn left them when the code is issued, or
	// when Fn refused the send (a block it set stays), and not when the
	// record refused it. A refused send's result has Outcome [IssueRefused].
	// A store that cannot do it on its present connection (a Redis Cluster)
	// returns an error wrapping [errors.ErrUnsupported] and does nothing.
	IssueGuarded(ctx context.Context, req IssueRequest, step GuardStep) (IssueResult, error)
}

// GuardStep is the abuse guard's part of a [GuardTx] call: the entries it
// reads and changes, and the change. Fn may be called more than once (a
// store may retry), so it must only compute from the entries it is given,
// and it must not keep them after it returns.
// If Fn returns an error, nothing is written, the record included, and the
// call returns that error.
type GuardStep struct {
	Now  time.Time // what "live" is measured against
	Keys []string
	Fn   func(entries []*GuardEntry) (proceed bool, err error)
}

// ApplyIssueGuarded is [GuardTx.IssueGuarded]'s rule, for stores that hold
// the record and the entries in one transaction: it changes rec and the
// entries and says whether the entries are to be written. On an error
// neither is to be written.
func ApplyIssueGuarded(rec *Record, req IssueRequest, entries []*GuardEntry, step GuardStep) (res IssueResult, writeGuard bool, err error) {
	proceed, err := step.Fn(entries)
	if err != nil {
		return IssueResult{}, false, err
	}
	if !proceed {
		return IssueResult{Outcome: IssueRefused}, true, nil
	}
	res = rec.Issue(req)
	return res, res.Outcome == Issued, nil
}

// ApplyCheckGuarded is [GuardTx.CheckGuarded]'s rule, as ApplyIssueGuarded.
func ApplyCheckGuarded(rec *Record, req CheckRequest, entries []*GuardEntry, step GuardStep) (res CheckResult, writeGuard bool, err error) {
	res = rec.Check(req)
	if res.Outcome != Approved {
		return res, false, nil
	}
	if _, err := step.Fn(entries); err != nil {
		return CheckResult{}, false, err
	}
	return res, true, nil
}

// GuardDeferrer is implemented by stores that can run an UpdateGuard in the
// background, for a count nobody waits on: package otp's count of verified
// codes, on a store that is not a [GuardTx] (Redis, whose records and guard
// entries are in different cluster slots). DeferGuard returns at once; the
// update runs as UpdateGuard would, its error dropped, and Close waits for
// the updates still running.
type GuardDeferrer interface {
	DeferGuard(now time.Time, keys []string, fn func(entries []*GuardEntry) error)
}
