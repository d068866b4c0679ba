package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

const (
	clientsAccount = "AC0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	clientsToken   = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
)

// TestClientsNodePython runs the issue-12 story with Twilio's official Node
// SDK (npm twilio, installed by .ci/node.sh) and Python SDK (Debian's
// python3-twilio, installed by .ci/python.sh), unchanged, against a real
// `otp serve` process on loopback with the outbox provider; each script reads
// the codes from the outbox file. Each client is skipped when it is missing,
// except when CI=true, where it fails so a missing client cannot pass unseen.
func TestClientsNodePython(t *testing.T) {
	if testing.Short() {
		t.Skip("starts otp serve processes")
	}
	scripts, err := filepath.Abs("../../verifyapi/testdata/clients")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("node", func(t *testing.T) {
		modules, _ := filepath.Abs("../../.ci/node/node_modules")
		node, err := exec.LookPath("node")
		if err == nil {
			_, err = os.Stat(filepath.Join(modules, "twilio", "package.json"))
		}
		if err != nil {
			missingClient(t, "node or .ci/node/node_modules/twilio (run .ci/node.sh)", err)
		}
		runStory(t, []string{"NODE_PATH=" + modules}, node, filepath.Join(scripts, "story.js"))
	})
	t.Run("python", func(t *testing.T) {
		const python = "/usr/bin/python3"
		if out, err := exec.Command(python, "-c", "import twilio.rest").CombinedOutput(); err != nil {
			missingClient(t, "python3-twilio (run .ci/python.sh)", fmt.Errorf("%v: %s", err, bytes.TrimSpace(out)))
		}
		runStory(t, nil, python, filepath.Join(scripts, "story.py"))
	})
}

func missingClient(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI needs %s: %v", what, err)
	}
	t.Skipf("%s missing: %v", what, err)
}

// runStory starts otp serve and runs prog script BASE_URL OUTBOX against it,
// with the SDKs' own credential variables set to the server's pair.
func runStory(t *testing.T, env []string, prog, script string) {
	base, box := startServeProcess(t)
	cmd := exec.Command(prog, script, base, box)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "TWILIO_ACCOUNT_SID="+clientsAccount, "TWILIO_AUTH_TOKEN="+clientsToken,
		// Nothing may reach the network: no proxy, loopback only.
		"HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=", "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1")
	out, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", filepath.Base(script), out)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(script), err)
	}
	if !bytes.Contains(out, []byte(filepath.Base(script)+": ok")) {
		t.Fatalf("%s did not finish its story", filepath.Base(script))
	}
}

// startServeProcess runs `otp serve` (this test binary, as in the scripts, on the
// test clock) with a file store and the outbox provider on a free loopback
// port, waits for /healthz, and stops it with SIGINT at the end of the test.
// It returns the base URL and the outbox path.
func startServeProcess(t *testing.T) (string, string) {
	t.Helper()
	otpBin, err := exec.LookPath("otp")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	box := filepath.Join(dir, "outbox.jsonl")
	conf := filepath.Join(dir, "otp.toml")
	toml := fmt.Sprintf("[store]\npath = %q\n[delivery]\nprovider = \"outbox\"\n[delivery.outbox]\npath = %q\n",
		filepath.Join(dir, "otp.db"), box)
	if err := os.WriteFile(conf, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeLoopback(t)
	cmd := exec.Command(otpBin, "--config", conf, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(),
		"HOME="+dir, "XDG_STATE_HOME="+dir, "XDG_CONFIG_HOME="+dir, "OTP_CONFIG=", "OTP_SECRET=",
		"OTP_TEST_NOW=+0s", testclock.EnvBase+"="+testclock.Base().Format(time.RFC3339),
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
		"OTP_SERVE_ACCOUNT_SID="+clientsAccount, "OTP_SERVE_AUTH_TOKEN="+clientsToken)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("otp serve: %v\n%s", err, logs.String())
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("otp serve did not stop on SIGINT\n%s", logs.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second) // a wait for a process, not a record time
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, box
			}
		}
		select {
		case err := <-done:
			t.Fatalf("otp serve exited: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("otp serve did not answer /healthz on %s\n%s", addr, logs.String())
		}
	}
}

// freeLoopback returns a loopback address with a port that was free a moment ago.
func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// syncBuffer is a bytes.Buffer a process and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
