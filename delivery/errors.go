package delivery

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otpkit/otpkit/internal/termsafe"
)

// ProviderError is a provider's refusal of a request, reduced to one line:
// the provider's name, its own error code and what the code means, e.g.
//
//	twilio 21608: the number is unverified; trial accounts can only send to verified numbers
//
// Providers return it (wrapped) for every answer of the API that is not a
// success; test with errors.As. It never holds credentials or the code a
// message carries.
type ProviderError struct {
	Provider string // the provider's name, as in the configuration ("twilio")
	// Code is the provider's own error code ("21608", "10009"); empty when
	// the provider gave none.
	Code string
	// Message says what went wrong: the meaning of Code when it is a
	// well-known one, otherwise the provider's own message.
	Message    string
	HTTPStatus int  // the HTTP status of the answer; 0 if there was none
	Retryable  bool // the same request may succeed later (rate limits, server errors)
	// RetryAfter is the wait the provider asked for (Retry-After), if any.
	RetryAfter time.Duration
}

// Error returns the one-line form: "provider code: message", or
// "provider (HTTP status): message" when the provider gave no code. The
// provider's text is escaped (control characters shown as \x1b and the
// like), so printing the error cannot drive a terminal.
func (e *ProviderError) Error() string {
	msg := termsafe.Escape(oneLine(e.Message))
	if msg == "" {
		msg = "request refused"
	}
	switch {
	case e.Code != "":
		return fmt.Sprintf("%s %s: %s", e.Provider, termsafe.Escape(e.Code), msg)
	case e.HTTPStatus != 0:
		return fmt.Sprintf("%s (HTTP %d): %s", e.Provider, e.HTTPStatus, msg)
	}
	return e.Provider + ": " + msg
}

// oneLine folds whitespace (newlines included) to single spaces and caps
// the length, so a provider's message never breaks a log line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 300
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// RetryPolicy says how a provider retries a request that failed in a way
// that may pass: HTTP 429, HTTP 5xx and connection errors. Other answers
// are never retried. A retry sends the same request again, so the same
// message (with the same code) and never a new one. The zero value means
// the defaults.
type RetryPolicy struct {
	// MaxAttempts is how many times a request is tried in all; default 4.
	// 1 turns retries off.
	MaxAttempts int
	// BaseDelay is the wait before the first retry; each later retry waits
	// twice as long, with random jitter; default 500ms.
	BaseDelay time.Duration
	// MaxDelay caps one wait; default 10s. A Retry-After the provider sends
	// is honoured even when longer, as long as the deadline allows it.
	MaxDelay time.Duration
}

// The defaults of [RetryPolicy].
const (
	DefaultHTTPAttempts = 4
	DefaultBaseDelay    = 500 * time.Millisecond
	DefaultMaxDelay     = 10 * time.Second
)

// ConfigError is returned by a provider's New when a required setting is
// missing or a setting is invalid. Field names the setting as the
// provider's Config spells it (a Go field name); a program that reads the
// settings from a file maps it to the file's key with the Config's tags
// (see [Provider]).
type ConfigError struct {
	Provider string // the provider's name ("twilio")
	Field    string // the Config field, by its Go name ("AccountSID")
	// Or lists other fields any one of which would do instead of Field
	// ("From or MessagingServiceSID is required").
	Or      []string
	Problem string // "is required", "must be an http(s) URL", ...; never names a field
}

// Error returns e.g. "twilio: AccountSID is required".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: %s %s", e.Provider, strings.Join(append([]string{e.Field}, e.Or...), " or "), e.Problem)
}

// Is reports whether target is [ErrConfig], so errors.Is(err, ErrConfig) works.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// ErrConfig is matched (errors.Is) by every [*ConfigError].
var ErrConfig = errors.New("invalid provider configuration")

// DefaultTimeout is how long a provider's Send or Status may take in all,
// retries included, unless its Config says otherwise.
const DefaultTimeout = 30 * time.Second
