package otp

import (
	"fmt"
	"maps"
	"strings"
	"text/template"
	"time"
)

// Templates are the message templates of one locale (see Options.Locales).
// An empty field falls back to the built-in template of the locale, if
// otpkit ships one ([BuiltinLocales]), and then to the default template
// (Options.SMSTemplate or Options.VoiceTemplate).
type Templates struct {
	SMS   string // text/template for SMS
	Voice string // text/template spoken by a call
}

// builtinLocales are the translations of DefaultSMSTemplate and
// DefaultVoiceTemplate that otpkit ships. "pt" is Brazilian Portuguese;
// "pt-PT" is the European form.
var builtinLocales = map[string]Templates{
	"de": {
		SMS:   "Ihr Code für {{.AppName}} lautet {{.Code}}. Er ist {{.TTL}} gültig.",
		Voice: "Ihr Code für {{.AppName}} lautet: {{.Spoken}}.",
	},
	"es": {
		SMS:   "Tu código de {{.AppName}} es {{.Code}}. Caduca en {{.TTL}}.",
		Voice: "Tu código de {{.AppName}} es: {{.Spoken}}.",
	},
	"fr": {
		SMS:   "Votre code {{.AppName}} est {{.Code}}. Il expire dans {{.TTL}}.",
		Voice: "Votre code {{.AppName}} est : {{.Spoken}}.",
	},
	"it": {
		SMS:   "Il tuo codice {{.AppName}} è {{.Code}}. Scade tra {{.TTL}}.",
		Voice: "Il tuo codice {{.AppName}} è: {{.Spoken}}.",
	},
	"nl": {
		SMS:   "Je code voor {{.AppName}} is {{.Code}}. Deze is {{.TTL}} geldig.",
		Voice: "Je code voor {{.AppName}} is: {{.Spoken}}.",
	},
	"pt": {
		SMS:   "Seu código {{.AppName}} é {{.Code}}. Expira em {{.TTL}}.",
		Voice: "Seu código {{.AppName}} é: {{.Spoken}}.",
	},
	"pt-pt": {
		SMS:   "O seu código {{.AppName}} é {{.Code}}. Expira dentro de {{.TTL}}.",
		Voice: "O seu código {{.AppName}} é: {{.Spoken}}.",
	},
}

// BuiltinLocales returns the templates otpkit ships for languages other
// than English (German, Spanish, French, Italian, Dutch, Portuguese), keyed
// by lower-case BCP 47 tag. They carry the same fields as the defaults, and
// their {{.TTL}} is written in their language ("10 Minuten").
// Options.Locales overrides them.
func BuiltinLocales() map[string]Templates { return maps.Clone(builtinLocales) }

// durationWords are the words HumanDuration's translations use: the units
// in the singular and the plural, and the word before the last part.
type durationWords struct {
	hour, minute, second [2]string
	and, lessThanASecond string
}

// durationLanguages are the languages whose {{.TTL}} is not English, by
// base language.
var durationLanguages = map[string]durationWords{
	"de": {[2]string{"Stunde", "Stunden"}, [2]string{"Minute", "Minuten"}, [2]string{"Sekunde", "Sekunden"}, "und", "weniger als eine Sekunde"},
	"es": {[2]string{"hora", "horas"}, [2]string{"minuto", "minutos"}, [2]string{"segundo", "segundos"}, "y", "menos de un segundo"},
	"fr": {[2]string{"heure", "heures"}, [2]string{"minute", "minutes"}, [2]string{"seconde", "secondes"}, "et", "moins d'une seconde"},
	"it": {[2]string{"ora", "ore"}, [2]string{"minuto", "minuti"}, [2]string{"secondo", "secondi"}, "e", "meno di un secondo"},
	"nl": {[2]string{"uur", "uur"}, [2]string{"minuut", "minuten"}, [2]string{"seconde", "seconden"}, "en", "minder dan een seconde"},
	"pt": {[2]string{"hora", "horas"}, [2]string{"minuto", "minutos"}, [2]string{"segundo", "segundos"}, "e", "menos de um segundo"},
}

