package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testApp returns an app whose files live in dir, reading stdin, and its
// output buffers.
func testApp(dir, stdin string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"HOME": dir, "XDG_STATE_HOME": filepath.Join(dir, "state"), "XDG_CONFIG_HOME": filepath.Join(dir, "config")}
	getenv := func(k string) string { return env[k] }
	return newApp(strings.NewReader(stdin), &stdout, &stderr, getenv, time.Now), &stdout, &stderr
}

// TestHugeInputs: a megabyte where a few characters are expected is one
// clear line on stderr and exit 2, with nothing stored. (A 1 MB argument
// cannot reach a real process, Linux refuses arguments over 128 KiB, so
// this runs the command in the test process.)
func TestHugeInputs(t *testing.T) {
	mb := strings.Repeat("1", 1<<20)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		config string // written to otp.toml and passed with --config, if set
		want   string // the whole stderr line
	}{
		{"send --to", []string{"send", "--to", "+" + mb}, "", "", "otp: invalid phone number: too long"},
		{"verify --to", []string{"verify", "--to", "+" + mb, "--code", "123456"}, "", "", "otp: invalid phone number: too long"},
		{"verify --code", []string{"verify", "--to", "+12015550123", "--code", mb}, "", "", "otp: invalid code: too long"},
		{"code on stdin", []string{"verify", "--to", "+12015550123", "--code", "-"}, mb + "\n", "", "otp: invalid code: too long"},
		{"code on stdin without newline", []string{"verify", "--to", "+12015550123", "--code", "-"}, mb, "", "otp: invalid code: too long"},
		{"config of comments", []string{"send", "--to", "+12015550123"}, "", "# " + mb + "\n",
			"otp: otp.toml: larger than 64 KiB, too large for a configuration file"},
		{"config with a huge template", []string{"send", "--to", "+12015550123"}, "", "[delivery]\nsms_template = \"{{.Code}} " + mb + "\"\n",
			"otp: otp.toml: larger than 64 KiB, too large for a configuration file"},
		{"config of one long line", []string{"purge"}, "", mb, "otp: otp.toml: larger than 64 KiB, too large for a configuration file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			args := tc.args
			if tc.config != "" {
				if err := os.WriteFile("otp.toml", []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"--config", "otp.toml"}, args...)
			}
			a, stdout, stderr := testApp(dir, tc.stdin)
			if code := run(a, args); code != exitUsage || stderr.String() != tc.want+"\n" || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %.100q, stderr %.200q; want exit 2 and %q", code, stdout, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "state")); !os.IsNotExist(err) {
				t.Errorf("the store directory was made (%v)", err)
			}
		})
	}
}
