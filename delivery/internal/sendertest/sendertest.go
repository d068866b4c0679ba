// Package sendertest holds the tests every HTTP provider must pass against
// its fake API (package internal/fakeapi): retries on 429 (honouring
// Retry-After) and 5xx with the same message, giving up, no retry on
// other 4xx, timeouts, refused connections, malformed answers, and errors
// that never show a secret.
package sendertest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/httpx"
	"github.com/otpkit/otpkit/internal/fakeapi"
)

// Fake is what the suite needs of a provider's fake API.
type Fake interface {
	URL() string
	Close()
	Fail(...fakeapi.Fault)
	RateLimit(retryAfter string)
	ServerError()
	Hang(time.Duration)
	Malformed(status int)
	Requests() []fakeapi.Request
}

// Options tune a sender built for the suite.
type Options struct {
	Timeout     time.Duration
	MaxAttempts int
	Retry       delivery.RetryPolicy // filled from the two fields above
}

// Harness describes one provider to the suite.
type Harness struct {
	// Start returns a new fake (closed by the suite) and a sender for it
	// configured with opts.Retry and opts.Timeout.
	Start func(t *testing.T, opts Options) (Fake, delivery.Sender)
	// Message is a message the sender delivers successfully.
	Message delivery.Message
	// Success is the HTTP status of the API's success answer (for the
	// malformed-body test).
	Success int
	// Body returns the message text of a recorded request, to check that
	// retries carry the same message.
	Body func(fakeapi.Request) string
	// Secrets are the credentials that must never appear in errors.
	Secrets []string
	// AnyAnswer says any 2xx body is a success (the webhook provider),
	// so a malformed success body is not an error.
	AnyAnswer bool
	// ErrorBody is an API error answer (HTTP 400) whose text echoes s,
	// in the provider's error shape.
	ErrorBody func(s string) string
}

func (h Harness) start(t *testing.T, opts Options) (Fake, delivery.Sender) {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	opts.Retry = delivery.RetryPolicy{MaxAttempts: opts.MaxAttempts, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	f, s := h.Start(t, opts)
	t.Cleanup(f.Close)
	return f, s
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("Retries", func(t *testing.T) { t.Parallel(); retries(t, h) })
	t.Run("GiveUp", func(t *testing.T) { t.Parallel(); giveUp(t, h) })
	t.Run("RetryAfterBeyondTimeout", func(t *testing.T) { t.Parallel(); retryAfterBeyondTimeout(t, h) })
	t.Run("NoRetryOn4xx", func(t *testing.T) { t.Parallel(); noRetryOn4xx(t, h) })
	t.Run("Timeout", func(t *testing.T) { t.Parallel(); timeout(t, h) })
	t.Run("ConnectionRefused", func(t *testing.T) { t.Parallel(); refused(t, h) })
	t.Run("Malformed", func(t *testing.T) { t.Parallel(); malformed(t, h) })
	t.Run("SecretsHidden", func(t *testing.T) { t.Parallel(); secretsHidden(t, h) })
}

func retries(t *testing.T, h Harness) {
	tests := []struct {
		name  string
		fail  func(f Fake)
		tries int
	}{
		{"429 with Retry-After, then success", func(f Fake) { f.RateLimit("1") }, 2},
		{"429 with an HTTP-date Retry-After, then success", func(f Fake) {
			f.Fail(fakeapi.Fault{Status: 429, RetryAfter: time.Now().Add(-time.Second).UTC().Format(time.RFC1123)})
		}, 2},
		{"500, then success", func(f Fake) { f.ServerError() }, 2},
		{"503 twice, then success", func(f Fake) { f.Fail(fakeapi.Fault{Status: 503}, fakeapi.Fault{Status: 503}) }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, s := h.start(t, Options{})
			tt.fail(f)
			rc, err := s.Send(context.Background(), h.Message)
			if err != nil {
				t.Fatal(err)
			}
			if rc.ID == "" {
				t.Error("no message id")
			}
			reqs := f.Requests()
			if len(reqs) != tt.tries {
				t.Fatalf("%d requests, want %d", len(reqs), tt.tries)
			}
			for i, r := range reqs {
				if got := h.Body(r); got != h.Message.Body {
					t.Errorf("request %d carried %q, want the same message %q", i+1, got, h.Message.Body)
				}
			}
		})
	}
}

