package filestore

import (
	"context"

	"github.com/otpkit/otpkit/store"
)

// Driver is the "file" store driver of the otp command's configuration.
var Driver = store.Driver{
	Name:  "file",
	Check: func(store.DriverSettings) error { return nil },
	Open: func(ctx context.Context, s store.DriverSettings) (store.Store, error) {
		if s.PerCall {
			return NewPerCall(s.Path, nil), nil
		}
		return OpenContext(ctx, s.Path, nil)
	},
}
