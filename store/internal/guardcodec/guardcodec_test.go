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
