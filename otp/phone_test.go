package otp

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in, region, want string
	}{
		{"+12015550123", "", "+12015550123"},
		{"+1 (201) 555-0123", "", "+12015550123"},
		{"+1.201.555.0123", "", "+12015550123"},
		{"  +1 201 555 0123  ", "", "+12015550123"},
		{"(201) 555-0123", "US", "+12015550123"},
		{"201-555-0123", "us", "+12015550123"},
		{"+44 20 7946 0018", "", "+442079460018"},
		{"0044 20 7946 0018", "", "+442079460018"},
		{"020 7946 0018", "GB", "+442079460018"},
		{"+49 30 123456", "US", "+4930123456"},
	}
	for _, tc := range tests {
		got, err := ParseNumber(tc.in, tc.region)
		if err != nil || got != tc.want {
			t.Errorf("ParseNumber(%q, %q) = %q, %v; want %q", tc.in, tc.region, got, err, tc.want)
		}
	}
	bad := []struct{ in, region, msg string }{
		{"", "US", "empty"},
		{"(201) 555-0123", "", "no country code"},
		{"+1 555 123 4567", "", "not a valid number"},
		{"+1 201 555", "", "not a valid number"},
		{"hello", "US", "hello"},
		{"+999 123", "", ""},
		{strings.Repeat("1", 5000), "US", "too long"},
	}
	for _, tc := range bad {
		got, err := ParseNumber(tc.in, tc.region)
		if !errors.Is(err, ErrInvalidNumber) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseNumber(%.20q, %q) = %q, %v; want ErrInvalidNumber mentioning %q", tc.in, tc.region, got, err, tc.msg)
		}
	}
}

// TestParseNumberCache: a number parsed again comes from the cache with
// the same result, bad numbers are never cached, and the cache stays
// within its bound.
func TestParseNumberCache(t *testing.T) {
	for range 2 {
		TestParseNumber(t)
	}
	if _, ok := numbers.get(numberKey{"+1 201 555", ""}); ok {
		t.Error("an invalid number was cached")
	}
	if v, ok := numbers.get(numberKey{"(201) 555-0123", "US"}); !ok || v != "+12015550123" {
		t.Errorf("cached %q, %v; want +12015550123", v, ok)
	}
	for i := range 2 * numbers.max {
		in := fmt.Sprintf("+1201%07d", 2_000_000+i)
		if got, err := ParseNumber(in, ""); got != in || err != nil {
			t.Fatalf("ParseNumber(%s) = %q, %v", in, got, err)
		}
	}
	numbers.mu.Lock()
	n := len(numbers.m)
	numbers.mu.Unlock()
	if n > numbers.max {
		t.Errorf("%d cached numbers, want at most %d", n, numbers.max)
	}
}

func TestNumberLineType(t *testing.T) {
	tests := map[string]LineType{
		"+12015550123":   LineFixedOrMobile,
		"+442079460018":  LineFixed,
		"+4915123456789": LineMobile,
		"garbage":        LineUnknown,
	}
	for in, want := range tests {
		if got := NumberLineType(in); got != want {
			t.Errorf("NumberLineType(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"+12015550123", "+1 (201) 555-0123", "201-555-0123", "0044 20 7946 0018", "+", "00", "+0", "++1", "\x00"} {
		f.Add(s, "US")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, in, region string) {
		if region != "" && !ValidRegion(region) {
			region = "US"
		}
		got, err := ParseNumber(in, region)
		if err != nil {
			if !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("error %v does not wrap ErrInvalidNumber", err)
			}
			return
		}
		if !strings.HasPrefix(got, "+") || strings.Trim(got[1:], "0123456789") != "" || len(got) > 16 {
			t.Fatalf("ParseNumber(%q, %q) = %q: not E.164", in, region, got)
		}
		if again, err := ParseNumber(got, ""); err != nil || again != got {
			t.Fatalf("E.164 output %q does not parse to itself: %q, %v", got, again, err)
		}
	})
}
