package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/otpkit/otpkit/config"
	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/probe"
	"github.com/spf13/cobra"
)

// otp probe --otp: a real code through the normal send path, read back at
// the owned number, verified through the store.

// errOTPSend marks a --otp probe whose code the service did not send (the
// limits, the store or every route refused it); its exit code is the
// send's own.
var errOTPSend = errors.New("code not sent")

// checkOTPProbe refuses --otp where it cannot work, before anything is sent.
func checkOTPProbe(ps config.Probe, o *probeOptions) error {
	if ps.Receive == config.ReceiveTwilio {
		return usageErrorf(`--otp: [probe] receive = "twilio" cannot read codes back: Twilio fails and redacts inbound messages that look like one-time codes (error 30038); use receive = "webhook" with numbers whose inbound messages come from a provider that does not filter them (Telnyx)`)
	}
	if o.count != 1 {
		return usageErrorf("--otp sends one code per number (the resend limits apply): --count must be 1")
	}
	return nil
}

// runOTPProbe sends a code to each number with the service, as otp send
// does, waits for a text of the SMS template's shape to arrive, reads the
// code out of it and verifies it. The code is never printed.
func (a *app) runOTPProbe(cmd *cobra.Command, g *globalFlags, o *probeOptions, e *env, rcv probe.Receiver, targets []target, junit *os.File) error {
	ctx := cmd.Context()
	m, err := probe.NewCodeMatcher(e.opts.SMSTemplate, e.opts.Format, e.opts.Length)
	if err != nil {
		return fmt.Errorf("%w: [delivery] sms_template: %w", config.ErrConfig, err)
	}
	if err := e.open(ctx, a, g, &sendPlan{channel: delivery.SMS}); err != nil {
		return err
	}
	defer e.close()
	pr := &probePrinter{a: a, json: g.json, timeout: o.timeout, maxLatency: o.maxLatency}
	results := make([]probe.Result, len(targets))
	sem := make(chan struct{}, probe.DefaultConcurrency)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := a.otpProbeOne(ctx, e, rcv, m, t.number, o)
			results[i] = r
			mu.Lock()
			pr.result(r)
			mu.Unlock()
		})
	}
	wg.Wait()
	return a.finishProbe(pr, results, junit)
}

func (a *app) otpProbeOne(ctx context.Context, e *env, rcv probe.Receiver, m *probe.CodeMatcher, number string, o *probeOptions) probe.Result {
	r := probe.Result{To: number, Probe: 1, DLR: probe.DLRUnknown, Route: probe.Route{Channel: string(delivery.SMS)}, Verdict: probe.NotArrived}
	fail := func(err error) probe.Result {
		r.Err, r.Error = err, errorMessage(err)
		return r
	}
	sent := a.now()
	res, err := e.svc.Send(ctx, number, delivery.SMS)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", errOTPSend, err))
	}
	r.Route.Provider, r.MessageID = res.Provider, res.MessageID
	interval := a.probeInterval()
	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	dlr := make(chan probe.DLR, 1)
	go func() { dlr <- dlrOf(wctx, e.sender, res.MessageID, interval) }()
	var code string
	var whole bool
	got, werr := probe.WaitFor(wctx, rcv, number, sent, interval, func(in probe.Inbound) bool {
		c, w, ok := m.Code(in.Body)
		if ok {
			code, whole = c, w
		}
		return ok
	})
	r.DLR = <-dlr
	body := "" // what the text should have been: unknown unless it has the template's whole shape
	if got != nil && whole {
		body = got.Body
	}
	probe.Judge(&r, body, e.cfg.ProbeSender(res.Provider, a.configEnv()), sent, got, o.maxLatency)
	if werr != nil && !errors.Is(werr, probe.ErrNotArrived) {
		r.Verdict = probe.NotArrived
		return fail(fmt.Errorf("%w: %w", probe.ErrReceive, werr))
	}
	if got == nil {
		return r
	}
	vctx, vcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer vcancel()
	_, verr := e.svc.Verify(vctx, number, code)
	ok := verr == nil
	r.Verified = &ok
	if !ok {
		r.Verdict = probe.Altered
		return fail(fmt.Errorf("the code read back did not verify: %w", verr))
	}
	return r
}
