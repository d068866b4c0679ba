package console

import (
	"io"
	"os"

	"github.com/otpkit/otpkit/delivery"
)

// Name is the provider's name in configuration, receipts and errors.
const Name = "console"

// Config is the console provider's configuration, for [Provider]: it has
// no settings.
type Config struct{}

// Provider describes this package to programs that choose a provider by
// name from a configuration ([delivery.Provider]). It writes to the Env's
// Stderr (os.Stderr if nil).
var Provider = delivery.NewProvider(Name, "prints each message to stderr",
	func(_ Config, env delivery.Env) (delivery.Sender, error) {
		var w io.Writer = os.Stderr
		if env.Stderr != nil {
			w = env.Stderr
		}
		return New(w), nil
	})
