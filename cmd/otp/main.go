// Command otp sends one-time passcodes by SMS or voice call and verifies
// what people type back.
//
//	otp send --to '+1 201 555 0123'
//	otp verify --to '+1 201 555 0123' --code 123456
//	otp purge
//
// Run "otp help" for the commands, "otp help config" for the configuration
// file and "otp help exit-codes" for what scripts can test.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/otpkit/otpkit/internal/lazygc" // no garbage collection in a short run
)

func main() {
	os.Exit(run(newApp(os.Stdin, os.Stdout, os.Stderr, os.Getenv, mainClock()), os.Args[1:]))
}

// app is what a command run needs from the outside world, so tests can
// supply their own.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// pollInterval is how often send --wait looks up a status; 0 means
	// delivery.DefaultPollInterval.
	pollInterval time.Duration
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: now}
}

// run executes the command line args and returns the exit code.
func run(a *app, args []string) int {
	// Ctrl-C cancels a send in flight (and its retries) cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetContext(ctx)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	return a.fail(cmd, args, err)
}
