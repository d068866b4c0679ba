//go:build otptestclock

package main

import (
	"fmt"
	"os"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

// mainClock, in a build with the otptestclock tag, is fixed at
// $OTP_TEST_NOW ("+DURATION" after testclock.Base, or RFC 3339), so that
// tests which run the built command own its clock as the testscripts do.
// Release builds never have this tag.
func mainClock() func() time.Time {
	t, err := testclock.Parse(os.Getenv("OTP_TEST_NOW"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "OTP_TEST_NOW:", err)
		os.Exit(99)
	}
	return func() time.Time { return t }
}
