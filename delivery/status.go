package delivery

import (
	"context"
	"errors"
)

// StatusChecker is implemented by senders that can look up what became of
// a message they sent: whether it reached the phone. It is an optional
// capability of a [Sender]; test for it with a type assertion.
//
// Status takes the id from the message's [Receipt]. Errors are lookup
// failures (unknown id, provider refused, network); a message that failed
// to deliver is not an error but a [Report] in [StateFailed].
type StatusChecker interface {
	Status(ctx context.Context, id string) (Report, error)
}

// State is a provider-neutral delivery state.
type State string

// The delivery states.
const (
	// StatePending: the provider has the message and has not reached a
	// final state yet (queued, sending, sent to the carrier, ringing).
	StatePending State = "pending"
	// StateDelivered: the phone got the message, or the call was answered
	// and completed.
	StateDelivered State = "delivered"
	// StateFailed: the message will not be delivered (undelivered,
	// rejected, expired; a call busy, unanswered or failed).
	StateFailed State = "failed"
	// StateUnknown: the provider has said its last word and it is neither:
	// the carrier did not confirm delivery (Telnyx delivery_unconfirmed).
	// The message may well have arrived.
	StateUnknown State = "unknown"
)

// Final reports whether the state can no longer change.
func (s State) Final() bool { return s == StateDelivered || s == StateFailed || s == StateUnknown }

// ErrStatusUnknown is returned, wrapped, by a [StatusChecker] that cannot
// look a message up at all although the provider accepted it (an answer
// that carried no id): whether it was delivered is unknown, not failed.
var ErrStatusUnknown = errors.New("delivery cannot be looked up")

// Report is what a provider says about a message it accepted.
type Report struct {
	State State  // the neutral state
	Raw   string // the provider's own status ("undelivered", "delivery_failed", ...)
	// ErrorCode is the provider's error code when delivery failed ("30003").
	ErrorCode string
	// Error is what ErrorCode means, or the provider's error text.
	Error string
}
