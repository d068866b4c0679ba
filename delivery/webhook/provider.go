package webhook

import "github.com/otpkit/otpkit/delivery"

// Provider describes this package to programs that choose a provider by
// name from a configuration ([delivery.Provider]). The signature's
// timestamp is the wall clock's, whatever clock the program runs on: the
// receiver checks it against its own.
var Provider = delivery.NewProvider(Name,
	"secret: 16+ characters; signs each POST with HMAC-SHA256",
	func(cfg Config, _ delivery.Env) (delivery.Sender, error) { return New(cfg) })
