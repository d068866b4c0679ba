package webhook_test

import (
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
	"github.com/otpkit/otpkit/delivery/webhook"
)

// TestErrorHidesEchoedRequest: a receiver answers an error that echoes the
// payload it got (which holds the code and the body); the error shows
// neither the code, spoken or not, nor the message, nor the secret.
func TestErrorHidesEchoedRequest(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef-SECRET"
	srv := sendertest.EchoServer(t, func(echo string) any { return map[string]string{"error": echo + " " + secret} })
	s, err := webhook.New(webhook.Config{URL: srv.URL + "/", Secret: secret, Timeout: 5 * time.Second,
		Retry: delivery.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range sendertest.RedactMessages {
		sendertest.CheckEcho(t, s, msg, secret)
	}
}
