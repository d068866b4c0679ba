package otp

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxNumberInput bounds what ParseNumber reads; libphonenumber itself
// refuses more than 250 characters.
const maxNumberInput = 64

// ParseNumber returns the E.164 form ("+12015550123") of a phone number
// written the way people write them: "+1 (201) 555-0123", "+1.201.555.0123",
// "00 44 20 7946 0018". A number without a country code is read as a number
// of region (an ISO 3166 code such as "US"); with region "" it is an error.
// Numbers that are not valid for their region are errors wrapping
// [ErrInvalidNumber].
func ParseNumber(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidNumber)
	}
	if len(raw) > maxNumberInput {
		return "", fmt.Errorf("%w: too long", ErrInvalidNumber)
	}
	if !strings.ContainsAny(raw, "0123456789") {
		return "", fmt.Errorf("%w: %q is not a phone number", ErrInvalidNumber, raw)
	}
	if region == "" {
		switch {
		case strings.HasPrefix(raw, "+"):
		case strings.HasPrefix(raw, "00"):
			// 00 is the international prefix almost everywhere.
			raw = "+" + raw[2:]
		default:
			return "", fmt.Errorf("%w: %q has no country code (write it as +<country code> or set a default region)", ErrInvalidNumber, raw)
		}
	}
	n, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %s", ErrInvalidNumber, raw, strings.ToLower(err.Error()))
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("%w: %q is not a valid number", ErrInvalidNumber, raw)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// LineType is the kind of line a number belongs to, from libphonenumber's
// metadata.
type LineType int

// The line types.
const (
	LineUnknown         LineType = iota // the metadata does not say
	LineMobile                          // a mobile number: takes SMS
	LineFixed                           // a fixed line: cannot take SMS, can take a call
	LineFixedOrMobile                   // the numbering plan does not tell them apart (US, CA)
	LineVoIP                            // a VoIP number
	LineTollFreeOrOther                 // toll free, premium, shared cost, pager, ...
)

// NumberLineType returns the line type of an E.164 number.
func NumberLineType(e164 string) LineType {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return LineUnknown
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE:
		return LineMobile
	case phonenumbers.FIXED_LINE:
		return LineFixed
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return LineFixedOrMobile
	case phonenumbers.VOIP:
		return LineVoIP
	case phonenumbers.UNKNOWN:
		return LineUnknown
	}
	return LineTollFreeOrOther
}

// validRegion reports whether region is one libphonenumber knows.
func validRegion(region string) bool {
	_, ok := phonenumbers.GetSupportedRegions()[strings.ToUpper(region)]
	return ok
}
