package main

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
)

// sendJSON is what send --json writes for a number the code went to.
type sendJSON struct {
	To         string        `json:"to"`
	Channel    string        `json:"channel"`
	Provider   string        `json:"provider"`
	MessageID  string        `json:"message_id"`
	Status     string        `json:"status,omitempty"`
	ExpiresAt  time.Time     `json:"expires_at"`
	NextSendAt time.Time     `json:"next_send_at"`
	SendsLeft  *int          `json:"sends_left,omitempty"`
	Attempts   []attemptJSON `json:"attempts,omitempty"`
	// With --wait: "delivered", "failed" or "unknown" (no final status).
	Delivery       string `json:"delivery,omitempty"`
	DeliveryStatus string `json:"delivery_status,omitempty"`
	DeliveryError  string `json:"delivery_error,omitempty"`
	// In the guard's monitor mode: what it would have refused.
	Guard *guardJSON `json:"guard,omitempty"`
}

// guardJSON is the guard's verdict on a send it let through (monitor mode).
type guardJSON struct {
	WouldBlock bool   `json:"would_block"`
	Reason     string `json:"reason"`
	Message    string `json:"message"`
}

// attemptJSON is a route that failed before the one that delivered, or
// one of the routes that all failed.
type attemptJSON struct {
	Channel  string `json:"channel"`
	Provider string `json:"provider,omitempty"`
	Code     string `json:"code,omitempty"` // the provider's error code
	Error    string `json:"error"`
}

// statusJSON is what send --wait --json writes for each status change.
type statusJSON struct {
	Event     string `json:"event"` // "status"
	To        string `json:"to"`
	Provider  string `json:"provider"`
	MessageID string `json:"message_id"`
	State     string `json:"state"`  // pending, delivered, failed
	Status    string `json:"status"` // the provider's own
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
}

// numberErrorJSON is what send --json writes for a number the code could
// not go to, when sending to several.
type numberErrorJSON struct {
	To string `json:"to"`
	errorJSON
}

func attemptsJSON(as []delivery.Attempt) []attemptJSON {
	var out []attemptJSON
	for _, a := range as {
		j := attemptJSON{Channel: string(a.Channel), Provider: a.Provider, Error: errorMessage(a.Err)}
		var pe *delivery.ProviderError
		if errors.As(a.Err, &pe) {
			j.Code = pe.Code
		}
		out = append(out, j)
	}
	return out
}

// problem says in one line why a message was not delivered.
func problem(st delivery.Report) string {
	switch {
	case st.ErrorCode != "" && st.Error != "":
		return st.ErrorCode + ": " + st.Error
	case st.ErrorCode != "":
		return "error " + st.ErrorCode
	}
	return st.Error
}

// sendPrinter writes what send has to say, one whole line at a time, from
// any number of goroutines.
type sendPrinter struct {
	mu   sync.Mutex
	a    *app
	json bool
}

// sent reports a send that is now waited on: in text, at once.
func (p *sendPrinter) sent(res otp.SendResult) {
	if p.json {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sentText(res)
}

func (p *sendPrinter) sentText(res otp.SendResult) {
	for _, at := range res.Attempts {
		who := string(at.Channel)
		if at.Provider != "" {
			who += " via " + at.Provider
		}
		textLine(p.a.stderr, "otp: %s: %s failed: %s", res.To, who, errorMessage(at.Err))
	}
	textLine(p.a.stdout, "sent %s to %s via %s (message %s); the code expires in %s",
		res.Channel, res.To, res.Provider, res.MessageID, otp.HumanDuration(res.ExpiresAt.Sub(p.a.now())))
}

// transition reports a change of delivery status.
func (p *sendPrinter) transition(res otp.SendResult, st delivery.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		writeJSON(p.a.stdout, statusJSON{Event: "status", To: res.To, Provider: res.Provider, MessageID: res.MessageID,
			State: string(st.State), Status: st.Raw, ErrorCode: st.ErrorCode, Error: st.Error})
		return
	}
	line := st.Raw
	if pr := problem(st); pr != "" {
		line += " (" + pr + ")"
	}
	textLine(p.a.stderr, "otp: %s: %s", res.To, line)
}

