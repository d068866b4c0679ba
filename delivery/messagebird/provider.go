package messagebird

import "github.com/otpkit/otpkit/delivery"

// Provider describes this package to programs that choose a provider by
// name from a configuration ([delivery.Provider]).
var Provider = delivery.NewProvider(Name,
	"defaults: voice \"female\", language \"en-us\", repeat 2 (times spoken)",
	func(cfg Config, _ delivery.Env) (delivery.Sender, error) { return New(cfg) })
