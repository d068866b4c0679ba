package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/config"
	"github.com/otpkit/otpkit/delivery/console"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/fakeapi"
)

// TestFakes checks that every registered provider but the local ones has
// a fake the scripts can start, and that a fake refuses an option it does
// not read.
func TestFakes(t *testing.T) {
	t.Parallel()
	local := []string{console.Name, outbox.Name} // they send nothing over a network
	for _, p := range config.Registered() {
		if slices.Contains(local, p.Name()) {
			continue
		}
		f, err := fakeapi.Start(p.Name(), nil)
		if err != nil {
			t.Errorf("provider %s: no fake for the scripts (register one in internal/fakeapi): %v", p.Name(), err)
			continue
		}
		if !strings.HasPrefix(f.URL(), "http://127.0.0.1:") {
			t.Errorf("fake %s listens on %s, not loopback", p.Name(), f.URL())
		}
		f.Close()
	}
	for _, tt := range []struct{ name, opt, want string }{
		{"webhook", "trial=+12015550101", `unknown option "trial"`},
		{"twilio", "trial", `option "trial" is not KEY=VALUE`},
		{"telnyx", "lag=x", "option lag: "},
		{"pigeon", "", `unknown provider "pigeon"`},
	} {
		f, err := fakeapi.Start(tt.name, []string{tt.opt})
		if err == nil {
			f.Close()
			t.Errorf("fake start %s %s: no error, want %q", tt.name, tt.opt, tt.want)
		} else if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("fake start %s %s: %v, want %q", tt.name, tt.opt, err, tt.want)
		}
	}
}
