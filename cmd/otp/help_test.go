package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/otpkit/otpkit/config"
)

// TestHelpConfig checks that "otp help config" documents every setting in
// its own section's block: a key's name must appear, as a word, between its
// [section] line and the next. The keys every provider takes (base_url,
// timeout) may instead be named once in the note that comes before the
// provider sections.
func TestHelpConfig(t *testing.T) {
	blocks := helpBlocks(configHelp())
	const note = "Every provider below also takes"
	i := strings.Index(configHelp(), note)
	if i < 0 {
		t.Fatalf("otp help config lost the note %q", note)
	}
	shared := configHelp()[i:]
	shared = shared[:strings.Index(shared, "\n\n")]
	for _, key := range config.Keys() {
		section, name := "", key
		if j := strings.Index(key, "] "); j >= 0 {
			section, name = key[1:j], key[j+2:]
		}
		word := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
		b, ok := blocks[section]
		switch {
		case !ok:
			t.Errorf("otp help config has no [%s] block (for %s)", section, key)
		case word.MatchString(b.text):
		case b.at > i && strings.HasPrefix(section, "delivery.") && word.MatchString(shared):
		default:
			t.Errorf("otp help config does not mention %s in its [%s] block", key, section)
		}
	}
}

type helpBlock struct {
	text string
	at   int // offset of the block's [section] line
}

// helpBlocks splits the help text at its "  [section]" lines.
func helpBlocks(text string) map[string]helpBlock {
	out := map[string]helpBlock{}
	header := regexp.MustCompile(`(?m)^  \[([a-z_.]+)\]`)
	name, start := "", 0
	for _, m := range header.FindAllStringSubmatchIndex(text, -1) {
		b := out[name]
		b.text += text[start:m[0]]
		out[name] = b
		name, start = text[m[2]:m[3]], m[0]
		out[name] = helpBlock{at: m[0]}
	}
	b := out[name]
	b.text += text[start:]
	out[name] = b
	return out
}
