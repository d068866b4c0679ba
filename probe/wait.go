package probe

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Wait asks the receiver, every interval, for the messages that arrived at
// to since the given time, until one carries the nonce or ctx ends
// ([ErrNotArrived], wrapped). A message whose text was altered still counts
// as arrived when it keeps the nonce.
func Wait(ctx context.Context, r Receiver, to, nonce string, since time.Time, interval time.Duration) (*Inbound, error) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		msgs, err := r.Inbound(ctx, to, since)
		if err == nil {
			for i := range msgs {
				if strings.Contains(msgs[i].Body, nonce) {
					return &msgs[i], nil
				}
			}
		} else if ctx.Err() == nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrNotArrived, ctx.Err())
		case <-t.C:
		}
	}
}
