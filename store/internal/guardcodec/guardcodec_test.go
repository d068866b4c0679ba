package guardcodec

import (
	"errors"
	"testing"
	"time"

	"github.com/otpkit/otpkit/store"
)

func TestRoundTrip(t *testing.T) {
	at := time.UnixMilli(1795424400000)
	e := store.GuardEntry{Slots: []store.GuardSlot{{Start: at, Sent: 3, Verified: 1}}, Members: map[string]time.Time{"US": at},
		BlockedUntil: at.Add(time.Hour), BlockReason: "manual", Expires: at.Add(2 * time.Hour)}
	got, err := Decode(Encode(&e))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Slots) != 1 || got.Slots[0] != e.Slots[0] || !got.Members["US"].Equal(at) || !got.BlockedUntil.Equal(e.BlockedUntil) || got.BlockReason != "manual" || !got.Expires.Equal(e.Expires) {
		t.Errorf("round trip: %+v", got)
	}
}

func TestDamaged(t *testing.T) {
	for _, v := range []string{"", "{", `{"v":2,"e":1}`, `{"v":1,"s":[[1,-1,0]],"e":1}`, `[]`} {
		if _, err := Decode([]byte(v)); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("Decode(%q) = %v, want ErrCorrupt", v, err)
		}
	}
}

func sample() store.GuardEntry {
	at := time.UnixMilli(1795424400000)
	return store.GuardEntry{
		Slots:        []store.GuardSlot{{Start: at, Sent: 3, Verified: 1}, {Start: at.Add(5 * time.Minute), Sent: 1 << 20}},
		Members:      map[string]time.Time{"US": at, "CA": at.Add(time.Minute), "GB": at.Add(2 * time.Minute)},
		BlockedUntil: at.Add(time.Hour), BlockReason: "conversion", Expires: at.Add(2 * time.Hour),
	}
}

func equal(a, b store.GuardEntry) bool {
	if len(a.Slots) != len(b.Slots) || len(a.Members) != len(b.Members) || !a.Expires.Equal(b.Expires) ||
		!a.BlockedUntil.Equal(b.BlockedUntil) || a.BlockReason != b.BlockReason {
		return false
	}
	for i := range a.Slots {
		if !a.Slots[i].Start.Equal(b.Slots[i].Start) || a.Slots[i].Sent != b.Slots[i].Sent || a.Slots[i].Verified != b.Slots[i].Verified {
			return false
		}
	}
	for k, v := range a.Members {
		if !b.Members[k].Equal(v) {
			return false
		}
	}
	return true
}

func TestVersion2(t *testing.T) {
	e := sample()
	b := Encode(&e)
	if b[0] != version2 {
		t.Fatalf("Encode writes version %d, want 2", b[0])
	}
	got, err := Decode(b)
	if err != nil || !equal(got, e) {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, e)
	}
	// The same entry always encodes to the same bytes (stores compare them
	// to skip writes), whatever the map's order.
	for range 20 {
		if again := Encode(&e); string(again) != string(b) {
			t.Fatal("two encodings of one entry differ")
		}
	}
	// An empty entry too.
	if got, err := Decode(Encode(&store.GuardEntry{})); err != nil || !equal(got, store.GuardEntry{}) {
		t.Errorf("empty entry round trip = %+v, %v", got, err)
	}
}

// TestReadsVersion1: entries earlier releases wrote, in JSON, still read.
func TestReadsVersion1(t *testing.T) {
	v1 := `{"v":1,"s":[[1795424400000,3,1],[1795424700000,1048576,0]],"m":{"CA":1795424460000,"GB":1795424520000,"US":1795424400000},"b":1795428000000,"r":"conversion","e":1795431600000}`
	got, err := Decode([]byte(v1))
	if err != nil || !equal(got, sample()) {
		t.Fatalf("Decode(v1) = %+v, %v; want %+v", got, err, sample())
	}
}

// TestDamagedVersion2: every cut of a valid entry, trailing bytes, and
// counts past the bounds are ErrCorrupt, never a panic or a wrong entry.
func TestDamagedVersion2(t *testing.T) {
	e := sample()
	b := Encode(&e)
	for n := 1; n < len(b); n++ {
		if _, err := Decode(b[:n]); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("Decode of the first %d of %d bytes = %v, want ErrCorrupt", n, len(b), err)
		}
	}
	for _, bad := range [][]byte{
		append(append([]byte(nil), b...), 0),
		{version2, 0, 0, 0, 0xff, 0xff, 0x3f},                                  // a million slots
		{version2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // a time past 9999
		{version2, 0, 0, 0xff, 0x01},                                           // a reason of 255 bytes that is not there
	} {
		if _, err := Decode(bad); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("Decode(%x) = %v, want ErrCorrupt", bad, err)
		}
	}
}

func BenchmarkCodec(b *testing.B) {
	e := sample()
	v2 := Encode(&e)
	v1 := []byte(`{"v":1,"s":[[1795424400000,3,1],[1795424700000,1048576,0]],"m":{"CA":1795424460000,"GB":1795424520000,"US":1795424400000},"b":1795428000000,"r":"conversion","e":1795431600000}`)
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			Encode(&e)
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			Decode(v2)
		}
	})
	b.Run("decode-v1-json", func(b *testing.B) {
		for b.Loop() {
			Decode(v1)
		}
	})
}
