// Package store defines how otpkit keeps pending codes and per-number limits,
// and the rules every store applies atomically.
//
// A [Store] holds one [Record] per phone number (E.164). Every state change,
// issuing a code, checking a code, cancelling a code and purging, is one
// atomic read-modify-write inside the store, so two processes or two servers
// can never both accept one code, and no wrong try is lost. The rules
// themselves live in this package as methods on [Record] ([Record.Issue],
// [Record.Check], [Record.Cancel], [Record.Purge]); Go stores call them inside
// their transaction, and a store that runs the rules elsewhere (a Redis Lua
// script) must behave identically. The conformance suite in package
// storetest checks that for every implementation.
//
// Stores never see a code, only its keyed hash, which package otp computes.
//
// # Implementations
//
//   - store/filestore: one file on local disk (bbolt), the default of the otp command.
//   - store/redisstore: Redis (or a Redis Cluster), shared by many processes and
//     machines; every rule runs in one Lua script.
//   - store/memstore: in memory, for tests and single-process programs.
package store

import (
	"bytes"
	"context"
	"errors"
	"time"
)

// Store keeps one [Record] per phone number and applies the rules of this
// package to it atomically.
//
// Every method takes a context first and is safe for concurrent use. Errors
// other than the outcomes reported in results are I/O or integrity failures:
// a damaged store wraps [ErrCorrupt], a closed one [ErrClosed].
type Store interface {
	// Issue replaces the number's pending code with req.Hash if the number is
	// not locked and its send limits allow it (see [Record.Issue]).
	Issue(ctx context.Context, req IssueRequest) (IssueResult, error)
	// Check compares req.Hash with the number's pending code, consuming it on
	// a match and counting a wrong try otherwise (see [Record.Check]).
	Check(ctx context.Context, req CheckRequest) (CheckResult, error)
	// Cancel withdraws a code issued at req.SentAt with req.Hash, for when its
	// delivery failed, and refunds that send (see [Record.Cancel]). It is not
	// an error if the code is no longer pending.
	Cancel(ctx context.Context, req CancelRequest) error
	// Get returns a copy of the number's record, or ok=false if there is none.
	Get(ctx context.Context, number string) (rec Record, ok bool, err error)
	// Purge removes expired and used codes and forgets numbers with nothing
	// left to remember (see [Record.Purge]); it returns how many records it
	// removed or cleared.
	Purge(ctx context.Context, req PurgeRequest) (int, error)
	// Close releases the store. Calls after Close return [ErrClosed].
	Close() error
}

// ErrCorrupt is returned, wrapped, when a store's data is damaged or belongs
// to another program. Stores never repair or overwrite such data themselves.
var ErrCorrupt = errors.New("damaged or not an otpkit store")

// ErrClosed is returned when a store is used after Close.
var ErrClosed = errors.New("store is closed")

// Policy holds the limits a store enforces. A zero or negative field turns
// that limit off; package otp fills in the documented defaults.
type Policy struct {
	// MaxAttempts is how many wrong tries a number allows, across resends
	// (see [Record.Issue]). The last allowed wrong try burns the code and,
	// if Lockout is positive, locks the number.
	MaxAttempts int
	// Lockout is how long a number stays locked after MaxAttempts wrong tries.
	Lockout time.Duration
	// ResendAfter is the least time between two sends to one number.
	ResendAfter time.Duration
	// MaxSends is how many sends one number may get within SendWindow.
	MaxSends int
	// SendWindow is the sliding window MaxSends counts over.
	SendWindow time.Duration
}

// IssueRequest asks a store to make Hash the number's pending code.
type IssueRequest struct {
	Number    string    // E.164 number, the record's key
	Hash      []byte    // keyed hash of the new code
	Now       time.Time // the time of the send
	ExpiresAt time.Time // when the new code stops being accepted
	Policy    Policy
}

// CheckRequest asks a store to compare Hash with the number's pending code.
type CheckRequest struct {
	Number string
	Hash   []byte
	Now    time.Time
	Policy Policy
}

// CancelRequest asks a store to withdraw a code whose delivery failed.
type CancelRequest struct {
	Number string
	Hash   []byte
	SentAt time.Time // IssueResult.SentAt of the send being withdrawn
}

