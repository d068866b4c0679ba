package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// The committed man pages are regenerated with this command; after adding
// or changing a command or flag, run it and commit docs/man.
const regenerateMan = "go test ./cmd/otp -run TestManPages -update-man"

var updateMan = flag.Bool("update-man", false, "rewrite docs/man from the commands")

// genMan writes one page per command (help topics included) into dir.
func genMan(t *testing.T, dir string) {
	t.Helper()
	root := newRootCmd(newApp(nil, &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }, time.Now))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // fixed, so pages do not change by themselves
	header := &doc.GenManHeader{Title: "OTP", Section: "1", Source: "otpkit", Manual: "otpkit manual", Date: &date}
	if err := doc.GenManTree(root, header, dir); err != nil {
		t.Fatal(err)
	}
	// Help topics have no Run, so GenManTree skips them: write them too.
	for _, c := range root.Commands() {
		if c.Runnable() || c.HasSubCommands() || c.Name() == "help" {
			continue
		}
		c.DisableAutoGenTag = true
		f, err := os.Create(filepath.Join(dir, "otp-"+c.Name()+".1"))
		if err != nil {
			t.Fatal(err)
		}
		h := *header
		if err := doc.GenMan(c, &h, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// allCommands is every command and help topic, by man page name.
func allCommands(c *cobra.Command, out map[string]bool) {
	if c.Hidden || c.Name() == "help" { // "otp help" is cobra's own; its page would be otp.1
		return
	}
	out[strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"] = true
	for _, s := range c.Commands() {
		allCommands(s, out)
	}
}

// TestManPages: docs/man holds exactly the pages the commands generate,
// one per command and help topic.
func TestManPages(t *testing.T) {
	want := filepath.Join("..", "..", "docs", "man")
	if *updateMan {
		os.RemoveAll(want)
		if err := os.MkdirAll(want, 0o755); err != nil {
			t.Fatal(err)
		}
		genMan(t, want)
	}
	dir := t.TempDir()
	genMan(t, dir)
	gen, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	committed, _ := filepath.Glob(filepath.Join(want, "*.1"))
	if len(gen) != len(committed) {
		t.Errorf("docs/man has %d pages, the commands make %d; run: %s", len(committed), len(gen), regenerateMan)
	}
	for _, g := range gen {
		a, _ := os.ReadFile(g)
		b, err := os.ReadFile(filepath.Join(want, filepath.Base(g)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("docs/man/%s is missing or stale; run: %s", filepath.Base(g), regenerateMan)
		}
	}
	root := newRootCmd(newApp(nil, &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }, time.Now))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	names := map[string]bool{}
	allCommands(root, names)
	for n := range names {
		if _, err := os.Stat(filepath.Join(want, n)); err != nil {
			t.Errorf("no man page docs/man/%s; run: %s", n, regenerateMan)
		}
	}
	// The help topics' text is in their pages.
	for _, topic := range []struct{ page, text string }{{"otp-config.1", "max_attempts"}, {"otp-exit-codes.1", "store error"}} {
		b, _ := os.ReadFile(filepath.Join(want, topic.page))
		if !bytes.Contains(b, []byte(topic.text)) {
			t.Errorf("docs/man/%s lacks %q", topic.page, topic.text)
		}
	}
}
