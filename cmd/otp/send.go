package main

import (
	"fmt"
	"time"

	"github.com/otpkit/otpkit/otp"
	"github.com/spf13/cobra"
)

type sendOptions struct {
	to      string
	channel string
}

// sendJSON is what send --json writes.
type sendJSON struct {
	To         string    `json:"to"`
	Channel    string    `json:"channel"`
	Provider   string    `json:"provider"`
	MessageID  string    `json:"message_id"`
	Status     string    `json:"status,omitempty"`
	ExpiresAt  time.Time `json:"expires_at"`
	NextSendAt time.Time `json:"next_send_at"`
	SendsLeft  *int      `json:"sends_left,omitempty"`
}

func newSendCmd(a *app, g *globalFlags) *cobra.Command {
	o := &sendOptions{}
	cmd := &cobra.Command{
		Use:   "send --to NUMBER [--channel sms|voice]",
		Short: "Send a new code to a phone number",
		Long: `Send makes a new code for the number, replacing any pending one, and delivers it by SMS
or voice call through the configured provider. Numbers may be written as people write them
("+1 (201) 555-0123"); numbers without a country code need [phone] default_region.

The send is refused while the number is locked (exit 4), within the resend cooldown or
over the sends allowed per window (exit 5); the error says when to retry.`,
		Example: `  otp send --to '+1 201 555 0123'
  otp send --to +12015550123 --channel voice --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runSend(cmd, g, o) },
	}
	cmd.Flags().StringVar(&o.to, "to", "", "phone number to send the code to (required)")
	cmd.Flags().StringVar(&o.channel, "channel", "", "sms or voice (default [delivery] channel, else sms)")
	return cmd
}

func (a *app) runSend(cmd *cobra.Command, g *globalFlags, o *sendOptions) error {
	if o.to == "" {
		return usageErrorf("send needs --to NUMBER")
	}
	e, err := a.load(g)
	if err != nil {
		return err
	}
	ch, err := e.cfg.channel(o.channel)
	if err != nil {
		return err
	}
	if _, err := otp.ParseNumber(o.to, e.opts.DefaultRegion); err != nil {
		return err
	}
	if err := e.open(a, g); err != nil {
		return err
	}
	defer e.close()
	res, err := e.svc.Send(cmd.Context(), o.to, ch)
	if err != nil {
		return err
	}
	if g.json {
		out := sendJSON{
			To: res.To, Channel: string(res.Channel), Provider: res.Provider, MessageID: res.MessageID,
			Status: res.Status, ExpiresAt: res.ExpiresAt.UTC(), NextSendAt: res.NextSendAt.UTC(),
		}
		if res.SendsLeft >= 0 {
			out.SendsLeft = &res.SendsLeft
		}
		writeJSON(a.stdout, out)
		return nil
	}
	fmt.Fprintf(a.stdout, "sent %s to %s via %s (message %s); the code expires in %s\n",
		res.Channel, res.To, res.Provider, res.MessageID, otp.HumanDuration(res.ExpiresAt.Sub(a.now())))
	return nil
}
