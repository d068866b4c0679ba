package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otpkit/otpkit/config"
	"github.com/otpkit/otpkit/internal/termsafe"
	"github.com/otpkit/otpkit/otp"
	"github.com/spf13/cobra"
)

// Exit codes: a contract with scripts. Keep exitCodesHelp in step.
const (
	exitOK          = 0
	exitWrongCode   = 1
	exitUsage       = 2 // usage, configuration or input error
	exitNoCode      = 3 // expired, already used, never sent
	exitLocked      = 4
	exitRateLimited = 5
	exitDelivery    = 6
	exitStore       = 7
	exitUndelivered = 8 // send --wait: not delivered, or no final status in time
	exitBlocked     = 9 // refused by the abuse guard
)

const exitCodesHelp = `Exit codes:
  0  success: sent, approved, purged
  1  wrong code (tries may be left)
  2  usage, configuration or input error (bad flag, bad number, bad config)
  3  no pending code: expired, already used, or never sent
  4  locked after too many wrong tries (send and verify are refused)
  5  rate limited: resend cooldown or too many sends; retry later
  6  delivery failed: the provider did not accept the message
  7  store error: the store is damaged, busy or unreadable
  8  not delivered (send --wait): the provider reported a failed delivery, or
     cannot say whether it was delivered ("delivery": "unknown"), or no final
     status came within --wait-timeout; probe: a probe is not ok (not_arrived,
     fake_dlr, altered, slow)
  9  refused by the abuse guard ([guard]): nothing was sent or counted

Sending to several numbers exits with the worst outcome, in this order:
7, 2, 6, 9, 8, 5, 4, 0.`

// errUsage marks errors in how the command was called (exit 2, as errors
// in the configuration, config.ErrConfig).
var errUsage = errors.New("usage")

// exitError ends the command with a code after it has reported the outcome
// itself (send to many numbers writes a line per number and a summary).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// reportedError is an error whose --json object is not the plain
// errorJSON but a command's own (verify writes its verification object
// for a wrong code too); fail writes it in place of errorJSON.
type reportedError struct {
	err  error
	json any
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// classify maps an error to its exit code and the kind written in JSON,
// from the library's one table (otp.ErrorKinds; configuration errors
// match otp.ErrInvalidOptions).
func classify(err error) (code int, kind string) {
	if k, ok := otp.KindOf(err); ok {
		return k.ExitCode, k.Name
	}
	// Everything else comes from parsing the command line (cobra's own
	// errors for unknown commands and flags included).
	return exitUsage, "usage"
}

// errorJSON is what --json writes for an error.
type errorJSON struct {
	Error             string        `json:"error"`
	Message           string        `json:"message"`
	Reason            string        `json:"reason,omitempty"` // blocked: the guard's rule
	RetryAfterSeconds *int64        `json:"retry_after_seconds,omitempty"`
	Attempts          []attemptJSON `json:"attempts,omitempty"` // delivery_failed: every route tried
}

func newErrorJSON(err error) errorJSON {
	_, kind := classify(err)
	out := errorJSON{Error: kind, Message: errorMessage(err)}
	var re *otp.RetryError
	if errors.As(err, &re) {
		s := int64(re.RetryAfter() / time.Second)
		out.RetryAfterSeconds = &s
	}
	var be *otp.BlockedError
	if errors.As(err, &be) {
		out.Reason = string(be.Reason)
		if d := be.RetryAfter(); d > 0 {
			s := int64(d / time.Second)
			out.RetryAfterSeconds = &s
		}
	}
	var de *otp.DeliveryError
	if errors.As(err, &de) {
		out.Attempts = attemptsJSON(de.Attempts)
	}
	return out
}

// fail reports err, on stderr as one line and, with --json, as one JSON
// object on stdout, and returns the exit code.
func (a *app) fail(cmd *cobra.Command, args []string, err error) int {
	var done exitError
	if errors.As(err, &done) {
		return int(done)
	}
	code, _ := classify(err)
	textLine(a.stderr, "otp: %s", errorMessage(err))
	if jsonFlag(cmd, args) {
		var rep *reportedError
		if errors.As(err, &rep) {
			writeJSON(a.stdout, rep.json)
		} else {
			writeJSON(a.stdout, newErrorJSON(err))
		}
	}
	return code
}

// errorMessage renders err as one lowercase line without the internal
// markers.
func errorMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{errUsage.Error() + ": ", config.ErrConfig.Error() + ": "} {
		msg = strings.TrimPrefix(msg, p)
	}
	msg = strings.Join(strings.Fields(msg), " ") // one line
	return msg
}

// textLine writes one line of text output. Every line that may hold what a
// provider sent (a message id, a status, an error body) goes through it:
// its control characters are escaped (termsafe.Escape), so they cannot
// forge a line, move the cursor or talk to the terminal.
func textLine(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, termsafe.Escape(fmt.Sprintf(format, args...)))
}

// writeJSON writes v as one line of JSON, with <, > and & as they are.
// encoding/json escapes the C0 controls; DEL and the C1 controls, which it
// writes as they are, are escaped too (termsafe.JSON), so no value a
// provider sent reaches a terminal raw.
func writeJSON(w io.Writer, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // only our own plain structs are written: it cannot fail
	w.Write(termsafe.JSON(buf.Bytes()))
}

// jsonFlag reports whether --json was given to the command that ran. When
// cobra fails before it parses flags (an unknown command), the arguments
// are looked at directly.
func jsonFlag(cmd *cobra.Command, args []string) bool {
	if f := cmd.Flags().Lookup("json"); f != nil && f.Changed {
		return f.Value.String() == "true"
	}
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "--json=true":
			return true
		}
	}
	return false
}
