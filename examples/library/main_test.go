package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store/filestore"
)

// want is the whole tour: every line shows one outcome of package otp.
const want = `policy: 5 tries per code, lockout 10m0s, resend after 30s
sent a code by sms to +12015550123 via outbox; it expires in 10 minutes
verify a wrong code: wrong code; 4 tries left
verify the right code: approved
verify it again: that code was already used; ask for a new one
send again at once: please wait 30 seconds before asking for a new code
sent a new code by voice after 30s
verify after 11 minutes: the code expired; ask for a new one
verify another number: no code is waiting for this number; ask for a new one
wrong try 1: wrong code; 4 tries left
wrong try 2: wrong code; 3 tries left
wrong try 3: wrong code; 2 tries left
wrong try 4: wrong code; 1 try left
wrong try 5: too many tries; try again in 10 minutes
verify the right code while locked: too many tries; try again in 10 minutes
send while locked: too many tries; try again in 10 minutes
verify letters: that is not a code (not counted as a try)
send to a short number: that is not a phone number we can reach
`

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), &out, dir, testclock.Base()); err != nil {
		t.Fatalf("run: %v", err)
	}
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	// The three codes really went through the outbox, by the channels the
	// output claims, each a fresh 6-digit code carried in the message.
	box := filepath.Join(dir, "outbox.jsonl")
	entries, err := outbox.Read(box)
	if err != nil {
		t.Fatal(err)
	}
	wantCh := []delivery.Channel{delivery.SMS, delivery.Voice, delivery.SMS}
	if len(entries) != len(wantCh) {
		t.Fatalf("outbox has %d entries, want %d", len(entries), len(wantCh))
	}
	for i, e := range entries {
		if e.To != "+12015550123" || e.Channel != wantCh[i] || len(e.Code) != 6 {
			t.Errorf("entry %d: to %s channel %s code length %d", i, e.To, e.Channel, len(e.Code))
		}
	}
	if !bytes.Contains([]byte(entries[0].Body), []byte("Your Example code is "+entries[0].Code)) {
		t.Errorf("sms body %q does not carry the code", entries[0].Body)
	}
	// No code ever reaches the program's output.
	for _, e := range entries {
		if bytes.Contains(out.Bytes(), []byte(e.Code)) {
			t.Errorf("output contains a code")
		}
	}
	// The outbox, the store and its key are private files.
	for _, name := range []string{"outbox.jsonl", "otp.db", "otp.db.key"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	// The store remembers the lock after the program closed it.
	st, err := filestore.Open(filepath.Join(dir, "otp.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, ok, err := st.Get(context.Background(), "+12015550123")
	if err != nil || !ok || rec.LockedUntil.IsZero() || rec.Hash != nil {
		t.Errorf("stored record: %+v, %v, %v; want a lock and no pending code", rec, ok, err)
	}
}

// TestMain runs main itself when asked to, so TestProcess can run the
// example as a program without building it separately.
func TestMain(m *testing.M) {
	if os.Getenv("OTPKIT_EXAMPLE_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestProcess(t *testing.T) {
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "OTPKIT_EXAMPLE_RUN_MAIN=1", "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("example failed: %v\nstderr: %s", err, stderr.String())
	}
	if stdout.String() != want || stderr.Len() != 0 {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	// main removes its temporary directory, codes and all.
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
}
