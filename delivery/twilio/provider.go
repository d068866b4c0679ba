package twilio

import "github.com/otpkit/otpkit/delivery"

// Provider describes this package to programs that choose a provider by
// name from a configuration ([delivery.Provider]).
var Provider = delivery.NewProvider(Name,
	"from (E.164; calls need it) or messaging_service_sid; defaults: voice \"woman\", language \"en-US\", loop 2 (times spoken)",
	func(cfg Config, _ delivery.Env) (delivery.Sender, error) { return New(cfg) })

var _ delivery.VoiceChecker = (*Sender)(nil)

// CheckVoice implements [delivery.VoiceChecker]: calls need From (a
// Messaging Service cannot call).
func (s *Sender) CheckVoice() error {
	if s.cfg.From == "" {
		return &delivery.ConfigError{Provider: Name, Field: "From", Problem: "is required for voice calls"}
	}
	return nil
}
