package guardcodec

import (
	"maps"

	"github.com/otpkit/otpkit/store"
)

// Arena copies guard entries in memory it takes in chunks. A batch of guard
// calls copies an entry for every call on it (a country's entry is in every
// send), and allocating each copy and its slots apart was a large share of
// a guarded send's garbage. The zero Arena is ready; an Arena is for one
// goroutine.
//
// A copy lives as long as any copy of its chunk, so what outlives the batch
// (a cache) should keep entries of its own ([store.GuardEntry.Clone]), and
// after Reset the arena's last chunks are used again: nothing may still
// hold a copy then (which is why a guard step must not keep its entries).
type Arena struct {
	entries []store.GuardEntry
	slots   []store.GuardSlot
}

// Clone returns a copy of e as [store.GuardEntry.Clone] makes it. Appending
// to the copy's Slots moves them out of the arena, so copies never share
// what they change.
func (a *Arena) Clone(e *store.GuardEntry) *store.GuardEntry {
	if len(a.entries) == cap(a.entries) {
		a.entries = make([]store.GuardEntry, 0, min(2*cap(a.entries)+4, 64))
	}
	a.entries = append(a.entries, *e)
	c := &a.entries[len(a.entries)-1]
	c.Slots = nil
	if n := len(e.Slots); n > 0 {
		if cap(a.slots)-len(a.slots) < n {
			a.slots = make([]store.GuardSlot, 0, max(min(2*cap(a.slots)+8, 256), n))
		}
		at := len(a.slots)
		a.slots = append(a.slots, e.Slots...)
		c.Slots = a.slots[at : at+n : at+n]
	}
	if e.Members != nil {
		c.Members = maps.Clone(e.Members)
	}
	return c
}

// Reset forgets every copy, keeping the last chunks to use again.
func (a *Arena) Reset() {
	clear(a.entries) // no pointers kept into what the copies held
	a.entries = a.entries[:0]
	a.slots = a.slots[:0]
}
