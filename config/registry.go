package config

import (
	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/console"
	"github.com/otpkit/otpkit/delivery/messagebird"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/delivery/plivo"
	"github.com/otpkit/otpkit/delivery/telnyx"
	"github.com/otpkit/otpkit/delivery/twilio"
	"github.com/otpkit/otpkit/delivery/webhook"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/redisstore"
)

// storeDrivers are the values of [store] driver. A new store is one line
// here: its package's store.Driver.
var storeDrivers = []store.Driver{
	filestore.Driver,
	redisstore.Driver,
}

// providers are the delivery providers a configuration may name, in the
// order help texts list them. A new provider is one line here: its
// package's delivery.Provider, whose Config tags give its settings.
var providers = []delivery.Provider{
	console.Provider,
	outbox.Provider,
	twilio.Provider,
	telnyx.Provider,
	plivo.Provider,
	messagebird.Provider,
	webhook.Provider,
}

// Registered returns the providers a configuration may name, in the order
// help texts list them.
func Registered() []delivery.Provider { return append([]delivery.Provider(nil), providers...) }
