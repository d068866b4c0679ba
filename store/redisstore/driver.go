package redisstore

import (
	"context"
	"errors"

	"github.com/otpkit/otpkit/store"
)

// Driver is the "redis" store driver of the otp command's configuration.
var Driver = store.Driver{
	Name: "redis",
	Check: func(s store.DriverSettings) error {
		if s.URL == "" {
			return errors.New("[store] url is required with driver redis (or set OTP_REDIS_URL)")
		}
		if !s.HasSecret {
			return errors.New("the redis store needs a secret shared by every machine: set [code] secret or OTP_SECRET")
		}
		return nil
	},
	Open: func(ctx context.Context, s store.DriverSettings) (store.Store, error) {
		return Open(ctx, Options{URL: s.URL, Prefix: s.Prefix, AutoPipeline: s.Concurrent})
	},
}
