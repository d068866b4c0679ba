//go:build unix

package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestInterruptedSendsAreCounted is the attack of issue 9 item 1 against the
// otp command: a gateway (the webhook provider) that answers only after 2 s,
// and eight `otp send` runs each interrupted with SIGINT once the gateway
// has the message. A send cut off after the request was written may have
// reached the phone, so it must count: the first one is kept (its code
// verifies) and the cooldown refuses the rest before they reach the
// gateway. Before the fix each interrupted send was refunded, so the
// gateway got eight messages and a ninth send still went through.
func TestInterruptedSendsAreCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the otp command against a slow gateway")
	}
	var (
		mu    sync.Mutex
		codes []string
		got   = make(chan struct{}, 16)
	)
	release := make(chan struct{})
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct{ Code string }
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		codes = append(codes, m.Code)
		n := len(codes)
		mu.Unlock()
		got <- struct{}{}
		select { // the slow gateway: 2 s, or until the test ends
		case <-time.After(2 * time.Second):
		case <-release:
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"gw-%d","status":"queued"}`, n)
	}))
	defer gw.Close()
	defer close(release)

	dir := t.TempDir()
	config := filepath.Join(dir, "otp.toml")
	conf := fmt.Sprintf(`[store]
path = %q
[delivery]
provider = "webhook"
[delivery.webhook]
url = %q
secret = "whsec-0123456789abcdef"
`, filepath.Join(dir, "otp.db"), gw.URL)
	if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	const to = "+12015550123"
	for i := range 8 {
		cmd := otpCmd(t, dir, "--config", config, "send", "--to", to, "--json")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-got: // the gateway has the message: cut the send off
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			<-exited
		case err := <-exited: // refused before it reached the gateway
			if i == 0 {
				t.Fatalf("the first send ended before reaching the gateway: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 5 {
				t.Errorf("send %d: exit %d, want 5 (cooldown): %s%s", i+1, code, stdout.String(), stderr.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("send %d did not end", i+1)
		}
	}
	r := runOtp(t, dir, nil, "--config", config, "send", "--to", to, "--json")
	if r.code != 5 {
		t.Errorf("a ninth send: %v, want exit 5 (the cut-off sends count)", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(codes) != 1 {
		t.Fatalf("the gateway got %d messages, want 1", len(codes))
	}
	// The code that was cut off may be on the phone: it still verifies.
	if r := runOtp(t, dir, nil, "--config", config, "verify", "--to", to, "--code", codes[0]); r.code != 0 {
		t.Errorf("verify the cut-off send's code: %v, want approved", r)
	}
}
