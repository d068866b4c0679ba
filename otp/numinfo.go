package otp

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// This file reads what otp needs of a parsed number, its region, its type
// and whether it is valid, with libphonenumber's own metadata and rules
// (IsValidNumber, GetRegionCodeForNumber, GetNumberType), in one pass and
// with each region's patterns compiled once. libphonenumber builds each
// pattern's string and looks it up in a locked cache on every match, and
// validating a number already works out its type, which GetNumberType then
// works out again: on a server that sees a new number on every send, that
// was most of a Send's CPU time. numinfo_test.go checks the results equal
// libphonenumber's for every region's example numbers and random numbers.

// numberInfo is what one pass over a parsed number reads.
type numberInfo struct {
	region string // "US", "001" for a non-geographic code, "" if none
	typ    phonenumbers.PhoneNumberType
	valid  bool
}

// desc is a compiled PhoneNumberDesc.
type desc struct {
	lengths []int32
	re      *regexp.Regexp
}

func compileDesc(d *phonenumbers.PhoneNumberDesc) desc {
	return desc{lengths: d.GetPossibleLength(), re: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

// matches is libphonenumber's isNumberMatchingDesc (whose possible-number
// check uses the same pattern).
func (d *desc) matches(nsn string) bool {
	if len(d.lengths) > 0 {
		found := false
		for _, l := range d.lengths {
			if int32(len(nsn)) == l {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

// regionMeta is one region's metadata, compiled.
type regionMeta struct {
	countryCode int32
	leading     *regexp.Regexp // nil when the region has no leading digits
	general     desc
	// typed are the descs in the order libphonenumber's getNumberTypeHelper
	// tries them, before fixed line and mobile.
	typed               [8]desc
	fixed, mobile       desc
	sameMobileFixedLine bool
}

var typedOrder = [8]phonenumbers.PhoneNumberType{
	phonenumbers.PREMIUM_RATE, phonenumbers.TOLL_FREE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
	phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL,
}

func compileMeta(md *phonenumbers.PhoneMetadata) *regionMeta {
	m := &regionMeta{
		countryCode: md.GetCountryCode(), general: compileDesc(md.GetGeneralDesc()),
		fixed: compileDesc(md.GetFixedLine()), mobile: compileDesc(md.GetMobile()),
		sameMobileFixedLine: md.GetSameMobileAndFixedLinePattern(),
	}
	for i, d := range []*phonenumbers.PhoneNumberDesc{
		md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
		md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
	} {
		m.typed[i] = compileDesc(d)
	}
	if ld := md.GetLeadingDigits(); ld != "" {
		m.leading = regexp.MustCompile("^(?:" + ld + ")")
	}
	return m
}

// numberType is libphonenumber's getNumberTypeHelper.
func (m *regionMeta) numberType(nsn string) phonenumbers.PhoneNumberType {
	if !m.general.matches(nsn) {
		return phonenumbers.UNKNOWN
	}
	for i := range m.typed {
		if m.typed[i].matches(nsn) {
			return typedOrder[i]
		}
	}
	if m.fixed.matches(nsn) {
		if m.sameMobileFixedLine || m.mobile.matches(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !m.sameMobileFixedLine && m.mobile.matches(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// metas indexes the raw metadata (geographic by region, non-geographic by
// calling code) and keeps each region's compiled form once it is needed.
var metas struct {
	once     sync.Once
	byRegion map[string]*phonenumbers.PhoneMetadata
	nonGeo   map[int32]*phonenumbers.PhoneMetadata
	compiled sync.Map // region or "001:<code>" -> *regionMeta
}

func loadMetas() {
	metas.byRegion = map[string]*phonenumbers.PhoneMetadata{}
	metas.nonGeo = map[int32]*phonenumbers.PhoneMetadata{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return // every number reads as invalid, as libphonenumber would
	}
	for _, md := range coll.GetMetadata() {
		if md.GetId() == nonGeoRegion {
			metas.nonGeo[md.GetCountryCode()] = md
		} else {
			metas.byRegion[md.GetId()] = md
		}
	}
}

const nonGeoRegion = "001"

// metaFor is libphonenumber's getMetadataForRegionOrCallingCode, compiled.
func metaFor(cc int32, region string) *regionMeta {
	metas.once.Do(loadMetas)
	key := region
	var md *phonenumbers.PhoneMetadata
	if region == nonGeoRegion {
		key = nonGeoRegion + ":" + strconv.Itoa(int(cc))
		md = metas.nonGeo[cc]
	} else {
		md = metas.byRegion[region]
	}
	if md == nil {
		return nil
	}
	if m, ok := metas.compiled.Load(key); ok {
		return m.(*regionMeta)
	}
	m, _ := metas.compiled.LoadOrStore(key, compileMeta(md))
	return m.(*regionMeta)
}

// readNumber is IsValidNumber, GetRegionCodeForNumber and GetNumberType of
// n in one pass.
func readNumber(n *phonenumbers.PhoneNumber) numberInfo {
	cc := n.GetCountryCode()
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	regions := phonenumbers.GetRegionCodesForCountryCode(int(cc))
	var info numberInfo
	var m *regionMeta
	switch len(regions) {
	case 0:
		return numberInfo{typ: phonenumbers.UNKNOWN}
	case 1:
		info.region = regions[0]
	default:
		// getRegionCodeForNumberFromRegionList: the first region whose
		// leading digits match or, without them, that the number is valid in.
		for _, r := range regions {
			rm := metaFor(cc, r)
			if rm == nil {
				continue
			}
			if rm.leading != nil {
				if rm.leading.MatchString(nsn) {
					info.region, m = r, rm
					break
				}
			} else if t := rm.numberType(nsn); t != phonenumbers.UNKNOWN {
				info.region, m = r, rm
				break
			}
		}
	}
	if m == nil {
		if m = metaFor(cc, info.region); m == nil {
			return numberInfo{region: info.region, typ: phonenumbers.UNKNOWN}
		}
	}
	info.typ = m.numberType(nsn)
	// IsValidNumberForRegion also wants the region's own calling code.
	info.valid = info.typ != phonenumbers.UNKNOWN && (info.region == nonGeoRegion || m.countryCode == cc)
	return info
}
