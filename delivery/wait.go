package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultPollInterval is how often [Wait] looks a message up by default.
const DefaultPollInterval = 2 * time.Second

// WaitOptions tune [Wait]. The zero value polls every 2 seconds.
type WaitOptions struct {
	Interval time.Duration // between lookups; default DefaultPollInterval
	// OnChange, if set, is called with the first status and every status
	// whose State or Raw differs from the one before (the transitions).
	OnChange func(Report)
}

// ErrNotFinal is returned, wrapped, by [Wait] when ctx ends before the
// message reached a final state; errors.Is also matches ctx's error.
var ErrNotFinal = errors.New("no final delivery status yet")

// Wait looks the message id up with c until its state is final
// (delivered or failed) and returns that status; a failed delivery is a
// status, not an error. When ctx ends first, it returns the last status
// seen and an error wrapping ErrNotFinal and ctx's error. Lookup errors
// that may pass (a retryable [*ProviderError]) are retried at the next
// interval; others end the wait.
func Wait(ctx context.Context, c StatusChecker, id string, opts WaitOptions) (Report, error) {
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	var last Report
	seen := false
	for {
		st, err := c.Status(ctx, id)
		var pe *ProviderError
		switch {
		case err == nil:
			if !seen || st.State != last.State || st.Raw != last.Raw {
				if opts.OnChange != nil {
					opts.OnChange(st)
				}
			}
			last, seen = st, true
			if st.State.Final() {
				return st, nil
			}
		case ctx.Err() != nil:
		case errors.As(err, &pe) && pe.Retryable:
		default:
			return last, err
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, fmt.Errorf("%w (last status %q): %w", ErrNotFinal, last.Raw, ctx.Err())
		case <-t.C:
		}
	}
}
