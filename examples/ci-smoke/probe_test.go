package cismoke

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/fakeapi"
	"github.com/otpkit/otpkit/internal/testclock"
)

// TestProbe runs probe.sh as a user would, configured by
// probe.toml.example alone plus base_url, against a local fake of Twilio's
// API whose account owns the numbers probed: an honest route (exit 0, the
// JUnit file and the job summary), and a route that loses the message but
// reports it delivered (exit 8, fake_dlr). Polling every 2s, as otp does, it
// takes a few seconds.
func TestProbe(t *testing.T) {
	s := newSmokeTest(t)
	var err error
	if s.script, err = filepath.Abs("probe.sh"); err != nil {
		t.Fatal(err)
	}
	// The fake dates its messages on the test clock: so must otp, built with
	// the otptestclock tag (release builds have no such clock).
	s.otp = filepath.Join(t.TempDir(), "otp")
	build := exec.Command(tool(t, "go"), "build", "-tags", "otptestclock", "-o", s.otp, "./cmd/otp")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build otp: %v\n%s", err, out)
	}
	example, err := os.ReadFile("probe.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^\s*(account_sid|auth_token)\s*=`).Match(example) {
		t.Fatal("probe.toml.example sets a credential; they belong in the environment")
	}
	const honest, lost = "+12015550121", "+12015550122"
	for _, c := range []struct {
		name    string
		routes  map[string]fakeapi.Route
		code    int
		lines   []string
		junit   string
		stderr  string
		summary string
	}{{
		name:    "honest",
		routes:  map[string]fakeapi.Route{honest: fakeapi.RouteHonest},
		code:    0,
		lines:   []string{`^\+12015550121: ok: twilio sms, message SM[0-9a-f]{32}, receipt delivered; arrived in 2s from \+12015550100, text intact$`},
		junit:   `<testsuite name="otp probe" tests="1" failures="0">`,
		stderr:  `probe: every probe arrived intact and in time`,
		summary: `### otp probe: 1 of 1 ok`,
	}, {
		name:    "lost",
		routes:  map[string]fakeapi.Route{honest: fakeapi.RouteHonest, lost: fakeapi.RouteLost},
		code:    8,
		lines:   []string{`^\+12015550121: ok: `, `^\+12015550122: fake_dlr: twilio sms, message SM[0-9a-f]{32}, receipt delivered; nothing arrived within 5s, but the receipt says delivered$`},
		junit:   `<testsuite name="otp probe" tests="2" failures="1">`,
		stderr:  `probe: FAILED: otp exited 8`,
		summary: `\| \+12015550122 \| 1 \| twilio sms \| SM[0-9a-f]{32} \| delivered \| \*\*fake_dlr\*\* \|`,
	}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := fakeapi.NewTwilio()
			t.Cleanup(f.Close)
			f.Owned = c.routes
			dir := t.TempDir()
			cfg := filepath.Join(dir, "probe.toml")
			withURL := strings.Replace(string(example), "[delivery.twilio]\n", "[delivery.twilio]\nbase_url = \""+f.URL()+"\"\n", 1)
			if err := os.WriteFile(cfg, []byte(withURL), 0o600); err != nil {
				t.Fatal(err)
			}
			var list []string
			for n := range c.routes {
				list = append(list, n)
			}
			listFile := filepath.Join(dir, "numbers.txt")
			if err := os.WriteFile(listFile, []byte("# owned\n"+strings.Join(list, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			stepSummary := filepath.Join(dir, "step-summary.md")
			r := s.run(t, []string{"OTP_BIN=" + s.otp, "OTP_CONFIG=" + cfg, "TIMEOUT=5s", "GITHUB_STEP_SUMMARY=" + stepSummary,
				"OTP_TEST_NOW=+0s", testclock.EnvBase + "=" + testclock.Base().Format(time.RFC3339),
				"TWILIO_ACCOUNT_SID=" + fakeapi.TwilioAccountSID, "TWILIO_AUTH_TOKEN=" + fakeapi.TwilioAuthToken}, listFile)
			if r.code != c.code {
				t.Errorf("exit %d, want %d", r.code, c.code)
			}
			for _, re := range c.lines {
				if !regexp.MustCompile(`(?m)` + re).MatchString(r.stdout) {
					t.Errorf("stdout has no line matching %s", re)
				}
			}
			if n := strings.Count(r.stdout, "\n"); n != len(c.lines) {
				t.Errorf("stdout has %d lines, want %d", n, len(c.lines))
			}
			if txt, _ := os.ReadFile(filepath.Join(r.out, "probe.txt")); string(txt) != r.stdout {
				t.Errorf("probe.txt %q, want stdout", txt)
			}
			if x, _ := os.ReadFile(filepath.Join(r.out, "probe.xml")); !strings.Contains(string(x), c.junit) {
				t.Errorf("probe.xml:\n%s\nwant %s", x, c.junit)
			}
			if !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("stderr lacks %q", c.stderr)
			}
			if md, _ := os.ReadFile(stepSummary); !regexp.MustCompile(c.summary).Match(md) {
				t.Errorf("job summary:\n%s\nwant %s", md, c.summary)
			}
			if strings.Contains(r.stdout+r.stderr, fakeapi.TwilioAuthToken) {
				t.Error("the auth token was printed")
			}
		})
	}
	// Without a configuration there is no account to read back from.
	r := s.run(t, nil, "numbers.txt")
	if r.code != 2 || !strings.Contains(r.stderr, "set OTP_CONFIG") {
		t.Errorf("no OTP_CONFIG: exit %d, %q", r.code, r.stderr)
	}
}
