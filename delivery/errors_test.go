package delivery

import (
	"errors"
	"strings"
	"testing"
)

func TestProviderErrorLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    ProviderError
		want string
	}{
		{ProviderError{Provider: "twilio", Code: "21608", Message: "the number is unverified; trial accounts can only send to verified numbers", HTTPStatus: 400},
			"twilio 21608: the number is unverified; trial accounts can only send to verified numbers"},
		{ProviderError{Provider: "plivo", Message: "invalid dst\nparameter", HTTPStatus: 400}, "plivo (HTTP 400): invalid dst parameter"},
		{ProviderError{Provider: "x"}, "x: request refused"},
		{ProviderError{Provider: "x", Code: "1", Message: strings.Repeat("é", 400)}, "x 1: " + strings.Repeat("é", 150) + "…"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant      %q", got, tt.want)
		}
	}
}

func TestConfigError(t *testing.T) {
	t.Parallel()
	err := error(&ConfigError{Provider: "twilio", Field: "AuthToken", Problem: "is required"})
	if err.Error() != "twilio: AuthToken is required" || !errors.Is(err, ErrConfig) {
		t.Errorf("err = %v", err)
	}
}

func TestStateFinal(t *testing.T) {
	t.Parallel()
	if StatePending.Final() || !StateDelivered.Final() || !StateFailed.Final() {
		t.Error("Final is wrong")
	}
}

// TestProviderErrorEscapes: a provider's text cannot reach a terminal raw
// through Error, whichever client built the error (Twilio's SDK included).
func TestProviderErrorEscapes(t *testing.T) {
	e := &ProviderError{Provider: "twilio", Code: "2\x1b[2J", Message: "bad \x1b]0;owned\x07 number\r\napproved"}
	got := e.Error()
	if strings.ContainsAny(got, "\x1b\x07\r\n") {
		t.Fatalf("Error() = %q: raw control characters", got)
	}
	if want := `twilio 2\x1b[2J: bad \x1b]0;owned\x07 number approved`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
