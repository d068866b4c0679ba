package otp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/memstore"
)

// numberIn returns the i-th test number in the +1201555 prefix.
func numberIn(i int) string { return fmt.Sprintf("+120155501%02d", i) }

// wantBlocked checks that err is the guard's refusal for reason.
func wantBlocked(t *testing.T, err error, reason otp.GuardReason) *otp.BlockedError {
	t.Helper()
	var be *otp.BlockedError
	if !errors.As(err, &be) || !errors.Is(err, otp.ErrBlocked) || be.Reason != reason {
		t.Fatalf("err = %v, want the guard's refusal for %s", err, reason)
	}
	if k, _ := otp.KindOf(err); k.Name != "blocked" || k.ExitCode != 9 {
		t.Fatalf("KindOf = %+v", k)
	}
	return be
}

func TestGuardStatelessRules(t *testing.T) {
	tests := []struct {
		name   string
		opts   otp.GuardOptions
		to     string
		reason otp.GuardReason
	}{
		{"premium rate refused by default", otp.GuardOptions{}, "+19002345678", otp.ReasonNumberType},
		{"denied country", otp.GuardOptions{DenyCountries: []string{"gb"}}, "+447400123456", otp.ReasonCountry},
		{"not an allowed country", otp.GuardOptions{AllowCountries: []string{"US", "CA"}}, "+447400123456", otp.ReasonCountry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, otp.Options{Guard: tc.opts})
			_, err := f.svc.Send(ctx(), tc.to, delivery.SMS)
			be := wantBlocked(t, err, tc.reason)
			if be.Wait != 0 || be.RetryAfter() != 0 {
				t.Errorf("a rule that does not lapse has a wait: %v", be.Wait)
			}
			if len(f.out.msgs) != 0 {
				t.Error("a refused send went out")
			}
			if _, ok, _ := f.store.Get(ctx(), tc.to); ok {
				t.Error("a refused send was counted against the number")
			}
		})
	}
	// deny_types = [] refuses none; mode off turns the guard off.
	for _, o := range []otp.GuardOptions{{DenyTypes: []string{}}, {Mode: otp.GuardOff}} {
		f := newFixture(t, otp.Options{Guard: o})
		if _, err := f.svc.Send(ctx(), "+19002345678", delivery.SMS); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

func TestGuardPrefixVelocity(t *testing.T) {
	f := newFixture(t, otp.Options{Guard: otp.GuardOptions{PrefixMaxSends: 3, Window: time.Hour}})
	for i := range 3 {
		if _, err := f.svc.Send(ctx(), numberIn(i), delivery.SMS); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.Send(ctx(), numberIn(3), delivery.SMS)
	be := wantBlocked(t, err, otp.ReasonPrefixVelocity)
	if be.Wait <= 0 || be.Wait > time.Hour+5*time.Minute {
		t.Errorf("wait %v, want within the window", be.Wait)
	}
	// Another prefix is not affected.
	if _, err := f.svc.Send(ctx(), "+12025550123", delivery.SMS); err != nil {
		t.Errorf("another prefix: %v", err)
	}
	// Once the window has moved on, sends go out again.
	f.clk.add(be.Wait)
	if _, err := f.svc.Send(ctx(), numberIn(3), delivery.SMS); err != nil {
		t.Errorf("after the wait: %v", err)
	}
	if n := len(f.out.msgs); n != 5 {
		t.Errorf("%d messages sent, want 5", n)
	}
}

// TestGuardReleases: a send the per-number limits refuse, or whose delivery
// definitely failed, does not count against the prefix.
func TestGuardReleases(t *testing.T) {
	f := newFixture(t, otp.Options{Guard: otp.GuardOptions{PrefixMaxSends: 2}})
	if _, err := f.svc.Send(ctx(), numberIn(0), delivery.SMS); err != nil {
		t.Fatal(err)
	}
	for range 3 { // cooldown refusals
		if _, err := f.svc.Send(ctx(), numberIn(0), delivery.SMS); !errors.Is(err, otp.ErrRateLimited) {
			t.Fatalf("resend: %v", err)
		}
	}
	f.out.err = &delivery.ProviderError{Provider: "capture", Code: "21211", Message: "invalid"}
	if _, err := f.svc.Send(ctx(), numberIn(1), delivery.SMS); !errors.Is(err, otp.ErrDelivery) {
		t.Fatalf("failed delivery: %v", err)
	}
	f.out.err = nil
	if _, err := f.svc.Send(ctx(), numberIn(2), delivery.SMS); err != nil {
		t.Fatalf("the second real send was refused: %v", err)
	}
	_, err := f.svc.Send(ctx(), numberIn(3), delivery.SMS)
	wantBlocked(t, err, otp.ReasonPrefixVelocity)
}

func TestGuardBudgetAndClients(t *testing.T) {
	f := newFixture(t, otp.Options{Guard: otp.GuardOptions{MaxSends: 4, ClientMaxSends: 2, ClientMaxCountries: 1}})
	send := func(client, to string) error {
		_, err := f.svc.SendWith(ctx(), otp.SendRequest{To: to, Channel: delivery.SMS, Client: client})
		return err
	}
	if err := send("a", numberIn(0)); err != nil {
		t.Fatal(err)
	}
	// A second country for client a.
	wantBlocked(t, send("a", "+447400123456"), otp.ReasonClient)
	if err := send("a", numberIn(1)); err != nil {
		t.Fatal(err)
	}
	wantBlocked(t, send("a", numberIn(2)), otp.ReasonClient) // its third send
	for i := range 2 {
		if err := send("b", numberIn(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	wantBlocked(t, send("c", numberIn(20)), otp.ReasonBudget) // the fifth send overall
}

func TestGuardConversion(t *testing.T) {
	f := newFixture(t, otp.Options{Guard: otp.GuardOptions{MinConversion: 0.5, MinSample: 4, BlockFor: 12 * time.Hour}})
	for i := range 4 {
		if _, err := f.svc.Send(ctx(), numberIn(i), delivery.SMS); err != nil {
			t.Fatal(err)
		}
		if i == 0 { // one of four verified: 25%
			if _, err := f.svc.Verify(ctx(), numberIn(0), f.out.last(t).Code); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Codes still pending are not failures: at once, a fifth send goes out.
	if _, err := f.svc.Send(ctx(), numberIn(4), delivery.SMS); err != nil {
		t.Fatalf("a send while the codes are young: %v", err)
	}
	// Once they had their ten minutes (and the slot ended), 1 of 5 is too few.
	f.clk.add(16 * time.Minute)
	_, err := f.svc.Send(ctx(), numberIn(6), delivery.SMS)
	be := wantBlocked(t, err, otp.ReasonConversion)
	if be.Wait != 12*time.Hour {
		t.Errorf("wait %v, want block_for", be.Wait)
	}
	// The block outlives the window, and is in the report.
	f.clk.add(2 * time.Hour)
	_, err = f.svc.Send(ctx(), numberIn(5), delivery.SMS)
	wantBlocked(t, err, otp.ReasonConversion)
	rows, err := f.svc.GuardReport(ctx())
	if err != nil || len(rows) == 0 || rows[0].Target != "+1201555" || rows[0].BlockReason != otp.ReasonConversion {
		t.Fatalf("report = %+v, %v", rows, err)
	}
	// An operator lifts it.
	if err := f.svc.Block(ctx(), "+1201555", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Send(ctx(), numberIn(5), delivery.SMS); err != nil {
		t.Errorf("after unblock: %v", err)
	}
}

func TestGuardManualBlock(t *testing.T) {
	f := newFixture(t, otp.Options{})
	if err := f.svc.Block(ctx(), "gb", time.Hour); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Send(ctx(), "+447400123456", delivery.SMS)
	if be := wantBlocked(t, err, otp.ReasonManual); be.Wait != time.Hour {
		t.Errorf("wait %v", be.Wait)
	}
	if _, err := f.svc.Send(ctx(), numberIn(0), delivery.SMS); err != nil {
		t.Errorf("another country: %v", err)
	}
	f.clk.add(time.Hour)
	if _, err := f.svc.Send(ctx(), "+447400123456", delivery.SMS); err != nil {
		t.Errorf("after the block lapsed: %v", err)
	}
	for _, bad := range []string{"", "+", "+12a", "XX", "USA"} {
		if err := f.svc.Block(ctx(), bad, time.Hour); !errors.Is(err, otp.ErrInvalidOptions) {
			t.Errorf("Block(%q) = %v", bad, err)
		}
	}
}

func TestGuardMonitor(t *testing.T) {
	f := newFixture(t, otp.Options{Guard: otp.GuardOptions{Mode: otp.GuardMonitor, PrefixMaxSends: 1}})
	res, err := f.svc.Send(ctx(), "+19002345678", delivery.SMS)
	if err != nil || res.Guard == nil || !res.Guard.WouldBlock || res.Guard.Reason != otp.ReasonNumberType {
		t.Fatalf("monitor: %+v, %v", res.Guard, err)
	}
	if _, err := f.svc.Send(ctx(), numberIn(0), delivery.SMS); err != nil {
		t.Fatal(err)
	}
	res, err = f.svc.Send(ctx(), numberIn(1), delivery.SMS)
	if err != nil || res.Guard == nil || res.Guard.Reason != otp.ReasonPrefixVelocity {
		t.Fatalf("monitor, over the prefix limit: %+v, %v", res.Guard, err)
	}
	if len(f.out.msgs) != 3 {
		t.Errorf("%d sent, want all 3", len(f.out.msgs))
	}
}

func TestGuardOptionsChecked(t *testing.T) {
	for _, o := range []otp.GuardOptions{
		{Mode: "loud"}, {DenyCountries: []string{"XX"}}, {DenyTypes: []string{"premium"}},
		{PrefixDigits: 16}, {PrefixMaxSends: -1}, {MinConversion: 1.5}, {Window: time.Millisecond},
	} {
		if _, err := newService(o); !errors.Is(err, otp.ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", o, err)
		}
	}
}

func newService(o otp.GuardOptions) (*otp.Service, error) {
	return otp.New(ctx(), memstore.New(), &capture{}, otp.Options{Secret: secret(), Guard: o})
}

// declining is a memory store that declines guarded issues, as a Redis
// Cluster does: package otp runs the guard's step and Issue apart.
type declining struct{ *memstore.Store }

func (declining) IssueGuarded(context.Context, store.IssueRequest, store.GuardStep) (store.IssueResult, error) {
	return store.IssueResult{}, fmt.Errorf("not here: %w", errors.ErrUnsupported)
}

// TestGuardWhenTheStoreDeclines: the guard's rules hold, and a send the
// number's limits refuse is taken back, when the store declines to run the
// step with its Issue.
func TestGuardWhenTheStoreDeclines(t *testing.T) {
	clk := newClock()
	out := &capture{}
	svc, err := otp.New(ctx(), declining{memstore.New()}, out, otp.Options{Secret: secret(), Now: clk.now, Guard: otp.GuardOptions{PrefixMaxSends: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(ctx(), numberIn(0), delivery.SMS); err != nil {
		t.Fatal(err)
	}
	for range 3 { // cooldown refusals, taken back
		if _, err := svc.Send(ctx(), numberIn(0), delivery.SMS); !errors.Is(err, otp.ErrRateLimited) {
			t.Fatalf("resend: %v", err)
		}
	}
	if _, err := svc.Send(ctx(), numberIn(1), delivery.SMS); err != nil {
		t.Fatalf("the second send was refused: %v", err)
	}
	_, err = svc.Send(ctx(), numberIn(2), delivery.SMS)
	wantBlocked(t, err, otp.ReasonPrefixVelocity)
	if n := len(out.msgs); n != 2 {
		t.Errorf("%d messages sent, want 2", n)
	}
}
