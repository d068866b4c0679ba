package filestore_test

// Tests with real processes: the test binary re-executes itself with
// helperEnv set, and TestMain runs the helper instead of the tests.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	bolt "go.etcd.io/bbolt"
)

const helperEnv = "OTPKIT_FILESTORE_HELPER"

// runHelper runs the helper process named mode and returns its exit code.
func runHelper(mode string) int {
	var err error
	switch mode {
	case "crash":
		err = helperCrash()
	case "client":
		err = helperClient()
	default:
		err = fmt.Errorf("unknown helper %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

// helper starts the test binary as the helper named mode, with env added.
func helper(t *testing.T, mode string, env ...string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append(env, helperEnv+"="+mode)...)
	cmd.Stderr = new(bytes.Buffer)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// helperCrash issues codes to fresh numbers from FILESTORE_START on, and
// prints each number once its Issue has returned, until it is killed. With
// FILESTORE_REOPEN set it opens and closes the store for each Issue, as the
// otp command does.
func helperCrash() error {
	path := os.Getenv("FILESTORE_PATH")
	next, _ := strconv.Atoi(os.Getenv("FILESTORE_START"))
	reopen := os.Getenv("FILESTORE_REOPEN") != ""
	fmt.Println("ready")
	var s *filestore.Store
	for i := next; i < 10_000_000; i++ {
		if s == nil {
			var err error
			if s, err = filestore.Open(path, nil); err != nil {
				return err
			}
		}
		number := testNumber(i)
		if _, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: hash(number), Now: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
			return err
		}
		fmt.Println(number)
		if reopen {
			if err := s.Close(); err != nil {
				return err
			}
			s = nil
		}
	}
	select {} // out of numbers: wait to be killed
}

func TestCrashSafety(t *testing.T) {
	runs := 10
	if os.Getenv("OTPKIT_CRASH_RUNS") != "" {
		runs, _ = strconv.Atoi(os.Getenv("OTPKIT_CRASH_RUNS"))
	} else if testing.Short() {
		runs = 3
	}
	crashRuns(t, runs)
}

// crashRuns kills a process that is issuing codes, runs times, at random
// moments, and checks after each kill that the store opens and holds every
// code whose Issue returned.
func crashRuns(t *testing.T, runs int) {
	path := filepath.Join(t.TempDir(), "otp.db")
	next, total := 0, 0
	for run := range runs {
		reopen := ""
		if run%2 == 1 {
			reopen = "1"
		}
		cmd, out := helper(t, "crash", "FILESTORE_PATH="+path, fmt.Sprintf("FILESTORE_START=%d", next), "FILESTORE_REOPEN="+reopen)
		r := bufio.NewReader(out)
		if line, err := r.ReadString('\n'); line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper said %q, %v; stderr: %s", line, err, cmd.Stderr)
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		rest, _ := io.ReadAll(r)
		cmd.Wait()
		if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("helper was not killed but ended: %v; stderr: %s", cmd.ProcessState, cmd.Stderr)
		}
		lines := strings.Split(string(rest), "\n")
		lines = lines[:len(lines)-1] // the last is empty or cut short by the kill

		s, err := filestore.Open(path, nil)
		if err != nil {
			t.Fatalf("run %d: Open after kill: %v", run, err)
		}
		for _, number := range lines {
			rec, ok, err := s.Get(ctx, number)
			if err != nil || !ok || !bytes.Equal(rec.Hash, hash(number)) {
				t.Fatalf("run %d: %s was issued before the kill, but Get = ok %v, err %v", run, number, ok, err)
			}
			total++
			i, _ := strconv.Atoi(number[len(number)-7:])
			next = i + 2 // skip the number that may have been issued, unprinted
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d runs, %d issued codes checked", runs, total)
	if total == 0 {
		t.Fatal("the helper was always killed before its first Issue")
	}
	// bbolt's own consistency check finds nothing wrong.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Error(err)
		}
		return nil
	})
}

// clientTally is what one client process did.
type clientTally struct {
	Issued, ApprovedOwn, OtherOwn, ApprovedShared, Wrong int
}

const (
	sharedNumber = "+12015550120" // one code that every client tries
	wrongNumber  = "+12015550121" // every client makes wrong tries here
)

var clientPool = []string{"+12015550110", "+12015550111", "+12015550112", "+12015550113"}

// clientPolicy has no limits but a send window, so every send is remembered.
var clientPolicy = store.Policy{MaxSends: 1000, SendWindow: time.Hour}

