// Package speech holds what the providers that speak a message with a
// TwiML-style <Say> in a call share (Twilio's TwiML, and Telnyx's TeXML,
// which follows it): how the voice, language and loop settings default,
// and what a call's status means.
package speech

import (
	"fmt"

	"github.com/otpkit/otpkit/delivery"
)

// Settings is how a <Say> speaks: its voice, language and loop (the times
// the message is spoken).
type Settings struct {
	Voice, Language string
	Loop            int
}

// Default is what an empty setting means.
var Default = Settings{Voice: "woman", Language: "en-US", Loop: 2}

// MaxLoop is the most times a message is spoken.
const MaxLoop = 10

// Fill returns s with each empty setting taken from [Default]. A Loop
// outside 0 to [MaxLoop] (0 takes the default) is a
// [*delivery.ConfigError] of the provider naming Loop.
func (s Settings) Fill(provider string) (Settings, error) {
	def := Default
	if s.Loop < 0 || s.Loop > MaxLoop {
		return s, &delivery.ConfigError{Provider: provider, Field: "Loop", Problem: fmt.Sprintf("must be within 1-%d", MaxLoop)}
	}
	if s.Voice == "" {
		s.Voice = def.Voice
	}
	if s.Language == "" {
		s.Language = def.Language
	}
	if s.Loop == 0 {
		s.Loop = def.Loop
	}
	return s, nil
}

// CallStatus is the report of a call's status ("queued", "ringing",
// "in-progress", "completed", "busy", "failed", "no-answer", "canceled"):
// completed is delivered, the ends without an answer are failed, the rest
// pending.
func CallStatus(raw string) delivery.Report {
	st := delivery.Report{State: delivery.StatePending, Raw: raw}
	switch raw {
	case "completed":
		st.State = delivery.StateDelivered
	case "busy", "failed", "no-answer", "canceled":
		st.State = delivery.StateFailed
		st.Error = "the call was not answered (" + raw + ")"
	}
	return st
}
