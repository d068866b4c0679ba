package probe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// PlivoSignature computes Plivo's X-Plivo-Signature-V3 for a POST to
// fullURL with the form params: base64 of HMAC-SHA256, keyed by the auth
// token, of the URL (scheme, host, path), then "?" and the URL's own query
// sorted by name and "." when it has one, then each form parameter's name
// and value sorted by name, then "." and the X-Plivo-Signature-V3-Nonce
// header. It is what plivo-go's ComputeSignatureV3 computes.
func PlivoSignature(authToken, fullURL, nonce string, params url.Values) (string, error) {
	u, err := url.Parse(fullURL)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSignature, err)
	}
	s := u.Scheme + "://" + u.Host + u.Path
	form := sortedPairs(params, false)
	switch {
	case u.RawQuery != "":
		s += "?" + sortedPairs(u.Query(), true) + "." + form
		s = strings.TrimRight(s, ".")
	case len(params) > 0:
		s += "?" + form
	}
	m := hmac.New(sha256.New, []byte(authToken))
	m.Write([]byte(s + "." + nonce))
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// sortedPairs writes each parameter's first value after its name, sorted
// by name: "a=b&c=d" for a query, "abcd" for a form.
func sortedPairs(params url.Values, query bool) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if query {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k + "=" + params.Get(k))
		} else {
			b.WriteString(k + params.Get(k))
		}
	}
	return b.String()
}

// VerifyPlivo checks an X-Plivo-Signature-V3 header, which may list
// several signatures separated by commas (one per auth token in rotation).
func VerifyPlivo(authToken, fullURL, nonce string, params url.Values, sig string) error {
	if authToken == "" || nonce == "" || sig == "" {
		return fmt.Errorf("%w: no Plivo signature or nonce", ErrSignature)
	}
	want, err := PlivoSignature(authToken, fullURL, nonce, params)
	if err != nil {
		return err
	}
	for _, s := range strings.Split(sig, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: X-Plivo-Signature-V3 does not match", ErrSignature)
}
