package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
)

// TestErrorHidesEchoedRequest: Twilio answers an error that echoes the
// form it got (the Body or the Twiml, form-encoded); the error shows
// neither the code, spoken or not, nor the message, nor the auth token.
func TestErrorHidesEchoedRequest(t *testing.T) {
	t.Parallel()
	const token = "0123456789abcdef0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"code": 21999, "status": 400,
			"message": "Invalid request " + string(b) + " " + token})
	}))
	defer srv.Close()
	s := sender(t, Config{AccountSID: "AC" + strings.Repeat("0", 32), AuthToken: token, From: "+12015550100",
		BaseURL: srv.URL, Timeout: 5 * time.Second, Retry: delivery.RetryPolicy{MaxAttempts: 1}})
	for _, msg := range []delivery.Message{sms(), voice()} {
		_, err := s.Send(context.Background(), msg)
		var pe *delivery.ProviderError
		if !errors.As(err, &pe) || !strings.Contains(pe.Message, "Invalid request") || !strings.Contains(pe.Message, "[redacted]") {
			t.Fatalf("%s: err = %v, want Twilio's error with the echo redacted", msg.Channel, err)
		}
		if leak := sendertest.EchoLeak(err, msg, token); leak != "" {
			t.Errorf("%s: error shows %s: %q", msg.Channel, leak, pe.Message)
		}
	}
}
