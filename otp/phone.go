package otp

import (
	"fmt"
	"strings"
	"sync"

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
	key := numberKey{raw, region}
	if e164, ok := numbers.get(key); ok {
		return e164, nil
	}
	n, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %s", ErrInvalidNumber, raw, strings.ToLower(err.Error()))
	}
	info := readNumber(n)
	if !info.valid {
		return "", fmt.Errorf("%w: %q is not a valid number", ErrInvalidNumber, raw)
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	numbers.put(key, e164)
	factsCache.put(e164, factsOf(info))
	return e164, nil
}

// numbers remembers the numbers ParseNumber found valid lately. A server
// parses each number at least twice, at the send and at the verification,
// and libphonenumber's parsing is most of the CPU time a Send or a Verify
// takes when the store is fast.
var numbers = cache[numberKey, string]{max: 4096}

type numberKey struct{ raw, region string }

// cache is a bounded map (inputs to their E.164 form, numbers to what the
// guard reads of them). When full, it forgets an arbitrary entry for each
// new one, so its size stays bounded whatever numbers it is given.
type cache[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]V
	max int
}

func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *cache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[K]V, c.max)
	}
	if len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
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
	switch readNumber(n).typ {
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

// ValidRegion reports whether region is one libphonenumber knows.
func ValidRegion(region string) bool {
	_, ok := phonenumbers.GetSupportedRegions()[strings.ToUpper(region)]
	return ok
}