// helperClient does 25 operations as separate otp commands would, each
// opening the store, doing one thing and closing it, and prints a tally.
func helperClient() error {
	path := os.Getenv("FILESTORE_PATH")
	id := os.Getenv("FILESTORE_ID")
	one := func(fn func(s *filestore.Store) error) error {
		s, err := filestore.Open(path, nil)
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			s.Close()
			return err
		}
		return s.Close()
	}
	var tally clientTally
	check := func(number, code string) (res store.CheckResult, err error) {
		err = one(func(s *filestore.Store) error {
			res, err = s.Check(ctx, store.CheckRequest{Number: number, Hash: hash(code), Now: testclock.Base(), Policy: clientPolicy})
			return err
		})
		return res, err
	}
	for i := range 10 {
		number, code := clientPool[i%len(clientPool)], fmt.Sprintf("%s-%d", id, i)
		err := one(func(s *filestore.Store) error {
			now := testclock.Base()
			res, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: hash(code), Now: now, ExpiresAt: now.Add(time.Hour), Policy: clientPolicy})
			if res.Outcome == store.Issued {
				tally.Issued++
			}
			return err
		})
		if err != nil {
			return err
		}
		res, err := check(number, code)
		if err != nil {
			return err
		}
		if res.Outcome == store.Approved {
			tally.ApprovedOwn++
		} else {
			tally.OtherOwn++ // another client's code replaced it, or was approved
		}
		if i%5 == 0 {
			if res, err = check(sharedNumber, "shared"); err != nil {
				return err
			}
			if res.Outcome == store.Approved {
				tally.ApprovedShared++
			}
		}
		if i%5 == 1 || i%5 == 3 {
			if res, err = check(wrongNumber, "wrong"); err != nil {
				return err
			}
			if res.Outcome != store.WrongCode {
				return fmt.Errorf("wrong try: outcome %v", res.Outcome)
			}
			tally.Wrong++
		}
	}
	return json.NewEncoder(os.Stdout).Encode(tally)
}

// TestManyProcesses runs 8 processes that each open the store 25 times for
// one operation, as concurrent otp commands do, on shared numbers: no send
// and no wrong try is lost, and the shared code is approved exactly once.
func TestManyProcesses(t *testing.T) {
	const procs = 8
	path := filepath.Join(t.TempDir(), "otp.db")
	s := open(t, path, nil)
	now := testclock.Base()
	for number, code := range map[string]string{sharedNumber: "shared", wrongNumber: "right"} {
		if _, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: hash(code), Now: now, ExpiresAt: now.Add(time.Hour), Policy: clientPolicy}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	type client struct {
		cmd *exec.Cmd
		out io.Reader
	}
	var clients []client
	for i := range procs {
		cmd, out := helper(t, "client", "FILESTORE_PATH="+path, fmt.Sprintf("FILESTORE_ID=%d", i))
		clients = append(clients, client{cmd, out})
	}
	var sum clientTally
	for _, c := range clients {
		var tally clientTally
		derr := json.NewDecoder(c.out).Decode(&tally)
		if err := c.cmd.Wait(); err != nil || derr != nil {
			t.Fatalf("client: %v, %v; stderr: %s", err, derr, c.cmd.Stderr)
		}
		sum.Issued += tally.Issued
		sum.ApprovedOwn += tally.ApprovedOwn
		sum.OtherOwn += tally.OtherOwn
		sum.ApprovedShared += tally.ApprovedShared
		sum.Wrong += tally.Wrong
	}
	t.Logf("tally: %+v", sum)

	s = open(t, path, nil)
	sends := 0
	for _, number := range clientPool {
		rec, _, err := s.Get(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		sends += len(rec.Sends)
	}
	if sum.Issued != procs*10 || sends != sum.Issued {
		t.Errorf("%d sends recorded for %d successful Issues (want %d): updates were lost", sends, sum.Issued, procs*10)
	}
	if sum.ApprovedOwn+sum.OtherOwn != procs*10 {
		t.Errorf("own checks: %d approved + %d other, want %d in all", sum.ApprovedOwn, sum.OtherOwn, procs*10)
	}
	if sum.ApprovedShared != 1 {
		t.Errorf("the shared code was approved %d times, want exactly once", sum.ApprovedShared)
	}
	if rec, _, err := s.Get(ctx, sharedNumber); err != nil || !rec.Used {
		t.Errorf("shared code: used %v, err %v; want used", rec.Used, err)
	}
	if rec, _, err := s.Get(ctx, wrongNumber); err != nil || rec.Attempts != sum.Wrong || sum.Wrong != procs*4 {
		t.Errorf("%d wrong tries recorded for %d made (want %d), err %v: tries were lost", rec.Attempts, sum.Wrong, procs*4, err)
	}
}
