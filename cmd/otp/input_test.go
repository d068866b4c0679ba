package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
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

// FuzzConfig: whatever the configuration file holds, loading it and
// turning it into options, a channel, a store and a provider never panics,
// and every error is one line that exits 2.
func FuzzConfig(f *testing.F) {
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	scripts, _ := filepath.Glob("testdata/script/*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".toml") {
				f.Add(file.Data)
			}
		}
	}
	f.Add([]byte("[limits]\nmax_sends = 3\nsend_window = \"0s\"\n[store]\ndriver = \"redis\"\n"))
	f.Add([]byte("[code]\nttl = \"-5m\"\nformat = \"hex\"\nlength = 10\n[phone]\ndefault_region = \"gb\"\n"))
	f.Add([]byte("\"a\\nb\" = 1\n[\"x\\ny\"]\nz = 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "otp.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a, _, _ := testApp(dir, "")
		err := func() error {
			e, err := a.load(&globalFlags{config: path})
			if err != nil {
				return err
			}
			ch, err := e.cfg.channel("")
			if err != nil {
				return err
			}
			storePath, err := e.cfg.storePath("", a)
			if err != nil {
				return err
			}
			if _, err := e.cfg.sender(a, storePath, sendPlan{channel: ch}); err != nil {
				return err
			}
			if d := e.cfg.Store.Driver; d != "" && d != "file" {
				_, err := openStore(e.cfg, storePath) // an unknown driver opens nothing
				return err
			}
			return nil
		}()
		if err == nil {
			return
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || msg == "" {
			t.Errorf("error is not one line: %q", msg)
		}
		if code, _ := classify(err); code != exitUsage {
			t.Errorf("error %q exits %d, want %d", err, code, exitUsage)
		}
	})
}
