package main

import (
	"strings"
	"testing"

	"github.com/otpkit/otpkit/config"
)

// TestHelpConfig checks that "otp help config" mentions every setting.
func TestHelpConfig(t *testing.T) {
	for _, key := range config.Keys() {
		name := key[strings.LastIndex(key, " ")+1:]
		if !strings.Contains(configHelp(), name) {
			t.Errorf("otp help config does not mention %s", key)
		}
	}
}
