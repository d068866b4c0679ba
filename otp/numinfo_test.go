package otp

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestReadNumberMatchesLibphonenumber checks readNumber against
// libphonenumber's own IsValidNumber, GetRegionCodeForNumber and
// GetNumberType: every region's example number of every type, and random
// numbers in calling codes with one region, many regions (+1, +7, +44),
// leading zeros (+39) and no region (+800, +882).
func TestReadNumberMatchesLibphonenumber(t *testing.T) {
	var nums []*phonenumbers.PhoneNumber
	for r := range phonenumbers.GetSupportedRegions() {
		for _, typ := range numberTypes {
			if n := phonenumbers.GetExampleNumberForType(r, typ); n != nil {
				nums = append(nums, n)
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			nums = append(nums, n)
		}
	}
	if len(nums) < 1000 {
		t.Fatalf("only %d example numbers", len(nums))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cc := range []string{"1", "7", "44", "39", "49", "33", "55", "91", "234", "800", "882", "999"} {
		for range 3000 {
			digits := strconv.Itoa(rng.IntN(9) + 1)
			for range 5 + rng.IntN(8) {
				digits += strconv.Itoa(rng.IntN(10))
			}
			n, err := phonenumbers.Parse("+"+cc+digits, "")
			if err != nil {
				continue
			}
			nums = append(nums, n)
		}
	}
	counts := map[bool]int{}
	for _, n := range nums {
		e164 := phonenumbers.Format(n, phonenumbers.E164)
		got := readNumber(n)
		want := numberInfo{
			region: phonenumbers.GetRegionCodeForNumber(n),
			typ:    phonenumbers.GetNumberType(n),
			valid:  phonenumbers.IsValidNumber(n),
		}
		if got != want {
			t.Errorf("%s: readNumber = %+v, libphonenumber says %+v", e164, got, want)
		}
		counts[want.valid]++
	}
	// The random numbers must hit both valid and invalid ones, or the
	// comparison shows little.
	if counts[true] < 5000 || counts[false] < 5000 {
		t.Errorf("valid/invalid numbers compared: %d/%d, want both over 5000", counts[true], counts[false])
	}
}

func BenchmarkReadNumber(b *testing.B) {
	n, _ := phonenumbers.Parse("+12015550123", "")
	b.Run("otp", func(b *testing.B) {
		for b.Loop() {
			readNumber(n)
		}
	})
	b.Run("libphonenumber", func(b *testing.B) {
		for b.Loop() {
			_ = phonenumbers.IsValidNumber(n)
			_ = phonenumbers.GetRegionCodeForNumber(n)
			_ = phonenumbers.GetNumberType(n)
		}
	})
}
