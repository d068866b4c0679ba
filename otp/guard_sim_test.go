package otp_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
)

// recommended is the production set config.example.toml recommends.
var recommended = otp.GuardOptions{
	AllowCountries: []string{"US", "CA"}, PrefixMaxSends: 20, CountryMaxSends: 3000, // above the busiest hour (2,000 here)
	ClientMaxSends: 10, ClientMaxCountries: 2, MinConversion: 0.2, MinSample: 20,
}

// simNumber returns the i-th number of prefix p (0-999) of the simulation:
// valid US numbers, +1 201 2pp xxxx and on into other area codes.
func simNumber(p, i int) string {
	areas := []int{201, 202, 203, 205, 206, 207, 208, 209, 210, 212}
	return fmt.Sprintf("+1%03d%03d%04d", areas[p/100], 220+p%100, i)
}

// TestGuardSimulation plays an SMS pumping attack and legitimate traffic
// against the recommended rules, and checks the figures the README quotes:
// how many of the attack's sends get out, and how many legitimate sends are
// refused (none).
func TestGuardSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulation of 22,000 sends")
	}
	t.Run("attack", func(t *testing.T) {
		clk := newClock()
		out := &capture{}
		svc, err := otp.New(ctx(), memstore.New(), out, otp.Options{Secret: secret(), Now: clk.now, Guard: recommended})
		if err != nil {
			t.Fatal(err)
		}
		// 2,000 sends to numbers in 3 prefixes from 200 client keys, none
		// verified, over an hour.
		reasons := map[otp.GuardReason]int{}
		for i := range 2000 {
			clk.add(1800 * time.Millisecond)
			_, err := svc.SendWith(ctx(), otp.SendRequest{To: simNumber(i%3, i), Channel: delivery.SMS, Client: fmt.Sprint("bot-", i%200)})
			var be *otp.BlockedError
			switch {
			case errors.As(err, &be):
				reasons[be.Reason]++
			case err != nil:
				t.Fatalf("send %d: %v", i, err)
			}
		}
		sent := len(out.msgs)
		t.Logf("attack: %d of 2000 sends got out; refused by rule: %v", sent, reasons)
		// The prefix rule lets at most 20 per prefix per hour through.
		if sent > 3*recommended.PrefixMaxSends {
			t.Errorf("%d sends got out, want at most %d", sent, 3*recommended.PrefixMaxSends)
		}
	})
	t.Run("legitimate", func(t *testing.T) {
		clk := newClock()
		out := &capture{}
		svc, err := otp.New(ctx(), memstore.New(), out, otp.Options{Secret: secret(), Now: clk.now, Guard: recommended})
		if err != nil {
			t.Fatal(err)
		}
		// 20,000 sends across 1,000 prefixes over ten hours, each from its
		// own client, 85% verified a minute later.
		refused := map[otp.GuardReason]int{}
		type pending struct {
			to, code string
			at       time.Time
		}
		var queue []pending
		for i := range 20000 {
			clk.add(1800 * time.Millisecond)
			for len(queue) > 0 && !queue[0].at.After(clk.now()) {
				if _, err := svc.Verify(ctx(), queue[0].to, queue[0].code); err != nil {
					t.Fatalf("verify: %v", err)
				}
				queue = queue[1:]
			}
			to := simNumber((i*7919)%1000, i/1000)
			_, err := svc.SendWith(ctx(), otp.SendRequest{To: to, Channel: delivery.SMS, Client: fmt.Sprint("user-", i)})
			var be *otp.BlockedError
			if errors.As(err, &be) {
				refused[be.Reason]++
				continue
			} else if err != nil {
				t.Fatalf("send %d to %s: %v", i, to, err)
			}
			if i%20 < 17 {
				queue = append(queue, pending{to, out.last(t).Code, clk.now().Add(time.Minute)})
			}
		}
		n := 0
		for _, c := range refused {
			n += c
		}
		t.Logf("legitimate: %d of 20000 sends refused (%v)", n, refused)
		if n != 0 {
			t.Errorf("%d legitimate sends were refused, want none", n)
		}
	})
}
