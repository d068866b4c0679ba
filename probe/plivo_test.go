package probe

import (
	"errors"
	"net/url"
	"testing"
)

// TestPlivoSignatureSDKVectors checks PlivoSignature against the vectors of
// plivo-go's own tests (utils_test.go, TestValidateSignatureV3Pass1 and
// Pass3: a POST with a query string in the URL, and without; MIT).
func TestPlivoSignatureSDKVectors(t *testing.T) {
	params := url.Values{}
	for k, v := range map[string]string{
		"Direction": "outbound", "From": "19792014278", "ALegUUID": "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
		"CallStatus": "in-progress", "BillRate": "0.002", "ParentAuthID": "MANWVLYTK4ZWU1YTY4QA",
		"To":              "sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com",
		"ALegRequestUUID": "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36", "CallUUID": "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
		"RequestUUID":  "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
		"SIP-H-To":     "<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1",
		"SessionStart": "2020-04-08 11:34:33.238707", "Event": "StartApp",
	} {
		params.Set(k, v)
	}
	const token, nonce = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4", "31627761595286130198"
	for _, tc := range []struct{ url, sig string }{
		{"https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d", "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c="},
		{"https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml", "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0="},
	} {
		if err := VerifyPlivo(token, tc.url, nonce, params, "other,"+tc.sig); err != nil {
			t.Errorf("%s: %v", tc.url, err)
		}
		if err := VerifyPlivo(token, tc.url, nonce+"1", params, tc.sig); !errors.Is(err, ErrSignature) {
			t.Errorf("%s with another nonce: %v, want ErrSignature", tc.url, err)
		}
	}
}
