// Package termsafe makes text that came from outside (a provider's message
// id, status or error body) safe to print on a terminal: control
// characters become visible escapes, so such text cannot move the cursor,
// clear the screen, set the window title or forge a line of output.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every C0 control (U+0000-U+001F, newline, carriage
// return and tab included), DEL (U+007F) and C1 control (U+0080-U+009F)
// written as a visible escape: \n, \r and \t by name, the other C0
// controls and DEL as \xHH, C1 controls as \u00HH, and each byte of
// invalid UTF-8 as \xHH. Everything else, backslashes included, is kept
// as it is, so Escape is idempotent and plain text is unchanged.
func Escape(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case r >= 0x80 && r <= 0x9f:
			b.WriteString(`\u00`)
			b.WriteString(hex2(byte(r)))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Safe reports whether s is valid UTF-8 without C0 controls, DEL or C1
// controls, so that Escape leaves it as it is.
func Safe(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || r <= 0x9f {
			return false
		}
		i += size
	}
	return true
}

func hex2(c byte) string {
	h := strconv.FormatUint(uint64(c), 16)
	if len(h) < 2 {
		h = "0" + h
	}
	return h
}

// JSON rewrites DEL and the C1 controls in encoded JSON as \u007f and
// \u0080-\u009f escapes: encoding/json writes them as they are (it
// escapes the C0 controls, U+2028 and U+2029, and replaces invalid UTF-8
// with U+FFFD). The JSON decodes to the same values. data must be valid
// JSON, where these characters can only be inside strings.
func JSON(data []byte) []byte {
	var out []byte // nil until a character is rewritten
	for i := 0; i < len(data); i++ {
		var esc string
		switch c := data[i]; {
		case c == 0x7f:
			esc = `\u007f`
		case c == 0xc2 && i+1 < len(data) && data[i+1] >= 0x80 && data[i+1] <= 0x9f:
			esc = `\u00` + hex2(data[i+1])
		default:
			if out != nil {
				out = append(out, c)
			}
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(data)+16), data[:i]...)
		}
		out = append(out, esc...)
		if esc != `\u007f` {
			i++
		}
	}
	if out == nil {
		return data
	}
	return out
}