// result reports what became of a number. A failed send is reported here
// only when sending to several numbers (batch); otherwise the command
// fails with it.
func (p *sendPrinter) result(o outcome, batch bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g := o.res.Guard; o.err == nil && g != nil && g.WouldBlock {
		textLine(p.a.stderr, "otp: %s: warning: the abuse guard would refuse this send (%s: %s); sent because [guard] mode is monitor", o.to, g.Reason, g.Detail)
	}
	switch {
	case o.err != nil && !batch:
	case o.err != nil:
		if p.json {
			writeJSON(p.a.stdout, numberErrorJSON{To: o.to, errorJSON: newErrorJSON(o.err)})
		}
		textLine(p.a.stderr, "otp: %s: %s", o.to, errorMessage(o.err))
	case o.code() == exitUndelivered:
		if p.json {
			writeJSON(p.a.stdout, sendResultJSON(o))
		}
		verdict := "not delivered"
		if deliveryUnknown(o) {
			verdict = "delivery unknown"
		}
		textLine(p.a.stderr, "otp: %s: %s: %s", o.to, verdict, undelivered(o))
	case p.json:
		writeJSON(p.a.stdout, sendResultJSON(o))
	case o.waited:
		textLine(p.a.stdout, "delivered %s to %s via %s (message %s)", o.res.Channel, o.to, o.res.Provider, o.res.MessageID)
	default:
		p.sentText(o.res)
	}
}

// sendResultJSON is the JSON object of a number the code went to.
func sendResultJSON(o outcome) sendJSON {
	res := o.res
	out := sendJSON{
		To: res.To, Channel: string(res.Channel), Provider: res.Provider, MessageID: res.MessageID,
		Status: res.ProviderStatus, ExpiresAt: res.ExpiresAt.UTC(), NextSendAt: res.NextSendAt.UTC(),
		Attempts: attemptsJSON(res.Attempts),
	}
	if res.SendsLeft >= 0 {
		out.SendsLeft = &res.SendsLeft
	}
	if g := res.Guard; g != nil {
		out.Guard = &guardJSON{WouldBlock: g.WouldBlock, Reason: string(g.Reason), Message: g.Detail}
	}
	if o.waited {
		out.Delivery, out.DeliveryStatus = "unknown", o.status.Raw
		switch {
		case o.waitErr != nil:
			out.DeliveryError = errorMessage(o.waitErr)
		case o.status.State == delivery.StateDelivered:
			out.Delivery = "delivered"
		case o.status.State == delivery.StateUnknown:
			out.DeliveryError = problem(o.status)
		default:
			out.Delivery, out.DeliveryError = "failed", problem(o.status)
		}
	}
	return out
}

// deliveryUnknown reports whether the provider cannot say whether a message
// waited on arrived: it accepted the message but gave nothing to look up
// (delivery.ErrStatusUnknown), or its last word is neither delivered nor
// failed (delivery.StateUnknown). That is not "not delivered".
func deliveryUnknown(o outcome) bool {
	return errors.Is(o.waitErr, delivery.ErrStatusUnknown) || o.waitErr == nil && o.status.State == delivery.StateUnknown
}

// undelivered says why a message waited on was not delivered.
func undelivered(o outcome) string {
	if o.waitErr != nil {
		return errorMessage(o.waitErr)
	}
	if pr := problem(o.status); pr != "" {
		return o.status.Raw + " (" + pr + ")"
	}
	return o.status.Raw
}

// summary reports the outcome of a send to several numbers: on stderr, or
// as the last JSON object.
func (p *sendPrinter) summary(s summaryJSON) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		writeJSON(p.a.stdout, s)
		return
	}
	noun := "numbers"
	if s.Numbers == 1 {
		noun = "number"
	}
	line := fmt.Sprintf("otp: %d %s: %d sent, %d failed", s.Numbers, noun, s.Sent, s.Failed)
	if s.Delivered != nil {
		line += fmt.Sprintf("; %d delivered, %d not delivered", *s.Delivered, *s.Undelivered)
	}
	textLine(p.a.stderr, "%s", line)
}
