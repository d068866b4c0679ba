package redisstore_test

import (
	"context"
	"log"

	"github.com/otpkit/otpkit/store/redisstore"
)

// A store shared by several application servers. Each of them must hash
// codes with the same secret: set otp.Options.Secret, since this store does
// not keep one.
func ExampleOpen() {
	ctx := context.Background()
	st, err := redisstore.Open(ctx, redisstore.Options{
		URL:          "redis://redis.internal:6379/0",
		AutoPipeline: true, // many concurrent requests
	})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	// svc, err := otp.New(context.Background(), st, sender, otp.Options{Secret: secret})
}
