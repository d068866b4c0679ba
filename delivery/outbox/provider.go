package outbox

import (
	"path/filepath"

	"github.com/otpkit/otpkit/delivery"
)

// Name is the provider's name in configuration, receipts and errors.
const Name = "outbox"

// Config is the outbox's configuration, for [Provider].
type Config struct {
	// Path is the JSON Lines file; default outbox.jsonl in the Env's Dir.
	Path string `toml:"path" path:"true"`
}

// Provider describes this package to programs that choose a provider by
// name from a configuration ([delivery.Provider]).
var Provider = delivery.NewProvider(Name,
	"default outbox.jsonl beside the store",
	func(cfg Config, env delivery.Env) (delivery.Sender, error) {
		p := cfg.Path
		if p == "" {
			p = filepath.Join(env.Dir, "outbox.jsonl")
		}
		return New(p, env.Now), nil
	})
