// Package console is a [delivery.Sender] that writes each message to a
// terminal, for trying otpkit out without a provider account. It is the
// otp command's default provider.
package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/msgid"
)

// Sender writes each message as one line, "[console] sms to +1...: body",
// to W. The zero value is not usable; call [New].
type Sender struct {
	mu sync.Mutex
	w  io.Writer
}

var (
	_ delivery.Sender        = (*Sender)(nil)
	_ delivery.StatusChecker = (*Sender)(nil)
)

// New returns a Sender that writes to w (the otp command passes stderr).
func New(w io.Writer) *Sender { return &Sender{w: w} }

// Send implements [delivery.Sender].
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return delivery.Receipt{}, err
	}
	body := strings.ReplaceAll(msg.Body, "\n", " ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintf(s.w, "[console] %s to %s: %s\n", msg.Channel, msg.To, body); err != nil {
		return delivery.Receipt{}, fmt.Errorf("console: %w", err)
	}
	return delivery.Receipt{Provider: "console", ID: msgid.New("console-"), Status: "delivered"}, nil
}

// Status implements [delivery.StatusChecker]: a message the console
// printed is delivered the moment Send returns.
func (s *Sender) Status(ctx context.Context, id string) (delivery.Report, error) {
	if !strings.HasPrefix(id, "console-") {
		return delivery.Report{}, fmt.Errorf("console: %q is not a console message id", id)
	}
	return delivery.Report{State: delivery.StateDelivered, Raw: "delivered"}, nil
}
