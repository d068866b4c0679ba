package redisstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
)

// TestServiceOnTwoMachines runs package otp on two stores that share Redis,
// as two application servers would: a code sent by one is verified by the
// other, once. Without a secret the service refuses the store, which keeps
// none.
func TestServiceOnTwoMachines(t *testing.T) {
	prefix := testPrefix(t)
	ctx := context.Background()
	box := filepath.Join(t.TempDir(), "outbox.jsonl")
	secret := []byte("a secret shared by all machines")
	var svcs []*otp.Service
	for range 2 {
		svc, err := otp.New(context.Background(), openTest(t, prefix), outbox.New(box, testclock.Base), otp.Options{Secret: secret, Now: testclock.Base})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	if _, err := otp.New(context.Background(), openTest(t, prefix), outbox.New(box, testclock.Base), otp.Options{Now: testclock.Base}); !errors.Is(err, otp.ErrInvalidOptions) {
		t.Fatalf("otp.New without a secret: %v, want ErrInvalidOptions", err)
	}

	const number = "+12015550171"
	if _, err := svcs[0].Send(ctx, number, delivery.SMS); err != nil {
		t.Fatal(err)
	}
	entries, err := outbox.Read(box)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %d entries, %v", len(entries), err)
	}
	// The second machine refuses a resend within the cooldown...
	var retry *otp.RetryError
	if _, err := svcs[1].Send(ctx, number, delivery.SMS); !errors.As(err, &retry) {
		t.Fatalf("resend from the other machine: %v, want a RetryError", err)
	}
	// ...and accepts the code once.
	if _, err := svcs[1].Verify(ctx, number, entries[0].Code); err != nil {
		t.Fatalf("Verify on the other machine: %v", err)
	}
	if _, err := svcs[0].Verify(ctx, number, entries[0].Code); !errors.Is(err, otp.ErrUsed) {
		t.Fatalf("second Verify: %v, want ErrUsed", err)
	}
}
