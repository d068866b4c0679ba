package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
)

// Benchmarks need the same server as the tests:
//
//	go test ./store/redisstore -run '^$' -bench . -benchtime 3s
//
// BenchmarkSendVerify reports Issue+Check pairs per second (a Send and a
// Verify of package otp each make one store call), with and without
// autopipelining, and, as the yardstick measured in the same run on the
// same kind of client, plain SETs per second from 64 goroutines. BenchmarkScale reports the latency of one store call with 1k,
// 100k and 1M records in Redis.

// benchTicks steps benchNow.
var benchTicks atomic.Int64

// benchNow is the benchmarks' clock: the test clock's base, a millisecond
// later on every call, so every send is a new one. (TTLs are counted from
// the request's time, so they are the real lengths.)
func benchNow() time.Time {
	return testclock.Base().Add(time.Duration(benchTicks.Add(1)) * time.Millisecond)
}

func BenchmarkSendVerify(b *testing.B) {
	needRedis(b)
	ctx := context.Background()
	for _, ap := range []bool{false, true} {
		mode := "plain"
		if ap {
			mode = "autopipeline"
		}
		for _, g := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/pairs/goroutines=%d", mode, g), func(b *testing.B) {
				s := openWith(b, Options{Prefix: testPrefix(b), AutoPipeline: ap})
				var seq atomic.Int64
				parallel(b, g, func() {
					i := seq.Add(1)
					number := fmt.Sprintf("+1201%09d", i)
					code := hash(fmt.Sprint(i))
					now := benchNow()
					is, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: code, Now: now, ExpiresAt: now.Add(10 * time.Minute), Policy: policy})
					if err != nil || is.Outcome != store.Issued {
						b.Fatalf("Issue = %v, %v", is.Outcome, err)
					}
					res, err := s.Check(ctx, store.CheckRequest{Number: number, Hash: code, Now: now.Add(time.Millisecond), Policy: policy})
					if err != nil || res.Outcome != store.Approved {
						b.Fatalf("Check = %v, %v", res.Outcome, err)
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
			})
		}
		b.Run(fmt.Sprintf("%s/baseline-SET/goroutines=64", mode), func(b *testing.B) {
			s := openWith(b, Options{Prefix: testPrefix(b), AutoPipeline: ap})
			var seq atomic.Int64
			parallel(b, 64, func() {
				if err := s.ops.Set(ctx, s.key(fmt.Sprint(seq.Add(1))), "x", time.Minute).Err(); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sets/s")
		})
	}
}

// parallel runs fn b.N times in all, from g goroutines.
func parallel(b *testing.B, g int, fn func()) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range g {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				fn()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
}

// BenchmarkScale measures one store call (Issue and Check alternately, on
// random numbers among those preloaded) with 1k, 100k and 1M records
// present: ns/op is the whole round trip, server-µs/op the time Redis spent
// in the script (from INFO commandstats, so other clients of the server
// count too), which is what the number of records could change. The records
// are preloaded with pipelines only when this benchmark runs.
func BenchmarkScale(b *testing.B) {
	needRedis(b)
	ctx := context.Background()
	s := openTest(b, testPrefix(b))
	// No send limits: a number drawn twice can be sent a code again.
	p := store.Policy{MaxAttempts: 5, Lockout: 10 * time.Minute}
	loaded := 0
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		preload(b, s, loaded, n)
		loaded = n
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(b.N)))
			var number string
			var code []byte
			calls0, usec0 := evalStats(b, s)
			b.ResetTimer()
			for i := range b.N {
				now := benchNow()
				if i%2 == 0 {
					number = benchNumber(rng.IntN(n))
					code = hash(fmt.Sprint(i))
					is, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: code, Now: now, ExpiresAt: now.Add(10 * time.Minute), Policy: p})
					if err != nil || is.Outcome != store.Issued {
						b.Fatalf("Issue = %v, %v", is.Outcome, err)
					}
				} else {
					res, err := s.Check(ctx, store.CheckRequest{Number: number, Hash: code, Now: now, Policy: p})
					if err != nil || res.Outcome != store.Approved {
						b.Fatalf("Check = %v, %v", res.Outcome, err)
					}
				}
			}
			b.StopTimer()
			calls, usec := evalStats(b, s)
			b.ReportMetric((usec-usec0)/(calls-calls0), "server-µs/op")
			size, err := s.client.DBSize(ctx).Result()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(size), "keys-in-db")
		})
	}
}

// evalStats reads how many EVALSHA calls the server has run and the
// microseconds it spent in them (INFO commandstats), to tell the time Redis
// spends in the scripts from the time of the round trip.
func evalStats(b *testing.B, s *Store) (calls, usec float64) {
	b.Helper()
	info, err := s.client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(info) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_evalsha:")
		if !ok {
			continue
		}
		for f := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "calls":
				calls = n
			case "usec":
				usec = n
			}
		}
	}
	return calls, usec
}

func benchNumber(i int) string { return fmt.Sprintf("+1201%07d", i) }

// preload writes records for numbers from..to-1 with pipelined SETs: a code
// sent an hour ago that is still pending, as the scripts would store it.
func preload(b *testing.B, s *Store, from, to int) {
	b.Helper()
	ctx := context.Background()
	now := benchNow()
	v := fmt.Sprintf("v1|%d|0|0|0|%d|%x", msOf(now.Add(2*time.Hour)), msOf(now.Add(-time.Hour)), hash("preloaded"))
	const batch = 1000
	for i := from; i < to; i += batch {
		_, err := s.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for j := i; j < min(i+batch, to); j++ {
				pipe.Set(ctx, s.key(benchNumber(j)), v, 2*time.Hour)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
