package termsafe

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"SM0123456789abcdef", "SM0123456789abcdef"},
		{`C:\path\x1b`, `C:\path\x1b`}, // backslashes are kept: already visible
		{"héllo wörld € 日本", "héllo wörld € 日本"},
		{"\u00a0\u2028\u202e", "\u00a0\u2028\u202e"}, // not controls in this sense
		{"m1\x1b[2K\r\napproved", `m1\x1b[2K\r\napproved`},
		{"\x1b]0;title\x07\x1b[2J", `\x1b]0;title\x07\x1b[2J`},
		{"a\tb\x00c\x08d\x7fe", `a\tb\x00c\x08d\x7fe`},
		{"\x1f \x20", `\x1f  `},
		{"\u0080x\u009b31m\u009f", `\u0080x\u009b31m\u009f`},
		{"\u00a0\u00ff", "\u00a0\u00ff"},
		{"bad\xffutf8\xc2", `bad\xffutf8\xc2`},
		{"\x9b31m", `\x9b31m`},           // a lone C1 byte is invalid UTF-8
		{"\xe2\x82", `\xe2\x82`},         // a cut sequence, byte by byte
		{"\xed\xa0\x80", `\xed\xa0\x80`}, // a surrogate is invalid UTF-8
		{"\ufffd", "\ufffd"},             // a real U+FFFD is kept
	} {
		got := Escape(c.in)
		if got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if Safe(c.in) != (c.in == c.want) {
			t.Errorf("Safe(%q) = %v", c.in, Safe(c.in))
		}
		if !Safe(got) {
			t.Errorf("Safe(Escape(%q)) = false", c.in)
		}
		if again := Escape(got); again != got {
			t.Errorf("Escape is not idempotent on %q: %q", got, again)
		}
	}
}

// Every byte value on its own and after a lead byte: what Escape returns
// never holds a control byte, DEL or a C1 control.
func TestEscapeAllBytes(t *testing.T) {
	for i := 0; i < 256; i++ {
		for _, s := range []string{string([]byte{byte(i)}), "\xc2" + string([]byte{byte(i)})} {
			got := Escape(s)
			for _, r := range got {
				if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0xfffd && s != "\ufffd" {
					t.Errorf("Escape(%q) = %q holds %U", s, got, r)
				}
			}
		}
	}
}

func TestJSON(t *testing.T) {
	in := map[string]string{"id": "m1\x1b[2K\r\napproved", "c1": "x\u009b2Jy\u0085\u0080\u009f", "del": "a\x7fb", "ok": "é\u00a0€\u2028"}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		t.Fatal(err)
	}
	out := JSON(buf.Bytes())
	for _, b := range [][]byte{{0x1b}, {'\r'}, {0x7f}, {0xc2, 0x9b}, {0xc2, 0x85}, {0xc2, 0x80}, {0xc2, 0x9f}, []byte("\u2028")} {
		if bytes.Contains(out, b) {
			t.Errorf("JSON output holds %q raw: %s", b, out)
		}
	}
	if !bytes.Contains(out, []byte(`x\u009b2Jy\u0085\u0080\u009f`)) || !bytes.Contains(out, []byte(`a\u007fb`)) || !bytes.Contains(out, []byte("é\u00a0€")) {
		t.Errorf("JSON output = %s", out)
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("JSON output is not JSON: %v\n%s", err, out)
	}
	for k, v := range in {
		if back[k] != v {
			t.Errorf("%s decodes to %q, want %q", k, back[k], v)
		}
	}
	plain := []byte(`{"a":"b"}` + "\n")
	if got := JSON(plain); &got[0] != &plain[0] {
		t.Errorf("JSON copied plain output")
	}
}