// localDuration is [HumanDuration] in the words of the tag's base
// language, if otpkit knows them, else in English: "1 heure et 30 minutes".
func localDuration(tag string, d time.Duration) string {
	w, ok := durationLanguages[baseLanguage(tag)]
	if !ok {
		return HumanDuration(d)
	}
	d = d.Round(time.Second)
	if d < time.Second {
		return w.lessThanASecond
	}
	var out []string
	for _, p := range []struct {
		unit  time.Duration
		names [2]string
	}{{time.Hour, w.hour}, {time.Minute, w.minute}, {time.Second, w.second}} {
		if n := d / p.unit; n > 0 {
			d -= n * p.unit
			name := p.names[0]
			if n > 1 {
				name = p.names[1]
			}
			out = append(out, fmt.Sprintf("%d %s", n, name))
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " " + w.and + " " + out[len(out)-1]
}

// ValidLocale reports whether tag is a well-formed BCP 47 language tag of
// the usual kind: a language subtag of 2 or 3 letters, then subtags of 1 to
// 8 letters or digits, separated by '-' ("fr", "pt-BR", "zh-Hant-TW"). It
// checks the form, not that the language exists.
func ValidLocale(tag string) bool {
	if len(tag) > 35 {
		return false
	}
	for i, sub := range strings.Split(tag, "-") {
		if len(sub) < 1 || len(sub) > 8 || i == 0 && (len(sub) < 2 || len(sub) > 3) {
			return false
		}
		for _, c := range sub {
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !letter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

// baseLanguage returns the language subtag of a tag, in lower case: "pt"
// for "pt-BR".
func baseLanguage(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	return base
}

// messages are the parsed templates of one locale, with {{.TTL}} in its
// words.
type messages struct {
	sms, voice *template.Template
	ttl        string
}

// prepareLocales parses the templates of the built-in and configured
// locales, keyed by lower-case tag. A configured locale's empty field takes
// the built-in template of the same tag, then its base language's
// (configured or built-in), then def's.
func prepareLocales(opts Options, def *messages) (map[string]*messages, error) {
	texts := BuiltinLocales()
	seen := map[string]string{}
	for tag, t := range opts.Locales {
		if !ValidLocale(tag) {
			return nil, fmt.Errorf("%w: locale %q is not a BCP 47 language tag (want e.g. fr or pt-BR)", ErrInvalidOptions, tag)
		}
		key := strings.ToLower(tag)
		if other, dup := seen[key]; dup {
			return nil, fmt.Errorf("%w: locales %q and %q are the same tag", ErrInvalidOptions, other, tag)
		}
		seen[key] = tag
		b := texts[key]
		if t.SMS != "" {
			b.SMS = t.SMS
		}
		if t.Voice != "" {
			b.Voice = t.Voice
		}
		texts[key] = b
	}
	// A regional tag's missing template is its language's: "fr-CA" without
	// a voice template speaks the "fr" one.
	for key, t := range texts {
		base, ok := texts[baseLanguage(key)]
		if !ok || baseLanguage(key) == key {
			continue
		}
		if t.SMS == "" {
			t.SMS = base.SMS
		}
		if t.Voice == "" {
			t.Voice = base.Voice
		}
		texts[key] = t
	}
	out := make(map[string]*messages, len(texts))
	for key, t := range texts {
		m := &messages{sms: def.sms, voice: def.voice, ttl: localDuration(key, opts.TTL)}
		name := key
		if tag, ok := seen[key]; ok {
			name = tag
		}
		var err error
		if t.SMS != "" {
			if m.sms, err = parseTemplate("locale "+name+": sms", "sms", t.SMS); err != nil {
				return nil, err
			}
		}
		if t.Voice != "" {
			if m.voice, err = parseTemplate("locale "+name+": voice", "voice", t.Voice); err != nil {
				return nil, err
			}
		}
		out[key] = m
	}
	return out, nil
}

// messagesFor picks the templates of a locale: the tag's own
// (case-insensitively), else its base language's, else the defaults. An
// empty or malformed tag gets the defaults.
func (s *Service) messagesFor(tag string) *messages {
	if tag == "" {
		return s.defaults
	}
	key := strings.ToLower(tag)
	if m, ok := s.locales[key]; ok {
		return m
	}
	if m, ok := s.locales[baseLanguage(key)]; ok {
		return m
	}
	return s.defaults
}
