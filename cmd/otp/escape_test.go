package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/spf13/cobra"
)

// evil is provider text that talks to a terminal: it erases the line,
// forges a line of its own, sets the window title, clears the screen and
// starts a C1 control sequence.
const evil = "x\x1b[2K\r\napproved\x1b]0;pwned\x07\x1b[2J\u009b31m\x7f"

// rawControls reports the first raw control character in s, if any.
func rawControls(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) {
			return r, true
		}
	}
	return 0, false
}

// checkText fails when out holds a control character other than the
// newline ending each line, or a line that is exactly "approved".
func checkText(t *testing.T, name, out string) {
	t.Helper()
	if r, ok := rawControls(out); ok {
		t.Errorf("%s holds %U raw:\n%q", name, r, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "approved") {
			t.Errorf("%s has a forged line:\n%s", name, out)
		}
	}
}

// Every text line send writes escapes what the provider sent: the message
// id, the status, the error code and text, the errors of failed routes.
func TestSendTextEscapes(t *testing.T) {
	clock := testclock.New()
	var stdout, stderr bytes.Buffer
	a := newApp(nil, &stdout, &stderr, func(string) string { return "" }, clock.Now)
	p := &sendPrinter{a: a}
	perr := &delivery.ProviderError{Provider: "twilio", Code: "2" + evil, Message: evil}
	res := otp.SendResult{To: "+12015550101", Channel: delivery.SMS, Provider: "twilio", MessageID: "SM" + evil,
		ExpiresAt: clock.Now().Add(10 * time.Minute),
		Attempts:  []delivery.Attempt{{Provider: "telnyx", Channel: delivery.SMS, Err: fmt.Errorf("%w: %w", otp.ErrDelivery, perr)}}}
	st := delivery.Report{State: delivery.StateFailed, Raw: "failed" + evil, ErrorCode: "3" + evil, Error: evil}

	p.sent(res)
	p.transition(res, st)
	p.result(outcome{to: res.To, res: res}, true)
	p.result(outcome{to: res.To, res: res, waited: true, status: delivery.Report{State: delivery.StateDelivered, Raw: evil}}, true)
	p.result(outcome{to: res.To, res: res, waited: true, status: st}, true)
	p.result(outcome{to: res.To, res: res, waited: true, waitErr: fmt.Errorf("lookup: %w", perr)}, true)
	p.result(outcome{to: res.To, err: fmt.Errorf("%w: %w", otp.ErrDelivery, perr)}, true)
	checkText(t, "stdout", stdout.String())
	checkText(t, "stderr", stderr.String())
	for _, want := range []string{`(message SMx\x1b[2K\r\napproved\x1b]0;pwned\x07\x1b[2J\u009b31m\x7f)`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout does not show %s:\n%s", want, stdout.String())
		}
	}
	if n := strings.Count(stdout.String(), "\n"); n != 3 {
		t.Errorf("stdout has %d lines, want 3:\n%s", n, stdout.String())
	}
	if n := strings.Count(stderr.String(), "\n"); n != 6 {
		t.Errorf("stderr has %d lines, want 6:\n%s", n, stderr.String())
	}
}

// The --json objects keep the provider's text as it was, escaped the JSON
// way, C1 controls and DEL included.
func TestSendJSONEscapes(t *testing.T) {
	clock := testclock.New()
	var stdout, stderr bytes.Buffer
	a := newApp(nil, &stdout, &stderr, func(string) string { return "" }, clock.Now)
	p := &sendPrinter{a: a, json: true}
	res := otp.SendResult{To: "+12015550101", Channel: delivery.SMS, Provider: "twilio", MessageID: evil, ProviderStatus: evil,
		ExpiresAt: clock.Now().Add(10 * time.Minute)}
	st := delivery.Report{State: delivery.StateFailed, Raw: evil, ErrorCode: evil, Error: evil}
	p.transition(res, st)
	p.result(outcome{to: res.To, res: res, waited: true, status: st}, true)
	checkText(t, "stdout", stdout.String())
	checkText(t, "stderr", stderr.String())
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout has %d lines, want 2:\n%s", len(lines), stdout.String())
	}
	var status statusJSON
	if err := json.Unmarshal([]byte(lines[0]), &status); err != nil || status.MessageID != evil || status.Status != evil || status.ErrorCode != evil || status.Error != evil {
		t.Errorf("status object %s decodes to %+v, %v", lines[0], status, err)
	}
	var sent sendJSON
	if err := json.Unmarshal([]byte(lines[1]), &sent); err != nil || sent.MessageID != evil || sent.Status != evil || sent.DeliveryStatus != evil {
		t.Errorf("result object %s decodes to %+v, %v", lines[1], sent, err)
	}
}

// The error line on stderr, and the error object of --json.
func TestFailEscapes(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		a := newApp(nil, &stdout, &stderr, func(string) string { return "" }, testclock.New().Now)
		cmd := &cobra.Command{}
		cmd.Flags().Bool("json", false, "")
		if asJSON {
			cmd.Flags().Set("json", "true")
		}
		err := fmt.Errorf("%w: %w", otp.ErrDelivery, &delivery.ProviderError{Provider: "telnyx", HTTPStatus: 400, Message: evil})
		if code := a.fail(cmd, nil, err); code != exitDelivery {
			t.Errorf("exit %d, want %d", code, exitDelivery)
		}
		checkText(t, "stderr", stderr.String())
		checkText(t, "stdout", stdout.String())
		want := `otp: delivery failed: telnyx (HTTP 400): x\x1b[2K approved\x1b]0;pwned\x07\x1b[2J\u009b31m\x7f` + "\n"
		if stderr.String() != want {
			t.Errorf("stderr = %q, want %q", stderr.String(), want)
		}
		if asJSON { // delivery.ProviderError itself escapes the provider's text
			var e errorJSON
			if err := json.Unmarshal(stdout.Bytes(), &e); err != nil || !strings.Contains(e.Message, `\x1b]0;pwned\x07`) {
				t.Errorf("error object %s decodes to %+v, %v", stdout.String(), e, err)
			}
		}
	}
}
