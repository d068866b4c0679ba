package telnyx

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/spectest"
)

// newSpecTransport checks every request the sender makes, and every
// answer the fake gives (errors included: Telnyx documents them), against
// Telnyx's own OpenAPI description (testdata/telnyx_spec3_subset.yml, the
// four operations otp uses, extracted unchanged from team-telnyx/openapi
// by testdata/subset.py). Its server URL is https://api.telnyx.com/v2, so
// the paths it names start after /v2.
func newSpecTransport(t *testing.T) *spectest.Transport {
	return spectest.New(t, "Telnyx", "testdata/telnyx_spec3_subset.yml", "api.telnyx.com")
}

// TestAgainstTelnyxDescription sends SMS (from a number and from a
// messaging profile), places calls in both documented answer shapes, looks
// messages and calls up (before and after they can be found), and gets
// refusals, with every request and answer checked against the description.
func TestAgainstTelnyxDescription(t *testing.T) {
	for _, callSIDs := range []bool{false, true} {
		f := fake(t)
		f.CallSIDs = callSIDs
		f.Lag = 1
		f.Invalid = []string{"+12015550150"}
		f.Undeliverable["+12015550151"] = "40001"
		f.Unconfirmed = []string{"+12015550152"}
		st := newSpecTransport(t)
		cfg := config(f)
		cfg.Transport = st
		cfg.Retry.MaxAttempts = 1
		s := sender(t, cfg)
		ctx := context.Background()
		// wait looks id up until its status is final (a failed delivery
		// is an answer too).
		wait := func(id string) {
			t.Helper()
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if _, err := delivery.Wait(wctx, s, id, delivery.WaitOptions{Interval: time.Millisecond}); errors.Is(err, delivery.ErrNotFinal) {
				t.Fatalf("wait %s: %v", id, err)
			}
		}

		for _, to := range []string{to, "+12015550151", "+12015550152"} {
			msg := sms()
			msg.To = to
			rc, err := s.Send(ctx, msg)
			if err != nil {
				t.Fatalf("sms to %s: %v", to, err)
			}
			wait(rc.ID)
		}
		pcfg := cfg
		pcfg.From, pcfg.MessagingProfileID = "", f.MessagingProfileID
		if _, err := sender(t, pcfg).Send(ctx, sms()); err != nil {
			t.Fatalf("messaging profile: %v", err)
		}
		rc, err := s.Send(ctx, voice())
		if err != nil {
			t.Fatalf("voice (call sids %v): %v", callSIDs, err)
		}
		if callSIDs {
			wait(rc.ID)
		} else if _, err := s.Status(ctx, rc.ID); !errors.Is(err, ErrNoCallSID) {
			t.Errorf("status of a call without sid: %v, want ErrNoCallSID", err)
		}
		bad := sms()
		bad.To = "+12015550150"
		if _, err := s.Send(ctx, bad); err == nil {
			t.Fatal("an invalid number was accepted")
		}
		badCall := voice()
		badCall.To = "+12015550150"
		if _, err := s.Send(ctx, badCall); err == nil {
			t.Fatal("a call to an invalid number was placed")
		}
		want := []string{
			"POST /messages OK",
			"GET /messages/{id} OK",
			"GET /messages/{id} Not Found", // before the lookup can find it
			"POST /messages Bad Request",
			"POST /texml/Accounts/{account_sid}/Calls OK",
		}
		if callSIDs {
			want = append(want, "GET /texml/Accounts/{account_sid}/Calls/{call_sid} OK", "GET /texml/Accounts/{account_sid}/Calls/{call_sid} Not Found")
		}
		st.Require(want...)
	}
}