func giveUp(t *testing.T, h Harness) {
	f, s := h.start(t, Options{MaxAttempts: 2})
	f.RateLimit("")
	f.RateLimit("")
	_, err := s.Send(context.Background(), h.Message)
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.HTTPStatus != 429 || !pe.Retryable {
		t.Fatalf("err = %v, want a retryable provider error with HTTP 429", err)
	}
	if n := len(f.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func retryAfterBeyondTimeout(t *testing.T, h Harness) {
	f, s := h.start(t, Options{Timeout: time.Second})
	f.RateLimit("30")
	_, err := s.Send(context.Background(), h.Message)
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.HTTPStatus != 429 {
		t.Fatalf("err = %v, want the 429 at once (the wait does not fit the timeout)", err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func noRetryOn4xx(t *testing.T, h Harness) {
	for _, status := range []int{400, 401, 403, 404, 422} {
		f, s := h.start(t, Options{})
		f.Fail(fakeapi.Fault{Status: status, Body: h.ErrorBody("refused")})
		_, err := s.Send(context.Background(), h.Message)
		var pe *delivery.ProviderError
		if !errors.As(err, &pe) || pe.HTTPStatus != status || pe.Retryable {
			t.Errorf("HTTP %d: err = %v, want a non-retryable provider error", status, err)
		}
		if n := len(f.Requests()); n != 1 {
			t.Errorf("HTTP %d: %d requests, want 1", status, n)
		}
	}
}

func timeout(t *testing.T, h Harness) {
	f, s := h.start(t, Options{Timeout: 200 * time.Millisecond})
	f.Hang(time.Minute)
	_, err := s.Send(context.Background(), h.Message)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if strings.Contains(err.Error(), f.URL()) || strings.Contains(err.Error(), "\n") {
		t.Errorf("err %q shows the URL or is not one line", err)
	}
}

func refused(t *testing.T, h Harness) {
	f, s := h.start(t, Options{MaxAttempts: 2})
	f.Close() // nothing listens there any more
	_, err := s.Send(context.Background(), h.Message)
	if err == nil || !strings.Contains(err.Error(), ": request failed: ") || strings.Contains(err.Error(), f.URL()) {
		t.Fatalf("err = %v, want a request failure without the URL", err)
	}
}

func malformed(t *testing.T, h Harness) {
	f, s := h.start(t, Options{})
	f.Malformed(h.Success)
	_, err := s.Send(context.Background(), h.Message)
	if h.AnyAnswer && err != nil {
		t.Errorf("malformed success: err = %v, want success (any answer is fine)", err)
	}
	if !h.AnyAnswer && !errors.Is(err, httpx.ErrUnreadable) {
		t.Errorf("malformed success: err = %v, want ErrUnreadable", err)
	}
	// An error status with a body that is not the API's error shape.
	f.Fail(fakeapi.Fault{Status: 400, Body: "<html>400 Bad Request</html>"})
	_, err = s.Send(context.Background(), h.Message)
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.HTTPStatus != 400 {
		t.Errorf("non-JSON error: err = %v, want a provider error with HTTP 400", err)
	}
}

func secretsHidden(t *testing.T, h Harness) {
	f, s := h.start(t, Options{})
	echo := strings.Join(append(append([]string(nil), h.Secrets...), h.Message.Body, h.Message.Code), " | ")
	f.Fail(fakeapi.Fault{Status: 400, Body: h.ErrorBody(echo)})
	_, err := s.Send(context.Background(), h.Message)
	if err == nil {
		t.Fatal("no error")
	}
	for _, sec := range append(h.Secrets, h.Message.Code) {
		if strings.Contains(err.Error(), sec) {
			t.Errorf("err %q shows a secret", err)
		}
	}
}

// Lookups is a message id and the statuses its successive lookups must
// answer, in order.
type Lookups struct {
	ID   string
	Want []delivery.Report
}

// CheckStatus looks up each id's status once per expected answer, in the
// order given, and reports every answer that differs.
func CheckStatus(t *testing.T, s delivery.StatusChecker, cases []Lookups) {
	t.Helper()
	ctx := context.Background()
	for _, c := range cases {
		for i, want := range c.Want {
			got, err := s.Status(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s lookup %d = %+v, want %+v", c.ID, i+1, got, want)
			}
		}
	}
}
