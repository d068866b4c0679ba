package delivery

import (
	"errors"
	"strings"
	"testing"
)

func TestParseChannel(t *testing.T) {
	for _, c := range []Channel{SMS, Voice} {
		if got, err := ParseChannel(string(c)); err != nil || got != c {
			t.Errorf("ParseChannel(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseChannel("fax"); !errors.Is(err, ErrUnknownChannel) || !strings.Contains(err.Error(), `"fax"`) {
		t.Errorf("ParseChannel(fax) = %v", err)
	}
}
