package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otpkit/otpkit/otp"
	"github.com/spf13/cobra"
)

type verifyOptions struct {
	to   string
	code string
}

// verifyJSON is what verify --json writes for every verification outcome.
type verifyJSON struct {
	To                string `json:"to"`
	Status            string `json:"status"`
	AttemptsLeft      int    `json:"attempts_left"`
	Message           string `json:"message,omitempty"`
	RetryAfterSeconds *int64 `json:"retry_after_seconds,omitempty"`
}

func newVerifyCmd(a *app, g *globalFlags) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify --to NUMBER --code CODE",
		Short: "Check a code typed back for a phone number",
		Long: `Verify checks the code a person typed back. A right code is accepted once (exit 0); a wrong
one counts a try (exit 1) and says how many are left; the last wrong try locks the number
(exit 4). An expired, used or never sent code exits 3. Spaces and dashes inside the code
are ignored, and hex codes are not case-sensitive. --code - reads the code from stdin, so
it does not show in the process list.`,
		Example: `  otp verify --to '+1 201 555 0123' --code 123456
  echo 123456 | otp verify --to +12015550123 --code - --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runVerify(cmd, g, o) },
	}
	cmd.Flags().StringVar(&o.to, "to", "", "phone number the code was sent to (required)")
	cmd.Flags().StringVar(&o.code, "code", "", `the code typed back, or "-" to read it from stdin (required)`)
	return cmd
}

func (a *app) runVerify(cmd *cobra.Command, g *globalFlags, o *verifyOptions) error {
	if o.to == "" || o.code == "" {
		return usageErrorf("verify needs --to NUMBER and --code CODE")
	}
	code := o.code
	if code == "-" {
		line, err := bufio.NewReader(io.LimitReader(a.stdin, 1024)).ReadString('\n')
		if err != nil && err != io.EOF {
			return usageErrorf("read the code from stdin: %v", err)
		}
		if code = strings.TrimSpace(line); code == "" {
			return usageErrorf("no code on stdin")
		}
	}
	e, err := a.load(g)
	if err != nil {
		return err
	}
	if _, err := otp.ParseNumber(o.to, e.opts.DefaultRegion); err != nil {
		return err
	}
	if _, err := otp.NormalizeCode(e.opts.Format, code); err != nil {
		return err
	}
	if err := e.open(cmd.Context(), a, g, nil); err != nil {
		return err
	}
	defer e.close()
	res, err := e.svc.Verify(cmd.Context(), o.to, code)
	if res.Verdict == "" {
		// Not a verification outcome (bad input, store error): reported as an error.
		return err
	}
	if g.json {
		out := verifyJSON{To: res.To, Status: string(res.Verdict), AttemptsLeft: res.AttemptsLeft}
		if err != nil {
			out.Message = errorMessage(err)
		}
		var re *otp.RetryError
		if errors.As(err, &re) {
			s := int64(re.RetryAfter() / time.Second)
			out.RetryAfterSeconds = &s
		}
		if err != nil {
			return &reportedError{err: err, json: out}
		}
		writeJSON(a.stdout, out)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "approved")
	return nil
}
