// Package guardcodec encodes the abuse guard's entries for the stores that
// keep them as bytes (the file store and Redis).
//
// The format is binary, version 2: the byte 0x02, then unsigned varints:
// expires, blocked until (Unix milliseconds, 0 for none), the length of the
// block reason and its bytes, the number of slots and for each its start,
// sent and verified, the number of members and for each the length of its
// name, the name and its last-seen time; members sorted by name, so one
// entry always encodes to the same bytes. Decode also reads version 1,
// compact JSON, which earlier releases wrote; an entry is rewritten in
// version 2 when it next changes. A send encodes and decodes the entries of
// its prefix, country and client, so this is on every send's path: JSON
// took several times as long.
package guardcodec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/otpkit/otpkit/store"
)

// maxItems bounds the slots and members a decoded entry may hold, so a
// damaged value cannot make a decoder allocate without limit.
const maxItems = 1 << 12

type wire struct {
	V int              `json:"v"`
	S [][3]int64       `json:"s,omitempty"` // start ms, sent, verified
	M map[string]int64 `json:"m,omitempty"` // member -> last seen ms
	B int64            `json:"b,omitempty"` // blocked until ms
	R string           `json:"r,omitempty"` // block reason
	E int64            `json:"e"`           // expires ms
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func at(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// version2 is the first byte of the binary format.
const version2 = 2

// maxString bounds a decoded reason or member name.
const maxString = 256

// Encode returns e's stored form (version 2).
func Encode(e *store.GuardEntry) []byte {
	b := make([]byte, 0, 32+24*len(e.Slots)+16*len(e.Members)+len(e.BlockReason))
	b = append(b, version2)
	b = binary.AppendUvarint(b, uint64(ms(e.Expires)))
	b = binary.AppendUvarint(b, uint64(ms(e.BlockedUntil)))
	b = binary.AppendUvarint(b, uint64(len(e.BlockReason)))
	b = append(b, e.BlockReason...)
	b = binary.AppendUvarint(b, uint64(len(e.Slots)))
	for _, s := range e.Slots {
		b = binary.AppendUvarint(b, uint64(ms(s.Start)))
		b = binary.AppendUvarint(b, uint64(max(s.Sent, 0)))
		b = binary.AppendUvarint(b, uint64(max(s.Verified, 0)))
	}
	names := make([]string, 0, len(e.Members))
	for k := range e.Members {
		names = append(names, k)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(ms(e.Members[k])))
	}
	return b
}

// reader reads version 2; the first error sticks.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uint(limit uint64) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// maxMs is the last millisecond of the year 9999.
var maxMs = uint64(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1)

func (r *reader) time() time.Time { return at(int64(r.uint(maxMs))) }

func (r *reader) string() string {
	n := r.uint(maxString)
	if r.bad || uint64(len(r.b)) < n {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func decode2(b []byte) (store.GuardEntry, error) {
	r := &reader{b: b[1:]}
	e := store.GuardEntry{Expires: r.time(), BlockedUntil: r.time(), BlockReason: r.string()}
	if n := r.uint(maxItems); n > 0 {
		e.Slots = make([]store.GuardSlot, 0, n)
		for range n {
			e.Slots = append(e.Slots, store.GuardSlot{Start: r.time(), Sent: int(r.uint(1 << 40)), Verified: int(r.uint(1 << 40))})
		}
	}
	if n := r.uint(maxItems); n > 0 {
		e.Members = make(map[string]time.Time, n)
		for range n {
			k := r.string()
			e.Members[k] = r.time()
		}
	}
	if r.bad || len(r.b) != 0 {
		return store.GuardEntry{}, fmt.Errorf("%w: bad guard entry", store.ErrCorrupt)
	}
	return e, nil
}

// Decode parses a stored entry. Anything Encode would not write is an error
// wrapping [store.ErrCorrupt].
func Decode(b []byte) (store.GuardEntry, error) {
	if len(b) > 0 && b[0] == version2 {
		return decode2(b)
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil || w.V != 1 || len(w.S) > maxItems || len(w.M) > maxItems {
		return store.GuardEntry{}, fmt.Errorf("%w: bad guard entry", store.ErrCorrupt)
	}
	e := store.GuardEntry{BlockedUntil: at(w.B), BlockReason: w.R, Expires: at(w.E)}
	for _, s := range w.S {
		if s[1] < 0 || s[2] < 0 || s[1] > 1<<40 || s[2] > 1<<40 {
			return store.GuardEntry{}, fmt.Errorf("%w: bad guard entry", store.ErrCorrupt)
		}
		e.Slots = append(e.Slots, store.GuardSlot{Start: at(s[0]), Sent: int(s[1]), Verified: int(s[2])})
	}
	if len(w.M) > 0 {
		e.Members = make(map[string]time.Time, len(w.M))
		for k, v := range w.M {
			e.Members[k] = at(v)
		}
	}
	return e, nil
}
