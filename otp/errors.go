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
	// ErrInvalidOptions is returned by [New], [Options.Validate], [Generate]
	// and [ParseFormat] for options out of range.
	ErrInvalidOptions = errors.New("invalid options")
)

// RetryError is returned when a number is locked ([ErrLocked]) or a send is
// refused by the resend limits ([ErrRateLimited]); it says when to retry.
type RetryError struct {
	Err     error     // ErrLocked or ErrRateLimited
	RetryAt time.Time // the earliest time the operation may succeed, by the refusing clock
	// Wait is how long after the refusal the operation may succeed
	// (RetryAt less the time of the refusal).
	Wait time.Duration
	// Reason is an optional detail for the message ("resend cooldown").
	Reason string
}

// RetryAfter returns Wait rounded up to a whole second, and 0 if Wait is
// not positive.
func (e *RetryError) RetryAfter() time.Duration {
	d := e.Wait
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

// ErrorKind ties a sentinel error to the name that scripts and HTTP clients
// see in JSON and to the otp command's exit code. [ErrorKinds] is the one
// table of them: the command, its JSON and servers built on this package
// all read it.
type ErrorKind struct {
	Err      error  // the sentinel, matched with errors.Is
	Name     string // the kind in JSON: "wrong_code", "rate_limited", ...
	ExitCode int    // the otp command's exit code (see "otp help exit-codes")
}

var errorKinds = []ErrorKind{
	{ErrWrongCode, "wrong_code", 1},
	{ErrExpired, "expired", 3},
	{ErrUsed, "used", 3},
	{ErrNotFound, "not_found", 3},
	{ErrLocked, "locked", 4},
	{ErrRateLimited, "rate_limited", 5},
	{ErrDelivery, "delivery_failed", 6},
	{ErrStore, "store", 7},
	{ErrBlocked, "blocked", 9},
	{ErrInvalidNumber, "invalid_number", 2},
	{ErrInvalidCode, "invalid_code", 2},
	{ErrInvalidOptions, "config", 2},
}

// ErrorKinds returns the table of error kinds, in the order [KindOf]
// matches them.
func ErrorKinds() []ErrorKind { return append([]ErrorKind(nil), errorKinds...) }

// KindOf returns the kind of the first sentinel of [ErrorKinds] that err
// wraps, and false if it wraps none.
func KindOf(err error) (ErrorKind, bool) {
	for _, k := range errorKinds {
		if errors.Is(err, k.Err) {
			return k, true
		}
	}
	return ErrorKind{}, false
}
