package otp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
)

type lastMessage struct{ m delivery.Message }

func (l *lastMessage) Send(_ context.Context, m delivery.Message) (delivery.Receipt, error) {
	l.m = m
	return delivery.Receipt{Provider: "test", ID: "1"}, nil
}

// TestDerive: a derived service sends codes of its own length under its
// own name, and the parent verifies them (one store, one key).
func TestDerive(t *testing.T) {
	ctx := context.Background()
	snd := &lastMessage{}
	s, err := otp.New(ctx, memstore.New(), snd, otp.Options{Now: testclock.New().Now, ResendAfter: -1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Derive(8, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Send(ctx, "+12015550123", delivery.SMS); err != nil {
		t.Fatal(err)
	}
	if len(snd.m.Code) != 8 || !strings.Contains(snd.m.Body, "Your Acme code is") {
		t.Fatalf("derived send: code %q, body %q", snd.m.Code, snd.m.Body)
	}
	if _, err := s.Verify(ctx, "+12015550123", snd.m.Code); err != nil {
		t.Fatalf("the parent does not verify the derived code: %v", err)
	}
	if _, err := s.Send(ctx, "+12015550123", delivery.SMS); err != nil || len(snd.m.Code) != otp.DefaultLength || !strings.Contains(snd.m.Body, otp.DefaultAppName) {
		t.Fatalf("the parent changed: %v, %q", err, snd.m.Body)
	}
	if _, err := s.Derive(11, ""); !errors.Is(err, otp.ErrInvalidOptions) {
		t.Fatalf("Derive(11): %v", err)
	}
}
