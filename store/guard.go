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
	// only compute from the entries it is given.
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
