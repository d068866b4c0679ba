package otp

import (
	"errors"
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
		if region != "" && !validRegion(region) {
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
