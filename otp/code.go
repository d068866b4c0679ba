package otp

import (
	"crypto/rand"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Format is the alphabet of a code.
type Format int

// The code formats.
const (
	Numeric Format = iota // digits 0-9 (the default)
	Hex                   // 0-9 and A-F; checked case-insensitively

	// alphanumeric is the alphabet of custom codes (ParseCustomCode), for
	// reading typed input only: 0-9 and A-Z, case-insensitively.
	alphanumeric Format = -1
)

// String returns "numeric" or "hex".
func (f Format) String() string {
	switch f {
	case Numeric:
		return "numeric"
	case Hex:
		return "hex"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format named s: "numeric" or "hex"; any other
// name is an error wrapping [ErrInvalidOptions].
func ParseFormat(s string) (Format, error) {
	switch s {
	case "numeric":
		return Numeric, nil
	case "hex":
		return Hex, nil
	}
	return 0, fmt.Errorf("%w: unknown code format %q (want numeric or hex)", ErrInvalidOptions, s)
}

// The bounds of a code's length.
const (
	MinLength = 4
	MaxLength = 10
)

// maxCodeInput bounds what NormalizeCode reads, so huge input fails fast.
const maxCodeInput = 64

// Generate returns a new random code of the given format and length, read
// from crypto/rand. Every code is equally likely: digits come from rejection
// sampling (bytes of 250 and above are drawn again), hex digits from whole
// nibbles.
func Generate(f Format, length int) (string, error) {
	if length < MinLength || length > MaxLength {
		return "", fmt.Errorf("%w: code length %d is not within %d-%d", ErrInvalidOptions, length, MinLength, MaxLength)
	}
	const hexDigits = "0123456789ABCDEF"
	out := make([]byte, 0, length)
	var buf [32]byte
	for len(out) < length {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("otp: read random: %w", err)
		}
		for _, b := range buf {
			if len(out) == length {
				break
			}
			switch f {
			case Hex:
				out = append(out, hexDigits[b&0x0f])
			case Numeric:
				if b < 250 { // 250 = 25*10: keep only bytes that map evenly onto 0-9
					out = append(out, '0'+b%10)
				}
			default:
				return "", fmt.Errorf("%w: unknown code format %v", ErrInvalidOptions, f)
			}
		}
	}
	return string(out), nil
}

// NormalizeCode returns the code in the form it was generated in: spaces and
// dashes that people type inside a code are dropped and, for Hex, letters
// are upper-cased. Input with any other character, empty input and input
// longer than a code could be are errors wrapping [ErrInvalidCode]; a code
// of the right alphabet but the wrong length is returned as is (it is
// simply a wrong code).
func NormalizeCode(f Format, input string) (string, error) {
	if len(input) > maxCodeInput {
		return "", fmt.Errorf("%w: too long", ErrInvalidCode)
	}
	var b strings.Builder
	b.Grow(len(input))
	for _, r := range input {
		switch {
		case r == ' ' || r == '-' || r == '\t' || r == '\u00a0':
			continue
		case r >= '0' && r <= '9':
		case f == Hex && r >= 'a' && r <= 'f':
			r -= 'a' - 'A'
		case f == Hex && r >= 'A' && r <= 'F':
		case f == alphanumeric && r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case f == alphanumeric && r >= 'A' && r <= 'Z':
		default:
			return "", fmt.Errorf("%w: unexpected character %q in a %s code", ErrInvalidCode, r, f)
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("%w: empty", ErrInvalidCode)
	}
	if b.Len() > MaxLength {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidCode, MaxLength)
	}
	return b.String(), nil
}

// Spoken returns the code as it should be read out: one character at a
// time, separated so a text-to-speech voice does not read "123456" as a
// number ("1, 2, 3, 4, 5, 6").
func Spoken(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ParseCustomCode checks a caller-chosen code (SendRequest.Code) and
// returns it in the form its hash is made of: 4 to 10 characters, each an
// ASCII digit or letter, letters upper-cased. Anything else (spaces and
// dashes included) is an error wrapping [ErrInvalidOptions].
//
// A custom code is compared with what the person types as generated codes
// are: [Service.Verify] drops the spaces and dashes typed inside it and
// reads letters in either case, so "ab12cd" and "AB-12-CD" match "Ab12Cd".
// Letters other than a Hex code's A-F are read only by a service with
// Options.CustomCodeLetters ([Service.CheckCustomCode] refuses them
// otherwise).
func ParseCustomCode(code string) (string, error) {
	if len(code) < MinLength || len(code) > MaxLength {
		return "", fmt.Errorf("%w: custom code: %d characters, want %d to %d", ErrInvalidOptions, utf8.RuneCountInString(code), MinLength, MaxLength)
	}
	b := []byte(code)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			b[i] = c - ('a' - 'A')
		default:
			// The character is not shown: it is part of a code.
			return "", fmt.Errorf("%w: custom code: only ASCII digits and letters are allowed", ErrInvalidOptions)
		}
	}
	return string(b), nil
}

// normalizeTyped reads a code typed back for [Service.Verify] with
// Options.CustomCodeLetters: as
// [NormalizeCode] does for the format and, when that refuses only ASCII
// letters the format does not use (which a custom code may have), with
// every letter upper-cased. Other characters are still ErrInvalidCode.
func normalizeTyped(f Format, input string) (string, error) {
	code, err := NormalizeCode(f, input)
	if err == nil {
		return code, nil
	}
	if alt, aerr := NormalizeCode(alphanumeric, input); aerr == nil {
		return alt, nil
	}
	return "", err
}
