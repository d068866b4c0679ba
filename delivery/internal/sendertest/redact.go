package sendertest

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/delivery"
)

// The helpers below check that a provider's errors hide what a message
// carries when the provider echoes the request back (issue: codes leaked
// spoken and form-encoded). Each provider's *_redact_test.go uses them.

// RedactMessages are an SMS and a call carrying the same code.
var RedactMessages = []delivery.Message{
	{To: "+12015550123", Channel: delivery.SMS, Body: "Your otpkit code is 598782. It expires in 10 minutes.", Code: "598782"},
	{To: "+12015550123", Channel: delivery.Voice, Body: "Your otpkit code is: 5, 9, 8, 7, 8, 2.", Code: "598782"},
}

// EchoServer answers every request with HTTP 400 and the error JSON that
// errorBody makes of the request body as received.
func EchoServer(t *testing.T, errorBody func(echo string) any) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(errorBody("Invalid request " + string(b) + " / " + url.QueryEscape(string(b))))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// EchoLeak returns what of the code, the message or the secrets the error
// err still shows, in any encoding ("" when it shows none of them).
func EchoLeak(err error, msg delivery.Message, secrets ...string) string {
	text := err.Error()
	var pe *delivery.ProviderError
	if errors.As(err, &pe) {
		text += " " + pe.Code + " " + pe.Message // the whole message, before Error caps it
	}
	for range 2 {
		if u, err := url.QueryUnescape(text); err == nil {
			text = u
		}
		text = html.UnescapeString(text)
	}
	var leaks []string
	if flat := regexp.MustCompile(`[\s,.\-+_]|\\n`).ReplaceAllString(text, ""); strings.Contains(flat, msg.Code) {
		leaks = append(leaks, "the code")
	}
	for _, s := range append(secrets, "otpkit code", "It expires") {
		if strings.Contains(text, s) {
			leaks = append(leaks, s)
		}
	}
	return strings.Join(leaks, ", ")
}

// CheckEcho sends msg and checks that the error is the provider's, shows
// the echo redacted, and leaks nothing.
func CheckEcho(t *testing.T, s delivery.Sender, msg delivery.Message, secrets ...string) {
	t.Helper()
	_, err := s.Send(context.Background(), msg)
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "Invalid request") || !strings.Contains(pe.Message, "[redacted]") {
		t.Fatalf("%s: err = %v, want the provider's error with the echo redacted", msg.Channel, err)
	}
	if leak := EchoLeak(err, msg, secrets...); leak != "" {
		t.Errorf("%s: error shows %s: %q", msg.Channel, leak, pe.Message)
	}
}
