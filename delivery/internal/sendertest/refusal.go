package sendertest

import (
	"errors"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/httpx"
)

// CheckRefusal checks err against want ("" for none): a provider's refusal
// is a *delivery.ProviderError with the answer's HTTP status, not an
// unreadable answer and not an unknown outcome (nothing was sent).
func CheckRefusal(t *testing.T, err error, want string, status int) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("err = %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	var pe *delivery.ProviderError
	if !errors.As(err, &pe) || pe.HTTPStatus != status || pe.Retryable {
		t.Errorf("err = %#v, want a *delivery.ProviderError of HTTP %d, not retryable", err, status)
	}
	for _, not := range []error{httpx.ErrUnreadable, delivery.ErrOutcomeUnknown, delivery.ErrUnsupported, delivery.ErrStatusUnknown} {
		if errors.Is(err, not) {
			t.Errorf("err = %v, wraps %v", err, not)
		}
	}
}
