package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/otpkit/otpkit/config"
	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/probe"
	"github.com/spf13/cobra"
)

type probeOptions struct {
	to         []string
	toFile     string
	count      int
	timeout    time.Duration
	maxLatency time.Duration
	junit      string
	otp        bool
}

// maxProbeCount bounds --count: each probe is a paid message.
const maxProbeCount = 100

func newProbeCmd(a *app, g *globalFlags) *cobra.Command {
	o := &probeOptions{}
	cmd := &cobra.Command{
		Use:   "probe --to NUMBER... | --to-file FILE [--count N] [--timeout 2m] [--max-latency 30s] [--junit FILE] [--otp]",
		Short: "Check SMS routes by what arrived at numbers you own",
		Long: `Probe sends a probe text through the configured delivery route (the same providers, in
the same order, as otp send) to numbers you own, reads what arrived back through the
receiving side ([probe] receive: the Twilio account's inbound Messages, or the providers'
signed inbound webhooks), and judges each probe:

  ok           arrived, from the configured sender, with the text sent, within --max-latency
  slow         arrived intact, later than --max-latency (from the receiver's timestamp)
  altered      arrived with another sender (e.g. a short code) or a changed text
  not_arrived  nothing arrived within --timeout, and the receipt did not say delivered
  fake_dlr     the receipt says delivered, but nothing arrived

The probe text is [probe] template (default "otpkit route check {{.Nonce}}", with a random
nonce of letters); it never holds a code, and nothing is written to the store. Probes go
by SMS only: a call cannot be read back, so [delivery] fallback is not used.

One line (or JSON object) per probe, then a summary: sent, arrived, each verdict's count,
latency p50/p95/max. --count N sends N probes per number. --junit FILE writes JUnit XML, one
test case per number and probe; when $GITHUB_STEP_SUMMARY is set, a Markdown table is
appended to it. Exit 0 when every probe is ok, 8 otherwise; 2 for bad input or
configuration, 6 when no route accepted a probe.

--otp checks the whole path a user takes instead: it sends a real code through otp send's
path (the store, the limits), reads the arrived text, takes the code out of it by
[delivery] sms_template's shape, and verifies it ("code verified"); the code is never
printed. It needs [probe] receive = "webhook" and numbers whose provider does not filter
code-like texts (Telnyx): Twilio fails and redacts them (error 30038), so --otp refuses
receive = "twilio".`,
		Example: `  otp probe --to +12015550123
  otp probe --to-file owned.txt --count 5 --max-latency 20s --json
  otp probe --to +12015550123 --junit probe.xml
  otp probe --otp --to +12015550123   # [probe] receive = "webhook"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runProbe(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.to, "to", nil, "a number you own to probe; repeat for several")
	f.StringVar(&o.toFile, "to-file", "", `file of numbers, one per line ("-": stdin)`)
	f.IntVar(&o.count, "count", 1, fmt.Sprintf("probes per number (1-%d), for the latency percentiles", maxProbeCount))
	f.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long to wait for each probe to arrive")
	f.DurationVar(&o.maxLatency, "max-latency", 30*time.Second, "an arrival later than this is slow (0: no limit)")
	f.StringVar(&o.junit, "junit", "", "write the results as JUnit XML to this file")
	f.BoolVar(&o.otp, "otp", false, "send a real code by the normal path, read it back and verify it (webhook receiver only)")
	return cmd
}

func (a *app) runProbe(cmd *cobra.Command, g *globalFlags, o *probeOptions) error {
	switch {
	case len(o.to) == 0 && o.toFile == "":
		return usageErrorf("probe needs --to NUMBER or --to-file FILE")
	case o.count < 1 || o.count > maxProbeCount:
		return usageErrorf("--count must be 1 to %d", maxProbeCount)
	case o.timeout <= 0:
		return usageErrorf("--timeout must be positive")
	case o.maxLatency < 0:
		return usageErrorf("--max-latency must not be negative")
	}
	targets, err := a.targets(&sendOptions{to: o.to, toFile: o.toFile})
	if err != nil {
		return err
	}
	e, err := a.load(g)
	if err != nil {
		return err
	}
	cenv := a.configEnv()
	ps, err := e.cfg.ProbeSettings(cenv)
	if err != nil {
		return err
	}
	if err := parseTargets(targets, e.opts.DefaultRegion); err != nil {
		return err
	}
	if o.otp {
		if err := checkOTPProbe(ps, o); err != nil {
			return err
		}
	}
	storePath, err := e.cfg.StorePath(g.store, cenv) // where the outbox writes; the store is not opened
	if err != nil {
		return err
	}
	routes, err := e.cfg.Routes(cenv, storePath, delivery.SMS)
	if err != nil {
		return err
	}
	sender := delivery.NewFailover(routes...)
	var junit *os.File
	if o.junit != "" {
		// Created before anything is sent, so that a bad path costs no message.
		if junit, err = os.Create(o.junit); err != nil {
			return usageErrorf("--junit: %v", err)
		}
		defer junit.Close() // on an early return; finishProbe closes it and checks
	}
	ctx := cmd.Context()
	rcv, stop, err := a.probeReceiver(ctx, ps)
	if err != nil {
		return err
	}
	defer stop()
	if o.otp {
		return a.runOTPProbe(cmd, g, o, e, rcv, targets, junit)
	}

	numbers := make([]string, len(targets))
	for i, t := range targets {
		numbers[i] = t.number
	}
	interval := a.probeInterval()
	pr := &probePrinter{a: a, json: g.json, timeout: o.timeout, maxLatency: o.maxLatency}

	results := probe.Run(ctx, sender, rcv, numbers, probe.Options{
		Template:   ps.Template,
		From:       func(provider string) string { return e.cfg.ProbeSender(provider, cenv) },
		Count:      o.count,
		Timeout:    o.timeout,
		MaxLatency: o.maxLatency,
		Interval:   interval,
		Now:        a.now,
		DLR:        func(ctx context.Context, id string) probe.DLR { return dlrOf(ctx, sender, id, interval) },
		OnResult:   pr.result,
	})
	return a.finishProbe(pr, results, junit)
}

// dlrOf waits for a message's receipt until ctx ends.
func dlrOf(ctx context.Context, sender delivery.StatusChecker, id string, interval time.Duration) probe.DLR {
	st, err := delivery.Wait(ctx, sender, id, delivery.WaitOptions{Interval: interval})
	switch {
	case err != nil:
		return probe.DLRUnknown
	case st.State == delivery.StateDelivered:
		return probe.DLRDelivered
	case st.State == delivery.StateFailed:
		return probe.DLRFailed
	}
	return probe.DLRUnknown
}

// finishProbe reports the run (summary, --junit, $GITHUB_STEP_SUMMARY)
// and ends with its exit code.
func (a *app) finishProbe(pr *probePrinter, results []probe.Result, junit *os.File) error {
	code := exitOK
	for _, r := range results {
		code = worse(code, probeExitCode(r))
	}
	s := probe.Summarize(results)
	pr.summary(len(results), s, code)
	if junit != nil {
		err := probe.WriteJUnit(junit, results)
		if cerr := junit.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return usageErrorf("--junit: %v", err)
		}
	}
	if path := a.getenv("GITHUB_STEP_SUMMARY"); path != "" {
		if err := appendFile(path, func(w io.Writer) error { return probe.WriteMarkdown(w, results, s) }); err != nil {
			textLine(a.stderr, "otp: GITHUB_STEP_SUMMARY: %v", err)
		}
	}
	if code != exitOK {
		return exitError(code)
	}
	return nil
}

// probeInterval is how often probes look at the receiver and the receipt.
func (a *app) probeInterval() time.Duration {
	if a.pollInterval > 0 {
		return a.pollInterval
	}
	return delivery.DefaultPollInterval
}

// probeExitCode is a probe's exit code: 6 when no route took it (or, with
// --otp, the send's own code: 5 when rate limited, ...), 8 when its verdict
// is not ok.
func probeExitCode(r probe.Result) int {
	switch {
	case errors.Is(r.Err, errOTPSend), errors.Is(r.Err, otp.ErrStore):
		c, _ := classify(r.Err)
		return c
	case errors.Is(r.Err, probe.ErrSend):
		return exitDelivery
	case r.Verdict != probe.OK:
		return exitUndelivered
	}
	return exitOK
}

// probeReceiver builds the receiving side: the Twilio Messages list, or a
// listener for the providers' inbound webhooks, which stop shuts down.
func (a *app) probeReceiver(ctx context.Context, ps config.Probe) (probe.Receiver, func(), error) {
	if ps.Receive != config.ReceiveWebhook {
		r := ps.Twilio
		r.Client = &http.Client{Timeout: 30 * time.Second}
		return &r, func() {}, nil
	}
	h := ps.WebhookReceiver(a.now)
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", ps.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: [probe] listen: %w", config.ErrConfig, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10}
	go srv.Serve(ln)
	return h, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}, nil
}

// appendFile appends what write writes to the file at path, creating it.
func appendFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// probeSummaryJSON is the last object probe --json writes.
type probeSummaryJSON struct {
	Event  string `json:"event"` // "summary"
	Probes int    `json:"probes"`
	probe.Summary
	ExitCode int `json:"exit_code"`
}

// probePrinter writes probe results, one whole line at a time.
type probePrinter struct {
	a                   *app
	json                bool
	timeout, maxLatency time.Duration
}

// result reports one probe: probe.Run calls it one result at a time.
func (p *probePrinter) result(r probe.Result) {
	if p.json {
		writeJSON(p.a.stdout, r)
		return
	}
	textLine(p.a.stdout, "%s", p.line(r))
}

// line is a probe's line of text: the number, the verdict, the route, and
// what arrived.
func (p *probePrinter) line(r probe.Result) string {
	who := r.To
	if r.Probe > 1 {
		who += fmt.Sprintf(" #%d", r.Probe)
	}
	if r.MessageID == "" {
		return fmt.Sprintf("%s: %s: %s", who, r.Verdict, errorMessage(r.Err))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s %s, message %s, receipt %s; ", who, r.Verdict, r.Route.Provider, r.Route.Channel, r.MessageID, r.DLR)
	switch {
	case r.Err != nil && !r.Arrived:
		b.WriteString(errorMessage(r.Err))
	case !r.Arrived && r.DLR == probe.DLRDelivered:
		fmt.Fprintf(&b, "nothing arrived within %v, but the receipt says delivered", p.timeout)
	case !r.Arrived:
		fmt.Fprintf(&b, "nothing arrived within %v", p.timeout)
	default:
		lat := time.Duration(*r.LatencyMS) * time.Millisecond
		fmt.Fprintf(&b, "arrived in %v", lat)
		if r.Verdict == probe.Slow {
			fmt.Fprintf(&b, " (over %v)", p.maxLatency)
		}
		fmt.Fprintf(&b, " from %s", r.FromSeen)
		if !r.SenderPreserved {
			b.WriteString(" (sender rewritten)")
		}
		if r.BodyIntact {
			b.WriteString(", text intact")
		} else {
			b.WriteString(", text changed")
		}
		if r.Verified != nil && *r.Verified {
			b.WriteString(", code verified")
		}
		if r.Err != nil {
			b.WriteString("; " + errorMessage(r.Err))
		}
	}
	return b.String()
}

// summary reports the run: on stderr, or as the last JSON object.
func (p *probePrinter) summary(probes int, s probe.Summary, code int) {
	if p.json {
		writeJSON(p.a.stdout, probeSummaryJSON{Event: "summary", Probes: probes, Summary: s, ExitCode: code})
		return
	}
	noun := "probes"
	if probes == 1 {
		noun = "probe"
	}
	var counts []string
	for _, v := range probe.AllVerdicts() {
		counts = append(counts, fmt.Sprintf("%s %d", v, s.Verdicts[v]))
	}
	line := fmt.Sprintf("otp: %d %s: %d sent, %d arrived; %s", probes, noun, s.Sent, s.Arrived, strings.Join(counts, ", "))
	if s.MaxMS != nil {
		ms := func(v *int64) time.Duration { return time.Duration(*v) * time.Millisecond }
		line += fmt.Sprintf("; latency p50 %v, p95 %v, max %v", ms(s.P50MS), ms(s.P95MS), ms(s.MaxMS))
	}
	textLine(p.a.stderr, "%s", line)
}
