package delivery

import "errors"

// ErrOutcomeUnknown is matched (errors.Is) by a send error after which the
// provider may already have the message: the request was written and then
// the call was cut off (context cancelled or deadline passed, connection
// reset while reading the answer), or the provider answered 2xx with a body
// that could not be read. Such a send must count as made: the code stays
// valid and the send counts against the limits, and no other route may be
// tried (that could deliver the message twice).
//
// Every other send error is a definite refusal: the provider answered with
// an error (4xx or 5xx; a 5xx comes after the retries, each of which was a
// refusal the provider reported), or the request never left (connection
// refused, DNS failure, bad configuration). Only those may be refunded.
var ErrOutcomeUnknown = errors.New("outcome unknown: the provider may have the message")

// OutcomeUnknown reports whether err leaves the outcome of a send unknown
// (see [ErrOutcomeUnknown]).
func OutcomeUnknown(err error) bool { return errors.Is(err, ErrOutcomeUnknown) }

// MarkOutcomeUnknown wraps err so that it matches [ErrOutcomeUnknown] as
// well as everything err matches; its text is err's followed by
// " (outcome unknown: the provider may have the message; the send counts)".
// It returns nil for a nil err.
func MarkOutcomeUnknown(err error) error {
	if err == nil || OutcomeUnknown(err) {
		return err
	}
	return &unknownError{err}
}

type unknownError struct{ err error }

func (e *unknownError) Error() string {
	return e.err.Error() + " (outcome unknown: the provider may have the message; the send counts)"
}
func (e *unknownError) Unwrap() []error { return []error{e.err, ErrOutcomeUnknown} }
