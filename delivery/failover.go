package delivery

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Failover is a [Sender] that tries several providers in order with the
// same message (so the same code) until one accepts it: a route list such
// as twilio, then telnyx. The receipt's Provider says which one did.
//
// It is also a [StatusChecker] for the messages it sent, asking the
// provider that sent each one (it remembers the ids it handed out).
type Failover struct {
	senders []Sender
	mu      sync.Mutex
	owner   map[string]Sender
}

var (
	_ Sender        = (*Failover)(nil)
	_ StatusChecker = (*Failover)(nil)
)

// NewFailover returns a Failover over senders, tried in the order given.
func NewFailover(senders ...Sender) *Failover {
	return &Failover{senders: senders, owner: map[string]Sender{}}
}

// Send implements [Sender]: it returns the first success, or an error
// listing every provider's failure in order on one line ("twilio 21608:
// ...; then telnyx 10009: ..."), which wraps each of them for errors.Is
// and errors.As. It stops early when ctx ends.
func (f *Failover) Send(ctx context.Context, msg Message) (Receipt, error) {
	var errs []error
	for _, s := range f.senders {
		rc, err := s.Send(ctx, msg)
		if err == nil {
			f.mu.Lock()
			f.owner[rc.ID] = s
			f.mu.Unlock()
			return rc, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return Receipt{}, fmt.Errorf("failover: no providers")
	}
	return Receipt{}, &failoverError{errs}
}

// Status implements [StatusChecker] for ids this Failover returned.
func (f *Failover) Status(ctx context.Context, id string) (DeliveryStatus, error) {
	f.mu.Lock()
	s := f.owner[id]
	f.mu.Unlock()
	if s == nil {
		return DeliveryStatus{}, fmt.Errorf("failover: message %q was not sent here", id)
	}
	c, ok := s.(StatusChecker)
	if !ok {
		return DeliveryStatus{}, fmt.Errorf("status lookup: %w", ErrUnsupported)
	}
	return c.Status(ctx, id)
}

type failoverError struct{ errs []error }

func (e *failoverError) Error() string {
	parts := make([]string, len(e.errs))
	for i, err := range e.errs {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; then ")
}

func (e *failoverError) Unwrap() []error { return e.errs }
