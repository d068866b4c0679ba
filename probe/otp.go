package probe

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/otpkit/otpkit/otp"
)

// CodeMatcher reads one-time codes back out of texts rendered from an SMS
// template (otp probe --otp): the end-to-end check of the path a user
// takes.
type CodeMatcher struct {
	find  *regexp.Regexp // the code anywhere in a text of the template's shape
	whole *regexp.Regexp // the same, the whole text
}

// NewCodeMatcher builds a matcher from an SMS template ("" is
// otp.DefaultSMSTemplate) and the codes' format and length. The template's
// other fields (.TTL, .AppName, .To, .Channel) match any text.
func NewCodeMatcher(tmpl string, f otp.Format, length int) (*CodeMatcher, error) {
	if tmpl == "" {
		tmpl = otp.DefaultSMSTemplate
	}
	if length <= 0 {
		length = otp.DefaultLength
	}
	t, err := template.New("sms").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	const mark = "\x00"
	data := otp.TemplateData{Code: mark + "C" + mark, Spoken: mark + "S" + mark, TTL: mark + "W" + mark, AppName: mark + "W" + mark,
		Channel: mark + "W" + mark, To: mark + "W" + mark}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	char := "[0-9]"
	if f == otp.Hex {
		char = "[0-9A-Fa-f]"
	}
	code := fmt.Sprintf("(%s{%d})", char, length)
	spoken := fmt.Sprintf("(%s(?:, %s){%d})", char, char, length-1)
	var re strings.Builder
	for i, part := range strings.Split(b.String(), mark) {
		switch {
		case i%2 == 0:
			re.WriteString(regexp.QuoteMeta(part))
		case part == "C":
			re.WriteString(code)
		case part == "S":
			re.WriteString(spoken)
		default:
			re.WriteString(".*?")
		}
	}
	if !strings.Contains(re.String(), code) && !strings.Contains(re.String(), spoken) {
		return nil, fmt.Errorf("%w: the SMS template does not include the code", ErrTemplate)
	}
	return &CodeMatcher{find: regexp.MustCompile("(?s)" + re.String()), whole: regexp.MustCompile("(?s)^" + re.String() + "$")}, nil
}

// Code returns the code a text carries, and whether the text is of the
// template's shape from end to end (nothing added or cut). ok is false
// when no code can be read.
func (m *CodeMatcher) Code(text string) (code string, whole, ok bool) {
	sub := m.find.FindStringSubmatch(text)
	if sub == nil {
		return "", false, false
	}
	for _, s := range sub[1:] {
		if s != "" {
			return strings.ReplaceAll(s, ", ", ""), m.whole.MatchString(text), true
		}
	}
	return "", false, false
}
