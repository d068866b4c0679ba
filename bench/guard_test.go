package bench_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
)

// benchGuard is the recommended production set of config.example.toml,
// with the limits raised out of reach, so every rule does its work on
// every send and none refuses: the guard's cost, not its refusals.
var benchGuard = otp.GuardOptions{
	AllowCountries: []string{"US", "CA"}, PrefixMaxSends: 1 << 30, CountryMaxSends: 1 << 30, MaxSends: 1 << 30,
	ClientMaxSends: 1 << 30, ClientMaxCountries: 2, MinConversion: 0.2, MinSample: 20,
}

// BenchmarkGuard measures Send+Verify pairs with the guard off and with the
// recommended rules on, from 64 goroutines (each a client key), in the same
// run: the guard's cost on each store, and on Redis opened as otp serve
// opens it (redisstore.Options.AutoPipeline).
//
//	go test ./bench -run '^$' -bench Guard
func BenchmarkGuard(b *testing.B) {
	stores := append(benchStores(), benchStore{"redis-autopipeline", openRedisServerStore})
	for _, bs := range stores {
		for _, mode := range []string{"off", "on"} {
			b.Run(fmt.Sprintf("store=%s/guard=%s", bs.name, mode), func(b *testing.B) {
				opts := otp.Options{Secret: secret, Now: testclock.Base, Guard: otp.GuardOptions{Mode: otp.GuardOff}}
				if mode == "on" {
					opts.Guard = benchGuard
				}
				sender := &capture{}
				svc, err := otp.New(ctx, bs.open(b), sender, opts)
				if err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for g := range 64 {
					wg.Go(func() {
						client := fmt.Sprint("client-", g)
						for i := int(next.Add(1)); i <= b.N; i = int(next.Add(1)) {
							to := number(i)
							if _, err := svc.SendWith(ctx, otp.SendRequest{To: to, Channel: delivery.SMS, Client: client}); err != nil {
								b.Errorf("Send(%s): %v", to, err)
								return
							}
							if _, err := svc.Verify(ctx, to, sender.code(to)); err != nil {
								b.Errorf("Verify(%s): %v", to, err)
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
			})
		}
	}
}
