package httpx

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// redacted replaces what a [Redactor] removes.
const redacted = "[redacted]"

// minSecret is the shortest secret or text a [Redactor] replaces: shorter
// ones would blank out ordinary words.
const minSecret = 4

// Redactor removes from provider text (an error message, an echo of the
// request) what must never reach an error: the credentials, the one-time
// code and the message texts sent. Each is replaced with "[redacted]" in
// every form a provider can echo it in: as is, URL-encoded (query, form and
// path escaping, upper- or lower-case hex), JSON-escaped (with or without
// Go's \u escapes of <, > and &, or of all non-ASCII) and XML-escaped, and
// each of these inside another. The code is also found with its characters
// apart, as a call speaks it ("9, 0, 4, 1, 1, 7"), separated by spaces,
// commas, dots, dashes, underscores, plus signs or their encoded forms
// ("9%2C+0%2C+4", "9\n0").
//
// Build one per send with [NewRedactor]; the patterns are made on first
// use, so a send that succeeds costs nothing. The zero value and a nil
// *Redactor remove nothing. A Redactor is safe for concurrent use.
type Redactor struct {
	secrets []string
	code    string
	texts   []string

	once  sync.Once
	exact *strings.Replacer // every encoded form of the secrets and texts
	loose *regexp.Regexp    // the texts with any run of white space for their spaces
	spelt *regexp.Regexp    // the code, its characters possibly apart
}

// NewRedactor returns a Redactor for the credentials in secrets, the
// one-time code and the texts of the message as sent (the SMS text, the
// spoken text, the TwiML or TeXML document). Secrets and texts shorter than
// four bytes are ignored, as is a code shorter than four characters.
func NewRedactor(secrets []string, code string, texts ...string) *Redactor {
	return &Redactor{secrets: secrets, code: code, texts: texts}
}

// Redact returns s with everything r removes replaced by "[redacted]".
func (r *Redactor) Redact(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.once.Do(r.build)
	// Longest first: the texts (which hold the code) as wholes, then
	// whatever part of the code is left.
	if r.exact != nil {
		s = r.exact.Replace(s)
	}
	if r.loose != nil {
		s = r.loose.ReplaceAllLiteralString(s, redacted)
	}
	if r.spelt != nil {
		s = r.spelt.ReplaceAllLiteralString(s, redacted)
	}
	return s
}

func (r *Redactor) build() {
	seen := map[string]bool{}
	var olds []string
	for _, group := range [][]string{r.texts, r.secrets} {
		for _, t := range group {
			if len(t) < minSecret {
				continue
			}
			for _, f := range encodings(t) {
				if len(f) >= minSecret && !seen[f] {
					seen[f] = true
					olds = append(olds, f)
				}
			}
		}
	}
	if len(olds) > 0 {
		// strings.Replacer tries its olds in argument order at each
		// position: longest first, so a text wins over a secret inside it.
		sort.SliceStable(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
		pairs := make([]string, 0, 2*len(olds))
		for _, o := range olds {
			pairs = append(pairs, o, redacted)
		}
		r.exact = strings.NewReplacer(pairs...)
	}
	var loose []string
	for _, t := range r.texts {
		if f := strings.Fields(t); len(t) >= minSecret && len(f) > 1 {
			for i := range f {
				f[i] = regexp.QuoteMeta(f[i])
			}
			loose = append(loose, strings.Join(f, `\s+`))
		}
	}
	if len(loose) > 0 {
		sort.SliceStable(loose, func(i, j int) bool { return len(loose[i]) > len(loose[j]) })
		r.loose = regexp.MustCompile(strings.Join(loose, "|"))
	}
	if utf8.RuneCountInString(r.code) >= minSecret {
		r.spelt = spelt(r.code)
	}
}

// separator is what may stand between two characters of a code: white
// space and punctuation a voice text or a formatted code uses, as is or
// URL-, double-URL-, JSON- or XML-encoded.
const separator = `(?:[\s,.\-+_]+|%(?:25)?(?:2[0BCDE]|5F|0[9AD])|\\[nrt]|\\u00[0-9A-F]{2}|&#(?:X[0-9A-F]{1,4}|[0-9]{1,5});|&NBSP;)`

// spelt returns the pattern of code with up to four separators between its
// characters, case-insensitive (a hex code may come back in lower case).
func spelt(code string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?i)")
	for i, c := range code {
		if i > 0 {
			b.WriteString(separator + "{0,4}")
		}
		b.WriteString(regexp.QuoteMeta(string(c)))
	}
	return regexp.MustCompile(b.String())
}

// encodings returns s in every form a provider may echo it in: as is and
// XML-escaped, each of these as is, JSON-escaped and URL-encoded, and the
// JSON forms without HTML escapes URL-encoded too.
func encodings(s string) []string {
	var out []string
	for _, b := range dedupe(append([]string{s}, xmlForms(s)...)) {
		out = append(out, b)
		js := jsonForms(b)
		out = append(out, js...)
		out = append(out, urlForms(b)...)
		for _, j := range dedupe(js[:min(2, len(js))]) {
			if j != b {
				out = append(out, urlForms(j)...)
			}
		}
	}
	return dedupe(out)
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// urlForms returns s query-escaped (form encoding: + for space), with %20
// for space (JavaScript's encodeURIComponent) and path-escaped, each with
// upper- and lower-case hex.
func urlForms(s string) []string {
	q := url.QueryEscape(s)
	forms := []string{q, strings.ReplaceAll(q, "+", "%20"), url.PathEscape(s)}
	for _, f := range forms[:3] {
		if l := lowerHex(f); l != f {
			forms = append(forms, l)
		}
	}
	return forms
}

var pctHex = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerHex(s string) string {
	return pctHex.ReplaceAllStringFunc(s, strings.ToLower)
}

// jsonForms returns s as the inside of a JSON string: as Go writes it
// (\u003c for <), without the HTML escapes, with every non-ASCII character
// escaped (Python's default) and with "/" escaped as "\/" (PHP's default).
func jsonForms(s string) []string {
	var forms []string
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) == nil {
		plain := strings.TrimSuffix(buf.String(), "\n")
		plain = plain[1 : len(plain)-1]
		forms = append(forms, plain, asciiJSON(plain), strings.ReplaceAll(plain, "/", `\/`))
	}
	return forms
}

func asciiJSON(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c < utf8.RuneSelf:
			b.WriteRune(c)
		case c > 0xFFFF:
			c -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(c>>10), 0xDC00+(c&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, c)
		}
	}
	return b.String()
}

var (
	xmlMinimal = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	xmlNamed   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
)

// xmlForms returns s escaped as XML text the ways libraries do it:
// encoding/xml, html.EscapeString, only &, < and >, and with named quotes.
func xmlForms(s string) []string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // a strings.Builder does not fail
	return []string{b.String(), html.EscapeString(s), xmlMinimal.Replace(s), xmlNamed.Replace(s)}
}
