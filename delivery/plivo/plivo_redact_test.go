package plivo

import (
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
)

// TestErrorHidesEchoedRequest: Plivo answers an error that echoes the JSON
// it got; the error shows neither the code nor the message nor the token.
func TestErrorHidesEchoedRequest(t *testing.T) {
	t.Parallel()
	const token = "ZmFrZXBsaXZvdG9rZW4wMDAwMDAwMDAwMDAwMDAw"
	srv := sendertest.EchoServer(t, func(echo string) any {
		return map[string]string{"api_id": "00000000-0000-0000-0000-000000000000", "error": echo + " " + token}
	})
	s, err := New(Config{AuthID: "MAODUMMYAUTHID000001", AuthToken: token, From: "+12015550100",
		BaseURL: srv.URL, Timeout: 5 * time.Second, Retry: delivery.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sendertest.CheckEcho(t, s, sendertest.RedactMessages[0], token) // Plivo sends no calls
}
