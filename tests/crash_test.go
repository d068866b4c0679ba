package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/filestore"
)

// TestCrashCLI kills an otp process with SIGKILL at a random moment of a
// stream of sends and verifications, 100 times (OTPKIT_CRASH_RUNS sets
// another count), and checks after each kill that the store opens and
// holds every operation that returned: each send whose code was delivered,
// each counted wrong try, each approval. The stream is send, wrong code,
// right code for one number after another; a killed operation ends its
// number, whose state it may or may not have changed.
func TestCrashCLI(t *testing.T) {
	t.Parallel()
	runs := 100
	if v := os.Getenv("OTPKIT_CRASH_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("OTPKIT_CRASH_RUNS=%q: want a positive count", v)
		}
		runs = n
	} else if testing.Short() {
		runs = 10
	}
	c := newCLI(t, t.TempDir(), unlimited)
	rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
	estimate := 15 * time.Millisecond // of one otp run; updated as they finish

	var all []*crashNumber
	committed, lost := 0, 0
	for run := range runs {
		// A few operations run to the end, then one is killed.
		before := rng.IntN(4)
		var nums []*crashNumber
		cur := &crashNumber{to: number(len(all))}
		all, nums = append(all, cur), append(nums, cur)
		for op := 0; ; op++ {
			cmd, out := cur.next(t, c)
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if op >= before {
				// Kill between two thirds of the usual run time and a bit after its end,
				// where the store is opened, written and closed.
				time.Sleep(time.Duration(float64(estimate) * (0.65 + 0.5*rng.Float64())))
				cmd.Process.Signal(syscall.SIGKILL)
			}
			err := cmd.Wait()
			if ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus); ws.Signaled() {
				cur.killed = cur.step
				break
			}
			estimate = (estimate*7 + time.Since(start)) / 8
			cur.record(t, run, err, out.Bytes(), c)
			if cur.step == 3 {
				cur = &crashNumber{to: number(len(all))}
				all, nums = append(all, cur), append(nums, cur)
			}
		}
		// The killed process held the lock; the store must open now.
		s, err := filestore.Open(c.store, &filestore.Options{LockTimeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("run %d: the store does not open after the kill: %v", run, err)
		}
		svc, err := otp.New(context.Background(), s, nopSender{}, unlimited.optionsWithStoreSecret())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nums {
			switch n.check(t, run, s, svc) {
			case 1:
				committed++
			case -1:
				lost++
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills; %d numbers; the killed operation had committed %d times and not %d times", runs, len(all), committed, lost)
	checkBolt(t, c.store)
}

// crashNumber is the stream's progress on one number.
type crashNumber struct {
	to     string
	step   int    // operations that returned: 1 sent, 2 wrong try counted, 3 approved
	code   string // the code sent
	killed int    // the step being run when the process was killed, or -1
}

// next returns the command for the next step; its stdout goes to out.
func (n *crashNumber) next(t *testing.T, c *cliClient) (*exec.Cmd, *bytes.Buffer) {
	args := []string{"--config", c.config}
	switch n.step {
	case 0:
		args = append(args, "send", "--to", n.to, "--json")
	case 1:
		args = append(args, "verify", "--to", n.to, "--code", "0000000")
	case 2:
		args = append(args, "verify", "--to", n.to, "--code", n.code)
	}
	n.killed = -1
	cmd := otpCmd(t, c.dir, args...)
	out := &bytes.Buffer{}
	cmd.Stdout = out
	return cmd, out
}

// record checks the outcome of a step that ran to the end.
func (n *crashNumber) record(t *testing.T, run int, err error, stdout []byte, c *cliClient) {
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	want := []int{0, 1, 0}[n.step]
	if code != want {
		t.Fatalf("run %d: %s step %d exited %d, want %d", run, n.to, n.step, code, want)
	}
	if n.step == 0 {
		var j struct {
			MessageID string `json:"message_id"`
		}
		if err := json.Unmarshal(stdout, &j); err != nil {
			t.Fatalf("run %d: send --json: %v", run, err)
		}
		if n.code = c.delivered()[j.MessageID]; n.code == "" {
			t.Fatalf("run %d: message %s of the send to %s was not delivered", run, j.MessageID, n.to)
		}
	}
	n.step++
}

// check compares the store with what returned, and reports whether the
// killed operation on this number had committed (1) or not (-1), or 0 if
// it was not killed or cannot tell.
func (n *crashNumber) check(t *testing.T, run int, s *filestore.Store, svc *otp.Service) int {
	ctx := context.Background()
	rec, found, err := s.Get(ctx, n.to)
	if err != nil {
		t.Fatalf("run %d: %s: %v", run, n.to, err)
	}
	fail := func(what string) { t.Errorf("run %d: %s: %s (record %+v, found %v)", run, n.to, what, rec, found) }
	if n.step == 0 { // the send was killed
		if found != (len(rec.Sends) == 1) {
			fail("a record without the send")
		}
		return map[bool]int{true: 1, false: -1}[found]
	}
	if !found || len(rec.Sends) != 1 {
		fail("the send that returned is not there")
		return 0
	}
	// A wrong try is counted until a correct code is approved, which
	// forgets it.
	if n.step >= 2 && !rec.Used && rec.Attempts != 1 {
		fail("the wrong try that returned is not counted")
	}
	if rec.Used && rec.Attempts != 0 {
		fail("an approval left the wrong tries counted")
	}
	if n.step == 3 {
		if !rec.Used {
			fail("the approval that returned is not there")
		}
		return 0
	}
	if rec.Used && n.killed != 2 {
		fail("used, but no approval ran")
	}
	if n.killed == 1 && rec.Attempts > 1 {
		fail("more wrong tries than were made")
	}
	result := 0
	switch n.killed {
	case 1:
		result = map[bool]int{true: 1, false: -1}[rec.Attempts == 1]
	case 2:
		result = map[bool]int{true: 1, false: -1}[rec.Used]
	}
	// The code sent is the one the store holds: it is approved now,
	// unless the killed approval got there first.
	if _, err := svc.Verify(ctx, n.to, n.code); err != nil && !(rec.Used && errors.Is(err, otp.ErrUsed)) {
		fail("the code sent is not accepted: " + err.Error())
	}
	return result
}

// optionsWithStoreSecret are the options for l with the secret left to the
// store, as the otp command has it without OTP_SECRET.
func (l limits) optionsWithStoreSecret() otp.Options {
	o := l.options()
	o.Secret = nil
	return o
}

// nopSender delivers nothing; the crash checks only verify.
type nopSender struct{}

func (nopSender) Send(context.Context, delivery.Message) (delivery.Receipt, error) {
	return delivery.Receipt{}, errors.New("not sending")
}
