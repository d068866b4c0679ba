package otp

import (
	"context"
	"errors"
	"strings"

	"github.com/otpkit/otpkit/delivery"
)

// ChannelFor returns the channel [delivery.Auto] picks for an E.164 number, from
// its line type ([NumberLineType]): [delivery.Voice] for a fixed line,
// [delivery.SMS] for every other number, mobile or not (fixed-or-mobile
// numbers as in the US and Canada, VoIP, unknown), which may well take an
// SMS.
func ChannelFor(e164 string) delivery.Channel {
	if NumberLineType(e164) == LineFixed {
		return delivery.Voice
	}
	return delivery.SMS
}

// routes returns the channels to try for a number, in order: ch (delivery.Auto
// resolved) and then the fallback channels not tried yet.
func (s *Service) routes(number string, ch delivery.Channel) []delivery.Channel {
	if ch == delivery.Auto {
		ch = ChannelFor(number)
	}
	out := []delivery.Channel{ch}
	for _, f := range s.opts.Fallback {
		dup := false
		for _, c := range out {
			dup = dup || c == f
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

// deliver tries the channels in order with the same code, each message
// rendered from the locale's templates msgs, until the sender
// accepts the message, and returns the receipt, the channel that carried
// it and the attempts that failed before; or, when every channel failed,
// a [*DeliveryError].
func (s *Service) deliver(ctx context.Context, number, code string, msgs *messages, data TemplateData, routes []delivery.Channel) (delivery.Receipt, delivery.Channel, []delivery.Attempt, error) {
	var failed []delivery.Attempt
	for _, ch := range routes {
		data.Channel = string(ch)
		body, err := s.render(msgs, ch, data)
		if err != nil {
			return delivery.Receipt{}, "", nil, err
		}
		rc, err := s.sender.Send(ctx, delivery.Message{To: number, Channel: ch, Body: body, Code: code})
		if err == nil {
			return rc, ch, append(failed, rc.Failed...), nil
		}
		failed = append(failed, attempts(err, ch)...)
		if ctx.Err() != nil || delivery.OutcomeUnknown(err) {
			// After an unknown outcome the code may be on its way: another
			// channel could deliver it twice.
			break
		}
	}
	return delivery.Receipt{}, "", nil, &DeliveryError{Attempts: failed}
}

// attempts turns a sender's error into the attempts it stands for: the
// routes of a [delivery.Failover], or one attempt.
func attempts(err error, ch delivery.Channel) []delivery.Attempt {
	var fe *delivery.FailoverError
	if errors.As(err, &fe) {
		return fe.Attempts
	}
	a := delivery.Attempt{Channel: ch, Err: err}
	var pe *delivery.ProviderError
	var ce *delivery.ConfigError
	switch {
	case errors.As(err, &pe):
		a.Provider = pe.Provider
	case errors.As(err, &ce):
		a.Provider = ce.Provider
	}
	return []delivery.Attempt{a}
}

// DeliveryError is returned by [Service.Send] when no channel and no
// provider accepted the code. It lists every failed attempt in order, and
// wraps [ErrDelivery] and each attempt's error (so errors.As finds a
// [*delivery.ProviderError]). The code was withdrawn and the send does not
// count against the limits, unless the error matches
// [delivery.ErrOutcomeUnknown]: then the provider may have the message, the
// code stays valid and the send counts.
type DeliveryError struct {
	Attempts []delivery.Attempt
}

// Error returns "delivery failed: " and the attempts' errors joined by
// "; then ", each after its channel when more than one channel was tried:
// "delivery failed: sms: twilio 21614: ...; then voice: twilio 21219: ...".
func (e *DeliveryError) Error() string {
	channels := map[delivery.Channel]bool{}
	for _, a := range e.Attempts {
		channels[a.Channel] = true
	}
	parts := make([]string, len(e.Attempts))
	for i, a := range e.Attempts {
		parts[i] = a.Err.Error()
		if len(channels) > 1 {
			parts[i] = string(a.Channel) + ": " + parts[i]
		}
	}
	if len(parts) == 0 {
		return ErrDelivery.Error()
	}
	return ErrDelivery.Error() + ": " + strings.Join(parts, "; then ")
}

// Unwrap returns ErrDelivery and the attempts' errors.
func (e *DeliveryError) Unwrap() []error {
	errs := []error{ErrDelivery}
	for _, a := range e.Attempts {
		errs = append(errs, a.Err)
	}
	return errs
}

// failedAttempts returns the attempts of a [*DeliveryError].
func failedAttempts(err error) []delivery.Attempt {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Attempts
	}
	return nil
}

// lastChannel returns the channel of the last attempt of a [*DeliveryError].
func (s *Service) lastChannel(err error) delivery.Channel {
	if a := failedAttempts(err); len(a) > 0 {
		return a[len(a)-1].Channel
	}
	return ""
}
