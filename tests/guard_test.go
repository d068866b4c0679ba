package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/otpkit/otpkit/internal/redistest"
)

// TestGuardRaceProcesses: 100 otp processes send at once to 100 numbers of
// one prefix with prefix_max_sends = 5: exactly 5 codes go out and the
// other 95 exit 9, on the file store and on Redis.
func TestGuardRaceProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 100 otp processes per store")
	}
	stores := map[string]string{"file": ""}
	if redistest.Ping() == nil {
		stores["redis"] = fmt.Sprintf("driver = \"redis\"\nurl = %q\nprefix = %q\n", redistest.URL(), redistest.Prefix(t))
	} else if os.Getenv("CI") != "" {
		t.Fatal("CI: Redis is required")
	}
	for name, storeConf := range stores {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			outbox := filepath.Join(dir, "outbox.jsonl")
			if storeConf == "" {
				storeConf = fmt.Sprintf("path = %q\n", filepath.Join(dir, "otp.db"))
			}
			conf := fmt.Sprintf("[code]\nsecret = \"guard-race-test-secret-0123456789\"\n[guard]\nprefix_max_sends = 5\n[store]\n%s[delivery]\nprovider = \"outbox\"\n[delivery.outbox]\npath = %q\n", storeConf, outbox)
			config := filepath.Join(dir, "otp.toml")
			if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			const procs = 100
			codes := make([]int, procs)
			var wg sync.WaitGroup
			for i := range procs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := runOtp(t, dir, nil, "--config", config, "send", "--to", fmt.Sprintf("+1201555%04d", 100+i))
					codes[i] = r.code
					if r.code != 0 && r.code != 9 {
						t.Errorf("send %d: %v", i, r)
					}
				}()
			}
			wg.Wait()
			sent := 0
			for _, c := range codes {
				if c == 0 {
					sent++
				}
			}
			lines := 0
			if b, err := os.ReadFile(outbox); err == nil {
				for _, c := range b {
					if c == '\n' {
						lines++
					}
				}
			}
			if sent != 5 || lines != 5 {
				t.Errorf("%d sends succeeded and %d messages went out, want exactly 5", sent, lines)
			}
		})
	}
}
