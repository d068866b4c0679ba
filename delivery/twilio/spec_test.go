package twilio

import (
	"context"
	"net/http"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/spectest"
)

// newSpecTransport checks every request the sender makes, and every
// answer the fake gives, against Twilio's own OpenAPI description of the
// API (testdata/twilio_api_v2010_subset.json: the Messages and Calls paths
// of twilio_api_v2010.json, Apache-2.0). The description documents only
// the success answers; error answers (Twilio's {code, message, more_info,
// status}) are checked by the fake's own tests.
func newSpecTransport(t *testing.T) *spectest.Transport {
	return spectest.New(t, "Twilio", "testdata/twilio_api_v2010_subset.json", "api.twilio.com",
		http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusTooManyRequests)
}

// TestAgainstTwilioDescription sends SMS (from a number and through a
// Messaging Service), makes a call, looks both up and gets a refusal, with
// every request, and every answer the description documents (the 200 and
// 201 ones), checked against Twilio's description.
func TestAgainstTwilioDescription(t *testing.T) {
	f := fake(t)
	f.Invalid = []string{"+12015550150"}
	st := newSpecTransport(t)
	cfg := config(f)
	cfg.Transport = st
	s := sender(t, cfg)
	ctx := context.Background()

	var ids []string
	for _, msg := range []delivery.Message{sms(), voice()} {
		rc, err := s.Send(ctx, msg)
		if err != nil {
			t.Fatalf("%s: %v", msg.Channel, err)
		}
		ids = append(ids, rc.ID)
	}
	mcfg := cfg
	mcfg.From, mcfg.MessagingServiceSID = "", f.MessagingServiceSID
	if _, err := sender(t, mcfg).Send(ctx, sms()); err != nil {
		t.Fatalf("messaging service: %v", err)
	}
	for _, id := range ids {
		for range 2 { // an intermediate, then the final status
			if _, err := s.Status(ctx, id); err != nil {
				t.Fatalf("status %s: %v", id, err)
			}
		}
	}
	bad := sms()
	bad.To = "+12015550150"
	if _, err := s.Send(ctx, bad); err == nil {
		t.Fatal("an invalid number was accepted")
	}
	st.Require(
		"POST /2010-04-01/Accounts/{AccountSid}/Messages.json Created",
		"POST /2010-04-01/Accounts/{AccountSid}/Calls.json Created",
		"GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json OK",
		"GET /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json OK",
		"POST /2010-04-01/Accounts/{AccountSid}/Messages.json Bad Request",
	)
}
