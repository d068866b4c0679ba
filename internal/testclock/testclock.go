// Package testclock gives otpkit's tests a clock they own: a fixed start,
// stepped forward by the test, never the real time.
//
// Every test and testscript starts its clock at [Base]. Base is a fixed
// instant, so tests pass on any real date; setting $OTPKIT_TEST_CLOCK_BASE
// (RFC 3339) moves it, which is how CI shows that nothing depends on the
// date (it runs the suite with the base ten years ahead and ten years back).
package testclock

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// EnvBase names the environment variable that moves [Base].
const EnvBase = "OTPKIT_TEST_CLOCK_BASE"

// DefaultBase is the start of every test clock unless $OTPKIT_TEST_CLOCK_BASE says otherwise.
var DefaultBase = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

var (
	baseOnce sync.Once
	base     time.Time
)

// Base returns the instant every test clock starts at: $OTPKIT_TEST_CLOCK_BASE
// if it is set, else [DefaultBase]. It panics on a malformed value, so a typo
// cannot silently run the suite on the default.
func Base() time.Time {
	baseOnce.Do(func() {
		base = DefaultBase
		if v := os.Getenv(EnvBase); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				panic(fmt.Sprintf("%s: %v", EnvBase, err))
			}
			base = t.UTC()
		}
	})
	return base
}

// Parse reads a test time: "+DURATION" (or "-DURATION") is relative to
// [Base], anything else must be RFC 3339. An empty string is Base itself.
func Parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Base(), nil
	}
	if s[0] == '+' || s[0] == '-' {
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("test time %q: %w", s, err)
		}
		return Base().Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("test time %q: %w", s, err)
	}
	return t, nil
}

// Clock is a test clock: it starts where it is told and moves only when
// the test moves it. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock at [Base].
func New() *Clock { return &Clock{now: Base()} }

// At returns a clock at t.
func At(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d (backwards if d is negative) and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
