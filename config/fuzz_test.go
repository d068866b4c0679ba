package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/otp"
	"github.com/rogpeppe/go-internal/txtar"
)

// FuzzLoad: whatever the configuration file holds, loading it and building
// the options, the channel, the store path, the providers and the store
// settings from it never panics, and every error is one line that wraps
// ErrConfig or otp.ErrInvalidOptions (the otp command's exit 2).
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	scripts, _ := filepath.Glob("../../cmd/otp/testdata/script/*.txtar")
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
		env := Env{Getenv: func(k string) string {
			if k == "HOME" {
				return dir
			}
			return ""
		}, Now: time.Now, Stderr: io.Discard}
		err := func() error {
			c, err := Load(path)
			if err != nil {
				return err
			}
			opts, err := c.Options(env)
			if err != nil {
				return err
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			ch, err := c.Channel()
			if err != nil {
				return err
			}
			storePath, err := c.StorePath("", env)
			if err != nil {
				return err
			}
			if _, err := c.Routes(env, storePath, ch); err != nil {
				return err
			}
			return c.checkStore(env, opts.Secret) // what OpenStore checks before it connects
		}()
		if err == nil {
			return
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || msg == "" {
			t.Errorf("error is not one line: %q", msg)
		}
		if !errors.Is(err, ErrConfig) && !errors.Is(err, otp.ErrInvalidOptions) {
			t.Errorf("error %q wraps neither ErrConfig nor otp.ErrInvalidOptions", err)
		}
	})
}
