package telnyx

import "github.com/otpkit/otpkit/delivery"

// Provider describes this package to programs that choose a provider by
// name from a configuration ([delivery.Provider]).
var Provider = delivery.NewProvider(Name,
	"from or messaging_profile_id; calls need from, texml_application_id and account_sid; defaults as for twilio",
	func(cfg Config, _ delivery.Env) (delivery.Sender, error) { return New(cfg) })

var _ delivery.VoiceChecker = (*Sender)(nil)

// CheckVoice implements [delivery.VoiceChecker]: calls go through a TeXML
// application, which needs From, AccountSID and TexmlApplicationID.
func (s *Sender) CheckVoice() error {
	for _, f := range []struct{ name, v string }{{"From", s.cfg.From}, {"AccountSID", s.cfg.AccountSID}, {"TexmlApplicationID", s.cfg.TexmlApplicationID}} {
		if f.v == "" {
			return &delivery.ConfigError{Provider: Name, Field: f.name, Problem: "is required for voice calls"}
		}
	}
	return nil
}
