package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/redistest"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary run as the otp command inside scripts. The
// test build reads the clock from $OTP_TEST_NOW: "+DURATION" is that long
// after the test clock's base (testclock.Base), anything else is RFC 3339.
// Setup sets it to the base, so no script ever runs on the real clock;
// scripts step it forward with "env OTP_TEST_NOW=+1h". send --wait's poll
// interval comes from $OTP_TEST_POLL. The real binary has no such overrides.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"otp": func() {
			t, err := testclock.Parse(os.Getenv("OTP_TEST_NOW"))
			if err != nil {
				fmt.Fprintln(os.Stderr, "OTP_TEST_NOW:", err)
				os.Exit(99)
			}
			now := func() time.Time { return t }
			a := newApp(os.Stdin, os.Stdout, os.Stderr, os.Getenv, now)
			if v := os.Getenv("OTP_TEST_POLL"); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil {
					fmt.Fprintln(os.Stderr, "OTP_TEST_POLL:", err)
					os.Exit(99)
				}
				a.pollInterval = d
			}
			os.Exit(run(a, os.Args[1:]))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams())
}

func scriptParams() testscript.Params {
	return testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", e.WorkDir+"/home")
			e.Setenv("XDG_STATE_HOME", e.WorkDir+"/state")
			e.Setenv("XDG_CONFIG_HOME", e.WorkDir+"/config")
			e.Setenv("OTP_CONFIG", "")
			e.Setenv("OTP_SECRET", "")
			e.Setenv("OTP_TEST_POLL", "10ms")
			e.Setenv("OTP_TEST_NOW", "+0s")
			// The otp runs in scripts count from the same base as this test.
			e.Setenv(testclock.EnvBase, testclock.Base().Format(time.RFC3339))
			// A binary built with -race sleeps a second at exit by default, which
			// made every otp run in a script cost a second under go test -race.
			e.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			for _, v := range providerEnv() {
				e.Setenv(v, "")
			}
			e.Setenv("REDIS_URL", redistest.URL())
			e.Setenv("REDIS_PREFIX", fmt.Sprintf("otptest-%d-%d:", os.Getpid(), scriptSeq.Add(1)))
			fakes := newScriptFakes()
			e.Values[fakesKey{}] = fakes
			e.Defer(fakes.close)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "redis" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			err := redistest.Ping()
			if err != nil && os.Getenv("CI") == "true" {
				return false, fmt.Errorf("CI needs a Redis server: %v", err)
			}
			return err == nil, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":    cmdExits,
			"getcode":  cmdGetcode,
			"filemode": cmdFilemode,
			"lines":    cmdLines,
			"fake":     cmdFake,
			"expand":   cmdExpand,
			"testtime": cmdTesttime,
		},
	}
}

var scriptSeq atomic.Int64

// exits N cmd args... runs a program and checks its exit code is N; its
// output is then checked with stdout and stderr as after exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Logf("stdout:\n%s\nstderr:\n%s", ts.ReadFile("stdout"), ts.ReadFile("stderr"))
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

var consoleCode = regexp.MustCompile(`code is:? ([0-9A-F](?:, [0-9A-F])+|[0-9A-F]+)`)

// getcode SOURCE VAR puts the last code delivered into $VAR: SOURCE is
// "stderr" (the console provider's output of the last command) or an outbox file.
func cmdGetcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: getcode stderr|OUTBOX VAR")
	}
	var code string
	if args[0] == "stderr" {
		m := consoleCode.FindAllStringSubmatch(ts.ReadFile("stderr"), -1)
		if m == nil {
			ts.Fatalf("getcode: no code in stderr")
		}
		code = strings.ReplaceAll(m[len(m)-1][1], ", ", "")
	} else {
		entries, err := outbox.Read(ts.MkAbs(args[0]))
		ts.Check(err)
		if len(entries) == 0 {
			ts.Fatalf("getcode: %s is empty", args[0])
		}
		code = entries[len(entries)-1].Code
	}
	ts.Setenv(args[1], code)
}

// filemode PATH MODE checks a file's permission bits (octal).
func cmdFilemode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filemode PATH MODE")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := fi.Mode().Perm(); (uint64(got) == want) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// lines FILE N checks that a file has N lines.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lines FILE N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	if got := strings.Count(ts.ReadFile(args[0]), "\n"); got != want {
		ts.Fatalf("%s has %d lines, want %d", args[0], got, want)
	}
}
