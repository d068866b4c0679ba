package telnyx

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
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// TestErrorHidesEchoedRequest: Telnyx answers an error that echoes the
// JSON it got (the text, or the TeXML of a call); the error shows neither
// the code, spoken or not, nor the message, nor the API key.
func TestErrorHidesEchoedRequest(t *testing.T) {
	t.Parallel()
	const key = "KEY0123456789ABCDEF_secret"
	srv := echoServer(t, func(echo string) any {
		return map[string]any{"errors": []any{map[string]string{"code": "99999", "title": "Invalid request", "detail": echo + " " + key}}}
	})
	s, err := New(Config{APIKey: key, From: "+12015550100", AccountSID: "acct", TexmlApplicationID: "app",
		BaseURL: srv.URL, Timeout: 5 * time.Second, Retry: delivery.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range redactMessages {
		checkEcho(t, s, msg, key)
	}
}

// redactMessages are an SMS and a call carrying the same code.
var redactMessages = []delivery.Message{
	{To: "+12015550123", Channel: delivery.SMS, Body: "Your otpkit code is 598782. It expires in 10 minutes.", Code: "598782"},
	{To: "+12015550123", Channel: delivery.Voice, Body: "Your otpkit code is: 5, 9, 8, 7, 8, 2.", Code: "598782"},
}

// echoServer answers every request with HTTP 400 and the error JSON that
// errorBody makes of the request body as received.
func echoServer(t *testing.T, errorBody func(echo string) any) *httptest.Server {
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

// echoLeak returns what of the code, the message or the secrets the error
// err still shows, in any encoding ("" when it shows none of them).
func echoLeak(err error, msg delivery.Message, secrets ...string) string {
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

// checkEcho sends msg and checks that the error is the provider's, shows
// the echo redacted, and leaks nothing.
func checkEcho(t *testing.T, s delivery.Sender, msg delivery.Message, secrets ...string) {
	t.Helper()
	_, err := s.Send(context.Background(), msg)
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "Invalid request") || !strings.Contains(pe.Message, "[redacted]") {
		t.Fatalf("%s: err = %v, want the provider's error with the echo redacted", msg.Channel, err)
	}
	if leak := echoLeak(err, msg, secrets...); leak != "" {
		t.Errorf("%s: error shows %s: %q", msg.Channel, leak, pe.Message)
	}
}
