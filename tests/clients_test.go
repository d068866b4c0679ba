package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
)

// The scenarios of the load and abuse tests run the same way against otp
// processes and against the library: through a client.

// outcome is how a send or a verification ended, the same for both.
type outcome int

const (
	ok          outcome = iota // sent, or approved
	wrongCode                  // exit 1, ErrWrongCode
	noCode                     // exit 3, ErrExpired, ErrUsed, ErrNotFound
	locked                     // exit 4, ErrLocked
	rateLimited                // exit 5, ErrRateLimited
	failed                     // anything else: never expected
)

var outcomeNames = []string{"ok", "wrong code", "no code", "locked", "rate limited", "failed"}

func (o outcome) String() string { return outcomeNames[o] }

// reply is the result of one operation: its outcome, the message id of a
// send that went out, and the error message (for a verification that
// locked the number, it says "no tries left").
type reply struct {
	out    outcome
	id     string
	detail string
}

// client sends and verifies codes, as a program using otpkit does.
type client interface {
	send(to string) reply
	verify(to, code string) reply
	// delivered returns the codes delivered so far, by message id.
	delivered() map[string]string
}

// limits configure a client. Zero turns a limit off, as in the
// configuration file.
type limits struct {
	maxAttempts int
	lockout     time.Duration
	resendAfter time.Duration
	maxSends    int
	sendWindow  time.Duration
}

// defaults are otp's default limits.
var defaults = limits{otp.DefaultMaxAttempts, otp.DefaultLockout, otp.DefaultResendAfter, otp.DefaultMaxSends, otp.DefaultSendWindow}

// unlimited records every send (up to 10,000 an hour) and every wrong try,
// and never refuses.
var unlimited = limits{maxSends: 10_000, sendWindow: time.Hour}

// options are the library options for l.
func (l limits) options() otp.Options {
	off := func(v int) int {
		if v == 0 {
			return -1
		}
		return v
	}
	offD := func(v time.Duration) time.Duration {
		if v == 0 {
			return -1
		}
		return v
	}
	return otp.Options{
		Secret:      []byte("otpkit-reliability-test-secret!!"),
		MaxAttempts: off(l.maxAttempts), Lockout: offD(l.lockout), ResendAfter: offD(l.resendAfter),
		MaxSends: off(l.maxSends), SendWindow: l.sendWindow,
		Now: testclock.Base, // the clock of the otp processes too (OTP_TEST_NOW=+0s)
	}
}

// cliClient runs one otp process for each operation.
type cliClient struct {
	t      *testing.T
	dir    string // working directory, with the configuration
	config string
	store  string // the store file
	outbox string
}

// newCLI writes a configuration with limits l, the store and the outbox
// in dir, and returns a client that runs otp with it.
func newCLI(t *testing.T, dir string, l limits) *cliClient {
	c := &cliClient{t: t, dir: dir, config: filepath.Join(dir, "otp.toml"), store: filepath.Join(dir, "otp.db"), outbox: filepath.Join(dir, "outbox.jsonl")}
	conf := fmt.Sprintf(`[limits]
max_attempts = %d
lockout = %q
resend_after = %q
max_sends = %d
send_window = %q
[store]
path = %q
[delivery]
provider = "outbox"
[delivery.outbox]
path = %q
`, l.maxAttempts, l.lockout, l.resendAfter, l.maxSends, l.sendWindow, c.store, c.outbox)
	if err := os.WriteFile(c.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// exitOutcomes maps the documented exit codes to outcomes.
var exitOutcomes = map[int]outcome{0: ok, 1: wrongCode, 3: noCode, 4: locked, 5: rateLimited}

func (c *cliClient) reply(r result) reply {
	out, known := exitOutcomes[r.code]
	if !known {
		return reply{out: failed, detail: r.String()}
	}
	var j struct {
		MessageID string `json:"message_id"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil {
		return reply{out: failed, detail: fmt.Sprintf("%v: %v", r, err)}
	}
	return reply{out: out, id: j.MessageID, detail: j.Message}
}

func (c *cliClient) send(to string) reply {
	return c.reply(runOtp(c.t, c.dir, nil, "--config", c.config, "send", "--to", to, "--json"))
}

func (c *cliClient) verify(to, code string) reply {
	return c.reply(runOtp(c.t, c.dir, nil, "--config", c.config, "verify", "--to", to, "--code", code, "--json"))
}

// delivered returns the code of each message in the outbox, by id. A line
// a killed otp process left half-written (kill -9 can cut a write) is not
// a message that was delivered: it is skipped, and every other line must
// be whole (the outbox starts each entry on its own line).
func (c *cliClient) delivered() map[string]string {
	b, err := os.ReadFile(c.outbox)
	if err != nil && !os.IsNotExist(err) {
		c.t.Fatal(err)
	}
	codes := map[string]string{}
	for line := range bytes.Lines(b) {
		var e outbox.Entry
		if json.Unmarshal(line, &e) != nil {
			if bytes.HasSuffix(line, []byte("\n")) && bytes.Count(line, []byte("{")) > 1 {
				c.t.Fatalf("outbox %s: two entries on one line: %q", c.outbox, line)
			}
			continue
		}
		codes[e.ID] = e.Code
	}
	return codes
}

// libClient calls an otp.Service.
type libClient struct {
	svc    *otp.Service
	sender *capture
}

// newLib returns a client on a Service with limits l over st.
func newLib(t *testing.T, st store.Store, l limits) *libClient {
	sender := &capture{name: fmt.Sprintf("capture%d-", captures.Add(1)), codes: map[string]string{}}
	svc, err := otp.New(context.Background(), st, sender, l.options())
	if err != nil {
		t.Fatal(err)
	}
	return &libClient{svc, sender}
}

func libReply(err error) reply {
	r := reply{}
	if err != nil {
		r.detail = err.Error()
	}
	switch {
	case err == nil:
		r.out = ok
	case errors.Is(err, otp.ErrWrongCode):
		r.out = wrongCode
	case errors.Is(err, otp.ErrExpired), errors.Is(err, otp.ErrUsed), errors.Is(err, otp.ErrNotFound):
		r.out = noCode
	case errors.Is(err, otp.ErrLocked):
		r.out = locked
	case errors.Is(err, otp.ErrRateLimited):
		r.out = rateLimited
	default:
		r.out = failed
	}
	return r
}

func (c *libClient) send(to string) reply {
	res, err := c.svc.Send(context.Background(), to, delivery.SMS)
	r := libReply(err)
	r.id = res.MessageID
	return r
}

func (c *libClient) verify(to, code string) reply {
	_, err := c.svc.Verify(context.Background(), to, code)
	return libReply(err)
}

func (c *libClient) delivered() map[string]string {
	c.sender.mu.Lock()
	defer c.sender.mu.Unlock()
	codes := make(map[string]string, len(c.sender.codes))
	for id, code := range c.sender.codes {
		codes[id] = code
	}
	return codes
}

// capture is a delivery.Sender that keeps every code it is given.
type capture struct {
	name  string // starts the message ids, unique to the sender
	mu    sync.Mutex
	codes map[string]string // message id -> code
}

var captures atomic.Int64 // senders made, for their names

func (c *capture) Send(_ context.Context, m delivery.Message) (delivery.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.name + strconv.Itoa(len(c.codes)+1)
	c.codes[id] = m.Code
	return delivery.Receipt{Provider: "capture", ID: id}, nil
}

// number returns the i-th test number: +1 201 200 0000 and on, valid for
// libphonenumber.
func number(i int) string { return fmt.Sprintf("+1201%07d", 2_000_000+i) }
