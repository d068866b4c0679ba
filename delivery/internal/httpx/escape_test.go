package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/delivery"
)

// A provider's error body reaches the error one line, with its control
// characters escaped: it cannot set a terminal's title, clear its screen
// or forge a log line (issue 9 item 8).
func TestProviderErrorEscaped(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("21\x1b[2K\n\x1b]0;pwned\x07\x1b[2Jdenied\r\napproved\u009b31m"))
	}))
	defer srv.Close()
	c := &Caller{Provider: "acme", Client: NewClient(delivery.RetryPolicy{MaxAttempts: 1}, nil),
		ParseError: func(_ int, body []byte) *delivery.ProviderError {
			code, msg, _ := strings.Cut(string(body), "\n")
			return &delivery.ProviderError{Code: code, Message: msg}
		}}
	_, err := c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL}, nil)
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *delivery.ProviderError", err)
	}
	if want := `21\x1b[2K`; pe.Code != want {
		t.Errorf("Code = %q, want %q", pe.Code, want)
	}
	if want := `\x1b]0;pwned\x07\x1b[2Jdenied approved\u009b31m`; pe.Message != want {
		t.Errorf("Message = %q, want %q", pe.Message, want)
	}
	if want := `acme 21\x1b[2K: \x1b]0;pwned\x07\x1b[2Jdenied approved\u009b31m`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
