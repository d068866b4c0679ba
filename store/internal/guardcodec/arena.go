package guardcodec

import (
	"time"

	"github.com/otpkit/otpkit/store"
)

// Arena copies guard entries in memory it keeps from one batch to the
// next. A batch of guard calls copies an entry for every call on it (a
// country's entry is in every send), and allocating each copy, its slots
// and its members apart was most of a guarded send's garbage. The zero
// Arena is ready; an Arena is for one goroutine.
//
// Reset hands the memory out again, so nothing may hold a copy, its slots
// or its members then (which is why a guard step must not keep its
// entries): what outlives the batch (a cache) keeps entries of its own
// ([store.GuardEntry.Clone]).
type Arena struct {
	entries Chunks[store.GuardEntry]
	slots   Chunks[store.GuardSlot]
	members []map[string]time.Time
	nm      int // members handed out since Reset
}

// Clone returns a copy of e as [store.GuardEntry.Clone] makes it. Appending
// to the copy's Slots moves them out of the arena, so copies never share
// what they change.
func (a *Arena) Clone(e *store.GuardEntry) *store.GuardEntry {
	c := &a.entries.Take(1)[0]
	if n := len(e.Slots); n > 0 {
		c.Slots = a.slots.Take(n)[:0]
	}
	if e.Members != nil {
		if a.nm == len(a.members) {
			a.members = append(a.members, make(map[string]time.Time, len(e.Members)))
		}
		c.Members = a.members[a.nm]
		a.nm++
	}
	CopyInto(c, e) // into the arena's slots and members just taken
	return c
}

// Reset forgets every copy; their memory is used again.
func (a *Arena) Reset() {
	a.entries.Reset()
	a.slots.Reset()
	a.nm = 0
}

// Chunks hands out runs of Ts from chunks of memory it keeps across
// resets, for what a batch needs many of and keeps only while it runs.
// The zero Chunks is ready; it is for one goroutine.
type Chunks[T any] struct {
	all [][]T
	cur int // the chunk being filled
}

// Take returns n zeroed Ts, with no room to append in place. They are
// valid until Reset.
func (c *Chunks[T]) Take(n int) []T {
	for ; c.cur < len(c.all); c.cur++ {
		if ch := c.all[c.cur]; cap(ch)-len(ch) >= n {
			at := len(ch)
			c.all[c.cur] = ch[:at+n]
			return ch[at : at+n : at+n]
		}
	}
	size := 16
	if k := len(c.all); k > 0 {
		size = min(2*cap(c.all[k-1]), 1024)
	}
	ch := make([]T, n, max(size, n))
	c.all = append(c.all, ch)
	return ch[:n:n]
}

// Reset takes back every T handed out, to hand out again.
func (c *Chunks[T]) Reset() {
	for i, ch := range c.all {
		clear(ch) // let go of what the copies pointed to
		c.all[i] = ch[:0]
	}
	c.cur = 0
}

// CopyInto makes *dst a copy of src as [store.GuardEntry.Clone] does, in
// the memory of dst's slots and members where they are large enough: for
// a cache that keeps one entry per key and nothing else holds.
func CopyInto(dst *store.GuardEntry, src *store.GuardEntry) {
	slots, m := dst.Slots[:0], dst.Members
	*dst = *src
	dst.Slots = nil
	if len(src.Slots) > 0 {
		dst.Slots = append(slots, src.Slots...)
	}
	if src.Members != nil {
		if m == nil {
			m = make(map[string]time.Time, len(src.Members))
		} else {
			clear(m)
		}
		for k, v := range src.Members {
			m[k] = v
		}
		dst.Members = m
	}
}
