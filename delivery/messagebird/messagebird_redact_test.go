package messagebird

import (
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
)

// TestErrorHidesEchoedRequest: MessageBird answers an error that echoes
// the JSON it got (an SMS or a voice message); the error shows neither the
// code, spoken or not, nor the message, nor the access key.
func TestErrorHidesEchoedRequest(t *testing.T) {
	t.Parallel()
	const key = "live_0123456789abcdefSECRET"
	srv := sendertest.EchoServer(t, func(echo string) any {
		return map[string]any{"errors": []any{map[string]any{"code": 9, "description": echo + " " + key, "parameter": "body"}}}
	})
	s, err := New(Config{AccessKey: key, Originator: "otpkit",
		BaseURL: srv.URL, Timeout: 5 * time.Second, Retry: delivery.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range sendertest.RedactMessages {
		sendertest.CheckEcho(t, s, msg, key)
	}
}
