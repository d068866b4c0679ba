package probe

import (
	"testing"

	"github.com/otpkit/otpkit/otp"
)

func TestCodeMatcher(t *testing.T) {
	m, err := NewCodeMatcher("", otp.Numeric, 6)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]struct {
		code      string
		whole, ok bool
	}{
		"Your otpkit code is 482913. It expires in 10 minutes.":          {"482913", true, true},
		"FreeMsg: Your otpkit code is 482913. It expires in 10 minutes.": {"482913", false, true},
		"Your otpkit code is 4829. It expires in 10 minutes.":            {"", false, false},
		"":                                {"", false, false},
		"otpkit route check bcdfghjkmnpq": {"", false, false},
		"Your Acme (EU) code is 000001. It expires in 1 hour.": {"000001", true, true},
	} {
		code, whole, ok := m.Code(text)
		if code != want.code || whole != want.whole || ok != want.ok {
			t.Errorf("%q: %q %t %t, want %+v", text, code, whole, ok, want)
		}
	}
	h, err := NewCodeMatcher("{{.AppName}}: {{.Spoken}}", otp.Hex, 4)
	if err != nil {
		t.Fatal(err)
	}
	if code, whole, ok := h.Code("acme: 0, A, f, 9"); code != "0Af9" || !whole || !ok {
		t.Errorf("spoken hex: %q %t %t", code, whole, ok)
	}
	if _, err := NewCodeMatcher("no code {{.AppName}}", otp.Numeric, 6); err == nil {
		t.Error("a template without the code was taken")
	}
}
