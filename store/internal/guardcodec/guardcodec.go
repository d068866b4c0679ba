// Package guardcodec encodes the abuse guard's entries for the stores that
// keep them as bytes (the file store and Redis): compact JSON with times in
// Unix milliseconds.
package guardcodec

import (
	"encoding/json"
	"fmt"
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

// Encode returns e's stored form.
func Encode(e *store.GuardEntry) []byte {
	w := wire{V: 1, B: ms(e.BlockedUntil), R: e.BlockReason, E: ms(e.Expires)}
	for _, s := range e.Slots {
		w.S = append(w.S, [3]int64{ms(s.Start), int64(s.Sent), int64(s.Verified)})
	}
	if len(e.Members) > 0 {
		w.M = make(map[string]int64, len(e.Members))
		for k, v := range e.Members {
			w.M[k] = ms(v)
		}
	}
	b, _ := json.Marshal(w) // cannot fail: plain values
	return b
}

// Decode parses a stored entry. Anything Encode would not write is an error
// wrapping [store.ErrCorrupt].
func Decode(b []byte) (store.GuardEntry, error) {
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
