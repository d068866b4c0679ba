package probe

import (
	"context"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// Options tune [Run].
type Options struct {
	Template   string           // the probe text; "" is [DefaultTemplate]
	From       string           // the sender the route should show; "" skips the sender check
	Timeout    time.Duration    // how long to wait for each arrival
	MaxLatency time.Duration    // over this an intact arrival is slow; 0: no limit
	Interval   time.Duration    // how often to ask the receiver
	Now        func() time.Time // the clock of the send time
	// DLR returns what the sending provider's receipt says for a message
	// id once the wait is over; nil: unknown.
	DLR func(ctx context.Context, id string) DLR
}

// Run sends one probe to each number through sender (the same
// [delivery.Sender] otp send uses, e.g. a [delivery.Failover]), waits for it
// at the receiver and judges it.
func Run(ctx context.Context, sender delivery.Sender, rcv Receiver, to []string, o Options) []Result {
	out := make([]Result, len(to))
	for i, n := range to {
		out[i] = runOne(ctx, sender, rcv, n, o)
	}
	return out
}

func runOne(ctx context.Context, sender delivery.Sender, rcv Receiver, to string, o Options) Result {
	r := Result{To: to, Probe: 1, DLR: DLRUnknown, Route: Route{Channel: "sms"}}
	nonce, err := Nonce()
	if err == nil {
		var body string
		if body, err = Render(o.Template, nonce); err == nil {
			sent := o.Now()
			var rc delivery.Receipt
			if rc, err = sender.Send(ctx, delivery.Message{To: to, Channel: delivery.SMS, Body: body}); err == nil {
				r.Route.Provider, r.MessageID = rc.Provider, rc.ID
				wctx, cancel := context.WithTimeout(ctx, o.Timeout)
				got, _ := Wait(wctx, rcv, to, nonce, sent, o.Interval)
				cancel()
				if o.DLR != nil {
					r.DLR = o.DLR(ctx, rc.ID)
				}
				Judge(&r, body, o.From, sent, got, o.MaxLatency)
				return r
			}
		}
	}
	r.Error = err.Error()
	r.Verdict = NotArrived
	return r
}
