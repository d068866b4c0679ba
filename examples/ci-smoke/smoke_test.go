package cismoke

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/fakeapi"
	"github.com/otpkit/otpkit/otp"
)

// tool returns the path of a program the test needs. Where it is missing
// the test is skipped, or fails when CI=true: CI must run the example.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := "smoke.sh needs " + name + ", which is not installed: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// smokeTest is what the runs of smoke.sh in one test share.
type smokeTest struct {
	bash, otp string
	script    string
	// readers are the values of JQ to run the script with: "" for its bash
	// reader, and jq's path when jq is installed.
	readers []string
}

func newSmokeTest(t *testing.T) *smokeTest {
	s := &smokeTest{bash: tool(t, "bash"), readers: []string{""}}
	goBin := tool(t, "go")
	if jq, err := exec.LookPath("jq"); err == nil {
		s.readers = append(s.readers, jq)
	} else {
		t.Log("jq is not installed: only smoke.sh's bash reader is tested")
	}
	var err error
	if s.script, err = filepath.Abs("smoke.sh"); err != nil {
		t.Fatal(err)
	}
	s.otp = filepath.Join(t.TempDir(), "otp")
	build := exec.Command(goBin, "build", "-o", s.otp, "./cmd/otp")
	build.Dir = "../.." // the library's module, where cmd/otp is
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build otp: %v\n%s", err, out)
	}
	return s
}

func readerName(jq string) string {
	if jq == "" {
		return "bash"
	}
	return "jq"
}

// result is what one run of smoke.sh did.
type result struct {
	code           int
	stdout, stderr string
	out            string // $SMOKE_OUT
}

// run runs smoke.sh with args, in a new directory, with the environment
// of the test minus anything otp or the script reads, plus env.
func (s *smokeTest) run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	r := result{out: filepath.Join(dir, "smoke-out")}
	cmd := exec.CommandContext(t.Context(), s.bash, append([]string{s.script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "SMOKE_OUT="+r.out)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	t.Logf("smoke.sh %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

// cleanEnv is the test's environment without the variables otp, the
// providers and smoke.sh read.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		drop := slices.Contains([]string{"JQ", "WAIT", "GITHUB_STEP_SUMMARY"}, k)
		for _, p := range []string{"OTP_", "SMOKE_", "TWILIO_", "TELNYX_", "PLIVO_", "MESSAGEBIRD_"} {
			drop = drop || strings.HasPrefix(k, p)
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return env
}

// row is a row of the script's table.
type row struct {
	provider, channel, state, err string
}

// rowWant is a row expected in the table; err is a regular expression.
type rowWant struct {
	provider, channel, state, err string
}

func (w rowWant) match(r row) bool {
	return r.provider == w.provider && r.channel == w.channel && r.state == w.state && regexp.MustCompile(w.err).MatchString(r.err)
}

const tableHeader = "NUMBER            PROVIDER     CHANNEL  DELIVERY         SECONDS  ERROR"

var rowLine = regexp.MustCompile(`^(\S+) +(\S+) +(\S+) +(\S+) +(\S+)  (.+)$`)

// table reads the table smoke.sh printed: the rows by number, and the
// summary line under them.
func table(t *testing.T, stdout string) (map[string]row, string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) < 2 || lines[0] != tableHeader {
		t.Fatalf("stdout is not the table:\n%s", stdout)
	}
	rows := map[string]row{}
	for _, l := range lines[1 : len(lines)-1] {
		m := rowLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("table row %q is not NUMBER PROVIDER CHANNEL DELIVERY SECONDS ERROR", l)
		}
		if _, ok := rows[m[1]]; ok {
			t.Fatalf("table lists %s twice", m[1])
		}
		if secs, err := strconv.ParseFloat(m[5], 64); err != nil || secs < 0 {
			t.Errorf("row %q: seconds %q is not a number of seconds", l, m[5])
		}
		rows[m[1]] = row{provider: m[2], channel: m[3], state: m[4], err: m[6]}
	}
	return rows, lines[len(lines)-1]
}

// resultsFile checks that every line of results.jsonl is a JSON object and
// returns the objects of numbers (by "to"), how many status events each
// number got, and the summary object.
func resultsFile(t *testing.T, out string) (numbers map[string]map[string]any, events map[string]int, summary map[string]any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	numbers, events = map[string]map[string]any{}, map[string]int{}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, l := range lines {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("results.jsonl:%d is not JSON: %v\n%s", i+1, err, l)
		}
		to, _ := o["to"].(string)
		switch o["event"] {
		case "status":
			events[to]++
		case "summary":
			if i != len(lines)-1 {
				t.Errorf("results.jsonl:%d: the summary is not the last line", i+1)
			}
			summary = o
		case nil:
			if _, ok := numbers[to]; ok || to == "" {
				t.Errorf("results.jsonl:%d: a second object for %q", i+1, to)
			}
			numbers[to] = o
		default:
			t.Errorf("results.jsonl:%d: unknown event %v", i+1, o["event"])
		}
	}
	if summary == nil {
		t.Fatalf("results.jsonl has no summary:\n%s", data)
	}
	return numbers, events, summary
}