// PurgeRequest asks a store to drop what is no longer live at Now.
type PurgeRequest struct {
	Now    time.Time
	Policy Policy
}

// IssueOutcome says whether a code was issued and, if not, why.
type IssueOutcome int

// The outcomes of [Store.Issue].
const (
	Issued        IssueOutcome = iota // the new code is pending
	IssueLocked                       // the number is locked after too many wrong tries
	IssueCooldown                     // the last send was less than ResendAfter ago
	IssueLimit                        // MaxSends sends within SendWindow already
	// IssueRefused is the outcome of [GuardTx.IssueGuarded] when the guard
	// step refused the send: the record was left alone.
	IssueRefused
)

// IssueResult is the result of [Store.Issue].
type IssueResult struct {
	Outcome IssueOutcome
	// SentAt is the send time recorded for an issued code (req.Now).
	SentAt time.Time
	// RetryAt is, for a refused send, the earliest time a send may succeed.
	RetryAt time.Time
	// NextAt is, for an issued code, the earliest time the next send may
	// succeed (the cooldown, or the window when it is full); zero if now.
	NextAt time.Time
	// SendsLeft is how many more sends the window allows after this one.
	// It is -1 when MaxSends is off.
	SendsLeft int
}

// CheckOutcome says what a check found.
type CheckOutcome int

// The outcomes of [Store.Check].
const (
	Approved     CheckOutcome = iota // the code matched and is now used
	WrongCode                        // the code did not match; a try was counted
	CodeExpired                      // the pending code expired
	CodeUsed                         // the code was already verified
	NoCode                           // no code was ever sent, or it was purged or burned
	NumberLocked                     // the number is locked; nothing was compared
)

// CheckResult is the result of [Store.Check].
type CheckResult struct {
	Outcome CheckOutcome
	// AttemptsLeft is how many wrong tries the number still allows, or -1 when
	// MaxAttempts is off. It is 0 after the try that burned the code.
	AttemptsLeft int
	// LockedUntil is set when the number is locked: by this check's wrong
	// try (Outcome WrongCode, AttemptsLeft 0) or earlier (NumberLocked).
	LockedUntil time.Time
}

// SecretKeeper is implemented by stores that can keep the secret key of the
// code hashes themselves, so a program need not configure one: the file
// store keeps it in a 0600 key file beside its data, the memory store makes
// one per instance. Package otp uses it when Options.Secret is empty.
type SecretKeeper interface {
	// Secret returns the store's key, creating it on first use. It is the
	// same key every time for the same store.
	Secret(ctx context.Context) ([]byte, error)
}

// KeyChecker is implemented by stores that remember which key hashed their
// codes, by a fingerprint of it (never the key), so that a program started
// with another key (a changed OTP_SECRET) is told so, instead of counting
// every right code as a wrong try. Package otp calls it once, from New.
type KeyChecker interface {
	// CheckKey records fp if the store has no fingerprint yet and returns
	// nil; if it has one, it returns nil when they are equal and an error
	// wrapping ErrKeyMismatch when they are not.
	CheckKey(ctx context.Context, fp []byte) error
}

// ErrKeyMismatch is returned, wrapped, by [KeyChecker.CheckKey] when the
// store's codes were hashed with another key.
var ErrKeyMismatch = errors.New("the store's codes were hashed with another key (was OTP_SECRET or [code] secret changed?)")

// CompareKey is the rule every [KeyChecker] applies to the fingerprint it
// holds (nil for none) and the one it is given: nil when it holds none or
// they are equal, [ErrKeyMismatch] when they differ. The store then keeps
// fp if it held none.
func CompareKey(held, fp []byte) error {
	if held != nil && !bytes.Equal(held, fp) {
		return ErrKeyMismatch
	}
	return nil
}

// Unlocker is implemented by stores that can lift a number's lock and
// forget its wrong tries: a support agent's tool (otp unlock), applied
// atomically like the other rules ([Record.Unlock]).
type Unlocker interface {
	// Unlock lifts the number's lock and forgets its wrong tries at
	// req.Now. It reports whether there was anything to lift.
	Unlock(ctx context.Context, req UnlockRequest) (bool, error)
}

// UnlockRequest asks [Unlocker.Unlock] to lift a number's lock.
type UnlockRequest struct {
	Number string
	Now    time.Time
	Policy Policy // for how long the record is kept afterwards
}
