package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Wait asks the receiver, every interval, for the messages that arrived at
// to since the given time, until one carries the nonce or ctx ends
// ([ErrNotArrived], wrapped). A message whose text was altered still counts
// as arrived when it keeps the nonce. A receiver error that may pass
// ([Retryable]) is asked again at the next interval; others end the wait.
func Wait(ctx context.Context, r Receiver, to, nonce string, since time.Time, interval time.Duration) (*Inbound, error) {
	return WaitFor(ctx, r, to, since, interval, func(m Inbound) bool { return strings.Contains(m.Body, nonce) })
}

// WaitFor is [Wait] for the first message that match accepts.
func WaitFor(ctx context.Context, r Receiver, to string, since time.Time, interval time.Duration, match func(Inbound) bool) (*Inbound, error) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		msgs, err := r.Inbound(ctx, to, since)
		if err == nil {
			for i := range msgs {
				if match(msgs[i]) {
					return &msgs[i], nil
				}
			}
		} else if ctx.Err() == nil && !errors.Is(err, errRetryable) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrNotArrived, ctx.Err())
		case <-t.C:
		}
	}
}

// errRetryable marks receiver errors that may pass (see [Retryable]).
var errRetryable = errors.New("retryable")

type retryable struct{ err error }

func (e retryable) Error() string   { return e.err.Error() }
func (e retryable) Unwrap() []error { return []error{e.err, errRetryable} }

// Retryable marks a receiver's error as one that may pass (a rate limit, a
// server error, a lost connection): [Wait] asks again instead of giving
// up. Its message is err's.
func Retryable(err error) error { return retryable{err} }
