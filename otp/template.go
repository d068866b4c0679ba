package otp

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// The default message templates. Voice providers repeat the spoken message
// themselves (see their loop or repeat settings).
const (
	DefaultSMSTemplate   = "Your {{.AppName}} code is {{.Code}}. It expires in {{.TTL}}."
	DefaultVoiceTemplate = "Your {{.AppName}} code is: {{.Spoken}}."
)

// TemplateData is what a message template sees.
type TemplateData struct {
	Code    string // the code, "123456"
	Spoken  string // the code one character at a time, "1, 2, 3, 4, 5, 6"
	TTL     string // how long the code lives, in words: "10 minutes"
	AppName string // Options.AppName
	Channel string // "sms" or "voice"
	To      string // the E.164 number
}

// parseTemplate parses a message template for a channel ("sms" or
// "voice") and checks that it renders and carries the code (in .Code or
// .Spoken). Errors name the template by name ("sms", "locale fr: sms").
func parseTemplate(name, channel, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %s template: %v", ErrInvalidOptions, name, err)
	}
	const probe = "90817263"
	var b strings.Builder
	err = t.Execute(&b, TemplateData{Code: probe, Spoken: Spoken(probe), TTL: "10 minutes", AppName: "app", Channel: channel, To: "+12015550123"})
	if err != nil {
		return nil, fmt.Errorf("%w: %s template: %v", ErrInvalidOptions, name, err)
	}
	if !strings.Contains(b.String(), probe) && !strings.Contains(b.String(), Spoken(probe)) {
		return nil, fmt.Errorf("%w: %s template does not include the code ({{.Code}} or {{.Spoken}})", ErrInvalidOptions, name)
	}
	return t, nil
}

// render renders the message of a channel from a locale's templates.
func (s *Service) render(m *messages, ch delivery.Channel, data TemplateData) (string, error) {
	t := m.sms
	if ch == delivery.Voice {
		t = m.voice
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%w: %s template: %v", ErrInvalidOptions, ch, err)
	}
	return b.String(), nil
}

// HumanDuration writes a duration the way a message says it: "10 minutes",
// "1 hour 30 minutes", "45 seconds".
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "less than a second"
	}
	parts := []struct {
		unit time.Duration
		name string
	}{{time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	var out []string
	for _, p := range parts {
		if n := d / p.unit; n > 0 {
			d -= n * p.unit
			name := p.name
			if n > 1 {
				name += "s"
			}
			out = append(out, fmt.Sprintf("%d %s", n, name))
		}
	}
	return strings.Join(out, " ")
}
