package guardcodec

import (
	"testing"
	"time"

	"github.com/otpkit/otpkit/store"
)

// TestArenaClone: an arena's copies equal their entries, and neither a
// change to a copy (its slots, its members, a slot appended) nor to the
// entry shows in the other or in the arena's other copies.
func TestArenaClone(t *testing.T) {
	t0 := time.Unix(1795424400, 0).UTC()
	var a Arena
	var orig, copies []*store.GuardEntry
	for i := range 200 {
		e := &store.GuardEntry{Expires: t0.Add(time.Duration(i) * time.Minute), BlockReason: "manual"}
		for j := range i % 5 {
			e.Slots = append(e.Slots, store.GuardSlot{Start: t0.Add(time.Duration(j) * time.Minute), Sent: i + j, Verified: j})
		}
		if i%3 == 0 {
			e.Members = map[string]time.Time{"US": t0}
		}
		orig = append(orig, e)
		c := a.Clone(e)
		if !sameEntry(c, e) {
			t.Fatalf("copy %d = %+v, want %+v", i, c, e)
		}
		copies = append(copies, c)
	}
	want := make([]store.GuardEntry, len(orig))
	for i, e := range orig {
		want[i] = e.Clone()
	}
	for i, c := range copies {
		for j := range c.Slots {
			c.Slots[j].Sent += 1000
		}
		c.Slots = append(c.Slots, store.GuardSlot{Start: t0.Add(time.Hour), Sent: 1})
		if c.Members != nil {
			c.Members["CA"] = t0
		}
		if !sameEntry(orig[i], &want[i]) {
			t.Fatalf("entry %d changed with its copy: %+v, want %+v", i, orig[i], want[i])
		}
	}
	for i, c := range copies {
		if n := len(c.Slots); n != len(want[i].Slots)+1 || c.Slots[n-1].Sent != 1 {
			t.Fatalf("copy %d has slots %+v: another copy's append reached it", i, c.Slots)
		}
		for j := range want[i].Slots {
			if c.Slots[j].Sent != want[i].Slots[j].Sent+1000 {
				t.Fatalf("copy %d slot %d = %+v, want its own change only", i, j, c.Slots[j])
			}
		}
	}
}

func sameEntry(a, b *store.GuardEntry) bool {
	return string(Encode(a)) == string(Encode(b))
}

// TestArenaReset: after Reset, new copies are right (and reuse the chunks).
func TestArenaReset(t *testing.T) {
	t0 := time.Unix(1795424400, 0).UTC()
	var a Arena
	e := &store.GuardEntry{Slots: []store.GuardSlot{{Start: t0, Sent: 3}}, Members: map[string]time.Time{"US": t0}, Expires: t0.Add(time.Hour)}
	first := a.Clone(e)
	a.Reset()
	f := &store.GuardEntry{Slots: []store.GuardSlot{{Start: t0.Add(time.Minute), Sent: 7, Verified: 2}}, Expires: t0.Add(2 * time.Hour)}
	second := a.Clone(f)
	if !sameEntry(second, f) {
		t.Fatalf("copy after Reset = %+v, want %+v", second, f)
	}
	if first != second {
		t.Error("Reset did not reuse the chunk")
	}
	for _, x := range []*store.GuardEntry{e, f} {
		if n := testing.AllocsPerRun(100, func() { a.Reset(); a.Clone(x); a.Clone(x) }); n != 0 {
			t.Errorf("copies of %+v after Reset allocate %v times, want 0", x, n)
		}
	}
}

// TestCopyInto: the copy equals its source whatever dst held, and shares
// nothing with it.
func TestCopyInto(t *testing.T) {
	t0 := time.Unix(1795424400, 0).UTC()
	full := store.GuardEntry{Slots: []store.GuardSlot{{Start: t0, Sent: 1}, {Start: t0.Add(time.Minute), Sent: 2}}, Members: map[string]time.Time{"US": t0, "CA": t0}, BlockReason: "manual", BlockedUntil: t0.Add(time.Hour), Expires: t0.Add(2 * time.Hour)}
	bare := store.GuardEntry{Expires: t0.Add(time.Hour)}
	for _, c := range []struct{ dst, src store.GuardEntry }{{bare, full}, {full.Clone(), bare}, {full.Clone(), full}, {bare, bare}} {
		dst, src := c.dst, c.src.Clone()
		CopyInto(&dst, &src)
		if !sameEntry(&dst, &src) || (dst.Members == nil) != (src.Members == nil) {
			t.Fatalf("CopyInto(%+v, %+v) = %+v", c.dst, c.src, dst)
		}
		want := src.Clone()
		for i := range dst.Slots {
			dst.Slots[i].Sent += 10
		}
		if dst.Members != nil {
			dst.Members["MX"] = t0
		}
		if !sameEntry(&src, &want) {
			t.Fatalf("changing the copy changed its source: %+v", src)
		}
	}
}
