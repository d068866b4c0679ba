package reliability

import (
	"strings"
	"testing"
)

// TestRunsDoNotCollect: an otp run starts no garbage collection (see
// package lazygc); one costs a fifth of the CPU time of a send. It fails if
// a new dependency makes package initialisation allocate enough to start
// one before lazygc turns the collector off.
func TestRunsDoNotCollect(t *testing.T) {
	t.Parallel()
	c := newCLI(t, t.TempDir(), unlimited)
	for _, args := range [][]string{
		{"version"},
		{"--config", c.config, "send", "--to", number(1)},
		{"--config", c.config, "verify", "--to", number(1), "--code", "0000000"},
	} {
		cmd := otpCmd(t, c.dir, args...)
		cmd.Env = append(cmd.Env, "GODEBUG=gctrace=1")
		out, _ := cmd.CombinedOutput()
		for line := range strings.Lines(string(out)) {
			if strings.HasPrefix(line, "gc ") {
				t.Errorf("otp %s collected garbage: %s", args[len(args)-1], line)
			}
		}
		if len(out) == 0 {
			t.Errorf("otp %v printed nothing", args)
		}
	}
}
