package plivo

import (
	"fmt"

	"github.com/otpkit/otpkit/delivery"
)

// Provider describes this package to programs that choose a provider by
// name from a configuration ([delivery.Provider]).
var Provider = delivery.NewProvider(Name,
	"SMS only",
	func(cfg Config, _ delivery.Env) (delivery.Sender, error) { return New(cfg) })

var _ delivery.VoiceChecker = (*Sender)(nil)

// CheckVoice implements [delivery.VoiceChecker]: it always returns
// [ErrVoice], since otpkit cannot call through Plivo.
func (s *Sender) CheckVoice() error { return fmt.Errorf("%s: %w", Name, ErrVoice) }
