// Command library shows the otpkit library used directly from Go: it sends
// a code to a phone number, reads it back from the outbox file (where the
// outbox provider "delivers" messages), verifies it, and walks through every
// error a verification page has to handle.
//
// Run it with:
//
//	go run ./examples/library
//
// The store is a file in a temporary directory (store/filestore, the otp
// command's store too). A real program would use a provider such as
// delivery/twilio instead of the outbox, keep one [otp.Service] for its
// lifetime, and never read codes back: people type them in. This example
// also moves a pretend clock forward so it can show expiry and lockout
// without waiting ten minutes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/filestore"
)

func main() {
	dir, err := os.MkdirTemp("", "otpkit-example-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "library:", err)
		os.Exit(1)
	}
	err = run(context.Background(), os.Stdout, dir, time.Now())
	os.RemoveAll(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "library:", err)
		os.Exit(1)
	}
}

// clock is a pretend clock the example moves forward; a real program leaves
// otp.Options.Now unset and gets time.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// run does the whole tour, writing what happens to w, on a pretend clock
// that starts at start. The store and the outbox file live in dir.
func run(ctx context.Context, w io.Writer, dir string, start time.Time) error {
	clk := &clock{now: start}

	// The pieces: a store for pending codes and limits, a sender that
	// delivers messages, and the service that ties them together.
	st, err := filestore.Open(filepath.Join(dir, "otp.db"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	box := filepath.Join(dir, "outbox.jsonl")
	svc, err := otp.New(context.Background(), st, outbox.New(box, clk.Now), otp.Options{
		AppName:       "Example",
		DefaultRegion: "US", // so "(201) 555-0123" needs no +1
		Now:           clk.Now,
	})
	if err != nil {
		return err
	}
	p := svc.Policy()
	fmt.Fprintf(w, "policy: %d tries per code, lockout %v, resend after %v\n", p.MaxAttempts, p.Lockout, p.ResendAfter)

	const number = "(201) 555-0123"

	// 1. Send a code by SMS.
	sent, err := svc.Send(ctx, number, delivery.SMS)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	fmt.Fprintf(w, "sent a code by %s to %s via %s; it expires in %s\n",
		sent.Channel, sent.To, sent.Provider, otp.HumanDuration(sent.ExpiresAt.Sub(clk.Now())))

	// 2. Read it back from the outbox, as a test would.
	code, err := lastCode(box, sent.To)
	if err != nil {
		return err
	}

	// 3. A typo first: a wrong code counts a try.
	reportf(w, "verify a wrong code", verify(ctx, svc, number, wrong(code)))
	// 4. The right code, typed the way people do: spaces are fine.
	reportf(w, "verify the right code", verify(ctx, svc, number, code[:3]+" "+code[3:]))
	// 5. Codes are single use.
	reportf(w, "verify it again", verify(ctx, svc, number, code))

	// 6. Asking for a new code at once hits the resend cooldown.
	_, err = svc.Send(ctx, number, delivery.SMS)
	report(w, "send again at once", err)

	// 7. After the cooldown a new code goes out; this time by voice call.
	clk.Advance(p.ResendAfter)
	if _, err := svc.Send(ctx, number, delivery.Voice); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	fmt.Fprintf(w, "sent a new code by voice after %v\n", p.ResendAfter)
	code, err = lastCode(box, sent.To)
	if err != nil {
		return err
	}

	// 8. Codes expire.
	clk.Advance(11 * time.Minute)
	reportf(w, "verify after 11 minutes", verify(ctx, svc, number, code))

	// 9. A number that was never sent a code.
	reportf(w, "verify another number", verify(ctx, svc, "+1 201 555 0199", "123456"))

	// 10. Too many wrong tries lock the number.
	if _, err := svc.Send(ctx, number, delivery.SMS); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	code, err = lastCode(box, sent.To)
	if err != nil {
		return err
	}
	for i := 1; i <= p.MaxAttempts; i++ {
		reportf(w, fmt.Sprintf("wrong try %d", i), verify(ctx, svc, number, wrong(code)))
	}
	// While it is locked, even the right code is refused, and so is a send.
	reportf(w, "verify the right code while locked", verify(ctx, svc, number, code))
	_, err = svc.Send(ctx, number, delivery.SMS)
	report(w, "send while locked", err)

	// 11. Input that cannot be a code or a number does not count as a try.
	reportf(w, "verify letters", verify(ctx, svc, "+1 201 555 0198", "12ab56"))
	_, err = svc.Send(ctx, "555-0123", delivery.SMS)
	report(w, "send to a short number", err)
	return nil
}

// verify is the call a verification page makes; it returns what to tell
// the person who typed the code.
func verify(ctx context.Context, svc *otp.Service, number, typed string) string {
	res, err := svc.Verify(ctx, number, typed)
	if errors.Is(err, otp.ErrWrongCode) {
		// The result says how many wrong tries the code still allows.
		switch res.AttemptsLeft {
		case 0:
			return "wrong code; no tries left, ask for a new one"
		case 1:
			return "wrong code; 1 try left"
		default:
			return fmt.Sprintf("wrong code; %d tries left", res.AttemptsLeft)
		}
	}
	return explain(err)
}

// report prints what happened.
func report(w io.Writer, what string, err error) { fmt.Fprintf(w, "%s: %s\n", what, explain(err)) }

// reportf prints what happened, already explained.
func reportf(w io.Writer, what, msg string) { fmt.Fprintf(w, "%s: %s\n", what, msg) }

// explain turns an error from otp.Service into a message for people,
// handling each error of package otp the way a web page or an app would.
func explain(err error) string {
	var retry *otp.RetryError
	switch {
	case err == nil:
		return "approved"
	case errors.Is(err, otp.ErrWrongCode):
		return "wrong code"
	case errors.Is(err, otp.ErrExpired):
		return "the code expired; ask for a new one"
	case errors.Is(err, otp.ErrUsed):
		return "that code was already used; ask for a new one"
	case errors.Is(err, otp.ErrNotFound):
		return "no code is waiting for this number; ask for a new one"
	case errors.As(err, &retry) && errors.Is(err, otp.ErrLocked):
		return fmt.Sprintf("too many tries; try again in %s", otp.HumanDuration(retry.RetryAfter()))
	case errors.As(err, &retry) && errors.Is(err, otp.ErrRateLimited):
		return fmt.Sprintf("please wait %s before asking for a new code", otp.HumanDuration(retry.RetryAfter()))
	case errors.Is(err, otp.ErrInvalidCode):
		return "that is not a code (not counted as a try)"
	case errors.Is(err, otp.ErrInvalidNumber):
		return "that is not a phone number we can reach"
	case errors.Is(err, otp.ErrDelivery):
		return "the message could not be sent; try again"
	}
	return "something went wrong: " + err.Error()
}

// lastCode returns the code of the newest outbox message to number.
func lastCode(box, number string) (string, error) {
	entries, err := outbox.Read(box)
	if err != nil {
		return "", fmt.Errorf("read outbox: %w", err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].To == number {
			return entries[i].Code, nil
		}
	}
	return "", fmt.Errorf("no message to %s in %s", number, box)
}

// wrong returns a code that differs from code in its last digit.
func wrong(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}
