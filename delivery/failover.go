package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Route is one provider of a [Failover]: its name, as in the
// configuration, and its sender.
type Route struct {
	Provider string
	Sender   Sender
}

// Attempt is a failed try to deliver a message: which provider, over which
// channel, and its error.
type Attempt struct {
	Provider string // "" when not known
	Channel  Channel
	Err      error
}

// maxOwned bounds how many message ids a Failover remembers for
// [Failover.Status]; the oldest are forgotten first.
const maxOwned = 4096

// Failover is a [Sender] that tries several providers in order with the
// same message (so the same code) until one accepts it: a route list such
// as twilio, then telnyx. The receipt's Provider says which one did, and
// its Failed field lists the routes that failed before.
//
// It is also a [StatusChecker] for the messages it sent, asking the
// provider that sent each one (it remembers the last 4096 ids it handed
// out).
type Failover struct {
	routes []Route
	mu     sync.Mutex
	owner  map[string]Sender
	order  []string // ids in owner, oldest first
}

var (
	_ Sender        = (*Failover)(nil)
	_ StatusChecker = (*Failover)(nil)
)

// NewFailover returns a Failover over routes, tried in the order given.
func NewFailover(routes ...Route) *Failover {
	return &Failover{routes: routes, owner: map[string]Sender{}}
}

// Senders returns the routes' senders, in order.
func (f *Failover) Senders() []Sender {
	out := make([]Sender, len(f.routes))
	for i, r := range f.routes {
		out[i] = r.Sender
	}
	return out
}

// Send implements [Sender]: it returns the first success, with the failures
// before it in Receipt.Failed, or a [*FailoverError] listing every route's
// failure. It stops early when ctx ends.
func (f *Failover) Send(ctx context.Context, msg Message) (Receipt, error) {
	var failed []Attempt
	for _, r := range f.routes {
		rc, err := r.Sender.Send(ctx, msg)
		if err == nil {
			f.remember(rc.ID, r.Sender)
			if rc.Provider == "" {
				rc.Provider = r.Provider
			}
			rc.Failed = failed
			return rc, nil
		}
		failed = append(failed, Attempt{Provider: r.Provider, Channel: msg.Channel, Err: err})
		if ctx.Err() != nil || OutcomeUnknown(err) {
			// After an unknown outcome the message may be on its way: another
			// route could deliver it twice.
			break
		}
	}
	if len(failed) == 0 {
		return Receipt{}, errors.New("failover: no providers")
	}
	return Receipt{}, &FailoverError{Attempts: failed}
}

func (f *Failover) remember(id string, s Sender) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.owner[id]; ok {
		return
	}
	f.owner[id] = s
	f.order = append(f.order, id)
	if len(f.order) > maxOwned {
		delete(f.owner, f.order[0])
		f.order = f.order[1:]
	}
}

// Status implements [StatusChecker] for ids this Failover returned.
func (f *Failover) Status(ctx context.Context, id string) (Report, error) {
	f.mu.Lock()
	s := f.owner[id]
	f.mu.Unlock()
	if s == nil {
		return Report{}, fmt.Errorf("failover: message %q was not sent here", id)
	}
	c, ok := s.(StatusChecker)
	if !ok {
		return Report{}, fmt.Errorf("status lookup: %w", ErrUnsupported)
	}
	return c.Status(ctx, id)
}

// FailoverError is returned by [Failover.Send] when every route failed.
// Its message lists the failures in order on one line ("twilio 21608:
// ...; then telnyx 10009: ..."); it wraps each of them for errors.Is and
// errors.As.
type FailoverError struct {
	Attempts []Attempt
}

// Error returns the routes' errors joined by "; then ".
func (e *FailoverError) Error() string {
	parts := make([]string, len(e.Attempts))
	for i, a := range e.Attempts {
		parts[i] = a.Err.Error()
	}
	return strings.Join(parts, "; then ")
}

// Unwrap returns the routes' errors.
func (e *FailoverError) Unwrap() []error {
	errs := make([]error, len(e.Attempts))
	for i, a := range e.Attempts {
		errs[i] = a.Err
	}
	return errs
}