// numbersIn reads a numbers file as otp does, in E.164.
func numbersIn(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		n, err := otp.ParseNumber(line, "")
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, n)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSmoke runs smoke.sh as the README says: with the bundled numbers and
// the outbox (every route delivered); through twilio.toml.example against a
// fake Twilio API whose report fails one number and which refuses another,
// and with no report in time (the run fails and the table says which
// number and why); with a bad number; and with no otp at hand.
func TestSmoke(t *testing.T) {
	s := newSmokeTest(t)

	for _, jq := range s.readers {
		t.Run("outbox/"+readerName(jq), func(t *testing.T) {
			t.Parallel()
			stepSummary := filepath.Join(t.TempDir(), "step-summary.md")
			r := s.run(t, []string{"OTP_BIN=" + s.otp, "JQ=" + jq, "GITHUB_STEP_SUMMARY=" + stepSummary})
			if r.code != 0 {
				t.Fatalf("exit %d, want 0", r.code)
			}
			want := numbersIn(t, "numbers.txt")
			if len(want) < 4 {
				t.Fatalf("numbers.txt lists %d numbers; the example wants several countries", len(want))
			}

			rows, summary := table(t, r.stdout)
			for _, n := range want {
				if got, wantRow := rows[n], (row{"outbox", "sms", "delivered", "-"}); got != wantRow {
					t.Errorf("row of %s = %+v, want %+v", n, got, wantRow)
				}
			}
			if len(rows) != len(want) {
				t.Errorf("table has %d rows, want %d", len(rows), len(want))
			}
			k := len(want)
			if wantSummary := allDelivered(k); summary != wantSummary {
				t.Errorf("summary line %q, want %q", summary, wantSummary)
			}
			if !strings.Contains(r.stderr, "smoke: every route delivered; results in "+filepath.Join(r.out, "results.jsonl")) {
				t.Errorf("stderr does not say every route delivered:\n%s", r.stderr)
			}
			if saved, err := os.ReadFile(filepath.Join(r.out, "summary.txt")); err != nil || string(saved) != r.stdout {
				t.Errorf("summary.txt is not the table printed (%v):\n%s", err, saved)
			}
			if md, err := os.ReadFile(stepSummary); err != nil || !strings.Contains(string(md), "### SMS smoke test\n\n```\n"+r.stdout+"```\n") {
				t.Errorf("the job summary does not hold the table (%v):\n%s", err, md)
			}

			objs, events, sum := resultsFile(t, r.out)
			for _, n := range want {
				o := objs[n]
				if o["provider"] != "outbox" || o["channel"] != "sms" || o["delivery"] != "delivered" {
					t.Errorf("results.jsonl for %s: %v, want delivered by outbox", n, o)
				}
				if events[n] != 1 {
					t.Errorf("results.jsonl has %d status events for %s, want 1", events[n], n)
				}
			}
			if len(objs) != len(want) {
				t.Errorf("results.jsonl has %d numbers, want %d", len(objs), len(want))
			}
			wantSum := map[string]any{"event": "summary", "numbers": float64(k), "sent": float64(k), "failed": 0.0, "delivered": float64(k), "undelivered": 0.0, "exit_code": 0.0}
			if !maps.Equal(sum, wantSum) {
				t.Errorf("summary object %v, want %v", sum, wantSum)
			}

			// The outbox got one message per number, with its code.
			data, err := os.ReadFile(filepath.Join(r.out, "state", "outbox.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for l := range strings.Lines(string(data)) {
				var e outbox.Entry
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("outbox line %q: %v", l, err)
				}
				if e.Code == "" || !strings.Contains(e.Body, e.Code) {
					t.Errorf("outbox message to %s has no code: %q", e.To, e.Body)
				}
				got = append(got, e.To)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("the outbox got messages to\n\t%v\nwant one to each of\n\t%v", got, want)
			}
		})
	}

	// Through Twilio (its fake), configured by twilio.toml.example alone
	// plus base_url, with the credentials from the environment.
	example, err := os.ReadFile("twilio.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^\s*(account_sid|auth_token)\s*=`).Match(example) {
		t.Fatal("twilio.toml.example sets a credential; they belong in the environment")
	}
	const good, undeliverable, refused = "+12015550111", "+12015550112", "+12015550113"
	numbers := []string{good, undeliverable, refused}
	delivered := rowWant{"twilio", "sms", "delivered", `^-$`}
	// Any final report is too late with WAIT=1ms; the last status seen is
	// "sent", or none when the first lookup was cut short.
	tooLate := rowWant{"twilio", "sms", "unknown", `^no final status within 1ms \(last status "(sent)?"\)$`}
	cases := []struct {
		name    string
		wait    string
		code    int
		rows    map[string]rowWant
		summary string
	}{{
		// One number's report says it failed, another is refused at once:
		// exit 6, the worse of 8 and 6.
		name: "failures",
		wait: "1m",
		code: 6,
		rows: map[string]rowWant{
			good:          delivered,
			undeliverable: {"twilio", "sms", "failed", `^30003: the destination handset is unreachable \(off or out of coverage\)$`},
			refused:       {"twilio", "sms", "delivery_failed", `^delivery failed: twilio 21211: the 'To' number is not a valid phone number$`},
		},
		summary: "smoke: 3 numbers: 2 sent, 1 failed; 1 delivered, 1 not delivered",
	}, {
		// No report in time: exit 8.
		name:    "no report in time",
		wait:    "1ms",
		code:    8,
		rows:    map[string]rowWant{good: tooLate, undeliverable: tooLate},
		summary: "smoke: 2 numbers: 2 sent, 0 failed; 0 delivered, 2 not delivered",
	}}
	for _, c := range cases {
		for _, jq := range s.readers {
			t.Run("twilio/"+c.name+"/"+readerName(jq), func(t *testing.T) {
				t.Parallel()
				f := fakeapi.NewTwilio()
				t.Cleanup(f.Close)
				f.Undeliverable[undeliverable] = "30003"
				f.Invalid = []string{refused}
				dir := t.TempDir()
				cfg := filepath.Join(dir, "twilio.toml")
				withURL := strings.Replace(string(example), "[delivery.twilio]\n", "[delivery.twilio]\nbase_url = \""+f.URL()+"\"\n", 1)
				if err := os.WriteFile(cfg, []byte(withURL), 0o600); err != nil {
					t.Fatal(err)
				}
				var list []string
				for _, n := range numbers {
					if _, ok := c.rows[n]; ok {
						list = append(list, n)
					}
				}
				listFile := filepath.Join(dir, "numbers.txt")
				if err := os.WriteFile(listFile, []byte(strings.Join(list, "\n")+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				r := s.run(t, []string{"OTP_BIN=" + s.otp, "JQ=" + jq, "OTP_CONFIG=" + cfg, "WAIT=" + c.wait,
					"TWILIO_ACCOUNT_SID=" + fakeapi.TwilioAccountSID, "TWILIO_AUTH_TOKEN=" + fakeapi.TwilioAuthToken}, listFile)
				if r.code != c.code {
					t.Errorf("exit %d, want %d", r.code, c.code)
				}
				rows, summary := table(t, r.stdout)
				for n, want := range c.rows {
					if got, ok := rows[n]; !ok || !want.match(got) {
						t.Errorf("row of %s = %+v, want %+v", n, got, want)
					}
				}
				if len(rows) != len(c.rows) {
					t.Errorf("table has %d rows, want %d", len(rows), len(c.rows))
				}
				if summary != c.summary {
					t.Errorf("summary line %q, want %q", summary, c.summary)
				}
				if want := "smoke: FAILED: otp exited " + strconv.Itoa(c.code) + " ("; !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
				if strings.Contains(r.stdout+r.stderr, fakeapi.TwilioAuthToken) {
					t.Error("the auth token was printed")
				}
				objs, _, sum := resultsFile(t, r.out)
				if len(objs) != len(list) || sum["exit_code"] != float64(c.code) {
					t.Errorf("results.jsonl: %d numbers, summary %v", len(objs), sum)
				}

				// One run sent one message to each number, and no more.
				var sent []string
				for _, req := range f.Requests() {
					if req.Method == "POST" && strings.HasSuffix(req.Path, "/Messages.json") {
						sent = append(sent, req.Form.Get("To"))
					}
				}
				slices.Sort(sent)
				if !slices.Equal(sent, list) {
					t.Errorf("Twilio got messages to %v, want one to each of %v", sent, list)
				}
			})
		}
	}

	t.Run("bad number", func(t *testing.T) {
		t.Parallel()
		list := filepath.Join(t.TempDir(), "numbers.txt")
		if err := os.WriteFile(list, []byte("+1 201 555 0101\n+1 555 123 4567\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := s.run(t, []string{"OTP_BIN=" + s.otp}, list)
		if r.code != 2 {
			t.Errorf("exit %d, want 2", r.code)
		}
		for _, want := range []string{
			"otp: " + list + `:2: invalid phone number: "+1 555 123 4567" is not a valid number`,
			"smoke: FAILED: otp exited 2 (bad number, configuration or flag) before sending anything",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not say %q", want)
			}
		}
		if r.stdout != "" {
			t.Errorf("a table was printed for a run that sent nothing:\n%s", r.stdout)
		}
		if _, err := os.Stat(filepath.Join(r.out, "state", "outbox.jsonl")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("something was sent: %v", err)
		}
	})

	// With no OTP_BIN and no otp on PATH, the script builds otp from the
	// checkout it is in, as the workflow relies on.
	t.Run("builds otp", func(t *testing.T) {
		t.Parallel()
		var path []string
		for _, d := range filepath.SplitList(os.Getenv("PATH")) {
			if _, err := os.Stat(filepath.Join(d, "otp")); err != nil {
				path = append(path, d)
			}
		}
		repo, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		r := s.run(t, []string{"PATH=" + strings.Join(path, string(filepath.ListSeparator))})
		if r.code != 0 {
			t.Errorf("exit %d, want 0", r.code)
		}
		if want := "smoke: building otp from " + repo + "\n"; !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q", want)
		}
		if _, summary := table(t, r.stdout); summary != allDelivered(len(numbersIn(t, "numbers.txt"))) {
			t.Errorf("summary line %q, want every number delivered", summary)
		}
	})
}

// allDelivered is the summary line of a run where all k numbers were
// delivered.
func allDelivered(k int) string {
	return fmt.Sprintf("smoke: %d numbers: %d sent, 0 failed; %d delivered, 0 not delivered", k, k, k)
}
