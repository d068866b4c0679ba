package bench_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/memstore"
)

var ctx = context.Background()

// secret keys the code hashes; every benchmark service uses it.
var secret = []byte("otpkit-benchmark-secret-0123456789")

// number returns the i-th of eight million valid numbers, +1 201 200 0000 on.
func number(i int) string { return fmt.Sprintf("+1201%07d", 2_000_000+i) }

// capture is a delivery.Sender that sends nothing and keeps the last code
// of each number, so the benchmark can type it back.
type capture struct {
	codes sync.Map // number -> code
	n     atomic.Int64
}

func (c *capture) Send(_ context.Context, m delivery.Message) (delivery.Receipt, error) {
	c.codes.Store(m.To, m.Code)
	return delivery.Receipt{Provider: "capture", ID: strconv.FormatInt(c.n.Add(1), 10)}, nil
}

func (c *capture) code(number string) string {
	v, _ := c.codes.Load(number)
	s, _ := v.(string)
	return s
}

// benchStore is a store the library benchmarks run on.
type benchStore struct {
	name string
	// open returns a new, empty store, closed when b ends, or skips b.
	open func(b *testing.B) store.Store
}

// benchStores are the stores to benchmark. The Redis one skips when no
// server answers; the memory store shows the library's own cost.
func benchStores() []benchStore {
	return []benchStore{{"file", openFileStore}, {"redis", openRedisStore}, {"memory", openMemStore}}
}

func openMemStore(*testing.B) store.Store { return memstore.New() }

func openFileStore(b *testing.B) store.Store {
	s, err := filestore.Open(filepath.Join(b.TempDir(), "otp.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSendVerify measures Send+Verify pairs through otp.Service, each
// pair on a new number with the right code, from 1 and from 64 goroutines
// sharing one Service: what a server that verifies phone numbers does.
// The sender delivers nothing, so the figures are the library's and the
// store's.
func BenchmarkSendVerify(b *testing.B) {
	for _, bs := range benchStores() {
		for _, goroutines := range []int{1, 64} {
			b.Run(fmt.Sprintf("store=%s/goroutines=%d", bs.name, goroutines), func(b *testing.B) {
				sender := &capture{}
				svc, err := otp.New(context.Background(), bs.open(b), sender, otp.Options{Secret: secret, Now: testclock.Base})
				if err != nil {
					b.Fatal(err)
				}
				pair := func(i int) {
					to := number(i)
					if _, err := svc.Send(ctx, to, delivery.SMS); err != nil {
						b.Errorf("Send(%s): %v", to, err)
						return
					}
					if _, err := svc.Verify(ctx, to, sender.code(to)); err != nil {
						b.Errorf("Verify(%s): %v", to, err)
					}
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for range goroutines {
					wg.Go(func() {
						for i := int(next.Add(1)); i <= b.N; i = int(next.Add(1)) {
							pair(i)
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
			})
		}
	}
}
