package store

import "context"

// A Driver is one value of the otp command's "[store] driver" setting: how
// its settings are checked and how it opens. A store package exports one
// (filestore.Driver, redisstore.Driver), and the configuration loader
// lists them; a new store is its package and one line there.
type Driver struct {
	Name string // the [store] driver value: "file", "redis"
	// Check reports a missing or bad setting without opening anything; its
	// error names the setting ("[store] url is required ...").
	Check func(s DriverSettings) error
	// Open opens the store.
	Open func(ctx context.Context, s DriverSettings) (Store, error)
}

// DriverSettings are the [store] settings a driver reads, with the
// environment's overrides applied.
type DriverSettings struct {
	Path   string // file stores: the file ([store] path, --store, or the default)
	URL    string // network stores: where ([store] url, $OTP_REDIS_URL)
	Prefix string // network stores: the key prefix
	// PerCall asks a file store to open the file for each operation only
	// (a command, whose network calls must not hold the file).
	PerCall bool
	// Concurrent says many goroutines share the store (a server): a
	// network store may send their calls together.
	Concurrent bool
	// HasSecret reports whether the configuration sets the code key; a
	// store shared by machines cannot keep it itself.
	HasSecret bool
}
