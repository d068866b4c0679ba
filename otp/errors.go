package otp

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Every error from this package wraps one of them; test
// with errors.Is.
var (
	// ErrInvalidNumber is returned when a phone number cannot be read or is not valid.
	ErrInvalidNumber = errors.New("invalid phone number")
	// ErrInvalidCode is returned when the code typed back has characters a
	// code never has, or is empty or too long. It does not count as a try.
	ErrInvalidCode = errors.New("invalid code")
	// ErrWrongCode is returned when the code does not match; the try was
	// counted (see [VerifyResult.AttemptsLeft]).
	ErrWrongCode = errors.New("wrong code")
	// ErrExpired is returned when the pending code has expired.
	ErrExpired = errors.New("code expired")
	// ErrNotFound is returned when the number has no pending code: none was
	// sent, it was purged, or too many wrong tries burned it.
	ErrNotFound = errors.New("no pending code for this number")
	// ErrUsed is returned when the code was already verified: codes are single use.
	ErrUsed = errors.New("code already used")
	// ErrLocked is returned, in a [*RetryError], when the number is locked
	// after too many wrong tries: no code is sent or accepted until it lapses.
	ErrLocked = errors.New("too many wrong tries; number locked")
	// ErrRateLimited is returned, in a [*RetryError], when a send is refused
	// by the resend cooldown or the limit of sends per window.
	ErrRateLimited = errors.New("too many sends to this number")
	// ErrDelivery is returned when the provider did not accept the message.
	// The code was withdrawn and the send does not count against the limits.
	ErrDelivery = errors.New("delivery failed")
	// ErrStore is returned when the store fails (I/O, damage); the operation
	// did not happen.
	ErrStore = errors.New("store error")
	// ErrInvalidOptions is returned by [New] and [Generate] for options out of range.
	ErrInvalidOptions = errors.New("invalid options")
)

// RetryError is returned when a number is locked ([ErrLocked]) or a send is
// refused by the resend limits ([ErrRateLimited]); it says when to retry.
type RetryError struct {
	Err     error     // ErrLocked or ErrRateLimited
	RetryAt time.Time // the earliest time the operation may succeed
	// Reason is an optional detail for the message ("resend cooldown").
	Reason string
	now    time.Time
}

// RetryAfter returns how long to wait before retrying, rounded up to a whole second.
func (e *RetryError) RetryAfter() time.Duration {
	d := e.RetryAt.Sub(e.now)
	if d <= 0 {
		return 0
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d
}

// Error returns the reason and the wait, e.g.
// "too many sends to this number (resend cooldown); retry in 25s".
func (e *RetryError) Error() string {
	msg := e.Err.Error()
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return fmt.Sprintf("%s; retry in %s", msg, e.RetryAfter())
}

// Unwrap returns ErrLocked or ErrRateLimited.
func (e *RetryError) Unwrap() error { return e.Err }
