package plivo

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

// TestErrorHidesEchoedRequest: Plivo answers an error that echoes the JSON
// it got; the error shows neither the code nor the message nor the token.
func TestErrorHidesEchoedRequest(t *testing.T) {
	t.Parallel()
	const token = "ZmFrZXBsaXZvdG9rZW4wMDAwMDAwMDAwMDAwMDAw"
	srv := echoServer(t, func(echo string) any {
		return map[string]string{"api_id": "00000000-0000-0000-0000-000000000000", "error": echo + " " + token}
	})
	s, err := New(Config{AuthID: "MAODUMMYAUTHID000001", AuthToken: token, From: "+12015550100",
		BaseURL: srv.URL, Timeout: 5 * time.Second, Retry: delivery.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	checkEcho(t, s, redactMessages[0], token) // Plivo sends no calls
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
