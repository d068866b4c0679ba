package msgid

import (
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	a, b := New("x-"), New("x-")
	if a == b || !regexp.MustCompile(`^x-[0-9a-f]{24}$`).MatchString(a) {
		t.Fatalf("New: %q, %q", a, b)
	}
}
