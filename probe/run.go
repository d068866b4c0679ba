package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// DefaultConcurrency is how many probes [Run] has in flight by default.
const DefaultConcurrency = 8

// Options tune [Run].
type Options struct {
	Template string // the probe text; "" is [DefaultTemplate]
	// From returns the sender a provider's route should show ("" when it is
	// not known, as with a pool of senders); nil or "" skips the sender check.
	From       func(provider string) string
	Count      int              // probes per number; 0 is 1
	Timeout    time.Duration    // how long to wait for each arrival (and its receipt)
	MaxLatency time.Duration    // over this an intact arrival is slow; 0: no limit
	Interval   time.Duration    // how often to ask the receiver; default 1s
	Now        func() time.Time // the clock of the send time
	// Concurrency bounds the probes in flight; 0 is [DefaultConcurrency].
	Concurrency int
	// DLR returns what the sending provider's receipt says for a message
	// id, waiting for a final one until ctx ends (it is called at the send,
	// with the arrival's deadline); nil: unknown.
	DLR func(ctx context.Context, id string) DLR
	// OnResult, if set, is called with each result as it is judged, from
	// any goroutine, one call at a time.
	OnResult func(Result)
}

// ErrSend is returned, wrapped, in [Result.Err] when no route accepted a
// probe.
var ErrSend = errors.New("probe not sent")

// ErrReceive is wrapped by the [Result.Err] of a probe whose receiving
// side could not be read (refused credentials, a bad answer): that it did
// not arrive is then not known, and its verdict is not_arrived, never
// fake_dlr.
var ErrReceive = errors.New("cannot read the inbound messages")

// Run sends Count probes to each number through sender (the same
// [delivery.Sender] otp send uses, e.g. a [delivery.Failover]), waits for
// each at the receiver while asking for its receipt, and judges it. The
// results are in the order of to, then probe; the probes run concurrently.
func Run(ctx context.Context, sender delivery.Sender, rcv Receiver, to []string, o Options) []Result {
	count := max(o.Count, 1)
	conc := o.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	out := make([]Result, len(to)*count)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, n := range to {
		for p := range count {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				r := runOne(ctx, sender, rcv, n, p+1, o)
				out[i*count+p] = r
				if o.OnResult != nil {
					mu.Lock()
					o.OnResult(r)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return out
}

func runOne(ctx context.Context, sender delivery.Sender, rcv Receiver, to string, probe int, o Options) Result {
	r := Result{To: to, Probe: probe, DLR: DLRUnknown, Route: Route{Channel: string(delivery.SMS)}, Verdict: NotArrived}
	nonce, err := Nonce()
	if err != nil {
		r.setErr(err)
		return r
	}
	body, err := Render(o.Template, nonce)
	if err != nil {
		r.setErr(err)
		return r
	}
	sent := o.Now()
	rc, err := sender.Send(ctx, delivery.Message{To: to, Channel: delivery.SMS, Body: body})
	if err != nil {
		r.setErr(fmt.Errorf("%w: %w", ErrSend, err))
		return r
	}
	r.Route.Provider, r.MessageID = rc.Provider, rc.ID
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	dlr := make(chan DLR, 1)
	go func() {
		if o.DLR == nil {
			dlr <- DLRUnknown
			return
		}
		dlr <- o.DLR(wctx, rc.ID)
	}()
	got, werr := Wait(wctx, rcv, to, nonce, sent, o.Interval)
	r.DLR = <-dlr
	from := ""
	if o.From != nil {
		from = o.From(rc.Provider)
	}
	Judge(&r, body, from, sent, got, o.MaxLatency)
	if got == nil && ctx.Err() != nil {
		// Cut short (Ctrl-C): that nothing arrived says nothing.
		r.Verdict = NotArrived
		r.setErr(fmt.Errorf("%w: interrupted: %w", ErrReceive, ctx.Err()))
		return r
	}
	if werr != nil && !errors.Is(werr, ErrNotArrived) {
		// Nothing was seen because nothing could be read: no accusation.
		r.Verdict = NotArrived
		r.setErr(fmt.Errorf("%w: %w", ErrReceive, werr))
	}
	return r
}

// setErr records why a probe has no verdict of its own.
func (r *Result) setErr(err error) {
	r.Err, r.Error = err, err.Error()
}
