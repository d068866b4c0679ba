//go:build !otptestclock

package main

import "time"

// mainClock is the clock of the otp command: the real one. A build with
// the otptestclock tag (the reliability tests in tests/) reads it from
// $OTP_TEST_NOW instead; see clock_testbuild.go.
func mainClock() func() time.Time { return time.Now }
