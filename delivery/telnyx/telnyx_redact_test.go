package telnyx

import (
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
)

// TestErrorHidesEchoedRequest: Telnyx answers an error that echoes the
// JSON it got (the text, or the TeXML of a call); the error shows neither
// the code, spoken or not, nor the message, nor the API key.
func TestErrorHidesEchoedRequest(t *testing.T) {
	t.Parallel()
	const key = "KEY0123456789ABCDEF_secret"
	srv := sendertest.EchoServer(t, func(echo string) any {
		return map[string]any{"errors": []any{map[string]string{"code": "99999", "title": "Invalid request", "detail": echo + " " + key}}}
	})
	s, err := New(Config{APIKey: key, From: "+12015550100", AccountSID: "acct", TexmlApplicationID: "app",
		BaseURL: srv.URL, Timeout: 5 * time.Second, Retry: delivery.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range sendertest.RedactMessages {
		sendertest.CheckEcho(t, s, msg, key)
	}
}
