package main

import (
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdTesttime is "testtime VAR +DURATION": it sets $VAR to the test clock's
// base plus DURATION in RFC 3339 (UTC, as otp prints times), so scripts
// assert dates without writing one and pass with any base.
func cmdTesttime(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: testtime VAR +DURATION")
	}
	t, err := testclock.Parse(args[1])
	if err != nil {
		ts.Fatalf("testtime: %v", err)
	}
	ts.Setenv(args[0], t.UTC().Format(time.RFC3339))
}
