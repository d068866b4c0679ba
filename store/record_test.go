package store

import (
	"testing"
	"time"
)

func TestRecordEqual(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	a := Record{Hash: []byte{1}, ExpiresAt: at, Attempts: 1, LockedUntil: at, Sends: []time.Time{at}}
	same := a
	same.ExpiresAt = at.In(time.FixedZone("X", 3600)) // the same instant
	if !a.Equal(&same) {
		t.Error("records with the same instants differ")
	}
	if !(&Record{Hash: []byte{}, Sends: []time.Time{}}).Equal(&Record{}) {
		t.Error("empty and nil hash and sends differ")
	}
	for name, change := range map[string]func(*Record){
		"hash":     func(r *Record) { r.Hash = []byte{2} },
		"expiry":   func(r *Record) { r.ExpiresAt = at.Add(time.Second) },
		"used":     func(r *Record) { r.Used = true },
		"attempts": func(r *Record) { r.Attempts = 2 },
		"lock":     func(r *Record) { r.LockedUntil = time.Time{} },
		"sends":    func(r *Record) { r.Sends = append([]time.Time{at}, at) },
		"send":     func(r *Record) { r.Sends = []time.Time{at.Add(time.Millisecond)} },
	} {
		b := a
		b.Sends = append([]time.Time(nil), a.Sends...)
		change(&b)
		if a.Equal(&b) || b.Equal(&a) {
			t.Errorf("a different %s is Equal", name)
		}
	}
}
