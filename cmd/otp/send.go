package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/spf13/cobra"
)

// sendConcurrency bounds how many numbers one otp send works on at once.
const sendConcurrency = 8

type sendOptions struct {
	to          []string
	toFile      string
	channel     string
	locale      string
	wait        bool
	waitTimeout time.Duration
}

func newSendCmd(a *app, g *globalFlags) *cobra.Command {
	o := &sendOptions{}
	cmd := &cobra.Command{
		Use:   "send --to NUMBER... [--to-file FILE] [--channel sms|voice|auto] [--locale TAG] [--wait]",
		Short: "Send a new code to phone numbers",
		Long: `Send makes a new code for the number, replacing any pending one, and delivers it by SMS
or voice call through the configured provider. Numbers may be written as people write them
("+1 (201) 555-0123"); numbers without a country code need [phone] default_region.

--channel auto sends SMS to mobile numbers and calls fixed lines. When delivery fails, the
channels in [delivery] fallback and the providers in [delivery] providers are tried in turn
with the same code. The send is refused while the number is locked (exit 4), within the
resend cooldown or over the sends allowed per window (exit 5); the error says when to retry.
If no route accepts the message, the code is withdrawn (exit 6).

--locale picks the message's language by BCP 47 tag ("fr", "pt-BR"): the templates of
[delivery.locales.TAG], else those of its base language ("pt"), else the [delivery] ones.
otpkit ships de, es, fr, it, nl, pt and pt-PT; other tags get the [delivery] templates.

--wait looks up the delivery status until the message is delivered (exit 0) or failed, or
until --wait-timeout (exit 8), printing each status as it changes.

Several --to flags, or --to-file (one number per line, # starts a comment; - reads stdin),
send to many numbers, 8 at a time: one line (or JSON object) per number, then a summary.
The exit code is then the worst outcome, in this order: 7, 2, 6, 9, 8, 5, 4, 0.`,
		Example: `  otp send --to '+1 201 555 0123'
  otp send --to +12015550123 --channel voice --json
  otp send --to +12015550123 --locale pt-BR
  otp send --to +12015550123 --wait --wait-timeout 2m
  otp send --to-file numbers.txt --wait --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runSend(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.to, "to", nil, "phone number to send a code to; repeat for several")
	f.StringVar(&o.toFile, "to-file", "", `file of numbers, one per line ("-": stdin)`)
	f.StringVar(&o.channel, "channel", "", "sms, voice or auto (default [delivery] channel, else sms)")
	f.StringVar(&o.locale, "locale", "", `language of the message, a BCP 47 tag ("fr", "pt-BR"); default the [delivery] templates`)
	f.BoolVar(&o.wait, "wait", false, "wait until the provider reports the message delivered (exit 8 if not)")
	f.DurationVar(&o.waitTimeout, "wait-timeout", time.Minute, "how long --wait waits for a final status")
	return cmd
}

// target is a number to send to, as given, and where it was given.
type target struct {
	raw    string
	where  string // "numbers.txt:3", or "" for --to
	number string // E.164, once parsed
}

func (a *app) runSend(cmd *cobra.Command, g *globalFlags, o *sendOptions) error {
	targets, err := a.targets(o)
	if err != nil {
		return err
	}
	if o.locale != "" && !otp.ValidLocale(o.locale) {
		return usageErrorf("--locale: %q is not a BCP 47 language tag (want e.g. fr or pt-BR)", o.locale)
	}
	if o.wait && o.waitTimeout <= 0 {
		return usageErrorf("--wait-timeout must be positive")
	}
	e, err := a.load(g)
	if err != nil {
		return err
	}
	ch, err := e.cfg.Channel()
	if o.channel != "" {
		if ch, err = delivery.ParseChannel(o.channel); err != nil {
			return usageErrorf("--channel: %v", err)
		}
	}
	if err != nil {
		return err
	}
	if err := parseTargets(targets, e.opts.DefaultRegion); err != nil {
		return err
	}
	if err := e.open(cmd.Context(), a, g, &sendPlan{channel: ch, wait: o.wait}); err != nil {
		return err
	}
	defer e.close()
	p := &sendPrinter{a: a, json: g.json}
	if len(targets) == 1 && o.toFile == "" {
		out := a.sendOne(cmd.Context(), e, targets[0].number, ch, o, p)
		if out.err != nil {
			return out.err // reported by fail, as every error is
		}
		p.result(out, false)
		if code := out.code(); code != exitOK {
			return exitError(code)
		}
		return nil
	}
	return a.sendMany(cmd.Context(), e, targets, ch, o, p)
}

// targets reads the numbers from --to and --to-file.
func (a *app) targets(o *sendOptions) ([]target, error) {
	var out []target
	for _, t := range o.to {
		out = append(out, target{raw: t})
	}
	if o.toFile != "" {
		var r io.Reader = a.stdin
		name := "stdin"
		if o.toFile != "-" {
			f, err := os.Open(o.toFile)
			if err != nil {
				return nil, usageErrorf("--to-file: %v", err)
			}
			defer f.Close()
			r, name = f, o.toFile
		}
		sc := bufio.NewScanner(r)
		for n := 1; sc.Scan(); n++ {
			line, _, _ := strings.Cut(sc.Text(), "#")
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, target{raw: line, where: fmt.Sprintf("%s:%d", name, n)})
			}
		}
		if err := sc.Err(); err != nil {
			return nil, usageErrorf("--to-file %s: %v", name, err)
		}
		if len(out) == 0 {
			return nil, usageErrorf("--to-file %s has no numbers", name)
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("send needs --to NUMBER or --to-file FILE")
	}
	return out, nil
}

// parseTargets checks every number before anything is sent: a bad or
// repeated number is an input error naming where it was given.
func parseTargets(targets []target, region string) error {
	seen := map[string]string{}
	for i := range targets {
		t := &targets[i]
		n, err := otp.ParseNumber(t.raw, region)
		if err != nil {
			if t.where != "" {
				return fmt.Errorf("%s: %w", t.where, err)
			}
			return err
		}
		where := t.where
		if where == "" {
			where = "--to"
		}
		if prev, ok := seen[n]; ok {
			return usageErrorf("%s: %s is listed twice (also %s)", where, n, prev)
		}
		seen[n], t.number = where, n
	}
	return nil
}

// outcome is what became of one number.
type outcome struct {
	to  string
	res otp.SendResult
	err error // the send failed
	// With --wait: the last status seen and, when there was no final one,
	// why.
	waited  bool
	status  delivery.Report
	waitErr error
}

// code is the outcome's exit code.
func (o outcome) code() int {
	switch {
	case o.err != nil:
		c, _ := classify(o.err)
		return c
	case o.waited && (o.waitErr != nil || o.status.State != delivery.StateDelivered):
		return exitUndelivered
	}
	return exitOK
}

// sendOne sends a code to one number and, with --wait, waits for its
// delivery, printing the status changes.
func (a *app) sendOne(ctx context.Context, e *env, number string, ch delivery.Channel, o *sendOptions, p *sendPrinter) outcome {
	res, err := e.svc.SendWith(ctx, otp.SendRequest{To: number, Channel: ch, Locale: o.locale})
	out := outcome{to: number, res: res, err: err}
	if err != nil || !o.wait {
		return out
	}
	p.sent(res)
	wctx, cancel := context.WithTimeout(ctx, o.waitTimeout)
	defer cancel()
	out.waited = true
	out.status, out.waitErr = delivery.Wait(wctx, e.sender, res.MessageID, delivery.WaitOptions{
		Interval: a.pollInterval,
		OnChange: func(st delivery.Report) { p.transition(res, st) },
	})
	if errors.Is(out.waitErr, delivery.ErrNotFinal) && ctx.Err() == nil {
		out.waitErr = fmt.Errorf("no final status within %v (last status %q)", o.waitTimeout, out.status.Raw)
	}
	return out
}

// sendMany sends to every target, sendConcurrency at a time, prints each
// outcome as it comes and a summary, and ends with the worst exit code.
func (a *app) sendMany(ctx context.Context, e *env, targets []target, ch delivery.Channel, o *sendOptions, p *sendPrinter) error {
	outs := make([]outcome, len(targets))
	sem := make(chan struct{}, sendConcurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			outs[i] = a.sendOne(ctx, e, t.number, ch, o, p)
			p.result(outs[i], true)
		})
	}
	wg.Wait()
	s := summarize(outs, o.wait)
	p.summary(s)
	if s.ExitCode != exitOK {
		return exitError(s.ExitCode)
	}
	return nil
}

// summaryJSON is the last object send --json writes for several numbers.
type summaryJSON struct {
	Event       string `json:"event"` // "summary"
	Numbers     int    `json:"numbers"`
	Sent        int    `json:"sent"`
	Failed      int    `json:"failed"`
	Delivered   *int   `json:"delivered,omitempty"`
	Undelivered *int   `json:"undelivered,omitempty"`
	ExitCode    int    `json:"exit_code"`
}

func summarize(outs []outcome, wait bool) summaryJSON {
	s := summaryJSON{Event: "summary", Numbers: len(outs)}
	var delivered, undelivered int
	for _, o := range outs {
		switch {
		case o.err != nil:
			s.Failed++
		case o.code() == exitOK:
			s.Sent++
			delivered++
		default:
			s.Sent++
			undelivered++
		}
		s.ExitCode = worse(s.ExitCode, o.code())
	}
	if wait {
		s.Delivered, s.Undelivered = &delivered, &undelivered
	}
	return s
}

// severity orders exit codes from the least to the worst outcome, for the
// exit code of a send to several numbers: a broken store or bad input
// first, then undelivered codes, then refusals by the limits.
var severity = []int{exitOK, exitWrongCode, exitNoCode, exitLocked, exitRateLimited, exitUndelivered, exitBlocked, exitDelivery, exitUsage, exitStore}

// worse returns the worse of two exit codes.
func worse(a, b int) int {
	rank := func(c int) int {
		for i, s := range severity {
			if s == c {
				return i
			}
		}
		return len(severity)
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
