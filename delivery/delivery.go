// Package delivery defines how otpkit hands a message to a provider that
// carries it to a phone, by SMS or by a voice call.
//
// A provider implements [Sender]. Local providers live in delivery/console
// (print to a terminal) and delivery/outbox (append to a JSON Lines file);
// each real provider has its own subpackage (delivery/twilio,
// delivery/telnyx and the others beside them), so a program links only the
// SDKs it uses.
//
// Real providers refuse with a one-line [*ProviderError] carrying the
// provider's own code, retry what may pass per a [RetryPolicy], and may
// look up what became of a message ([StatusChecker], [Wait]). [Failover]
// tries several providers in order with the same message. Choosing a
// provider by name is the job of the program (the otp command does it from
// its configuration), not of this package.
package delivery

import (
	"context"
	"errors"
	"fmt"
)

// Channel is how a message reaches a phone.
type Channel string

// The channels.
const (
	SMS   Channel = "sms"   // a text message
	Voice Channel = "voice" // a phone call that speaks the message
	// Auto asks the sender of a code to pick per number: SMS for mobile
	// numbers, a call for fixed lines (otp.ChannelFor). A [Sender] is never
	// handed Auto; it is resolved before.
	Auto Channel = "auto"
)

// ParseChannel returns the channel named s: "sms", "voice" or "auto".
func ParseChannel(s string) (Channel, error) {
	switch c := Channel(s); c {
	case SMS, Voice, Auto:
		return c, nil
	}
	return "", fmt.Errorf("%w %q (want sms, voice or auto)", ErrUnknownChannel, s)
}

// ErrUnknownChannel is returned, wrapped, for a channel name that is not sms, voice or auto.
var ErrUnknownChannel = errors.New("unknown channel")

// ErrUnsupported is returned, wrapped, by a Sender asked for a channel it
// cannot deliver.
var ErrUnsupported = errors.New("channel not supported by this provider")

// Message is one message to deliver.
type Message struct {
	To      string  // E.164 number
	Channel Channel // SMS or Voice
	// Body is the text to send or, for Voice, to speak, already rendered
	// from the configured template.
	Body string
	// Code is the one-time code the body carries. Providers that only pass
	// the body on ignore it; the outbox records it so tests can read it.
	// It must never be logged.
	Code string
}

// Receipt is a provider's acknowledgement of a message.
type Receipt struct {
	Provider string // the provider's name, as in the configuration ("console", "twilio", ...)
	ID       string // the provider's id for the message or call
	Status   string // the provider's initial status ("queued", "sent", ...), if it gives one
	// Failed lists the routes that failed before this one accepted the
	// message, in order, when a [Failover] sent it; nil otherwise.
	Failed []Attempt
}

// Sender delivers messages. Send returns once the provider has accepted the
// message (not once it reached the phone). Errors describe the provider's
// refusal in one line and never include credentials or the code. Send must
// be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, msg Message) (Receipt, error)
}
